/**
 * Pieces of backend choice that every entry shares: the `NMFKIT_BACKEND` override and the error of a backend that
 * was asked for but is unavailable. Runtime-neutral (reads `process.env` only where there is one).
 */
import type { BackendName } from '../types.js';

/** The `NMFKIT_BACKEND` override, or undefined when unset, 'auto', or there is no environment. */
export function environmentChoice(): BackendName | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NMFKIT_BACKEND?.trim();
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if (value === 'native' || value === 'wasm') return value;
  throw new RangeError(`NMFKIT_BACKEND must be 'native', 'wasm' or 'auto', got ${JSON.stringify(value)}`);
}

/** An Error saying why a backend is unavailable and how to fix it; `cause` carries `{ reason, fix }`. */
export function unavailable(name: BackendName, load: { reason: string; fix: string }, why: string): Error {
  return new Error(`nmfkit: the ${name} backend was requested (${why}) but is not available: ${load.reason}. Fix: ${load.fix}`, {
    cause: load,
  });
}
