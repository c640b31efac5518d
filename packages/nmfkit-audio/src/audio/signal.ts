/**
 * Audio types and the boundary checks the audio functions share: signals, sample rates, axes and real-valued
 * options. Like nmfkit's own checks (nmfkit/validation), every message names the argument and, for array entries, the index and value;
 * wrong kinds of value are TypeErrors, right kind but bad value RangeErrors. Inputs are never modified: checked
 * signals come back as fresh Float64Array copies.
 */
import { describe, rangeError, readOptions, toNumberArray } from 'nmfkit/validation';

// nmfkit's scalar checks; the audio modules import them from here.
export { checkBoolean, checkFinite, checkInRange, checkPositive } from 'nmfkit/validation';

/** Samples of a real signal: any array of finite numbers. */
export type SignalData = Float64Array | Float32Array | readonly number[];

/** A mono audio signal: samples (nominally in [-1, 1]) and the sample rate in Hz. */
export interface AudioSignal {
  readonly sampleRate: number;
  readonly samples: Float64Array;
}

/** Reads a signal argument into a fresh Float64Array, checking that every sample is a finite number. */
export function toSignal(name: string, value: unknown, minLength = 1): Float64Array {
  const out = toNumberArray(name, value);
  if (out.length < minLength) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${name} must have at least ${minLength} sample${minLength === 1 ? '' : 's'}, got ${out.length}`,
    );
  }
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!))
      throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be finite, but ${name}[${i}] is ${describe(out[i])}`);
  }
  return out;
}

/**
 * An options argument: undefined (all defaults) or an object whose own keys are all known, copied into a plain
 * object with each option read once (a getter or proxy trap that throws is a TypeError naming the option).
 */
export function checkOptions<K extends string>(name: string, value: unknown, known: readonly K[]): { [P in K]?: unknown } {
  return value === undefined ? {} : readOptions(name, value, known);
}

/**
 * An axis (frequencies in Hz or times in seconds): a fresh Float64Array of finite, strictly increasing values of
 * the given length.
 */
export function toAxis(name: string, value: unknown, length?: number): Float64Array {
  const axis = toSignal(name, value, 0);
  if (axis.length === 0) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must have at least 1 entry, got 0`);
  if (length !== undefined && axis.length !== length) {
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must have ${length} entries, got ${axis.length}`);
  }
  for (let i = 1; i < axis.length; i++) {
    if (!(axis[i]! > axis[i - 1]!)) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `${name} must be strictly increasing, but ${name}[${i}] = ${axis[i]} follows ${name}[${i - 1}] = ${axis[i - 1]}`,
      );
    }
  }
  return axis;
}
