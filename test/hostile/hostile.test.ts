/**
 * Hostile arguments: every exported function, with every kind of wrong value — strings, objects, symbols, BigInt,
 * null, proxies (throwing and revoked), getters that throw, typed arrays of other element types, detached and
 * shared buffers, negative, fractional and 2^31+ dimensions, sizes whose product overflows memory — must end in a
 * TypeError or RangeError whose message names the argument (nmf, nmfBatch and ready reject instead of throwing),
 * never in a native crash, a hang or an abort. Below the facade, the native glue and the wasm backend check their
 * own arguments and sizes before allocating anything.
 *
 * The audio and figures exports ('nmfkit', 'nmfkit/figures') are held to the same contract: every argument and
 * option refused with an error naming it, what a getter or proxy trap throws turned into a TypeError naming what
 * could not be read, each property read once, nothing modified. Exports added later are covered too: any exported
 * function without its own cases here is called with every non-string hostile value (strings could name files) and
 * must return, or throw (reject) a TypeError or RangeError naming one of its parameters.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as figures from '../../src/figures/index.js';
import * as nmfkit from '../../src/index.js';
import { backendInfo, nmf, nmfBatch, nmfSync, setThreads, type NmfOptions } from '../../src/index.js';
import { compileWasmFileSync, WASM_URL } from '../../src/backends/wasm-node.js';
import { createWasmBackend } from '../../src/backends/wasm.js';
import { OPTION_NAMES as NMF_OPTION_NAMES } from '../../src/options.js';
import { BACKENDS, backendAvailable } from '../support/helpers.js';

// ---------------------------------------------------------------------------------------------------------------
// The hostile values.

const boom = (what: string) => (): never => {
  throw new Error(`hostile ${what}`);
};

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** A proxy every trap of which throws. */
function throwingProxy<T extends object>(target: T): T {
  return new Proxy(target, {
    get: boom('get trap'),
    has: boom('has trap'),
    ownKeys: boom('ownKeys trap'),
    getOwnPropertyDescriptor: boom('getOwnPropertyDescriptor trap'),
    getPrototypeOf: boom('getPrototypeOf trap'),
  });
}

function detachedFloat64Array(length: number): Float64Array {
  const array = new Float64Array(length).fill(1);
  structuredClone(array.buffer, { transfer: [array.buffer] });
  return array;
}

/** An object whose every property a caller of nmfkit might read throws. */
function throwingGetters(): object {
  const object = {};
  for (const key of ['rows', 'cols', 'data', 'length', 'rank', 'fits', 'blasThreads', 'settle', 'signal', 'then', '0']) {
    Object.defineProperty(object, key, { get: boom(`getter ${key}`), enumerable: true });
  }
  return object;
}

/** Values no nmfkit argument accepts. */
const JUNK: [string, () => unknown][] = [
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
const PLAUSIBLE: [string, () => unknown][] = [
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
const SANITIZED = /libasan/.test(process.env.LD_PRELOAD ?? '');
const MS = SANITIZED ? 20 : 1;
const rssGrowth = (before: number): number => (SANITIZED ? 0 : process.memoryUsage().rss - before);

const V = { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] };
const OPTIONS = { rank: 2, maxIter: 3, seed: 1 };

/** The option names of nmf/nmfSync (NmfOptions), from the facade itself so that a new option is covered at once. */
const OPTION_NAMES: readonly string[] = NMF_OPTION_NAMES;
/** Options for which `true` (in JUNK) is a valid value. */
const BOOLEAN_OPTIONS = new Set(['updateW', 'updateH']);

/** Calls `f`; a throw or a rejection becomes the error, a value `undefined`. Fails on a sync throw when `async`. */
async function outcome(f: () => unknown, async: boolean): Promise<unknown> {
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

/** Asserts a TypeError or RangeError whose message names `argument`. */
function named(error: unknown, argument: RegExp, context: string): void {
  if (!(error instanceof TypeError || error instanceof RangeError)) {
    expect.fail(`${context}: expected a TypeError or RangeError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  if (!argument.test(error.message)) expect.fail(`${context}: the message does not name ${argument}: ${error.message}`);
}

// ---------------------------------------------------------------------------------------------------------------

describe('nmfSync, nmf and nmfBatch: every argument, every hostile value', () => {
  const fits = [
    ['nmfSync', (v: unknown, o: unknown) => nmfSync(v as never, o as never), false],
    ['nmf', (v: unknown, o: unknown) => nmf(v as never, o as never), true],
    ['nmfBatch', (v: unknown, o: unknown) => nmfBatch([v] as never, o as never), true],
  ] as const;

  it.each(fits)('%s: V as junk is a TypeError/RangeError naming V', async (name, fit, async) => {
    for (const [what, make] of [...JUNK, ...PLAUSIBLE]) {
      const error = await outcome(() => fit(make(), OPTIONS), async);
      named(error, name === 'nmfBatch' ? /^matrices\[0\]: V\b/ : /^V\b/, `${name}(${what}, options)`);
    }
  });

  it.each(fits)('%s: options as junk is a TypeError/RangeError naming options', async (name, fit, async) => {
    for (const [what, make] of [...JUNK, ...PLAUSIBLE.filter(([w]) => w !== 'a Float64Array')]) {
      const error = await outcome(() => fit(V, make()), async);
      named(error, /options/, `${name}(V, ${what})`);
    }
  });

  it.each(fits)('%s: every option, as every hostile value, is accepted or rejected naming it', async (name, fit, async) => {
    for (const key of OPTION_NAMES) {
      for (const [what, make] of JUNK) {
        if (what === 'true' && BOOLEAN_OPTIONS.has(key)) continue;
        const error = await outcome(() => fit(V, { ...OPTIONS, [key]: make() }), async);
        // Junk is never a valid option value: each must be refused, naming the option.
        named(error, new RegExp(`options\\.${key}\\b`), `${name}(V, { ${key}: ${what} })`);
      }
      for (const [what, make] of PLAUSIBLE) {
        const error = await outcome(() => fit(V, { ...OPTIONS, [key]: make() }), async);
        if (error !== undefined) named(error, new RegExp(`options\\.${key}\\b`), `${name}(V, { ${key}: ${what} })`);
      }
    }
  });

  it.each(fits)('%s: a getter or proxy trap that throws is a TypeError naming the option', async (name, fit, async) => {
    for (const key of [...OPTION_NAMES, 'unknownOption']) {
      const getter = { ...OPTIONS };
      Object.defineProperty(getter, key, { get: boom(key), enumerable: true });
      const proxy = new Proxy({ ...OPTIONS, [key]: 1 }, { get: (target, k) => (k === key ? boom(key)() : Reflect.get(target, k)) });
      for (const [what, options] of [['getter', getter], ['proxy', proxy]] as const) {
        const error = await outcome(() => fit(V, options), async);
        // An unknown option is reported as such before it is read; a known one names what could not be read.
        // (nmfBatch copies its options first, so there the getter's failure may come first.)
        named(error, key === 'unknownOption' ? /(unknown option )?options\.unknownOption/ : new RegExp(`options\\.${key} could not be read: Error: hostile ${key}`), `${name} ${what} ${key}`);
        expect((error as Error).name === 'TypeError').toBe(true);
      }
    }
  });

  it('every option and every matrix property is read once, so a getter cannot show validation one value and the fit another', () => {
    const reads = new Map<string, number>();
    const counted = <T extends object>(prefix: string, target: T): T =>
      new Proxy(target, {
        get(t, k, r) {
          if (typeof k === 'string') reads.set(`${prefix}.${k}`, (reads.get(`${prefix}.${k}`) ?? 0) + 1);
          return Reflect.get(t, k, r);
        },
      });
    const options = counted('options', { rank: 2, maxIter: 3, seed: 1, tol: 0, W: counted('W', { rows: 2, cols: 2, data: [1, 1, 1, 1] }) });
    nmfSync(counted('V', { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] }), options);
    for (const [key, count] of reads) expect(count, key).toBe(1);
    expect(reads.get('V.data')).toBe(1);
    expect(reads.get('options.rank')).toBe(1);
  });
});

describe('matrices: shapes, entries and buffers', () => {
  const fitFails = (v: unknown, message: RegExp, kind: typeof TypeError | typeof RangeError = TypeError, options: object = OPTIONS): void => {
    let error: unknown;
    try {
      nmfSync(v as never, options as never);
    } catch (e) {
      error = e;
    }
    expect(error, String(message)).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
  };

  it('negative, fractional, non-number and 2^31+ dimensions', () => {
    for (const [rows, kind] of [[-1, RangeError], [1.5, RangeError], [2 ** 31, RangeError], [2 ** 53 + 2, RangeError], [NaN, RangeError], [Infinity, RangeError], ['2', TypeError], [2n, TypeError], [null, TypeError], [Symbol('r'), TypeError]] as const) {
      fitFails({ rows, cols: 1, data: [1] }, /^V\.rows/, kind);
      fitFails({ rows: 1, cols: rows, data: [1] }, /^V\.cols/, kind);
      fitFails(V, /^options\.rank/, kind, { rank: rows });
      fitFails(V, /^options\.W\.rows/, kind, { rank: 2, W: { rows, cols: 2, data: [1, 1, 1, 1] } });
    }
  });

  it('rows·cols beyond 2^31 entries, or beyond the machine’s memory, before anything is allocated', () => {
    const before = process.memoryUsage().rss;
    const started = performance.now();
    fitFails({ rows: 65536, cols: 65536, data: [] }, /^V is too large: 65536×65536/, RangeError);
    fitFails({ rows: 2 ** 31 - 1, cols: 2 ** 31 - 1, data: new Float64Array(0) }, /^V is too large/, RangeError);
    fitFails([[1, 2]], /^(W|H) is too large|needs at least/, RangeError, { rank: 2 ** 31 - 1 });
    // The given factor's shape is checked before its entries are copied.
    fitFails(V, /^options\.W must be 2×2/, RangeError, { rank: 2, W: { rows: 2 ** 31 - 1, cols: 1, data: new Array(10) } });
    // A sparse array of a plausible length claims 16 GiB: refused at its first hole, without touching the rest.
    fitFails({ rows: 1, cols: 2 ** 31 - 1, data: new Array(2 ** 31 - 1) }, /V\.data\[0\] \(row 0, column 0\) must be a number, got undefined|V is too large/);
    expect(performance.now() - started).toBeLessThan(1000 * MS);
    expect(rssGrowth(before)).toBeLessThan(64 * 2 ** 20);
  });

  it.each(BACKENDS)('a huge rank with a tiny V is a RangeError at once, without memory growth, on %s', (backend) => {
    if (!backendAvailable(backend)) return;
    const before = process.memoryUsage();
    const started = performance.now();
    // Ranks whose W, H or R×R Grams cannot fit in this machine's memory (the memory rule of validate.ts).
    for (const rank of [2 ** 31 - 1, 2 ** 26, 2 ** 20]) {
      for (const fit of [(o: NmfOptions) => nmfSync([[1]], o), (o: NmfOptions) => nmfSync({ rows: 3, cols: 2, data: [1, 2, 3, 4, 5, 6] }, o)]) {
        expect(() => fit({ rank, maxIter: 1, backend })).toThrow(RangeError);
        expect(() => fit({ rank, maxIter: 1, backend })).toThrow(/options\.rank|too large/);
      }
    }
    expect(performance.now() - started).toBeLessThan(500 * MS);
    const after = process.memoryUsage();
    expect(rssGrowth(before.rss)).toBeLessThan(32 * 2 ** 20);
    expect(after.external - before.external).toBeLessThan(16 * 2 ** 20);
  });

  it('entries that are not finite numbers ≥ 0, or cannot be read', () => {
    for (const [entry, kind] of [['1', TypeError], [1n, TypeError], [null, TypeError], [undefined, TypeError], [Object(1), TypeError], [NaN, RangeError], [-1, RangeError], [Infinity, RangeError], [-0.5, RangeError]] as const) {
      fitFails({ rows: 2, cols: 3, data: [1, 2, 3, 4, entry, 6] }, /V\.data\[4\] \(row 1, column 1\)/, kind);
      fitFails([[1, 2, 3], [4, entry, 6]], /V\[1\]\[1\] \(row 1, column 1\)/, kind);
    }
    const getterData = [1, 2, 3, 4, 5, 6];
    Object.defineProperty(getterData, 4, { get: boom('entry') });
    fitFails({ rows: 2, cols: 3, data: getterData }, /^V\.data\[4\] could not be read: Error: hostile entry/);
    const getterRows = [[1, 2, 3], [4, 5, 6]];
    Object.defineProperty(getterRows, 1, { get: boom('row') });
    fitFails(getterRows, /^V\[1\] could not be read: Error: hostile row/);
    const getterEntry = [[1, 2, 3], [4, 5, 6]];
    Object.defineProperty(getterEntry[1], 2, { get: boom('entry') });
    fitFails(getterEntry, /^V\[1\]\[2\] could not be read/);
    fitFails({ rows: 2, cols: 3, data: throwingProxy([1, 2, 3, 4, 5, 6]) }, /^V\.data.*could not be read|^V\.data must be/);
    fitFails([[1, 2, 3], throwingProxy([4, 5, 6])], /^V\[1\]\.length could not be read/);
    fitFails(throwingProxy([[1, 2, 3], [4, 5, 6]]), /^V\.length could not be read/);
    fitFails({ rows: 2, cols: 3, data: [1, 2, 3, 4, 5] }, /^V\.data has 5 entries/, RangeError);
    fitFails([[1, 2, 3], [4, 5]], /^V is ragged/, RangeError);
    // Sparse arrays: a hole reads as undefined.
    fitFails({ rows: 2, cols: 3, data: [1, 2, 3, 4, , 6] }, /V\.data\[4\].*got undefined/); // eslint-disable-line no-sparse-arrays
  });

  it('typed arrays: other element types, a fake Float64Array, a detached buffer', () => {
    for (const data of [new Int32Array(6), new Uint8Array(6), new Float64Array(6).buffer, new BigInt64Array(6), new DataView(new ArrayBuffer(48))]) {
      fitFails({ rows: 2, cols: 3, data }, /^V\.data must be a Float64Array, Float32Array or number\[\]/);
    }
    // An Int32Array dressed up as a Float64Array, and a proxy of a real one: recognised by their internal slots.
    const disguised = Object.setPrototypeOf(new Int32Array(6), Float64Array.prototype) as Float64Array;
    fitFails({ rows: 2, cols: 3, data: disguised }, /^V\.data must be a Float64Array.*got a Int32Array/);
    fitFails({ rows: 2, cols: 3, data: new Proxy(new Float64Array(6), {}) }, /^V\.data must be a Float64Array/);
    // A Float64Array whose own `length` lies is read by its real length.
    const lying = new Float64Array([1, 2, 3, 4, 5, 6]);
    Object.defineProperty(lying, 'length', { get: boom('length') });
    expect(nmfSync({ rows: 2, cols: 3, data: lying }, OPTIONS).W.rows).toBe(2);
    fitFails({ rows: 2, cols: 2, data: detachedFloat64Array(4) }, /^V\.data is a Float64Array whose buffer has been detached/);
    const f32 = new Float32Array(4);
    structuredClone(f32.buffer, { transfer: [f32.buffer] });
    fitFails({ rows: 2, cols: 2, data: f32 }, /^V\.data is a Float32Array whose buffer has been detached/);
    fitFails(V, /^options\.W\.data is a Float64Array whose buffer has been detached/, TypeError, { rank: 2, W: { rows: 2, cols: 2, data: detachedFloat64Array(4) } });
  });

  it.each(BACKENDS)('SharedArrayBuffer-backed input is accepted, copied once, and fits like a private array on %s', async (backend) => {
    if (!backendAvailable(backend)) return;
    const shared = new Float64Array(new SharedArrayBuffer(6 * 8));
    shared.set([1, 2, 3, 4, 5, 6]);
    const plain = nmfSync(V, { ...OPTIONS, backend });
    for (const result of [nmfSync({ rows: 2, cols: 3, data: shared }, { ...OPTIONS, backend }), await nmf({ rows: 2, cols: 3, data: shared }, { ...OPTIONS, backend })]) {
      expect(result.W.data).toEqual(plain.W.data);
      expect(result.W.data.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    }
    expect(Array.from(shared)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('nmfBatch', () => {
  it('matrices that are not an array, proxies, holes and absurd lengths', async () => {
    for (const [what, matrices, message] of [
      ['a string', 'abc', /^matrices must be an array/],
      ['an array-like', { length: 1, 0: V }, /^matrices must be an array/],
      ['a revoked proxy', revokedProxy(), /^matrices must be an array/],
      ['a throwing proxy of an array', throwingProxy([V]), /^matrices\.length could not be read/],
      ['an array with a throwing index', Object.defineProperty([V, V], 1, { get: boom('index') }), /^matrices\[1\] could not be read/],
      ['a hole', [V, , V], /^matrices\[1\]: V must be a matrix/], // eslint-disable-line no-sparse-arrays
      ['2^30 holes', new Array(2 ** 30), /^matrices has 1073741824 entries, more than the 16777216/],
    ] as const) {
      for (const settle of [false, true]) {
        const started = performance.now();
        const error = await outcome(() => nmfBatch(matrices as never, { ...OPTIONS, settle } as never), true);
        if (what === 'a hole' && settle) {
          expect(error).toBeUndefined(); // settle: the hole is that matrix's own failure
          continue;
        }
        named(error, message, `nmfBatch(${what}, { settle: ${settle} })`);
        expect(performance.now() - started).toBeLessThan(1000 * MS);
      }
    }
  });

  it('options: settle, onIteration and signal of the wrong kind, fake signals, throwing getters', async () => {
    const fakeSignal = Object.create(AbortSignal.prototype) as AbortSignal;
    for (const [options, message] of [
      [{ ...OPTIONS, settle: 'yes' }, /^options\.settle must be a boolean/],
      [{ ...OPTIONS, onIteration: 1 }, /^options\.onIteration must be a function/],
      [{ ...OPTIONS, signal: { aborted: true } }, /^options\.signal must be an AbortSignal/],
      [{ ...OPTIONS, signal: fakeSignal }, /^options\.signal must be an AbortSignal/],
      [{ ...OPTIONS, signal: throwingProxy(new AbortController().signal) }, /^options\.signal must be an AbortSignal/],
      [Object.defineProperty({ ...OPTIONS }, 'settle', { get: boom('settle'), enumerable: true }), /^options\.settle could not be read/],
      [Object.defineProperty({ ...OPTIONS }, Symbol('s'), { get: boom('symbol'), enumerable: true }), /^options\.Symbol\(s\) could not be read/],
      [revokedProxy(), /^the keys of options could not be read/],
    ] as const) {
      named(await outcome(() => nmfBatch([V], options as never), true), message, `nmfBatch([V], ${String(message)})`);
    }
    // A matrix with a throwing getter fails that matrix, named by its index.
    const bad = { rows: 2, cols: 3, get data(): never { throw new Error('hostile data'); } };
    named(await outcome(() => nmfBatch([V, bad] as never, OPTIONS), true), /^matrices\[1\]: V\.data could not be read/, 'bad matrix');
    const settled = await nmfBatch([V, bad] as never, { ...OPTIONS, settle: true });
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
  });
});

describe('setThreads, backendInfo, ready', () => {
  const initial = backendInfo().threads;
  afterAll(() => setThreads({ fits: initial.fits, blasThreads: initial.blasThreads }));

  it('setThreads: hostile values are a TypeError/RangeError naming threads, and change nothing', () => {
    for (const [what, make] of [...JUNK, ...PLAUSIBLE]) {
      const value = make();
      let error: unknown;
      try {
        setThreads(value as never);
      } catch (e) {
        error = e;
      }
      if (error === undefined) {
        // Accepted: a valid count, or an object without settings (no own keys: {}, a Date, a Promise…) — a no-op.
        if (what === '42') expect(backendInfo().threads.fits).toBe(42);
        else expect(backendInfo().threads).toEqual(initial);
        setThreads({ fits: initial.fits, blasThreads: initial.blasThreads });
        continue;
      }
      named(error, /threads/, `setThreads(${what})`);
      expect(backendInfo().threads).toEqual(initial);
    }
    for (const key of ['fits', 'blasThreads']) {
      for (const [, make] of JUNK) named(catchError(() => setThreads({ [key]: make() } as never)), new RegExp(`threads\\.${key}`), `setThreads({ ${key} })`);
      named(catchError(() => setThreads(Object.defineProperty({}, key, { get: boom(key), enumerable: true }))), new RegExp(`threads\\.${key} could not be read`), key);
    }
    named(catchError(() => setThreads({ fits: 1025 })), /threads\.fits must be at most 1024/, 'fits 1025');
    named(catchError(() => setThreads({ blasThreads: 257 })), /threads\.blasThreads must be at most 256/, 'blasThreads 257');
    named(catchError(() => setThreads({ fits: 2, cores: 1 } as never)), /unknown option threads\.cores/, 'unknown key');
    expect(backendInfo().threads).toEqual(initial);
  });

  it('backendInfo ignores whatever it is passed and always describes both backends', () => {
    for (const [, make] of [...JUNK, ...PLAUSIBLE]) {
      const info = (backendInfo as (...args: unknown[]) => ReturnType<typeof backendInfo>)(make(), make());
      expect(['native', 'wasm']).toContain(info.backend);
      expect(typeof info.native.loaded).toBe('boolean');
      expect(typeof info.wasm.loaded).toBe('boolean');
    }
  });

  it('ready (when exported) rejects any argument with a TypeError and resolves without one', async () => {
    const ready = (nmfkit as Record<string, unknown>).ready as ((...args: unknown[]) => Promise<void>) | undefined;
    if (!ready) return;
    await expect(ready()).resolves.toBeUndefined();
    for (const [what, make] of JUNK) {
      const error = await outcome(() => ready(make()), true);
      named(error, /ready\(\)|options/, `ready(${what})`);
    }
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The audio and figures exports: the same contract as the fit's. Each argument and each option, as every hostile
// value, is refused with a TypeError or RangeError naming it (or, where the value is a valid one, accepted); a
// getter or proxy trap that throws is a TypeError naming what could not be read; each property is read once and
// nothing is modified.

const scratch = mkdtempSync(join(tmpdir(), 'nmfkit-hostile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const WAV_PATH = join(scratch, 'in.wav');
const NOTES_PATH = join(scratch, 'notes.json');
const OUT_PATH = join(scratch, 'out.wav');
writeFileSync(WAV_PATH, nmfkit.encodeWav([0, 0.5, -0.5, 0.25], 8000));
writeFileSync(NOTES_PATH, JSON.stringify([{ pitch: 69, onset: 0, offset: 0.5 }]));

const samples = (): number[] => Array.from({ length: 64 }, (_, i) => Math.sin(i / 3) / 2);
/** 9 bins × 17 frames. */
const spec = (): nmfkit.Stft => nmfkit.stft(samples(), 8000, { nFft: 16, hop: 4 });
const notes = (): nmfkit.NoteEvent[] => [{ pitch: 69, onset: 0, offset: 0.5 }, { pitch: 57, onset: 0.2, offset: 0.6 }];
const axis = (n: number, step: number): number[] => Array.from({ length: n }, (_, i) => i * step);
const ones = (rows: number, cols: number): { rows: number; cols: number; data: number[] } => ({ rows, cols, data: new Array<number>(rows * cols).fill(0.5) });
const SMALL = { width: 300, height: 200 };

interface ExportCase {
  /** Valid arguments, fresh for each call. */
  readonly args: () => unknown[];
  /** What the messages call each argument. */
  readonly params: readonly string[];
  /** Rejects instead of throwing. */
  readonly async?: boolean;
  /** The options object: its argument's index and its option names. */
  readonly options?: { readonly index: number; readonly keys: readonly string[] };
  /** Hostile values that are valid for a parameter or option ('center', 'options.center'…). */
  readonly valid?: Readonly<Record<string, readonly string[]>>;
}

/** Whether a hostile value is an object without own keys: an empty options object (as for setThreads). */
function keyless(make: () => unknown): boolean {
  const value = make();
  try {
    return value !== null && typeof value === 'object' && !Array.isArray(value) && Reflect.ownKeys(value).length === 0;
  } catch {
    return false; // a revoked or throwing proxy
  }
}

const CASES: Record<string, ExportCase> = {
  decodeWav: { args: () => [nmfkit.encodeWav([0, 0.5], 8000), {}], params: ['bytes', 'options'], options: { index: 1, keys: ['channel'] } },
  encodeWav: { args: () => [samples(), 8000, {}], params: ['samples', 'sampleRate', 'options'], options: { index: 2, keys: ['bitDepth'] } },
  readWav: { args: () => [WAV_PATH, {}], params: ['path', 'options'], async: true, options: { index: 1, keys: ['channel'] }, valid: { path: ['a string'] } },
  writeWav: { args: () => [OUT_PATH, samples(), 8000, {}], params: ['path', 'samples', 'sampleRate', 'options'], async: true, options: { index: 3, keys: ['bitDepth'] }, valid: { path: ['a string'] } },
  windowFunction: { args: () => ['hann', 8], params: ['name', 'length'] },
  stft: {
    args: () => [samples(), 8000, { nFft: 16, hop: 4 }],
    params: ['signal', 'sampleRate', 'options'],
    options: { index: 2, keys: ['nFft', 'hop', 'window', 'center'] },
    valid: { 'options.center': ['true'] },
  },
  istft: { args: () => [spec(), {}], params: ['spec', 'options'], options: { index: 1, keys: ['length'] } },
  spectrogram: { args: () => [spec(), { log: 1 }], params: ['spec', 'options'], options: { index: 1, keys: ['kind', 'log', 'minFrequency', 'maxFrequency'] } },
  checkNotes: { args: () => ['notes', notes()], params: ['name', 'notes'], valid: { name: ['a string'] } },
  distinctPitches: { args: () => [notes()], params: ['notes'] },
  hzToMidi: { args: () => [440, 440], params: ['frequency', 'tuning'] },
  midiToHz: { args: () => [69, 440], params: ['pitch', 'tuning'] },
  pitchName: { args: () => [60], params: ['pitch'] },
  pianoRoll: { args: () => [notes(), [57, 69], axis(8, 0.1)], params: ['notes', 'pitches', 'times'] },
  readNotes: { args: () => [NOTES_PATH], params: ['path'], async: true, valid: { path: ['a string'] } },
  harmonicTemplate: { args: () => [axis(40, 50), 220, 0.05, () => undefined], params: ['frequencies', 'f0', 'tolerance', 'set'] },
  scoreInformedInit: {
    args: () => [notes(), { frequencies: axis(40, 50), times: axis(8, 0.1) }, {}],
    params: ['notes', 'axes', 'options'],
    options: { index: 2, keys: ['pitches', 'pitchTolerance', 'noteTolerance', 'onsets', 'onsetTolerance', 'onsetLevel', 'tuning'] },
    valid: { 'options.onsets': ['true'] },
  },
  separate: {
    args: () => [spec(), ones(9, 2), ones(2, 17), [[0]], {}],
    params: ['spec', 'W', 'H', 'groups', 'options'],
    options: { index: 4, keys: ['alpha', 'eps', 'masks'] },
    valid: { 'options.masks': ['true'] },
  },
  softMasks: { args: () => [ones(9, 2), ones(2, 17), [[0], [1]], {}], params: ['W', 'H', 'groups', 'options'], options: { index: 3, keys: ['alpha', 'eps'] } },
  estimateTemplatePitches: {
    args: () => [ones(40, 2), axis(40, 50), { resolution: 50 }],
    params: ['W', 'frequencies', 'options'],
    options: { index: 2, keys: ['minPitch', 'maxPitch', 'resolution', 'harmonics', 'lobe', 'spread', 'refineHarmonics', 'tuning'] },
  },
  evaluateActivations: {
    args: () => [ones(2, 8), [69, null], notes(), axis(8, 0.1), {}],
    params: ['H', 'componentPitches', 'notes', 'times', 'options'],
    options: { index: 4, keys: ['threshold'] },
  },
  renderFactorsFigure: {
    args: () => [{ W: ones(6, 2), H: ones(2, 5), ...SMALL }],
    params: ['input'],
    options: {
      index: 0,
      keys: ['W', 'H', 'V', 'showProduct', 'frequencies', 'times', 'componentLabels', 'componentAxis', 'maxFrequency', 'titles', 'title', 'colormap', 'width', 'height'],
    },
    valid: { 'input.showProduct': ['true'], 'input.componentAxis': ['a string'], 'input.title': ['a string'] },
  },
  product: { args: () => [ones(3, 2), ones(2, 4)], params: ['W', 'H'] },
  renderErrorPlot: {
    args: () => [[{ title: 'fit', series: [{ label: 'ΔH', values: [1, 0.5, 0.25] }], tol: 0.1 }], { ...SMALL }],
    params: ['panels', 'options'],
    options: { index: 1, keys: ['width', 'height'] },
  },
  renderActivationComparison: {
    args: () => [{
      pitches: [60, 64], estimated: new Uint8Array([1, 0, 1, 0, 1, 1]), reference: new Uint8Array([1, 1, 0, 0, 1, 0]),
      precision: 0.5, recall: 0.5, fMeasure: 0.5, threshold: 0.2, times: [0, 0.1, 0.2], ...SMALL,
    }],
    params: ['input'],
    options: {
      index: 0,
      keys: ['pitches', 'estimated', 'reference', 'precision', 'recall', 'fMeasure', 'threshold', 'times', 'labels', 'title', 'width', 'height', 'truePositives', 'falsePositives', 'falseNegatives'],
    },
    valid: { 'input.title': ['a string'] },
  },
  renderHeatmapRow: {
    args: () => [[{ matrix: ones(2, 3), x: { label: 'time', centres: [0.5, 1.5, 2.5] }, y: { label: 'pitch', labels: ['a', 'b'] }, title: 't' }], { ...SMALL }],
    params: ['panels', 'options'],
    options: { index: 1, keys: ['width', 'height', 'colormap', 'suptitle'] },
    valid: { 'options.suptitle': ['a string'] },
  },
  colormapTable: { args: () => ['viridis'], params: ['name'] },
};

/** Options that are objects of options themselves. */
const OPTION_OBJECTS = new Set(['input.titles']);

const EXPORTS: Record<string, unknown> = { ...nmfkit, ...figures };
const CORE = new Set(['nmf', 'nmfSync', 'nmfBatch', 'backendInfo', 'setThreads', 'ready']);
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function call(name: string, args: unknown[]): unknown {
  return (EXPORTS[name] as (...a: unknown[]) => unknown)(...args);
}

/** The error of a call, or undefined; an async export must reject, never throw. */
async function outcomeOf(name: string, args: unknown[]): Promise<unknown> {
  return outcome(() => call(name, args), CASES[name]?.async === true);
}

describe('audio and figures exports: every argument, every hostile value', () => {
  it('every exported function but the fit’s own has its cases here', () => {
    const functions = Object.entries(EXPORTS).filter(([name, value]) => typeof value === 'function' && !CORE.has(name)).map(([name]) => name);
    expect(functions.filter((name) => !(name in CASES))).toEqual([]);
  });

  it.each(Object.keys(CASES))('%s: the valid arguments work', async (name) => {
    expect(await outcomeOf(name, CASES[name]!.args())).toBeUndefined();
  });

  it.each(Object.keys(CASES))('%s: every argument as every hostile value is refused naming it', async (name) => {
    const c = CASES[name]!;
    for (let i = 0; i < c.params.length; i++) {
      const param = c.params[i]!;
      const pattern = new RegExp(`^(unknown option |the keys of )?${escape(param)}\\b`);
      for (const [what, make] of [...JUNK, ...PLAUSIBLE]) {
        // A string for a path would name a file to read or write.
        if (what === 'a string' && param === 'path') continue;
        const args = c.args();
        args[i] = make();
        const error = await outcomeOf(name, args);
        const acceptable = PLAUSIBLE.some(([w]) => w === what) || (c.valid?.[param] ?? []).includes(what) || (param === 'options' && keyless(make));
        if (error === undefined && acceptable) continue;
        named(error, pattern, `${name}: ${param} = ${what}`);
      }
    }
  });

  const withOptions = Object.keys(CASES).filter((name) => CASES[name]!.options);

  it.each(withOptions)('%s: every option as every hostile value is refused naming it', async (name) => {
    const c = CASES[name]!;
    const { index, keys } = c.options!;
    const prefix = c.params[index]!;
    for (const key of keys) {
      const pattern = new RegExp(`${escape(prefix)}\\.${key}\\b`);
      for (const [what, make] of [...JUNK, ...PLAUSIBLE]) {
        const args = c.args();
        args[index] = { ...(args[index] as object), [key]: make() };
        const error = await outcomeOf(name, args);
        const acceptable =
          PLAUSIBLE.some(([w]) => w === what) || (c.valid?.[`${prefix}.${key}`] ?? []).includes(what) || (OPTION_OBJECTS.has(`${prefix}.${key}`) && keyless(make));
        if (error === undefined && acceptable) continue;
        named(error, pattern, `${name}: ${prefix}.${key} = ${what}`);
      }
    }
  });

  it.each(withOptions)('%s: a getter or proxy trap that throws is a TypeError naming the option; unknown options are refused', async (name) => {
    const c = CASES[name]!;
    const { index, keys } = c.options!;
    const prefix = c.params[index]!;
    for (const key of keys) {
      const base = c.args()[index] as object;
      const getter = Object.defineProperty({ ...base }, key, { get: boom(key), enumerable: true });
      const proxy = new Proxy({ ...base, [key]: 1 }, { get: (target, k) => (k === key ? boom(key)() : Reflect.get(target, k)) });
      for (const [what, options] of [['getter', getter], ['proxy', proxy]] as const) {
        const args = c.args();
        args[index] = options;
        const error = await outcomeOf(name, args);
        named(error, new RegExp(`^${escape(prefix)}\\.${key} could not be read: Error: hostile ${key}`), `${name} ${what} ${key}`);
        expect((error as Error).name).toBe('TypeError');
      }
    }
    for (const bad of [{ nFtt: 1 }, { [Symbol('s')]: 1 }]) {
      const args = c.args();
      args[index] = { ...(args[index] as object), ...bad };
      const error = await outcomeOf(name, args);
      named(error, new RegExp(`^unknown option ${escape(prefix)}\\.(nFtt|Symbol\\(s\\))`), `${name} unknown option`);
      expect((error as Error).name).toBe('TypeError');
    }
  });

  it.each(Object.keys(CASES))('%s: reads every property of its arguments once, and modifies none', async (name) => {
    const c = CASES[name]!;
    const reads = new Map<string, number>();
    const counted = (path: string, value: unknown): unknown => {
      // Plain objects and arrays only: a proxy of a typed array is (rightly) not one.
      if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
      return new Proxy(value, {
        get(target, key, receiver) {
          const where = `${path}.${String(key)}`;
          if (typeof key === 'string') reads.set(where, (reads.get(where) ?? 0) + 1);
          return counted(where, Reflect.get(target, key, receiver));
        },
      });
    };
    const args = c.args();
    const before = structuredClone(args.map((a) => (typeof a === 'function' ? undefined : a)));
    expect(await outcomeOf(name, args.map((a, i) => counted(c.params[i]!, a)))).toBeUndefined();
    for (const [where, count] of reads) expect(count, `${name}: ${where}`).toBe(1);
    expect(args.map((a) => (typeof a === 'function' ? undefined : a)), `${name} modified an argument`).toEqual(before);
  });
});

describe('audio and figures exports: specific hostile values', () => {
  const fails = async (f: () => unknown, message: RegExp, kind: typeof TypeError | typeof RangeError = TypeError): Promise<void> => {
    let error: unknown;
    try {
      await f();
    } catch (e) {
      error = e;
    }
    expect(error, String(message)).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
  };

  it('bytes: typed arrays by their internal type, detached buffers, Buffers', async () => {
    const wav = nmfkit.encodeWav([0, 0.5], 8000);
    expect(nmfkit.decodeWav(Buffer.from(wav)).samples.length).toBe(2);
    expect(nmfkit.decodeWav((wav.buffer as ArrayBuffer).slice(wav.byteOffset, wav.byteOffset + wav.byteLength)).samples.length).toBe(2);
    await fails(() => nmfkit.decodeWav(new Proxy(wav, {}) as never), /^bytes must be a Uint8Array/);
    await fails(() => nmfkit.decodeWav(Object.setPrototypeOf(new Int8Array(wav), Uint8Array.prototype) as never), /^bytes must be a Uint8Array.*got a Int8Array/);
    const detached = wav.slice();
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    await fails(() => nmfkit.decodeWav(detached), /^bytes is a Uint8Array whose buffer has been detached/);
    const buffer = wav.slice().buffer;
    structuredClone(buffer, { transfer: [buffer] });
    await fails(() => nmfkit.decodeWav(buffer), /^bytes is an ArrayBuffer that has been detached/);
    await fails(() => nmfkit.decodeWav(wav, { channel: 'left' } as never), /^options\.channel must be 'mix' or a channel index/);
    // readWav checks its options before it touches the file system.
    await fails(() => nmfkit.readWav('/nonexistent/x.wav', { channels: 1 } as never), /^unknown option options\.channels/);
  });

  it('signals and axes: entries that throw, holes, huge sparse arrays, proxies of typed arrays', async () => {
    const getter = samples();
    Object.defineProperty(getter, 2, { get: boom('entry') });
    await fails(() => nmfkit.stft(getter, 8000, { nFft: 16 }), /^signal\[2\] could not be read: Error: hostile entry/);
    await fails(() => nmfkit.stft([0, , 1] as number[], 8000, { nFft: 4 }), /^signal\[1\] must be a number, got undefined/); // eslint-disable-line no-sparse-arrays
    await fails(() => nmfkit.stft(new Proxy(new Float64Array(64), {}), 8000), /^signal must be a Float64Array, Float32Array or number\[\]/);
    await fails(() => nmfkit.stft(samples(), 8000, { nFft: 16, window: throwingProxy(new Array(16).fill(1)) }), /^options\.window\.length could not be read/);
    const started = performance.now();
    await fails(() => nmfkit.encodeWav(new Array(2 ** 31 - 1), 8000), /^samples\[0\] must be a number, got undefined|^samples is too large/);
    await fails(() => nmfkit.scoreInformedInit(notes(), { frequencies: new Array(2 ** 30), times: [0] }), /^axes\.frequencies\[0\] must be a number|^axes\.frequencies is too large/);
    expect(performance.now() - started).toBeLessThan(1000 * MS);
    await fails(() => nmfkit.scoreInformedInit(notes(), Object.defineProperty({ times: [0] }, 'frequencies', { get: boom('axis') }) as never), /^axes\.frequencies could not be read: Error: hostile axis/);
    await fails(() => nmfkit.estimateTemplatePitches(ones(3, 1), [0, 20, 10]), /^frequencies must be strictly increasing/, RangeError);
    // A whole Spectrogram is a valid `axes`: only its two axes are read.
    const s = nmfkit.spectrogram(nmfkit.stft(samples(), 8000, { nFft: 64, hop: 16 }));
    expect(nmfkit.scoreInformedInit(notes(), s).W.rows).toBe(s.V.rows);
  });

  it('STFT objects: fields that throw, arrays that are not what stft() returns, detached arrays', async () => {
    const good = spec();
    await fails(() => nmfkit.istft(Object.defineProperty({ ...good }, 're', { get: boom('re'), enumerable: true })), /^spec\.re could not be read: Error: hostile re/);
    await fails(() => nmfkit.istft({ ...good, re: new Proxy(good.re, {}) }), /^spec\.re must be a Float64Array/);
    await fails(() => nmfkit.istft({ ...good, im: Array.from(good.im) as never }), /^spec\.im must be a Float64Array/);
    const detached = good.re.slice();
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    await fails(() => nmfkit.istft({ ...good, re: detached }), /^spec\.re is a Float64Array whose buffer has been detached/);
    await fails(() => nmfkit.spectrogram({ ...good, frequencies: [1, 2] as never }), /^spec\.frequencies must be a Float64Array/);
    await fails(() => nmfkit.istft(good, { length: 2 ** 31 }), /^options\.length must be an integer in \[0, 2\^31 - 1\]/, RangeError);
    // A window whose iterator is the caller's: not used.
    const window = good.window.slice();
    Object.defineProperty(window, Symbol.iterator, { get: boom('iterator') });
    expect(nmfkit.istft({ ...good, window }).length).toBe(64);
  });

  it('notes, pitches, groups and component pitches: entries that throw or are not what they should be', async () => {
    const onset = Object.defineProperty({ pitch: 60, offset: 1 }, 'onset', { get: boom('onset'), enumerable: true });
    await fails(() => nmfkit.distinctPitches([onset] as never), /^notes\[0\]\.onset could not be read: Error: hostile onset/);
    await fails(() => nmfkit.checkNotes('score', [revokedProxy()]), /^score\[0\]\.pitch could not be read/);
    await fails(() => nmfkit.checkNotes('score', [{ pitch: 60, onset: 0, offset: 1, velocity: '64' }]), /^score\[0\]\.velocity must be a number/);
    await fails(() => nmfkit.pianoRoll(notes(), [60, 60], [0]), /^pitches\[1\] = 60 repeats an earlier pitch/, RangeError);
    await fails(() => nmfkit.scoreInformedInit(notes(), { frequencies: axis(40, 50), times: [0] }, { pitches: new Array(2 ** 30) }), /^options\.pitches has 1073741824 entries/, RangeError);
    const group = [0, 1];
    Object.defineProperty(group, 1, { get: boom('member') });
    await fails(() => nmfkit.softMasks(ones(9, 2), ones(2, 17), [group]), /^groups\[0\]\[1\] could not be read: Error: hostile member/);
    await fails(() => nmfkit.softMasks(ones(9, 2), ones(2, 17), [throwingProxy([0])]), /^groups\[0\]\.length could not be read/);
    await fails(() => nmfkit.softMasks(ones(9, 2), ones(2, 17), new Array(2 ** 30)), /^groups has 1073741824 groups, more than W's 2 components/, RangeError);
    await fails(() => nmfkit.softMasks({ rows: 100000, cols: 1, data: new Float64Array(100000) }, { rows: 1, cols: 100000, data: new Float64Array(100000) }, [[0]]), /^the masks \(rows of W × columns of H\) is too large/, RangeError);
    const pitches = [69, null];
    Object.defineProperty(pitches, 1, { get: boom('pitch') });
    await fails(() => nmfkit.evaluateActivations(ones(2, 8), pitches, notes(), axis(8, 0.1)), /^componentPitches\[1\] could not be read: Error: hostile pitch/);
    await fails(() => nmfkit.evaluateActivations(ones(2, 8), [69, '57'] as never, notes(), axis(8, 0.1)), /^componentPitches\[1\] must be a MIDI pitch or null/);
  });

  it('numbers that would never finish: a tolerance of 1, a fundamental of 1e-300, a million harmonics', async () => {
    const started = performance.now();
    await fails(() => nmfkit.harmonicTemplate(axis(40, 50), 220, 1, () => undefined), /^tolerance must be in \[0, 0\.5\]/, RangeError);
    await fails(() => nmfkit.harmonicTemplate(axis(40, 50), 1e-300, 0.05, () => undefined), /^frequencies up to 1950 Hz and f0 = 1e-300 Hz span .* harmonics/, RangeError);
    await fails(() => nmfkit.scoreInformedInit(notes(), { frequencies: [0, 1e300], times: [0] }), /^axes\.frequencies up to 1e\+300 Hz/, RangeError);
    await fails(() => nmfkit.estimateTemplatePitches(ones(40, 1), axis(40, 50), { harmonics: 2 ** 31 - 1 }), /^options\.harmonics must be at most 1000/, RangeError);
    expect(performance.now() - started).toBeLessThan(1000 * MS);
    // What the caller's own callback throws is its own.
    const own = new Error('the caller’s own');
    expect(() => nmfkit.harmonicTemplate(axis(40, 50), 220, 0.05, () => {
      throw own;
    })).toThrow(own);
  });

  it('figures: nested panels, series, axes and colours; sizes; text', async () => {
    const panel = (extra: object = {}): object => ({ title: 'fit', series: [{ label: 'ΔH', values: [1, 0.5] }], ...extra });
    await fails(() => figures.renderErrorPlot([Object.defineProperty(panel(), 'series', { get: boom('series'), enumerable: true })] as never), /^panels\[0\]\.series could not be read: Error: hostile series/);
    await fails(() => figures.renderErrorPlot([panel({ titel: 'x' })] as never), /^unknown option panels\[0\]\.titel/);
    await fails(() => figures.renderErrorPlot([panel({ series: [{ label: 'a', values: [1], color: 'red' }] })] as never), /^panels\[0\]\.series\[0\]\.color must be a colour/, RangeError);
    await fails(() => figures.renderErrorPlot([panel({ series: [{ label: 'a', values: throwingProxy([1]) }] })] as never), /^panels\[0\]\.series\[0\]\.values\.length could not be read/);
    await fails(() => figures.renderErrorPlot([panel()] as never, { width: 1e6 }), /^options\.width must be at most 16384 pixels/, RangeError);
    await fails(() => figures.renderErrorPlot(new Array(40).fill(panel()) as never), /^options\.width defaults to 25600 pixels for 40 panels/, RangeError);
    await fails(() => figures.renderErrorPlot([panel({ title: 'x'.repeat(1001) })] as never), /^panels\[0\]\.title must have at most 1000 characters/, RangeError);
    // A panel without series and without tol draws an empty plot (its legend once looped forever).
    expect(figures.renderErrorPlot([{ title: 'empty', series: [] }], SMALL).length).toBeGreaterThan(0);

    const heat = (x: object): unknown[] => [[{ matrix: { rows: 1, cols: 2, data: [-1, 2] }, x, y: { label: 'y', labels: ['a'] }, title: 't' }], SMALL];
    expect((figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [0, 1] })).length).toBeGreaterThan(0);
    await fails(() => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [0, 1], labels: ['a', 'b'] })), /^panels\[0\]\.x must have centres .* not both/);
    await fails(() => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', labels: ['a'] })), /^panels\[0\]\.x\.labels must have one label per matrix column \(2\), got 1/, RangeError);
    await fails(() => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [0, NaN] })), /^panels\[0\]\.x\.centres must be finite, but panels\[0\]\.x\.centres\[1\] is NaN/, RangeError);
    await fails(() => (figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [0, 1], limit: [1, 0] })), /^panels\[0\]\.x\.limit must have low < high/, RangeError);
    expect((figures.renderHeatmapRow as (...a: unknown[]) => Buffer)(...heat({ label: 'x', centres: [-1e308, 1e308] })).length).toBeGreaterThan(0);

    const evaluation = CASES.renderActivationComparison!.args()[0] as Record<string, unknown>;
    await fails(() => figures.renderActivationComparison({ ...evaluation, estimated: new Proxy(new Uint8Array(6), {}) } as never), /^input\.estimated must be a Uint8Array/);
    await fails(() => figures.renderActivationComparison({ ...evaluation, labels: ['C4'] } as never), /^input\.labels must have one label per pitch \(2\), got 1/, RangeError);
    // The counts of evaluateActivations' result may come along.
    expect(figures.renderActivationComparison({ ...evaluation, truePositives: 1, falsePositives: 0, falseNegatives: 2 } as never).length).toBeGreaterThan(0);
    await fails(() => figures.renderFactorsFigure({ W: ones(6, 2), H: ones(2, 5), titles: { W: 'w', Wh: 'x' } } as never), /^unknown option input\.titles\.Wh/);
    await fails(() => figures.renderFactorsFigure({ W: ones(6, 2), H: ones(2, 5), componentLabels: ['a', 2] } as never), /^input\.componentLabels\[1\] must be a string/);
    await fails(() => figures.product({ rows: 100000, cols: 1, data: new Float64Array(100000) }, { rows: 1, cols: 100000, data: new Float64Array(100000) }), /^W·H is too large/, RangeError);
  });

  it('colormaps: a fresh table for each call, a frozen list of names', () => {
    const table = figures.colormapTable('viridis');
    table.fill(0);
    expect(Array.from(figures.colormapTable('viridis').subarray(0, 3))).toEqual([68, 1, 84]);
    expect(Object.isFrozen(figures.COLORMAPS)).toBe(true);
    expect(() => figures.colormapTable('constructor' as never)).toThrow(/^name must be one of 'viridis'/);
  });

  it('pitch arithmetic refuses what has no pitch', async () => {
    await fails(() => nmfkit.hzToMidi(0), /^frequency must be a finite number > 0, got 0/, RangeError);
    await fails(() => nmfkit.pitchName(NaN), /^pitch must be a finite number, got NaN/, RangeError);
    await fails(() => nmfkit.midiToHz(69, -440), /^tuning must be a finite number > 0/, RangeError);
    await fails(() => nmfkit.windowFunction('kaiser' as never, 8), /^name must be one of 'hann'/, RangeError);
  });
});

describe('exports added later', () => {
  /** The parameter names in a function's source, for checking that a message names one of them. */
  const parameters = (f: (...a: unknown[]) => unknown): string[] => {
    const list = /^[^(]*\(([^)]*)\)/.exec(Function.prototype.toString.call(f))?.[1] ?? '';
    return list.split(',').map((p) => p.replace(/=.*$/s, '').trim()).filter((p) => /^\w+$/.test(p));
  };

  /**
   * Every exported function but the fit's own — those added later, without cases above, too — is called with
   * every non-string hostile value (a string could name a file) in its first arguments and must return, or throw
   * (reject) a TypeError or RangeError whose message names one of its parameters: never let a getter's or proxy
   * trap's own exception through, never hang.
   */
  it('every other exported function returns, or throws/rejects a TypeError or RangeError naming a parameter', async () => {
    const others = Object.entries(EXPORTS).filter(([name, value]) => typeof value === 'function' && !CORE.has(name));
    for (const [name, value] of others) {
      const f = value as (...a: unknown[]) => unknown;
      const names = parameters(f);
      for (const [what, make] of JUNK.filter(([w]) => w !== 'a string')) {
        for (const args of [[make()], [make(), make()], [{ rank: 1 }, make()]]) {
          let error: unknown;
          try {
            const result = f(...args);
            if (result instanceof Promise) {
              error = await Promise.race([
                result.then(() => undefined, (e: unknown) => e),
                new Promise((resolve) => setTimeout(() => resolve(new Error('hung for 5 s')), 5000)),
              ]);
            }
          } catch (e) {
            error = e;
          }
          if (error === undefined) continue;
          named(error, names.length > 0 ? new RegExp(`\\b(${names.join('|')})\\b`) : /./, `${name}(${what})`);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Below the facade: the backends check their own arguments.

interface RawFit {
  run(...args: unknown[]): number;
  runAsync(...args: unknown[]): Promise<number>;
  finish(...args: unknown[]): unknown;
  finishAsync(...args: unknown[]): Promise<unknown>;
  cancel(): void;
  dispose(): void;
}
interface RawAddon {
  Fit: new (...args: unknown[]) => RawFit;
  [name: string]: unknown;
}

describe.runIf(backendAvailable('native'))('the native glue (native/addon.cc), called directly', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const addon = createRequire(import.meta.url)('node-gyp-build')(root) as RawAddon;
  const f64 = (n: number): Float64Array => new Float64Array(n).fill(0.5);
  const good = (): unknown[] => [2, 3, 2, f64(6), f64(4), f64(6), 2 ** -23, 1e-3];

  const fails = (f: () => unknown, kind: typeof TypeError | typeof RangeError | typeof Error, message: RegExp): void => {
    const error = catchError(f);
    expect(error, String(message)).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
  };

  it('the constructor: wrong types, wrong lengths, absurd sizes (before any allocation), NaN numbers', () => {
    const names = ['rows', 'cols', 'rank', 'V', 'W', 'H', 'eps', 'tol'];
    for (let i = 0; i < 8; i++) {
      for (const [, make] of JUNK) {
        const args = good();
        args[i] = make();
        const error = catchError(() => new addon.Fit(...args));
        // Some junk is a valid number for eps or tol (2^53, 2.5); everything else is refused, naming the argument.
        if (error === undefined) {
          expect(i).toBeGreaterThanOrEqual(6);
          continue;
        }
        named(error, i < 3 ? new RegExp(`${names[i]}|too large`) : new RegExp(names[i]!), `Fit argument ${names[i]}`);
      }
    }
    fails(() => new addon.Fit(2, 3, 2, f64(5), f64(4), f64(6), 0, 0), RangeError, /V has length 5, expected 6/);
    fails(() => new addon.Fit(2, 3, 2, new Float32Array(6), f64(4), f64(6), 0, 0), TypeError, /V must be a Float64Array/);
    fails(() => new addon.Fit(2, 3, 2, detachedFloat64Array(6), f64(4), f64(6), 0, 0), RangeError, /V has length 0/);
    fails(() => new addon.Fit(2, 3, 2, f64(6), f64(4), f64(6), NaN, 0), RangeError, /eps/);
    fails(() => new addon.Fit(2, 3, 2, f64(6), f64(4), f64(6), 0, NaN), RangeError, /tol/);
    // Sizes before arrays: nothing is allocated for a shape whose buffers overflow the address space.
    const before = process.memoryUsage().rss;
    fails(() => new addon.Fit(2 ** 30, 2 ** 30, 2 ** 30, f64(0), f64(0), f64(0), 0, 0), RangeError, /too large/);
    fails(() => new addon.Fit(2 ** 31 - 1, 2 ** 31 - 1, 1, f64(0), f64(0), f64(0), 0, 0), RangeError, /too large/);
    fails(() => new addon.Fit(2 ** 33, 1, 1, f64(0), f64(0), f64(0), 0, 0), RangeError, /too large|rows/);
    expect(rssGrowth(before)).toBeLessThan(16 * 2 ** 20);
    // Without `new`: an exception, not a crash.
    fails(() => (addon.Fit as unknown as (...a: unknown[]) => unknown)(...good()), TypeError, /./);
  });

  it('methods: wrong arguments, wrong receivers, use after dispose, buffers detached during runAsync', async () => {
    const fit = new addon.Fit(...good());
    const out = (): Float64Array => new Float64Array(8);
    for (const [, make] of JUNK) {
      for (const args of [[make(), out(), out(), 0], [1, make(), out(), 0], [1, out(), make(), 0], [1, out(), out(), make()]]) {
        const error = catchError(() => fit.run(...args));
        if (error === undefined) continue; // 2.5 → RangeError; but e.g. 2^31 steps with 8 slots is a length error too
        expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
      }
    }
    fails(() => fit.run(4, out().subarray(0, 3), out(), 0), RangeError, /hChange has length 3 but offset \+ steps = 4/);
    fails(() => fit.run(1, out(), out(), 2 ** 53), RangeError, /offset/);
    fails(() => fit.finish('bogus'), RangeError, /normalize/);
    fails(() => fit.finish(Symbol('x')), TypeError, /normalize/);
    // Wrong receivers: a plain object, undefined, an object with Fit's prototype that wraps nothing.
    const proto = Object.getPrototypeOf(fit) as Record<string, (...a: unknown[]) => unknown>;
    for (const method of ['run', 'runAsync', 'finish', 'finishAsync', 'cancel', 'dispose']) {
      for (const receiver of [{}, undefined, Object.create(proto), 42]) {
        const error = catchError(() => proto[method]!.call(receiver, 1, out(), out(), 0));
        expect(error, `${method} on ${String(receiver)}`).toBeInstanceOf(Error);
      }
    }
    // Detaching the output arrays while runAsync runs: the result is refused, nothing is written.
    const h = out();
    const w = out();
    const pending = fit.runAsync(4, h, w, 0);
    structuredClone(h.buffer, { transfer: [h.buffer] });
    await expect(pending).rejects.toThrow(/detached/);
    // Busy, finished and disposed fits refuse work instead of touching freed memory.
    const busy = fit.runAsync(1, out(), out(), 0);
    fails(() => fit.run(1, out(), out(), 0), Error, /busy/);
    await busy;
    fit.finish('none');
    fails(() => fit.run(1, out(), out(), 0), Error, /finished/);
    fit.dispose();
    fit.dispose();
    fit.cancel();
    fails(() => fit.run(1, out(), out(), 0), Error, /disposed/);
    fails(() => fit.finish('none'), Error, /disposed/);
    fails(() => fit.runAsync(1, out(), out(), 0), Error, /disposed/);
  });

  it('the algorithm object (FitAlgorithm): junk, fields of the wrong type or out of range, throwing reads', () => {
    const base = { beta: 2, solver: 'mu', l1W: 0, l2W: 0, l1H: 0, l2H: 0, updateW: true, updateH: true, stop: 'change', errorEvery: 1 };
    const make = (algorithm: unknown): RawFit => new addon.Fit(...good(), 'float64', 'auto', 0, algorithm);
    for (const [what, junk] of JUNK) named(catchError(() => make(junk())), /algorithm/, `algorithm ${what}`);
    const bad: [unknown, typeof TypeError | typeof RangeError, RegExp][] = [
      [{}, TypeError, /algorithm\.beta/],
      [{ ...base, beta: NaN }, RangeError, /beta/],
      [{ ...base, beta: '2' }, TypeError, /beta/],
      [{ ...base, solver: 'cd' }, RangeError, /solver/],
      [{ ...base, solver: 1 }, TypeError, /solver/],
      [{ ...base, l1W: -1 }, RangeError, /l1W/],
      [{ ...base, l2H: Infinity }, RangeError, /l2H/],
      [{ ...base, updateW: 1 }, TypeError, /updateW/],
      [{ ...base, updateW: false, updateH: false }, RangeError, /both be false/],
      [{ ...base, fixedColumnsW: [0] }, TypeError, /fixedColumnsW/],
      [{ ...base, fixedColumnsW: new Uint8Array(3) }, RangeError, /fixedColumnsW has length 3/],
      [{ ...base, fixedColumnsW: new Uint8Array([0, 2]) }, RangeError, /0 or 1/],
      [{ ...base, mask: new Float32Array(6) }, TypeError, /mask/],
      [{ ...base, mask: new Float64Array(5) }, RangeError, /mask has length 5/],
      [{ ...base, mask: new Float64Array([1, 1, 1, 1, 1, 1.5]) }, RangeError, /\[0, 1\]/],
      [{ ...base, mask: new Float64Array([1, 1, 1, 1, 1, NaN]) }, RangeError, /\[0, 1\]/],
      [{ ...base, solver: 'hals', beta: 1 }, RangeError, /hals/],
      [{ ...base, solver: 'hals', mask: f64(6) }, RangeError, /hals/],
      [{ ...base, stop: 'never' }, RangeError, /stop/],
      [{ ...base, errorEvery: 0 }, RangeError, /errorEvery/],
      [{ ...base, errorEvery: 1.5 }, RangeError, /errorEvery/],
      [{ ...base, errorEvery: '1' }, TypeError, /errorEvery/],
      [{ ...base, get beta(): number { throw new Error('getter'); } }, TypeError, /algorithm\.beta could not be read: getter/],
      [new Proxy({}, { get: () => { throw new RangeError('trap'); } }), TypeError, /algorithm\.beta could not be read: trap/],
    ];
    for (const [algorithm, kind, message] of bad) fails(() => make(algorithm), kind, message);
    // A getter that detaches the mask's buffer before the mask is read: its length check sees the detached array.
    const mask = f64(6);
    const detaching = { ...base, beta: 1, get stop(): string { structuredClone(mask.buffer, { transfer: [mask.buffer] }); return 'change'; }, mask };
    fails(() => make(detaching), RangeError, /mask/);
    // run's objective array: the wrong type, too short for offset + steps.
    const fit = make(base);
    fails(() => fit.run(2, f64(4), f64(4), 0, new Float32Array(4)), TypeError, /objective/);
    fails(() => fit.run(4, f64(5), f64(5), 1, f64(4)), RangeError, /objective/);
    expect(fit.run(2, f64(4), f64(4), 0, undefined)).toBeGreaterThan(0);
    fit.dispose();
  });

  it('a fit disposed or dropped while runAsync is pending finishes safely', async () => {
    for (let i = 0; i < 50; i++) {
      const fit = new addon.Fit(20, 30, 4, f64(600), f64(80), f64(120), 2 ** -23, 0);
      const pending = fit.runAsync(200, new Float64Array(200), new Float64Array(200), 0);
      if (i % 2) fit.dispose();
      else fit.cancel();
      const done = await pending;
      expect(done).toBeLessThanOrEqual(200);
    }
  });

  it('the other exports refuse hostile arguments', () => {
    for (const [name, value] of Object.entries(addon)) {
      if (typeof value !== 'function' || name === 'Fit') continue;
      for (const [what, make] of JUNK) {
        const error = catchError(() => (value as (...a: unknown[]) => unknown)(make(), make(), make(), make(), make()));
        if (name === 'blasInfo') {
          expect(error, `blasInfo(${what})`).toBeUndefined();
          continue;
        }
        if (error !== undefined) expect(error instanceof TypeError || error instanceof RangeError, `${name}(${what}): ${String(error)}`).toBe(true);
      }
    }
    fails(() => (addon.setBlasThreads as (n: unknown) => void)(0), RangeError, /threads/);
    fails(() => (addon.setBlasThreads as (n: unknown) => void)(1e6), RangeError, /threads/);
  });
});

describe.runIf(backendAvailable('wasm'))('the wasm backend (src/backends/wasm.ts), called directly', () => {
  const backend = createWasmBackend(compileWasmFileSync(WASM_URL)!);
  const problem = (rows: number, cols: number, rank: number) => ({
    rows,
    cols,
    rank,
    V: new Float64Array(0),
    W: new Float64Array(0),
    H: new Float64Array(0),
    eps: 2 ** -23,
    tol: 0,
  });

  it('sizes beyond its 4 GiB memory are a RangeError before anything is allocated', () => {
    const before = backend.details().memoryBytes!;
    for (const [K, N, R] of [[65536, 65536, 1], [1, 1, 2 ** 31 - 1], [1, 1, 40000], [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1], [30000, 30000, 1]]) {
      const error = catchError(() => backend.createFit(problem(K!, N!, R!)));
      expect(error, `${K}×${N} rank ${R}`).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/4 GiB|memory|too large/);
    }
    expect(backend.details().memoryBytes).toBe(before);
  });

  it('dimensions that are not positive integers, and arrays of the wrong length', () => {
    for (const [K, N, R] of [[0, 1, 1], [1, -1, 1], [1, 1, 1.5], [NaN, 1, 1], [2 ** 31, 1, 1]]) {
      expect(() => backend.createFit(problem(K!, N!, R!))).toThrow(RangeError);
    }
    expect(() => backend.createFit({ ...problem(2, 2, 1), V: new Float64Array(3), W: new Float64Array(2), H: new Float64Array(2) })).toThrow(RangeError);
  });
});
