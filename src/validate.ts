/**
 * Validation helpers. Every check names the argument, and for entries the index and the value, so a caller can
 * find the bad number without a debugger. Wrong kinds of thing are TypeErrors; right kind, wrong value are
 * RangeErrors. Nothing here modifies its input: matrices come back as fresh float64 copies.
 */
import type { Matrix, MatrixInput } from './types.js';

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
    if (Array.isArray(value)) return `an array of length ${value.length}`;
    if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
    return 'an object';
  } catch {
    return 'an unreadable value';
  }
}

/** A positive (or, with `allowZero`, non-negative) integer that fits the 32-bit sizes the kernels use. */
export function checkCount(name: string, value: unknown, allowZero = false): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(value) || value < min || value > 0x7fffffff) {
    throw new RangeError(`${name} must be an integer in [${min}, 2^31 - 1], got ${describe(value)}`);
  }
  return value;
}

/** A finite number ≥ 0. */
export function checkNonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!(value >= 0) || value === Infinity) throw new RangeError(`${name} must be a finite number ≥ 0, got ${describe(value)}`);
  return value;
}

/** One of a fixed set of strings. */
export function checkChoice<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new (typeof value === 'string' ? RangeError : TypeError)(
      `${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(value)}`,
    );
  }
  return value as T;
}

/** Rejects option names that nmfkit does not know, so a typo is an error and not a silent default. */
export function checkKnownKeys(name: string, object: object, known: readonly string[]): void {
  for (const key of Reflect.ownKeys(object)) {
    if (typeof key !== 'string' || !known.includes(key)) {
      const hint = typeof key === 'string' ? closest(key, known) : undefined;
      throw new TypeError(`unknown option ${name}.${String(key)}${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
  }
}

function closest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  return known.find((k) => k.toLowerCase() === lower || k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase()));
}

/** The size a matrix should have, where it is known: checked against the input with a message saying why. */
export interface ExpectedShape {
  readonly rows: number;
  readonly cols: number;
  /** e.g. "K×R: rows of V × rank". */
  readonly why: string;
}

/**
 * Reads any accepted matrix form into a fresh row-major Float64Array, checking shape and that every entry is a
 * finite number ≥ 0.
 */
export function toMatrix(name: string, input: unknown, expected?: ExpectedShape): Matrix {
  if (input === null || typeof input !== 'object') {
    throw new TypeError(`${name} must be a matrix ({ rows, cols, data } or an array of rows), got ${describe(input)}`);
  }
  const matrix = Array.isArray(input) ? fromRows(name, input) : fromShaped(name, input as Record<string, unknown>);
  if (expected && (matrix.rows !== expected.rows || matrix.cols !== expected.cols)) {
    throw new RangeError(
      `${name} must be ${expected.rows}×${expected.cols} (${expected.why}), got ${matrix.rows}×${matrix.cols}`,
    );
  }
  return matrix;
}

function fromRows(name: string, rows: readonly unknown[]): Matrix {
  const rowCount = checkCount(`${name}.length (rows)`, rows.length);
  const first = rows[0];
  if (!Array.isArray(first)) throw new TypeError(`${name}[0] must be an array of numbers, got ${describe(first)}`);
  const cols = checkCount(`${name}[0].length (columns)`, first.length);
  const data = new Float64Array(checkedSize(name, rowCount, cols));
  for (let i = 0; i < rowCount; i++) {
    const row = rows[i];
    if (!Array.isArray(row)) throw new TypeError(`${name}[${i}] must be an array of numbers, got ${describe(row)}`);
    if (row.length !== cols) {
      throw new RangeError(`${name} is ragged: ${name}[${i}] has ${row.length} entries, ${name}[0] has ${cols}`);
    }
    for (let j = 0; j < cols; j++) {
      const x: unknown = row[j];
      if (!isEntry(x)) checkEntry(name, x, i, j, `${name}[${i}][${j}]`);
      data[i * cols + j] = x as number;
    }
  }
  return { rows: rowCount, cols, data };
}

function fromShaped(name: string, input: Record<string, unknown>): Matrix {
  const rows = checkCount(`${name}.rows`, input.rows);
  const cols = checkCount(`${name}.cols`, input.cols);
  const source = input.data;
  const size = checkedSize(name, rows, cols);
  if (!(source instanceof Float64Array || source instanceof Float32Array || Array.isArray(source))) {
    throw new TypeError(`${name}.data must be a Float64Array, Float32Array or number[], got ${describe(source)}`);
  }
  if (source.length !== size) {
    throw new RangeError(`${name}.data has ${source.length} entries, but ${name}.rows × ${name}.cols = ${rows}×${cols} = ${size}`);
  }
  if (Array.isArray(source)) {
    const data = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      const x: unknown = source[k];
      if (!isEntry(x)) checkEntry(name, x, Math.floor(k / cols), k % cols, `${name}.data[${k}]`);
      data[k] = x as number;
    }
    return { rows, cols, data };
  }
  // Typed arrays hold numbers only: copy (widening float32) in one native step, then one tight pass for the
  // values, working out where a bad one sits only when there is one.
  const data = new Float64Array(source);
  for (let k = 0; k < size; k++) {
    const x = data[k]!;
    if (!isEntry(x)) checkEntry(name, x, Math.floor(k / cols), k % cols, `${name}.data[${k}]`);
  }
  return { rows, cols, data };
}

/** The fast test of an entry: a finite number ≥ 0 (-0 included). */
function isEntry(x: unknown): boolean {
  return typeof x === 'number' && x >= 0 && x !== Infinity;
}

/** Throws the error that describes a bad entry (called only once {@link isEntry} failed). */
function checkEntry(name: string, value: unknown, i: number, j: number, where: string): never {
  if (typeof value !== 'number') throw new TypeError(`${where} (row ${i}, column ${j}) must be a number, got ${describe(value)}`);
  if (!(value >= 0) || value === Infinity) {
    throw new RangeError(`${name} must be finite and ≥ 0, but ${where} (row ${i}, column ${j}) is ${describe(value)}`);
  }
  throw new Error(`nmfkit internal error: ${where} was reported bad but is ${describe(value)}`);
}

/** rows·cols as a safe array length, or a RangeError before anything is allocated. */
export function checkedSize(name: string, rows: number, cols: number): number {
  const size = rows * cols;
  // Typed arrays of float64 are capped far below 2^53; 2^31 entries (16 GiB) is already beyond any sane fit here.
  if (size > 0x7fffffff) throw new RangeError(`${name} is too large: ${rows}×${cols} = ${size} entries (limit 2^31 - 1)`);
  return size;
}
