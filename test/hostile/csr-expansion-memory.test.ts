/**
 * A CSR V whose fit needs every entry (a β other than Euclidean or KL, or the spectral error) is expanded to the
 * dense V with the same entries, and that expansion comes after the fit's memory check: a fit too large for memory
 * is refused with NMFKIT_TOO_LARGE naming options.rank before the K×N array exists. Both entries, both backends,
 * nmfSync and nmf.
 */
import { describe, expect, it } from 'vitest';
import { limitMemory } from '../../src/validate.js';
import { ENTRIES } from './entries.js';
import { rssGrowth } from './hostile-values.js';

// The Node entry plans on the machine's memory: held at 12 GiB here, the WebAssembly-only entry's most, so that the
// refusal does not depend on the test machine. The dense V below (1.8 GB as float64) fits under it on its own; the
// fit at rank 30000 (V, W, H and the backend's copies: at least 12.6 GiB) does not.
limitMemory(12 * 2 ** 30, (size) => `the test's ${size}`);

const K = 15000;
const N = 15000;
/** A 15000×15000 CSR V with one stored entry. */
function sparseV(): object {
  const indptr = new Int32Array(K + 1).fill(1);
  indptr[0] = 0;
  return { format: 'csr', rows: K, cols: N, indptr, indices: Int32Array.of(7), data: Float64Array.of(2) };
}

function refusal(error: unknown, what: string): void {
  expect(error, what).toBeInstanceOf(RangeError);
  expect((error as { code?: unknown }).code, what).toBe('NMFKIT_TOO_LARGE');
  expect((error as Error).message, what).toMatch(/^options\.rank = 30000 with a 15000×15000 V needs at least/);
}

describe.each(ENTRIES)('a CSR V expanded densely, on the $name entry', (entry) => {
  describe.each(entry.backends)('%s backend', (backend) => {
    it.each([
      ['β 1.5', { loss: 1.5 }],
      ['the spectral error', { spectralError: true }],
    ])('with %s: a fit too large for memory is refused before the expansion', async (_what, extra) => {
      if (!entry.available(backend)) return;
      const options = { rank: 30000, maxIter: 1, seed: 1, init: 'random', backend, ...extra };
      // The dense V would be 1.8 GB: as array buffers allocated (the sync path's zeroed pages need not be touched,
      // so its resident memory need not show them) and resident (the async path fills its allocation).
      const arrayBuffers = (): number => process.memoryUsage().arrayBuffers;
      const before = process.memoryUsage().rss;
      const buffersBefore = arrayBuffers();
      let syncError: unknown;
      try {
        entry.nmfSync(sparseV() as never, options as never);
      } catch (error) {
        syncError = error;
      }
      expect(arrayBuffers() - buffersBefore).toBeLessThan(256 * 2 ** 20);
      refusal(syncError, 'nmfSync');
      const asyncError = await entry.nmf(sparseV() as never, options as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(arrayBuffers() - buffersBefore).toBeLessThan(256 * 2 ** 20);
      refusal(asyncError, 'nmf');
      expect(rssGrowth(before)).toBeLessThan(256 * 2 ** 20);
    });
  });
});
