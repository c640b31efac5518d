/**
 * The hostile values of the hostile-input suites (test/hostile/*.test.ts) and the assertions they share: every
 * kind of wrong value a caller might pass — strings, objects, symbols, BigInt, null, proxies (throwing and
 * revoked), getters that throw, typed arrays of other element types, detached and shared buffers — and the rule
 * that each must end in a TypeError or RangeError whose message names the argument.
 */
import { expect } from 'vitest';
import { ERROR_CODES, isErrorCode } from '../../src/errors.js';

export const boom = (what: string) => (): never => {
  throw new Error(`hostile ${what}`);
};

export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** A proxy every trap of which throws. */
export function throwingProxy<T extends object>(target: T): T {
  return new Proxy(target, {
    get: boom('get trap'),
    has: boom('has trap'),
    ownKeys: boom('ownKeys trap'),
    getOwnPropertyDescriptor: boom('getOwnPropertyDescriptor trap'),
    getPrototypeOf: boom('getPrototypeOf trap'),
  });
}

export function detachedFloat64Array(length: number): Float64Array {
  const array = new Float64Array(length).fill(1);
  structuredClone(array.buffer, { transfer: [array.buffer] });
  return array;
}

/** An object whose every property a caller of nmfkit might read throws. */
export function throwingGetters(): object {
  const object = {};
  for (const key of ['rows', 'cols', 'data', 'length', 'rank', 'fits', 'blasThreads', 'settle', 'signal', 'then', '0']) {
    Object.defineProperty(object, key, { get: boom(`getter ${key}`), enumerable: true });
  }
  return object;
}

/** Values no nmfkit argument accepts. */
export const JUNK: [string, () => unknown][] = [
  ['a string', () => 'a,b,c'],
  ['a symbol', () => Symbol('hostile')],
  ['a BigInt', () => 12n],
  ['null', () => null],
  ['NaN', () => NaN],
  ['-Infinity', () => -Infinity],
  ['true', () => true],
  ['a revoked proxy', revokedProxy],
  ['a throwing proxy', () => throwingProxy({})],
  ['a throwing proxy of an array', () => throwingProxy([[1, 2]])],
  ['an object with throwing getters', throwingGetters],
  ['an Int32Array', () => new Int32Array([1, 2, 3, 4])],
  ['a BigInt64Array', () => new BigInt64Array(4)],
  ['a Uint8Array', () => new Uint8Array(4)],
  ['a DataView', () => new DataView(new ArrayBuffer(32))],
  ['an ArrayBuffer', () => new ArrayBuffer(32)],
  ['a SharedArrayBuffer', () => new SharedArrayBuffer(32)],
  ['a detached Float64Array', () => detachedFloat64Array(4)],
  ['a WeakMap', () => new WeakMap()],
  ['a Promise', () => Promise.resolve(1)],
];

/** Values some argument accepts (a rank, an options object…), but not every one. */
export const PLAUSIBLE: [string, () => unknown][] = [
  ['undefined', () => undefined],
  ['42', () => 42],
  ['0', () => 0],
  ['a negative number', () => -3],
  ['a fractional number', () => 2.5],
  ['2^31', () => 2 ** 31],
  ['2^53', () => 2 ** 53],
  ['an empty object', () => ({})],
  ['an empty array', () => []],
  ['a function', () => () => 1],
  ['a Date', () => new Date(0)],
  ['a Float64Array', () => new Float64Array(4).fill(1)],
];

/**
 * Under AddressSanitizer (npm run test:asan preloads it) memory and time are not the process's own: its allocator
 * poisons shadow memory for every allocation and holds freed blocks in quarantine. Timing and RSS bounds are
 * scaled, or skipped, there.
 */
export const SANITIZED = /libasan/.test(process.env.LD_PRELOAD ?? '');
export const MS = SANITIZED ? 20 : 1;
export const rssGrowth = (before: number): number => (SANITIZED ? 0 : process.memoryUsage().rss - before);

/** Calls `f`; a throw or a rejection becomes the error, a value `undefined`. Fails on a sync throw when `async`. */
export async function outcome(f: () => unknown, async: boolean): Promise<unknown> {
  let value: unknown;
  try {
    value = f();
  } catch (error) {
    if (async) expect.fail(`threw synchronously instead of rejecting: ${String(error)}`);
    return error;
  }
  if (async) expect(value).toBeInstanceOf(Promise);
  try {
    await value;
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * Asserts that `error` carries a stable `code` of nmfkit's (src/errors.ts, the list of docs/api.md#errors) that
 * goes with its class: each code's description starts with the classes that carry it.
 */
export function coded(error: unknown, context: string): void {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (!isErrorCode(code)) expect.fail(`${context}: the error has no code of nmfkit's (code ${String(code)}): ${what}`);
  // 'TypeError', 'RangeError', 'Error' (or a subclass of Error's own, such as the command's InputError),
  // 'DOMException' (named AbortError) or 'any' (class).
  const documented = ERROR_CODES[code].split(/[ :]/)[0]!;
  const kind =
    error instanceof DOMException
      ? 'DOMException'
      : error instanceof TypeError
        ? 'TypeError'
        : error instanceof RangeError
          ? 'RangeError'
          : 'Error';
  if (documented !== 'any' && documented !== kind)
    expect.fail(`${context}: code ${code} is documented for a ${documented}, not a ${kind}: ${what}`);
}

/** Asserts a TypeError or RangeError whose message names `argument`, with a code of nmfkit's ({@link coded}). */
export function named(error: unknown, argument: RegExp, context: string): void {
  if (!(error instanceof TypeError || error instanceof RangeError)) {
    expect.fail(
      `${context}: expected a TypeError or RangeError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
  }
  if (!argument.test(error.message)) expect.fail(`${context}: the message does not name ${argument}: ${error.message}`);
  coded(error, context);
}

export function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Whether a hostile value is an object without own keys: an empty options object (as for setThreads). */
export function keyless(make: () => unknown): boolean {
  const value = make();
  try {
    return value !== null && typeof value === 'object' && !Array.isArray(value) && Reflect.ownKeys(value).length === 0;
  } catch {
    return false; // a revoked or throwing proxy
  }
}
