/**
 * The environment variables of nmfkit, read the same way by both entries wherever the runtime has an environment
 * (Node, with or without addons; Deno and edge runtimes that expose `process.env`):
 *  - `NMFKIT_BACKEND=native|wasm|auto` overrides the automatic backend choice;
 *  - `NMFKIT_THREADS=n` sets how many fits run at once, at startup;
 *  - `NMFKIT_WASM_MAX_MEMORY=bytes` (optionally with a K, M or G suffix) caps each wasm instance's memory.
 * A malformed value is a RangeError naming the variable, never a silent default.
 */
import type { BackendName } from '../types.js';
import { rangeError } from '../errors.js';

type Env = (name: string) => string | undefined;

/** The `NMFKIT_BACKEND` override, or undefined when unset or 'auto'. */
export function backendOverride(env: Env): BackendName | undefined {
  const value = env('NMFKIT_BACKEND')?.trim();
  if (value === undefined || value === '' || value === 'auto') return undefined;
  if (value === 'native' || value === 'wasm') return value;
  throw rangeError('NMFKIT_INVALID_VALUE', `NMFKIT_BACKEND must be 'native', 'wasm' or 'auto', got ${JSON.stringify(value)}`);
}

/** `NMFKIT_THREADS`, or undefined when unset. */
export function threadsOverride(env: Env): number | undefined {
  const value = env('NMFKIT_THREADS')?.trim();
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw rangeError('NMFKIT_INVALID_VALUE', `NMFKIT_THREADS must be an integer in [1, 1024], got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The name of the memory cap variable, which errors about the cap name as the setting to change. */
export const MEMORY_CAP_VARIABLE = 'NMFKIT_WASM_MAX_MEMORY';

/** How to fix a malformed `NMFKIT_WASM_MAX_MEMORY`. */
export const MEMORY_CAP_FIX = `unset ${MEMORY_CAP_VARIABLE} or set it to a number of bytes between 1M and 4G`;

/** `NMFKIT_WASM_MAX_MEMORY` in bytes, or undefined when unset. */
export function memoryCapOverride(env: Env): number | undefined {
  const value = env(MEMORY_CAP_VARIABLE)?.trim();
  if (value === undefined || value === '') return undefined;
  const match = /^(\d+)\s*([KMG]i?B?)?$/i.exec(value);
  const unit = match?.[2]?.[0]?.toUpperCase();
  const bytes = match ? Number(match[1]) * (unit === 'K' ? 2 ** 10 : unit === 'M' ? 2 ** 20 : unit === 'G' ? 2 ** 30 : 1) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 2 ** 20 || bytes > 2 ** 32) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${MEMORY_CAP_VARIABLE} must be a number of bytes between 1M and 4G (e.g. 268435456, 256M or 1G), got ${JSON.stringify(value)}`,
    );
  }
  return bytes;
}

/**
 * `process.env` where the runtime has one, read without importing anything. A runtime that guards its environment
 * (Deno without --allow-env) throws on access: that is no environment, not an error of nmfkit's.
 */
export function processEnv(name: string): string | undefined {
  try {
    const value = (globalThis as { process?: { env?: Record<string, unknown> } }).process?.env?.[name];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
