/**
 * Options and matrices are read as own properties only (docs/guarantees.md): what a prototype carries — an
 * option planted on Object.prototype, an index on Array.prototype filling a hole — never changes a fit, on every
 * entry and backend, for nmfSync, nmf and nmfBatch alike. Each case plants the property, checks, and removes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MatrixInput } from '../../src/index.js';
import { ENTRIES, V } from './entries.js';

const planted: [object, PropertyKey][] = [];
function plant(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, configurable: true, writable: true, enumerable: false });
  planted.push([target, key]);
}
afterEach(() => {
  for (const [target, key] of planted.splice(0)) delete (target as Record<PropertyKey, unknown>)[key];
});

const CASES = ENTRIES.flatMap((entry) =>
  entry.backends.filter((b) => entry.available(b)).map((backend) => [entry.name, backend, entry] as const),
);

describe.each(CASES)('%s entry, %s: polluted prototypes', (_name, backend, entry) => {
  const { nmfSync, nmf, nmfBatch } = entry;
  const OPTIONS = { rank: 2, maxIter: 7, tol: 0, seed: 4, backend };
  const clean = () => nmfSync(V, OPTIONS);

  it('options planted on Object.prototype are not options', async () => {
    const expected = clean();
    plant(Object.prototype, 'maxIter', 0);
    plant(Object.prototype, 'W', [
      [0, 0],
      [0, 0],
    ]);
    plant(Object.prototype, 'onIteration', () => {
      throw new Error('planted callback ran');
    });
    plant(Object.prototype, 'loss', 'kl');
    plant(Object.prototype, 'normalize', 'bogus');
    const sync = nmfSync(V, OPTIONS);
    expect(sync.iterations).toBe(7);
    expect(Array.from(sync.W.data)).toEqual(Array.from(expected.W.data));
    expect(Array.from((await nmf(V, OPTIONS)).W.data)).toEqual(Array.from(expected.W.data));
    const [batched] = await nmfBatch([V], OPTIONS);
    expect(Array.from(batched!.W.data)).toEqual(Array.from(expected.W.data));
  });

  it('an inherited option (an options object with a prototype) is ignored alike by nmf and nmfBatch', async () => {
    const expected = clean();
    const inherited = Object.assign(Object.create({ maxIter: 0 }), OPTIONS);
    expect(nmfSync(V, inherited).iterations).toBe(7);
    expect((await nmf(V, inherited)).iterations).toBe(7);
    expect((await nmfBatch([V], inherited))[0]!.iterations).toBe(7);
    expect(Array.from(nmfSync(V, inherited).H.data)).toEqual(Array.from(expected.H.data));
  });

  it('an own "__proto__" key (as JSON.parse makes) is an unknown option in nmfSync, nmf and nmfBatch alike', async () => {
    const options = JSON.parse(`{"rank": 2, "maxIter": 3, "backend": "${backend}", "__proto__": {"maxIter": 0}}`) as typeof OPTIONS;
    expect(() => nmfSync(V, options)).toThrow(/unknown option options\.__proto__/);
    await expect(nmf(V, options)).rejects.toThrow(/unknown option options\.__proto__/);
    await expect(nmfBatch([V], options)).rejects.toThrow(/unknown option options\.__proto__/);
  });

  it('matrix fields and array holes are never filled from a prototype', () => {
    plant(Object.prototype, 'rows', 2);
    plant(Object.prototype, 'cols', 3);
    expect(() => nmfSync({ data: [1, 2, 3, 4, 5, 6] } as unknown as MatrixInput, OPTIONS)).toThrow(TypeError);
    plant(Array.prototype, 1, 5);
    const holed = [1, 2, 3, 4, 5, 6];
    delete holed[1];
    expect(() => nmfSync({ rows: 2, cols: 3, data: holed } as unknown as MatrixInput, OPTIONS)).toThrow(
      /data\[1\].*must be a number, got undefined/,
    );
    const holedRow = [1, 2, 3];
    delete holedRow[1];
    const holedRows = [holedRow, [4, 5, 6]] as unknown as MatrixInput;
    expect(() => nmfSync(holedRows, OPTIONS)).toThrow(/\[0\]\[1\].*must be a number, got undefined/);
    // A dense matrix is read as usual.
    expect(nmfSync({ rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] }, OPTIONS).iterations).toBe(7);
  });
});
