/**
 * The copies an async fit takes when it is called (large ones in the native backend's own memory): the fit sees V
 * and the mask as they were at the call, whatever the caller does to its arrays afterwards, and equals nmfSync.
 */
import { describe, expect, it } from 'vitest';
import { nmf, nmfSync, type NmfOptions } from '../../src/index.js';
import { BACKENDS, backendAvailable, randomMatrix } from '../support/helpers.js';

// 1024×600 = 614,400 entries: above the 2^19 from which the native backend's memory holds the copy.
const K = 1024;
const N = 600;

describe.each(BACKENDS)('nmf copies V and the mask when called, on %s', (backend) => {
  it.runIf(backendAvailable(backend))('changing them after the call changes nothing; the result equals nmfSync', async () => {
    const V = randomMatrix(K, N, 11);
    const mask = { rows: K, cols: N, data: new Float64Array(K * N).map((_, k) => (k % 7 === 0 ? 0 : 1)) };
    for (const extra of [{}, { mask }]) {
      const options: NmfOptions = { rank: 3, maxIter: 4, seed: 2, backend, spectralError: false, ...extra };
      const expected = nmfSync(V, options);
      const saved = V.data.slice();
      const pending = nmf(V, options);
      V.data.fill(1e6); // after the call: must not reach the fit
      mask.data.fill(1);
      const got = await pending;
      V.data.set(saved);
      mask.data.forEach((_, k) => (mask.data[k] = k % 7 === 0 ? 0 : 1));
      expect(got.W.data).toEqual(expected.W.data);
      expect(got.H.data).toEqual(expected.H.data);
      expect(got.frobeniusError).toBe(expected.frobeniusError);
    }
  });
});
