/**
 * The errors nmfkit throws and rejects with, each made here and nowhere else: every one carries a stable `code`
 * (an own, enumerable string property) from {@link ERROR_CODES}, so a program can tell them apart without matching
 * messages. Classes stay the standard ones (TypeError, RangeError, Error, a DOMException named AbortError); the
 * code says more precisely what went wrong. docs/api.md#errors lists them; eslint refuses `new TypeError(…)` and
 * its kin anywhere else in the sources (eslint.config.js), so no error can be made without a code.
 */

/** Every code, what it means, and the classes that carry it (docs/api.md#errors is this table). */
export const ERROR_CODES = {
  NMFKIT_INVALID_TYPE:
    'TypeError: an argument, option or entry of the wrong kind, an unknown option name, a getter, proxy trap or method of yours that threw, a detached buffer',
  NMFKIT_INVALID_VALUE:
    'RangeError: the right kind with a bad value: an entry below 0 or not finite, shapes that do not match, a combination nmfkit does not support, a malformed environment variable',
  NMFKIT_TOO_LARGE:
    "RangeError: a matrix over 2^31 − 1 entries, a fit or array that cannot fit in the machine's memory or the wasm memory cap, a list longer than the call takes",
  NMFKIT_HISTORY_MEMORY: 'RangeError: options.maxIter whose per-iteration history could not fit in memory',
  NMFKIT_NOT_COMPUTABLE: 'RangeError: a fit whose numbers overflow (or divide 0 by 0) in its dtype',
  NMFKIT_ABORTED: 'DOMException named AbortError: a fit cancelled by its signal; `cause` is the signal’s reason',
  NMFKIT_CALLBACK: 'any class: in nmfBatch, the exception your onIteration threw (as `cause`), named by its matrix',
  NMFKIT_BACKEND_UNAVAILABLE:
    'Error: a backend that cannot be used: asked for but not loaded, no backend at all, the wasm module unreadable or not compilable, nmfSync before ready()',
  NMFKIT_WASM_TOO_LARGE: 'Error: a wasm module source that holds more than 32 MiB (not nmfkit’s module)',
  NMFKIT_WORKER_EXITED: 'Error: a wasm worker thread that exited or failed while it hosted the fit',
  NMFKIT_INVALID_STATE: 'Error: a backend fit used after it was disposed or finished, or while busy (below the facade)',
  NMFKIT_NOT_FITTED:
    'Error: an NMF estimator asked for what only a fitted one has (transform, inverseTransform, components, nIter, …) before it was fitted',
  NMFKIT_MODEL_VERSION: 'RangeError: a saved model (NMF.fromJSON) of a newer format version than this nmfkit reads',
  NMFKIT_SOURCE: "Error: nmfStream's source threw or rejected; `cause` is its error, the model is as after the last complete chunk",
  NMFKIT_INTERNAL: 'Error: a broken invariant inside nmfkit (a bug: please report it)',
  NMFKIT_PITCH_WORK: 'RangeError (nmfkit-audio): a pitch estimate that would take too much work',
  NMFKIT_INPUT: 'Error (the nmfkit command): a file that cannot be read, parsed or written (exit code 1)',
  NMFKIT_USAGE: 'Error (the nmfkit command): bad usage of the command line (exit code 2)',
} as const;

/** A stable error code of nmfkit's. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether `value` is one of {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** Gives `error` its code (an own, enumerable, writable property) and returns it. */
export function withCode<E extends object>(error: E, code: ErrorCode): E & { readonly code: ErrorCode } {
  return Object.defineProperty(error, 'code', { value: code, enumerable: true, configurable: true, writable: true }) as E & {
    readonly code: ErrorCode;
  };
}

/** A TypeError with a code. */
export function typeError(code: ErrorCode, message: string, options?: ErrorOptions): TypeError {
  // eslint-disable-next-line no-restricted-syntax -- the one place errors are made
  return withCode(new TypeError(message, options), code);
}

/** A RangeError with a code. */
export function rangeError(code: ErrorCode, message: string, options?: ErrorOptions): RangeError {
  // eslint-disable-next-line no-restricted-syntax -- the one place errors are made
  return withCode(new RangeError(message, options), code);
}

/** An Error with a code. */
export function plainError(code: ErrorCode, message: string, options?: ErrorOptions): Error {
  // eslint-disable-next-line no-restricted-syntax -- the one place errors are made
  return withCode(new Error(message, options), code);
}

/** An error of the same class as `like` (TypeError, RangeError or Error), with a code. */
export function sameClassError(like: unknown, code: ErrorCode, message: string, options?: ErrorOptions): Error {
  if (like instanceof RangeError) return rangeError(code, message, options);
  if (like instanceof TypeError) return typeError(code, message, options);
  return plainError(code, message, options);
}

/** The code an error of nmfkit's carries, or undefined (never throws, whatever `error` is). */
export function codeOf(error: unknown): ErrorCode | undefined {
  try {
    const code = (error as { code?: unknown } | null)?.code;
    return isErrorCode(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The error of an aborted fit: a DOMException named AbortError, `cause` the signal's reason, code NMFKIT_ABORTED
 * (an own property, in place of DOMException's legacy numeric `code` getter).
 */
export function abortedError(reason: unknown, message = 'nmfkit: the fit was aborted'): Error {
  // eslint-disable-next-line no-restricted-syntax -- the one place errors are made
  const error = new DOMException(message, 'AbortError');
  Object.defineProperty(error, 'cause', { value: reason, configurable: true, writable: true });
  return withCode(error, 'NMFKIT_ABORTED');
}

/** An error thrown when a broken invariant is found (a bug of nmfkit's). */
export function internalError(message: string): Error {
  return plainError('NMFKIT_INTERNAL', message);
}
