/**
 * Exit codes of the CLI and the errors that carry them: 0 success, 1 bad input (a file that cannot be read or
 * parsed, values the library rejects), 2 usage (unknown flags, missing or malformed arguments), 130 cancelled
 * with Ctrl-C.
 */
import { codeOf, type ErrorCode } from 'nmfkit/validation';

export const EXIT_OK = 0;
export const EXIT_INPUT = 1;
export const EXIT_USAGE = 2;
export const EXIT_CANCELLED = 130;

/**
 * Bad input: the message names the file and the problem. Exit code 1. Its `code` is NMFKIT_INPUT, or the code of
 * the library's error it reports (its `cause`: a value nmfkit refused). A RangeError — a file whose contents
 * nmfkit cannot take is a bad value, as the library's own errors have it — so that whoever calls the readers (the
 * fuzz oracle in fuzz/js/targets.mjs among them) sees one of the two kinds nmfkit throws for what it is given.
 */
export class InputError extends RangeError {
  override readonly name = 'InputError';
  readonly exitCode = EXIT_INPUT;
  readonly code: ErrorCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = codeOf(options?.cause) ?? 'NMFKIT_INPUT';
  }
}

/**
 * Bad usage of the command line: a flag, a value or a combination of flags the command or nmf() refuses. Exit
 * code 2. Its `code` is NMFKIT_USAGE, or the code of the library's error it reports (its `cause`).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT_USAGE;
  readonly code: ErrorCode;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = codeOf(options?.cause) ?? 'NMFKIT_USAGE';
  }
}

/** The run was cancelled (Ctrl-C). Exit code 130. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  readonly exitCode = EXIT_CANCELLED;
  readonly code: ErrorCode = 'NMFKIT_ABORTED';
}

/** Whether an error is the rejection of an aborted fit. */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
