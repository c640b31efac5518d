/**
 * Audio types and the boundary checks the audio functions share: signals, sample rates, axes and real-valued
 * options. Like `../validate.ts`, every message names the argument and, for array entries, the index and value;
 * wrong kinds of value are TypeErrors, right kind but bad value RangeErrors. Inputs are never modified: checked
 * signals come back as fresh Float64Array copies.
 */
import { describe } from '../validate.js';

/** Samples of a real signal: any array of finite numbers. */
export type SignalData = Float64Array | Float32Array | readonly number[];

/** A mono audio signal: samples (nominally in [-1, 1]) and the sample rate in Hz. */
export interface AudioSignal {
  readonly sampleRate: number;
  readonly samples: Float64Array;
}

/** Reads a signal argument into a fresh Float64Array, checking that every sample is a finite number. */
export function toSignal(name: string, value: unknown, minLength = 1): Float64Array {
  if (!(value instanceof Float64Array || value instanceof Float32Array || Array.isArray(value))) {
    throw new TypeError(`${name} must be a Float64Array, Float32Array or number[], got ${describe(value)}`);
  }
  if (value.length < minLength) {
    throw new RangeError(`${name} must have at least ${minLength} sample${minLength === 1 ? '' : 's'}, got ${value.length}`);
  }
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i];
    if (typeof x !== 'number') throw new TypeError(`${name}[${i}] must be a number, got ${describe(x)}`);
    if (!Number.isFinite(x)) throw new RangeError(`${name} must be finite, but ${name}[${i}] is ${describe(x)}`);
    out[i] = x;
  }
  return out;
}

/** A finite number > 0. */
export function checkPositive(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!(value > 0) || value === Infinity) throw new RangeError(`${name} must be a finite number > 0, got ${describe(value)}`);
  return value;
}

/** A finite number (any sign). */
export function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${describe(value)}`);
  return value;
}

/** A number in [min, max]. */
export function checkInRange(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!(value >= min && value <= max)) throw new RangeError(`${name} must be in [${min}, ${max}], got ${describe(value)}`);
  return value;
}

/** A boolean. */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false, got ${describe(value)}`);
  return value;
}

/** An options argument: undefined (all defaults) or a plain object whose keys are all known. */
export function checkOptions<T extends object>(name: string, value: unknown, known: readonly string[]): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  }
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key !== 'string' || !known.includes(key)) {
      throw new TypeError(`unknown option ${name}.${String(key)} (known: ${known.join(', ')})`);
    }
  }
  return value as Partial<T>;
}

/**
 * An axis (frequencies in Hz or times in seconds): a fresh Float64Array of finite, strictly increasing values of
 * the given length.
 */
export function toAxis(name: string, value: unknown, length?: number): Float64Array {
  if (Array.isArray(value) || value instanceof Float64Array || value instanceof Float32Array) {
    if (value.length === 0) throw new RangeError(`${name} must have at least 1 entry, got 0`);
  }
  const axis = toSignal(name, value);
  if (length !== undefined && axis.length !== length) {
    throw new RangeError(`${name} must have ${length} entries, got ${axis.length}`);
  }
  for (let i = 1; i < axis.length; i++) {
    if (!(axis[i]! > axis[i - 1]!)) {
      throw new RangeError(`${name} must be strictly increasing, but ${name}[${i}] = ${axis[i]} follows ${name}[${i - 1}] = ${axis[i - 1]}`);
    }
  }
  return axis;
}
