/**
 * The options of `ready()`, read and checked the same way by both entries: each option read once through
 * validate.ts's guarded reads, so a getter or proxy trap that throws is a TypeError naming the option.
 */
import type { ReadyOptions } from '../types.js';
import { checkBoolean, describe, readOptions, readPrototype } from '../validate.js';
import { rangeError, typeError } from '../errors.js';

/** The options a `ready()` call gave, checked; absent ones are undefined. */
export interface GivenReadyOptions {
  readonly module?: WebAssembly.Module;
  readonly url?: URL;
  readonly maxMemoryBytes?: number;
  readonly workers?: boolean;
}

const KEYS = ['module', 'url', 'maxMemoryBytes', 'workers'] as const;

/** `value instanceof type`, false instead of a throw for a revoked proxy or one whose getPrototypeOf trap throws. */
function isInstance(value: unknown, type: abstract new (...args: never[]) => unknown): boolean {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/**
 * Whether `value` is a plain object (prototype Object.prototype or null). Anything else — a WebAssembly.Module or
 * the module's bytes passed where `{ module }` was meant, a Promise, a Map — has no options to read and would
 * otherwise be taken for `{}`, silently.
 */
function plainObject(value: object): { plain: boolean; prototype: unknown } {
  const prototype = readPrototype('the prototype of options', value);
  return { plain: prototype === Object.prototype || prototype === null, prototype };
}

/** Reads `ready()`'s options; `workersAvailable` says whether `workers: true` can be honoured here. */
export function readReadyOptions(options: unknown, workersAvailable: boolean): GivenReadyOptions {
  if (options === undefined) return {};
  const expectation = 'an object of options { module, url, maxMemoryBytes, workers }';
  if (options === null || typeof options !== 'object')
    throw typeError('NMFKIT_INVALID_TYPE', `options must be ${expectation}, got ${describe(options)}`);
  const { plain, prototype } = plainObject(options);
  if (!plain) {
    const what = prototype === WebAssembly.Module.prototype ? 'a WebAssembly.Module (pass it as { module })' : describe(options);
    throw typeError('NMFKIT_INVALID_TYPE', `options must be ${expectation}, got ${what}`);
  }
  const { module, url, maxMemoryBytes, workers } = readOptions('options', options, KEYS, expectation) as ReadyOptions &
    Record<string, unknown>;
  const given: { -readonly [K in keyof GivenReadyOptions]?: GivenReadyOptions[K] } = {};
  if (module !== undefined) {
    if (!isInstance(module, WebAssembly.Module)) {
      throw typeError(
        'NMFKIT_INVALID_TYPE',
        `options.module must be a WebAssembly.Module (of nmfkit's wasm/nmfkit.wasm), got ${describe(module)}`,
      );
    }
    if (url !== undefined) throw typeError('NMFKIT_INVALID_TYPE', 'options.module and options.url exclude each other: give one');
    given.module = module as WebAssembly.Module;
  }
  if (url !== undefined) {
    if (typeof url !== 'string' && !isInstance(url, URL))
      throw typeError('NMFKIT_INVALID_TYPE', `options.url must be a string or a URL, got ${describe(url)}`);
    try {
      given.url = new URL(url as string | URL, (globalThis as { location?: { href: string } }).location?.href);
    } catch (cause) {
      throw typeError('NMFKIT_INVALID_TYPE', `options.url is not a valid URL: ${describe(url)}`, { cause });
    }
  }
  if (maxMemoryBytes !== undefined) {
    if (typeof maxMemoryBytes !== 'number')
      throw typeError('NMFKIT_INVALID_TYPE', `options.maxMemoryBytes must be a number, got ${describe(maxMemoryBytes)}`);
    if (!Number.isInteger(maxMemoryBytes) || maxMemoryBytes < 2 ** 20 || maxMemoryBytes > 2 ** 32) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `options.maxMemoryBytes must be an integer from 2^20 (1 MiB) to 2^32 (4 GiB), got ${describe(maxMemoryBytes)}`,
      );
    }
    given.maxMemoryBytes = maxMemoryBytes;
  }
  if (workers !== undefined) {
    given.workers = checkBoolean('options.workers', workers);
    if (given.workers && !workersAvailable)
      throw rangeError('NMFKIT_INVALID_VALUE', 'options.workers is true, but this runtime has no Worker');
  }
  return given;
}
