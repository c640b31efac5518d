/**
 * Hostile arguments to the entry's settings — setThreads, backendInfo and ready — on both entries (./entries.ts):
 * every hostile value is a TypeError or RangeError naming what it was given as, and changes nothing; a getter or
 * proxy trap that throws is a TypeError naming the setting or option; options are read once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ENTRIES } from './entries.js';
import { boom, catchError, JUNK, named, outcome, PLAUSIBLE } from './hostile-values.js';

/** The options of ready(). */
const READY_OPTIONS = ['module', 'url', 'maxMemoryBytes', 'workers'] as const;

describe.each(ENTRIES)('$name entry: setThreads, backendInfo, ready', (entry) => {
  const { backendInfo, ready, setThreads } = entry;
  const initial = backendInfo().threads as Record<string, number>;
  /** The thread settings as setThreads takes them. */
  const settings = (threads: Record<string, number>): Record<string, number> =>
    Object.fromEntries(entry.threadKeys.map((key) => [key, threads[key]!]));
  const restore = (): unknown => setThreads(settings(initial) as never);
  afterAll(restore);

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
        if (what === '42') expect((backendInfo().threads as { fits: number }).fits).toBe(42);
        else expect(backendInfo().threads).toEqual(initial);
        restore();
        continue;
      }
      named(error, /threads/, `setThreads(${what})`);
      expect(backendInfo().threads).toEqual(initial);
    }
    for (const key of entry.threadKeys) {
      for (const [, make] of JUNK)
        named(
          catchError(() => setThreads({ [key]: make() } as never)),
          new RegExp(`threads\\.${key}`),
          `setThreads({ ${key} })`,
        );
      named(
        catchError(() => setThreads(Object.defineProperty({}, key, { get: boom(key), enumerable: true }) as never)),
        new RegExp(`threads\\.${key} could not be read`),
        key,
      );
      // The same through a proxy's get trap.
      const proxy = new Proxy({ [key]: 1 }, { get: (target, k) => (k === key ? boom(`${key} trap`)() : Reflect.get(target, k)) });
      named(
        catchError(() => setThreads(proxy as never)),
        new RegExp(`threads\\.${key} could not be read: Error: hostile ${key} trap`),
        `${key} proxy`,
      );
      expect((catchError(() => setThreads(proxy as never)) as Error).name).toBe('TypeError');
    }
    named(
      catchError(() => setThreads({ fits: 1025 } as never)),
      /threads\.fits must be at most 1024/,
      'fits 1025',
    );
    if (entry.threadKeys.includes('blasThreads')) {
      named(
        catchError(() => setThreads({ blasThreads: 257 } as never)),
        /threads\.blasThreads must be at most 256/,
        'blasThreads 257',
      );
    } else {
      // An entry without a native backend has no BLAS threads to set: the key is unknown, like any typo.
      named(
        catchError(() => setThreads({ blasThreads: 2 } as never)),
        /^unknown option threads\.blasThreads/,
        'blasThreads',
      );
    }
    named(
      catchError(() => setThreads({ fits: 2, cores: 1 } as never)),
      /unknown option threads\.cores/,
      'unknown key',
    );
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

  it('ready rejects every hostile value as its options with a TypeError/RangeError, and resolves without options', async () => {
    await expect(ready()).resolves.toBeUndefined();
    await expect(ready(undefined)).resolves.toBeUndefined();
    await expect(ready({})).resolves.toBeUndefined();
    for (const [what, make] of JUNK) {
      const error = await outcome(() => ready(make()), true);
      named(error, /ready\(\)|options/, `ready(${what})`);
    }
    // A module where `{ module }` was meant is not taken for empty options.
    const module = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    named(
      await outcome(() => ready(module), true),
      /^options must be .*got a WebAssembly\.Module \(pass it as \{ module \}\)/,
      'ready(module)',
    );
  });

  it('ready: every option, as every hostile value, is rejected naming it (or, loaded, as a change it cannot make)', async () => {
    for (const key of READY_OPTIONS) {
      for (const [what, make] of JUNK) {
        if (what === 'true' && key === 'workers' && entry.name === 'node') continue; // the setting in force
        const error = await outcome(() => ready({ [key]: make() }), true);
        named(error, new RegExp(`options\\.${key}\\b`), `ready({ ${key}: ${what} })`);
      }
      for (const [what, make] of PLAUSIBLE) {
        const error = await outcome(() => ready({ [key]: make() }), true);
        if (error !== undefined) named(error, new RegExp(`options\\.${key}\\b`), `ready({ ${key}: ${what} })`);
      }
    }
    // Values of the right kind that differ from the loaded backend's: a RangeError saying they cannot change now.
    // (Where fits already run inline — the WebAssembly-only entry in Node, which has no Worker — workers: false is no change.)
    const workersInForce = entry.name === 'node';
    for (const options of [
      { maxMemoryBytes: 2 ** 22 },
      ...(workersInForce ? [{ workers: false }] : []),
      { url: 'https://example.invalid/nmfkit.wasm' },
    ]) {
      const error = await outcome(() => ready(options), true);
      const [key] = Object.keys(options);
      named(
        error,
        new RegExp(`^options\\.${key}: .*cannot change once the WebAssembly backend is loaded`),
        `ready(${JSON.stringify(options)})`,
      );
      expect(error).toBeInstanceOf(RangeError);
    }
  });

  it('ready: a getter or proxy trap that throws is a TypeError naming the option; unknown options are refused; each read once', async () => {
    for (const key of READY_OPTIONS) {
      const getter = Object.defineProperty({}, key, { get: boom(key), enumerable: true });
      const proxy = new Proxy({ [key]: 1 }, { get: (target, k) => (k === key ? boom(key)() : Reflect.get(target, k)) });
      for (const [what, options] of [
        ['getter', getter],
        ['proxy', proxy],
      ] as const) {
        const error = await outcome(() => ready(options), true);
        named(error, new RegExp(`^options\\.${key} could not be read: Error: hostile ${key}`), `ready ${what} ${key}`);
        expect((error as Error).name).toBe('TypeError');
      }
    }
    for (const bad of [{ maxMemory: 1 }, { [Symbol('s')]: 1 }]) {
      const error = await outcome(() => ready(bad), true);
      named(error, /^unknown option options\.(maxMemory|Symbol\(s\))/, 'ready unknown option');
      expect((error as Error).name).toBe('TypeError');
    }
    const reads = new Map<string, number>();
    // The cap in force: valid, and no change.
    const { maxMemoryBytes } = entry.backendInfo().wasm as unknown as { maxMemoryBytes: number };
    const counted = new Proxy(
      { maxMemoryBytes },
      {
        get(target, key, receiver) {
          if (typeof key === 'string') reads.set(key, (reads.get(key) ?? 0) + 1);
          return Reflect.get(target, key, receiver);
        },
      },
    );
    await expect(ready(counted)).resolves.toBeUndefined();
    for (const [key, count] of reads) expect(count, key).toBe(1);
    expect(reads.get('maxMemoryBytes')).toBe(1);
  });
});
