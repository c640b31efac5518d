/**
 * The size cap on reading the wasm module, shared by every way it is read (a file: URL, an http(s) fetch): the
 * module is well under 1 MiB, so a URL that yields more names something else, and is refused once the cap has
 * been read instead of being read without end.
 */
import { type ErrorCode, plainError } from '../errors.js';

/** Most bytes read as the wasm module. */
export const MAX_WASM_BYTES = 32 * 2 ** 20;

/** The stable code of the refusal of a source over {@link MAX_WASM_BYTES}. */
export const WASM_SIZE_CODE = 'NMFKIT_WASM_TOO_LARGE' satisfies ErrorCode;

/** The refusal of `url`, which holds more than the cap. */
export function wasmTooLarge(url: URL): Error {
  return plainError(
    WASM_SIZE_CODE,
    `nmfkit: ${url.href} is not the WebAssembly backend: it holds more than ${MAX_WASM_BYTES / 2 ** 20} MiB ` +
      '(wasm/nmfkit.wasm is well under 1 MiB)',
  );
}
