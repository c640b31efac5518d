/**
 * Validation helpers. Every check names the argument, and for entries the index and the value, so a caller can
 * find the bad number without a debugger. Wrong kinds of thing are TypeErrors; right kind, wrong value are
 * RangeErrors. Nothing here modifies its input: matrices come back as fresh float64 copies.
 *
 * Hostile input: every read of the caller's objects (properties, array entries, proxy traps) goes through a helper
 * that turns an exception thrown by a getter or a proxy trap into a TypeError naming what was being read, and
 * every option and every matrix property is read once, so a getter cannot show validation one value and the fit
 * another. Typed arrays are recognised by their internal slots (not by `instanceof` or `length`, which a caller
 * can fake), and a detached one is reported as such.
 */
import { internalError, rangeError, typeError, type ErrorCode } from './errors.js';
import type { FactorArray, Matrix } from './types.js';

/** Formats a value for an error message without throwing on symbols, proxies or huge arrays. */
export function describe(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'function') return 'a function';
    if (value === null) return 'null';
    if (value === undefined) return 'undefined';
    const typed = typedArrayName(value);
    if (typed !== undefined) return `a ${typed}`;
    if (Array.isArray(value)) return `an array of length ${value.length}`;
    if (ArrayBuffer.isView(value)) return 'a DataView';
    return 'an object';
  } catch {
    return 'an unreadable value';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the caller's objects.

/** The text of a caught exception, for a message, without throwing again. */
function errorText(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
  } catch {
    // a hostile error object: fall through
  }
  return describe(error);
}

/** A TypeError saying that reading `where` threw (a getter or proxy trap of the caller's); the original is its cause. */
function unreadable(where: string, cause: unknown): TypeError {
  return typeError('NMFKIT_INVALID_TYPE', `${where} could not be read: ${errorText(cause)}`, { cause });
}

/** `object[key]`; a getter or proxy trap that throws becomes a TypeError naming `where`. */
export function readProperty(where: string, object: object, key: PropertyKey): unknown {
  try {
    return (object as Record<PropertyKey, unknown>)[key];
  } catch (cause) {
    throw unreadable(where, cause);
  }
}

const hasOwnProperty = Object.prototype.hasOwnProperty;

/**
 * `object[key]` if `object` has that property of its own, else undefined: options and matrix fields are read as
 * own properties only, so a property planted on Object.prototype (or any prototype) never becomes an option or a
 * matrix's shape. A getter or proxy trap that throws becomes a TypeError naming `where`.
 */
export function readOwnProperty(where: string, object: object, key: PropertyKey): unknown {
  try {
    return hasOwnProperty.call(object, key) ? (object as Record<PropertyKey, unknown>)[key] : undefined;
  } catch (cause) {
    throw unreadable(where, cause);
  }
}

const INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * Whether a hole of `array` could read as a value: some object on its prototype chain (Array.prototype,
 * Object.prototype, or a prototype of the caller's) has an index property. Then the entries are read as own
 * properties one by one; otherwise (always, unless a prototype was tampered with) plain reads already give
 * undefined for a hole. A trap that throws counts as true, so the entries are then read the careful way.
 */
export function inheritsIndices(array: object): boolean {
  try {
    for (let proto = Object.getPrototypeOf(array); proto !== null; proto = Object.getPrototypeOf(proto)) {
      for (const key of Reflect.ownKeys(proto)) if (typeof key === 'string' && INDEX.test(key)) return true;
    }
    return false;
  } catch {
    return true;
  }
}

/**
 * {@link inheritsIndices} for many arrays (the rows of a matrix), walked once per distinct direct prototype: rows
 * are nearly always plain arrays, and walking Array.prototype's keys for each of 10^5 short rows cost 20× the read.
 */
function indexCheck(): (array: object) => boolean {
  const known = new Map<unknown, boolean>();
  return (array) => {
    let proto: unknown;
    try {
      proto = Object.getPrototypeOf(array);
    } catch {
      return true;
    }
    let careful = known.get(proto);
    if (careful === undefined) {
      careful = inheritsIndices(array);
      known.set(proto, careful);
    }
    return careful;
  };
}

/** Entry i of an array, read as an own property when its prototypes carry indices (`careful`). */
function readEntry(where: string, array: object, i: number, careful: boolean): unknown {
  return careful ? readOwnProperty(where, array, i) : readProperty(where, array, i);
}

/** `Object.getPrototypeOf(object)`; a proxy trap that throws becomes a TypeError naming `where`. */
export function readPrototype(where: string, object: object): unknown {
  try {
    return Object.getPrototypeOf(object);
  } catch (cause) {
    throw unreadable(where, cause);
  }
}

/** Array.isArray, but false instead of a throw for a revoked proxy (whose reads then fail with a named TypeError). */
export function isArray(value: unknown): value is readonly unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * Whether `value` is a real AbortSignal: the brand check of its `aborted` getter, which (unlike `instanceof`) a
 * proxy or an object with AbortSignal.prototype cannot pass, so `signal.aborted` and `AbortSignal.any` work on it.
 */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (isProxy(value)) return false;
  try {
    ABORTED.call(value);
    return true;
  } catch {
    return false;
  }
}
const ABORTED = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get! as (this: unknown) => boolean;

/**
 * How this runtime tells a proxy, set by its entry (Node: util.types.isProxy). Node's AbortSignal checks its
 * receiver by a symbol lookup, which a Proxy of a signal forwards (and whose traps would then run); browsers'
 * signals are platform objects whose getter refuses a proxy itself, so there the test may stay false.
 */
let isProxy: (value: unknown) => boolean = () => false;

export function detectProxiesWith(test: (value: unknown) => boolean): void {
  isProxy = test;
}

// %TypedArray%.prototype's getters read internal slots: they cannot be faked by a proxy, a subclass or an own
// `length` property, and the tag getter returns undefined (never throws) for anything that is not a typed array.
const TYPED_ARRAY_PROTOTYPE = Object.getPrototypeOf(Int8Array.prototype) as object;
const typedArrayGetter = (key: PropertyKey): ((this: unknown) => unknown) =>
  Object.getOwnPropertyDescriptor(TYPED_ARRAY_PROTOTYPE, key)!.get! as (this: unknown) => unknown;
const TYPED_ARRAY_TAG = typedArrayGetter(Symbol.toStringTag);
const TYPED_ARRAY_LENGTH = typedArrayGetter('length');
const TYPED_ARRAY_BUFFER = typedArrayGetter('buffer');
const TYPED_ARRAY_BYTE_OFFSET = typedArrayGetter('byteOffset');

/** The length of a real typed array, from its internal slot (an own `length` property cannot fake it). */
export function typedArrayLength(value: ArrayBufferView): number {
  return TYPED_ARRAY_LENGTH.call(value) as number;
}

/** 'Float64Array', 'Int32Array', … for a real typed array, undefined for anything else (proxies included). */
export function typedArrayName(value: unknown): string | undefined {
  return TYPED_ARRAY_TAG.call(value) as string | undefined;
}

/** Whether a typed array's buffer was detached (transferred to a worker, `structuredClone(…, { transfer })`, …). */
function isDetached(array: unknown): boolean {
  const buffer = TYPED_ARRAY_BUFFER.call(array) as ArrayBufferLike & { detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  try {
    // Node 20 has no ArrayBuffer.prototype.detached; a view on a detached buffer cannot be constructed.
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * Reads the options `known` of an options object, once each, after checking it is an object and has no other own
 * keys. A getter or proxy trap that throws becomes a TypeError naming the option.
 */
export function readOptions<K extends string>(
  name: string,
  value: unknown,
  known: readonly K[],
  expectation = 'an object',
): { [P in K]?: unknown } {
  if (value === null || typeof value !== 'object' || isArray(value)) {
    throw typeError('NMFKIT_INVALID_TYPE', `${name} must be ${expectation}, got ${describe(value)}`);
  }
  checkKnownKeys(name, value, known);
  const values: { [P in K]?: unknown } = {};
  for (const key of known) values[key] = readOwnProperty(`${name}.${key}`, value, key);
  return values;
}

/**
 * A copy, without a prototype, of an object's own properties (enumerable or not, string and symbol keys), each read once; a
 * getter or proxy trap that throws becomes a TypeError naming the property.
 */
export function readOwnProperties(name: string, value: object): Record<PropertyKey, unknown> {
  let keys: (string | symbol)[];
  try {
    keys = Reflect.ownKeys(value);
  } catch (cause) {
    throw unreadable(`the keys of ${name}`, cause);
  }
  // No prototype: reading a key the object lacks gives undefined, never what Object.prototype was given.
  const copy = Object.create(null) as Record<PropertyKey, unknown>;
  for (const key of keys) copy[key] = readProperty(`${name}.${String(key)}`, value, key);
  return copy;
}

/** The length of an array (or a proxy of one) that {@link readArray} copies, read once and checked against `maxLength`. */
export function readArrayLength(name: string, value: readonly unknown[], maxLength: number): number {
  const length = readProperty(`${name}.length`, value, 'length');
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw typeError('NMFKIT_INVALID_TYPE', `${name}.length must be a non-negative integer, got ${describe(length)}`);
  }
  if (length > maxLength) {
    throw rangeError(
      'NMFKIT_TOO_LARGE',
      `${name} has ${length} entries, more than the ${maxLength} one call takes (split it into several calls)`,
    );
  }
  return length;
}

/** A plain copy of an array's first `length` entries (holes read as undefined), each read once. */
export function readArray(name: string, value: readonly unknown[], maxLength: number): unknown[] {
  const length = readArrayLength(name, value, maxLength);
  const copy = new Array<unknown>(length);
  const careful = inheritsIndices(value);
  for (let i = 0; i < length; i++) copy[i] = readEntry(`${name}[${i}]`, value, i, careful);
  return copy;
}

/**
 * A plain copy of an array (or a proxy of one) of at most `maxLength` entries, each read once (holes read as
 * undefined); anything else, a revoked proxy included, is a TypeError saying what `name` must be. The length is
 * checked before any entry is read, so a huge sparse array is refused without walking it; `tooLong` words that
 * refusal where the limit has a reason the caller knows (e.g. one entry per row of a matrix).
 */
export function readList(
  name: string,
  value: unknown,
  expectation: string,
  maxLength: number,
  tooLong?: (length: number) => string,
): unknown[] {
  if (!isArray(value)) throw typeError('NMFKIT_INVALID_TYPE', `${name} must be ${expectation}, got ${describe(value)}`);
  const length = readProperty(`${name}.length`, value, 'length');
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw typeError('NMFKIT_INVALID_TYPE', `${name}.length must be a non-negative integer, got ${describe(length)}`);
  }
  if (length > maxLength)
    throw rangeError('NMFKIT_TOO_LARGE', tooLong ? tooLong(length) : `${name} has ${length} entries, more than ${maxLength}`);
  const copy = new Array<unknown>(length);
  const careful = inheritsIndices(value);
  for (let i = 0; i < length; i++) copy[i] = readEntry(`${name}[${i}]`, value, i, careful);
  return copy;
}

/**
 * `value` itself if it is a real typed array of one of `types` whose buffer is not detached (and, with `length`,
 * that long); otherwise a TypeError (a RangeError for a wrong length) naming it. Recognised by its internal type,
 * so neither a proxy nor a typed array given another prototype passes. It needs no copy to be read once: reading
 * a typed array's entries runs no code of the caller's.
 */
export function checkTypedArray<T extends ArrayBufferView>(
  name: string,
  value: unknown,
  types: readonly string[],
  expectation: string,
  length?: number,
): T {
  const type = typedArrayName(value);
  if (type === undefined || !types.includes(type))
    throw typeError('NMFKIT_INVALID_TYPE', `${name} must be ${expectation}, got ${describe(value)}`);
  if (isDetached(value))
    throw typeError('NMFKIT_INVALID_TYPE', `${name} is a ${type} whose buffer has been detached (transferred), so it holds no entries`);
  const actual = TYPED_ARRAY_LENGTH.call(value) as number;
  if (length !== undefined && actual !== length)
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must have ${length} entries, got ${actual}`);
  return value as T;
}

/**
 * Reads a list of numbers — a Float64Array, a Float32Array or an array of numbers — into a fresh Float64Array,
 * each entry read once. Only the kind of the entries is checked here (a TypeError names the first that is not a
 * number, a hole included); their range is the caller's to check.
 */
export function toNumberArray(name: string, value: unknown): Float64Array {
  const type = typedArrayName(value);
  if (type === 'Float64Array' || type === 'Float32Array') {
    // One native step, widening float32 and taking a snapshot of a SharedArrayBuffer-backed array.
    return new Float64Array(checkTypedArray<Float64Array | Float32Array>(name, value, [type], 'a Float64Array, Float32Array or number[]'));
  }
  if (type !== undefined || !isArray(value)) {
    throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a Float64Array, Float32Array or number[], got ${describe(value)}`);
  }
  const length = readProperty(`${name}.length`, value, 'length');
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw typeError('NMFKIT_INVALID_TYPE', `${name}.length must be a non-negative integer, got ${describe(length)}`);
  }
  const careful = inheritsIndices(value);
  const entry = (i: number): number => {
    const x = readEntry(`${name}[${i}]`, value, i, careful);
    if (typeof x !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name}[${i}] must be a number, got ${describe(x)}`);
    return x;
  };
  // The first entry before the allocation: a sparse array of a huge length fails at its first hole, at once.
  const first = length > 0 ? entry(0) : 0;
  const out = new Float64Array(checkedLength(name, length));
  if (length > 0) out[0] = first;
  for (let i = 1; i < length; i++) out[i] = entry(i);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalars and options.

/** A string. */
export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a string, got ${describe(value)}`);
  return value;
}

/** A boolean. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be true or false, got ${describe(value)}`);
  return value;
}

/** A function (a callback of the caller's; what it throws is its own and is not wrapped). */
export function checkFunction<F extends (...args: never[]) => unknown>(name: string, value: unknown): F {
  if (typeof value !== 'function') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a function, got ${describe(value)}`);
  return value as F;
}

/** A finite number (any sign). */
export function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be a finite number, got ${describe(value)}`);
  return value;
}

/** A finite number > 0. */
export function checkPositive(name: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a number, got ${describe(value)}`);
  if (!(value > 0) || value === Infinity)
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be a finite number > 0, got ${describe(value)}`);
  return value;
}

/** A number in [min, max]. */
export function checkInRange(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a number, got ${describe(value)}`);
  if (!(value >= min && value <= max))
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be in [${min}, ${max}], got ${describe(value)}`);
  return value;
}

/** A positive (or, with `allowZero`, non-negative) integer that fits the 32-bit sizes the kernels use. */
export function checkCount(name: string, value: unknown, allowZero = false): number {
  if (typeof value !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a number, got ${describe(value)}`);
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(value) || value < min || value > 0x7fffffff) {
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be an integer in [${min}, 2^31 - 1], got ${describe(value)}`);
  }
  return value;
}

/** A finite number ≥ 0. */
export function checkNonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a number, got ${describe(value)}`);
  if (!(value >= 0) || value === Infinity)
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be a finite number ≥ 0, got ${describe(value)}`);
  return value;
}

/** One of a fixed set of strings. */
export function checkChoice<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    const message = `${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(value)}`;
    throw typeof value === 'string' ? rangeError('NMFKIT_INVALID_VALUE', message) : typeError('NMFKIT_INVALID_TYPE', message);
  }
  return value as T;
}

/** Rejects option names that nmfkit does not know, so a typo is an error and not a silent default. */
export function checkKnownKeys(name: string, object: object, known: readonly string[]): void {
  let keys: (string | symbol)[];
  try {
    keys = Reflect.ownKeys(object);
  } catch (cause) {
    throw unreadable(`the keys of ${name}`, cause);
  }
  for (const key of keys) {
    if (typeof key !== 'string' || !known.includes(key)) {
      const hint = typeof key === 'string' ? closest(key, known) : undefined;
      throw typeError('NMFKIT_INVALID_TYPE', `unknown option ${name}.${String(key)}${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
  }
}

function closest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  return known.find((k) => k.toLowerCase() === lower || k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
}

// ---------------------------------------------------------------------------------------------------------------
// Matrices.

/** The size a matrix should have, where it is known: checked against the input with a message saying why. */
export interface ExpectedShape {
  readonly rows: number;
  readonly cols: number;
  /** e.g. "K×R: rows of V × rank". */
  readonly why: string;
}

/**
 * Reads any accepted matrix form into a fresh row-major Float64Array, checking shape and that every entry is a
 * finite number ≥ 0, or with `storage.borrow` checks the caller's own typed array and returns it as it is (a
 * Float64Array, or with `borrowFloat32` a Float32Array too). The shape (and its size) is checked before anything is
 * allocated.
 */
export function toMatrix(
  name: string,
  input: unknown,
  expected: ExpectedShape | undefined,
  entries: EntryRule,
  storage: Storage & { readonly borrowFloat32: true },
): Matrix<FactorArray>;
export function toMatrix(name: string, input: unknown, expected?: ExpectedShape, entries?: EntryRule, storage?: Storage): Matrix;
export function toMatrix(
  name: string,
  input: unknown,
  expected?: ExpectedShape,
  entries: EntryRule = {},
  storage: Storage = {},
): Matrix<FactorArray> {
  if (input === null || typeof input !== 'object') {
    throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a matrix ({ rows, cols, data } or an array of rows), got ${describe(input)}`);
  }
  if (isArray(input)) return fromRows(name, input, expected, entries, storage);
  const object = matrixObject(name, input);
  return object ? fromMatrixObject(name, input, object, expected, entries, storage) : fromShaped(name, input, expected, entries, storage);
}

/** The typed arrays whose entries are matrix entries: floats, and integers read as their numbers (not BigInt ones). */
export const NUMBER_ARRAYS: readonly string[] = [
  'Float64Array',
  'Float32Array',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
];

/** Typed arrays of numbers as an expectation reads. */
export const NUMBER_ARRAYS_TEXT = 'a Float64Array, Float32Array, an integer typed array or number[]';

/**
 * `key` of `object` (an ml-matrix-like object's `rows`, `columns`, `to2DArray`, `getRow`) where the object or a
 * prototype of its own class holds it — own, or a class's accessor or method — but never Object.prototype's: what
 * a polluted Object.prototype carries does not make an object a matrix or give it a shape. A getter or proxy trap
 * that throws becomes a TypeError naming `where`.
 */
function readClassProperty(where: string, object: object, key: string): unknown {
  try {
    for (let o: object | null = object; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
      if (hasOwnProperty.call(o, key)) return (object as Record<string, unknown>)[key];
    }
    return undefined;
  } catch (cause) {
    throw unreadable(where, cause);
  }
}

/** What makes an object an ml-matrix-like matrix: its row and column counts and a way to read its rows. */
interface MatrixObjectForm {
  readonly rows: unknown;
  readonly columns: unknown;
  readonly read: { readonly method: 'to2DArray' | 'getRow'; readonly call: (...args: unknown[]) => unknown };
}

/**
 * The ml-matrix form of `input` (ml-matrix's `Matrix`, or any object with `rows`, `columns` and `to2DArray()` or
 * `getRow(i)`; its `data` is its own), or undefined for an object of the { rows, cols, data } form: an object with
 * an own `cols`, or without `columns`, is read as that. Each property is read once.
 */
function matrixObject(name: string, input: object): MatrixObjectForm | undefined {
  try {
    if (hasOwnProperty.call(input, 'cols')) return undefined;
  } catch {
    return undefined; // a trap that throws: the { rows, cols, data } reader names what could not be read
  }
  const columns = readClassProperty(`${name}.columns`, input, 'columns');
  if (columns === undefined) return undefined;
  const rows = readClassProperty(`${name}.rows`, input, 'rows');
  for (const method of ['to2DArray', 'getRow'] as const) {
    const call = readClassProperty(`${name}.${method}`, input, method);
    if (typeof call === 'function') return { rows, columns, read: { method, call: call as (...args: unknown[]) => unknown } };
  }
  throw typeError(
    'NMFKIT_INVALID_TYPE',
    `${name} has columns but is not a matrix: an object with rows and columns needs a to2DArray() or getRow(i) method (an ml-matrix Matrix), else give { rows, cols, data }`,
  );
}

/**
 * An ml-matrix-like matrix: its shape checked (and its size) before any method is called, then its rows read by
 * `to2DArray()` (once) or `getRow(i)` (once per row) — code of the caller's: an exception it throws becomes a
 * TypeError naming the call — and what they return checked as strictly as an array of rows.
 */
function fromMatrixObject(
  name: string,
  input: object,
  form: MatrixObjectForm,
  expected: ExpectedShape | undefined,
  rule: EntryRule,
  storage: Storage,
): Matrix {
  const rows = checkCount(`${name}.rows`, form.rows);
  const cols = checkCount(`${name}.columns`, form.columns);
  checkShape(name, rows, cols, expected);
  checkedSize(name, rows, cols);
  const call = (where: string, ...args: unknown[]): unknown => {
    try {
      return form.read.call.apply(input, args);
    } catch (cause) {
      throw typeError('NMFKIT_INVALID_TYPE', `${where} threw: ${errorText(cause)}`, { cause });
    }
  };
  const shape: ExpectedShape = { rows, cols, why: `${name}.rows × ${name}.columns` };
  if (form.read.method === 'to2DArray') {
    const where = `${name}.to2DArray()`;
    const array = call(where);
    if (!isArray(array)) throw typeError('NMFKIT_INVALID_TYPE', `${where} must return an array of rows, got ${describe(array)}`);
    return fromRows(where, array, shape, rule, storage);
  }
  const list = new Array<unknown>(rows);
  for (let i = 0; i < rows; i++) list[i] = call(`${name}.getRow(${i})`, i);
  return fromRows(name, list, shape, rule, storage, (i) => `${name}.getRow(${i})`);
}

/** What entries a matrix may hold beyond finite numbers ≥ 0. */
export interface EntryRule {
  /** NaN too (V with a mask: NaN marks a missing entry; the caller checks the mask is 0 there). */
  readonly allowNaN?: boolean;
}

/** Where {@link toMatrix} puts the entries it has read. */
export interface Storage {
  /**
   * The caller's own Float64Array may be returned as the matrix's data, checked but not copied, when no other
   * thread can write it (its buffer is not a SharedArrayBuffer). Only for a caller that copies the data before any
   * code of the user's can run (a synchronous fit, whose backend copies V into its own memory at once).
   */
  readonly borrow?: boolean;
  /**
   * With `borrow`: a Float32Array may be borrowed too, and the matrix's data is then that Float32Array (a caller whose
   * backend reads V in either type, converting as it copies: a float32 fit needs no widened copy in between).
   */
  readonly borrowFloat32?: boolean;
  /** Makes the fresh array a copy goes to (a backend may offer memory that is cheaper to fill); zero-filled or not. */
  readonly allocate?: (length: number) => Float64Array;
}

function allocate(storage: Storage, length: number): Float64Array {
  return storage.allocate ? storage.allocate(length) : new Float64Array(length);
}

/** Whether a typed array's buffer is a SharedArrayBuffer, which other threads may write at any time. */
function isShared(array: unknown): boolean {
  return typeof SharedArrayBuffer === 'function' && TYPED_ARRAY_BUFFER.call(array) instanceof SharedArrayBuffer;
}

function checkShape(name: string, rows: number, cols: number, expected: ExpectedShape | undefined): void {
  if (expected && (rows !== expected.rows || cols !== expected.cols)) {
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be ${expected.rows}×${expected.cols} (${expected.why}), got ${rows}×${cols}`);
  }
}

/**
 * The length of a row of a matrix given as rows — an array (or a proxy of one) or a typed array of numbers, whose
 * own `length` a caller cannot fake — or a TypeError naming it.
 */
function rowLength(where: string, row: unknown): number {
  const typed = typedArrayName(row);
  if (typed !== undefined && NUMBER_ARRAYS.includes(typed)) {
    if (isDetached(row))
      throw typeError('NMFKIT_INVALID_TYPE', `${where} is a ${typed} whose buffer has been detached (transferred), so it holds no entries`);
    return TYPED_ARRAY_LENGTH.call(row) as number;
  }
  if (typed !== undefined || !isArray(row)) {
    throw typeError('NMFKIT_INVALID_TYPE', `${where} must be an array of numbers (or a typed array of them), got ${describe(row)}`);
  }
  return readProperty(`${where}.length`, row, 'length') as number;
}

function fromRows(
  name: string,
  rows: readonly unknown[],
  expected: ExpectedShape | undefined,
  rule: EntryRule,
  storage: Storage,
  rowName: (i: number) => string = (i) => `${name}[${i}]`,
): Matrix {
  const rowCount = checkCount(`${name}.length (rows)`, readProperty(`${name}.length`, rows, 'length'));
  const carefulRows = inheritsIndices(rows);
  const rowCheck = indexCheck();
  const first = readEntry(rowName(0), rows, 0, carefulRows);
  const cols = checkCount(`${rowName(0)}.length (columns)`, rowLength(rowName(0), first));
  checkShape(name, rowCount, cols, expected);
  const data = allocate(storage, checkedSize(name, rowCount, cols));
  for (let i = 0; i < rowCount; i++) {
    const where = rowName(i);
    const row = i === 0 ? first : readEntry(where, rows, i, carefulRows);
    const length = i === 0 ? cols : rowLength(where, row);
    if (length !== cols) {
      throw rangeError('NMFKIT_INVALID_VALUE', `${name} is ragged: ${where} has ${describe(length)} entries, ${rowName(0)} has ${cols}`);
    }
    if (typedArrayName(row) !== undefined) {
      // Typed arrays hold numbers only: one native copy (a snapshot of a shared one), then the values are checked.
      data.set(row as Float64Array, i * cols);
      for (let j = 0; j < cols; j++) {
        const x = data[i * cols + j]!;
        if (!isEntry(x) && !(rule.allowNaN && Number.isNaN(x))) checkEntry(name, x, i, j, `${where}[${j}]`);
      }
      continue;
    }
    const array = row as readonly unknown[];
    const careful = rowCheck(array);
    for (let j = 0; j < cols; j++) {
      let x: unknown;
      try {
        x = careful && !hasOwnProperty.call(array, j) ? undefined : array[j];
      } catch (cause) {
        throw unreadable(`${where}[${j}]`, cause);
      }
      if (!isEntry(x) && !(rule.allowNaN && Number.isNaN(x))) checkEntry(name, x, i, j, `${where}[${j}]`);
      data[i * cols + j] = x as number;
    }
  }
  return { rows: rowCount, cols, data };
}

function fromShaped(
  name: string,
  input: object,
  expected: ExpectedShape | undefined,
  rule: EntryRule,
  storage: Storage,
): Matrix<FactorArray> {
  const rows = checkCount(`${name}.rows`, readOwnProperty(`${name}.rows`, input, 'rows'));
  const cols = checkCount(`${name}.cols`, readOwnProperty(`${name}.cols`, input, 'cols'));
  const source = readOwnProperty(`${name}.data`, input, 'data');
  checkShape(name, rows, cols, expected);
  const size = checkedSize(name, rows, cols);
  const typed = typedArrayName(source);
  if (typed !== undefined && NUMBER_ARRAYS.includes(typed)) {
    const length = TYPED_ARRAY_LENGTH.call(source) as number;
    if (length !== size) {
      if (isDetached(source)) {
        throw typeError(
          'NMFKIT_INVALID_TYPE',
          `${name}.data is a ${typed} whose buffer has been detached (transferred), so it holds no entries`,
        );
      }
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `${name}.data has ${length} entries, but ${name}.rows × ${name}.cols = ${rows}×${cols} = ${size}`,
      );
    }
    // Typed arrays hold numbers only: copy (widening float32 and integers) in one native step — which also takes a snapshot of
    // a SharedArrayBuffer-backed array that another thread may be writing — then one tight pass for the values,
    // working out where a bad one sits only when there is one. A borrowed array is only checked.
    const borrowed =
      storage.borrow === true &&
      (typed === 'Float64Array' || (typed === 'Float32Array' && storage.borrowFloat32 === true)) &&
      !isShared(source);
    // A borrowed array is seen through a plain view of its memory, made with the intrinsic getters: the caller's
    // object may carry own properties or a prototype of its own, which nothing downstream must meet.
    let data: FactorArray;
    if (borrowed) {
      const buffer = TYPED_ARRAY_BUFFER.call(source) as ArrayBuffer;
      const offset = TYPED_ARRAY_BYTE_OFFSET.call(source) as number;
      data = typed === 'Float32Array' ? new Float32Array(buffer, offset, size) : new Float64Array(buffer, offset, size);
    } else {
      data = allocate(storage, size);
      data.set(source as Float64Array);
    }
    const k = firstInvalidEntry(data, rule.allowNaN === true);
    if (k >= 0) checkEntry(name, data[k], Math.floor(k / cols), k % cols, `${name}.data[${k}]`);
    return { rows, cols, data };
  }
  if (typed !== undefined || !isArray(source)) {
    throw typeError('NMFKIT_INVALID_TYPE', `${name}.data must be ${NUMBER_ARRAYS_TEXT}, got ${describe(source)}`);
  }
  const length = readProperty(`${name}.data.length`, source, 'length');
  if (length !== size) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${name}.data has ${describe(length)} entries, but ${name}.rows × ${name}.cols = ${rows}×${cols} = ${size}`,
    );
  }
  const careful = inheritsIndices(source);
  const entry = (k: number): number => {
    let x: unknown;
    try {
      x = careful && !hasOwnProperty.call(source, k) ? undefined : source[k];
    } catch (cause) {
      throw unreadable(`${name}.data[${k}]`, cause);
    }
    if (!isEntry(x) && !(rule.allowNaN && Number.isNaN(x))) checkEntry(name, x, Math.floor(k / cols), k % cols, `${name}.data[${k}]`);
    return x as number;
  };
  // The first entry before the allocation: an array of a plausible length full of holes (which claims gigabytes)
  // is refused without allocating them.
  const first = entry(0);
  const data = allocate(storage, size);
  data[0] = first;
  for (let k = 1; k < size; k++) data[k] = entry(k);
  return { rows, cols, data };
}

/** The fast test of an entry: a finite number ≥ 0 (-0 included). */
export function isEntry(x: unknown): boolean {
  return typeof x === 'number' && x >= 0 && x !== Infinity;
}

/**
 * The index of the first entry of `data` that is not finite and ≥ 0 (NaN passes where `allowNaN`), or −1. It runs
 * on every entry of V on every call, so it is a small function of its own that V8 optimises early, and it tests four
 * entries per branch; a group that fails is searched again one by one.
 */
export function firstInvalidEntry(data: FactorArray, allowNaN: boolean): number {
  const n = data.length;
  let k = 0;
  if (!allowNaN) {
    for (; k + 4 <= n; k += 4) {
      const a = data[k]!,
        b = data[k + 1]!,
        c = data[k + 2]!,
        d = data[k + 3]!;
      // A comparison with NaN is false, so NaN fails both tests.
      if (!(a >= 0 && a < Infinity && b >= 0 && b < Infinity && c >= 0 && c < Infinity && d >= 0 && d < Infinity)) break;
    }
  }
  for (; k < n; k++) {
    const x = data[k]!;
    if (!(x >= 0 && x < Infinity) && !(allowNaN && Number.isNaN(x))) return k;
  }
  return -1;
}

/** Throws the error that describes a bad entry (called only once {@link isEntry} failed). */
function checkEntry(name: string, value: unknown, i: number, j: number, where: string): never {
  if (typeof value !== 'number')
    throw typeError('NMFKIT_INVALID_TYPE', `${where} (row ${i}, column ${j}) must be a number, got ${describe(value)}`);
  if (!(value >= 0) || value === Infinity) {
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be finite and ≥ 0, but ${where} (row ${i}, column ${j}) is ${describe(value)}`);
  }
  throw internalError(`nmfkit internal error: ${where} was reported bad but is ${describe(value)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Sizes and memory.

/**
 * Bytes of memory a fit may plan on, and what that limit is, for the messages. Unlimited here (the per-array limit
 * of {@link checkedSize} still holds); each entry lowers it as its runtime knows (entry/policy.ts): the machine's
 * memory, and on the WebAssembly-only entry also what a 32-bit wasm memory can take a fit for.
 */
let memoryLimit = Infinity;
let memoryLimitText = (formatted: string): string => `this machine's ${formatted} of memory`;

/**
 * Lowers the memory a fit may plan on to `bytes` (never raises it: where two entries are loaded in one process,
 * the stricter holds). `describeLimit` words the limit in messages, given the formatted size ("this machine's
 * 7.6 GiB of memory").
 */
export function limitMemory(bytes: number, describeLimit: (formatted: string) => string): void {
  if (!(bytes > 0)) throw rangeError('NMFKIT_INVALID_VALUE', `the memory limit must be a positive number of bytes, got ${describe(bytes)}`);
  if (bytes >= memoryLimit) return;
  memoryLimit = bytes;
  memoryLimitText = describeLimit;
}

/** The memory limit, worded for a message. */
function limitText(): string {
  return memoryLimitText(formatBytes(memoryLimit));
}

function formatBytes(bytes: number): string {
  if (bytes < 2 ** 30) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes < 2 ** 40) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  return `${bytes.toExponential(2)} bytes`;
}

/** rows·cols as a safe array length, or a RangeError before anything is allocated. */
export function checkedSize(name: string, rows: number, cols: number): number {
  const size = rows * cols;
  // Typed arrays of float64 are capped far below 2^53; 2^31 entries (16 GiB) is already beyond any sane fit here.
  if (size > 0x7fffffff) throw rangeError('NMFKIT_TOO_LARGE', `${name} is too large: ${rows}×${cols} = ${size} entries (limit 2^31 - 1)`);
  if (size * 8 > memoryLimit) {
    throw rangeError(
      'NMFKIT_TOO_LARGE',
      `${name} is too large: ${rows}×${cols} = ${size} entries need ${formatBytes(size * 8)} as float64, more than ` + limitText(),
    );
  }
  return size;
}

/** `length` float64 entries as a safe array length, or a RangeError before anything is allocated (as {@link checkedSize}). */
export function checkedLength(name: string, length: number): number {
  if (length > 0x7fffffff) throw rangeError('NMFKIT_TOO_LARGE', `${name} is too large: ${length} entries (limit 2^31 - 1)`);
  if (length * 8 > memoryLimit) {
    throw rangeError(
      'NMFKIT_TOO_LARGE',
      `${name} is too large: ${length} entries need ${formatBytes(length * 8)} as float64, more than ${limitText()}`,
    );
  }
  return length;
}

/**
 * Rejects, before anything of the fit is allocated, a K×N fit of rank R that cannot fit in memory. The bound is a
 * lower one on what any backend needs, so it never rejects a fit that could run: the facade's float64 copies of
 * V, W0 and H0 (8 bytes an entry), the backend's own copies (at least 4 bytes an entry, float32) and one R×R
 * float64 Gram (every backend forms WᵀW and HHᵀ). Exceeding the machine's memory would otherwise end in an
 * out-of-memory kill of the whole process rather than an error.
 */
export function checkFitMemory(rows: number, cols: number, rank: number, masked = false, stored?: number): void {
  const bytes = fitBytes(rows, cols, rank, masked, stored);
  if (bytes > memoryLimit) {
    throw rangeError(
      'NMFKIT_TOO_LARGE',
      `options.rank = ${rank} with a ${rows}×${cols} V needs at least ${formatBytes(bytes)} (V, W, H and R×R ` +
        `Grams), more than ${limitText()}`,
    );
  }
}

/** The lower bound of {@link checkFitMemory} on a fit's buffers, in bytes. */
function fitBytes(rows: number, cols: number, rank: number, masked: boolean, stored?: number): number {
  // A CSR V (`stored` entries) is its values as V's (12 bytes an entry) and its column indices, an int32 in the
  // facade's copy and in the backend's (8 bytes more); its mask is its pattern.
  if (stored !== undefined) return 20 * stored + 12 * (rows * rank + rank * cols) + 8 * rank * rank;
  // A mask is one more K×N matrix, held like V: the facade's float64 copy and the backend's. (The ratio form of the
  // other losses keeps no K×N product, only blocks of rows: docs/algorithms.md §2.)
  const entries = rows * cols * (masked ? 2 : 1) + rows * rank + rank * cols;
  return 12 * entries + 8 * rank * rank;
}

/**
 * Bytes of history per iteration, at least: the driver's change norms of H and W and the objective (3 float64)
 * while the fit runs, and the result's copies of the two change norms (2 float64) made before those are freed.
 */
const HISTORY_BYTES_PER_ITERATION = 40;

/** The stable code of the refusal of {@link checkHistoryMemory}. */
export const HISTORY_MEMORY_CODE = 'NMFKIT_HISTORY_MEMORY' satisfies ErrorCode;

/**
 * Rejects, before the fit starts, a fit whose per-iteration history (hChange, wChange, the objectives) together
 * with its buffers ({@link checkFitMemory}) could not fit in memory if it ran all `maxIter` iterations. The worst
 * case counts, not the likely one: a fit with tol > 0 usually stops much earlier, but nothing bounds when, and
 * running out of memory halfway ends in a bare "Array buffer allocation failed" (or an out-of-memory kill).
 */
export function checkHistoryMemory(maxIter: number, rows: number, cols: number, rank: number, masked: boolean, stored?: number): void {
  const history = HISTORY_BYTES_PER_ITERATION * maxIter;
  const bytes = history + fitBytes(rows, cols, rank, masked, stored);
  if (bytes > memoryLimit) {
    throw rangeError(
      HISTORY_MEMORY_CODE,
      `options.maxIter = ${maxIter} needs at least ${formatBytes(history)} for the per-iteration history ` +
        `(${HISTORY_BYTES_PER_ITERATION} bytes an iteration) if the fit runs all its iterations, ${formatBytes(bytes)} ` +
        `with V, W and H, more than ${limitText()}: lower options.maxIter`,
    );
  }
}
