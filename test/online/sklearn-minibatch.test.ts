/**
 * The online solver against scikit-learn 1.2's MiniBatchNMF (fixtures by scripts/make-online-fixtures.py):
 * `fit` / `fitTransform` with solver 'minibatch' from given W0 and H0 (Euclidean and KL, fresh restarts off and
 * on, a penalty on the activations, early stopping by tol and by lack of improvement), `transform`, and sequences
 * of `partialFit` from a given dictionary with each chunk's batch cost (through nmfStream) — on the native backend
 * at 1 and 2 threads and on WebAssembly, to ~1e-9.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NMF, nmfStream } from '../../src/index.js';
import { backendAvailable } from '../support/helpers.js';

interface FixtureMatrix {
  rows: number;
  cols: number;
  data: number[];
}
interface Case {
  name: string;
  loss: 'frobenius' | 'kullback-leibler';
  batchSize: number;
  forgetFactor: number;
  freshRestarts: boolean;
  freshRestartsMaxIter: number;
  maxNoImprovement: number;
  tol: number;
  maxIter: number;
  alphaActivations: number;
  l1Ratio: number;
  fit: { W: FixtureMatrix; H: FixtureMatrix; nIter: number; nSteps: number; costs: number[]; transform: FixtureMatrix };
  partial: { W: FixtureMatrix; cost: number }[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/online/minibatch.json', import.meta.url), 'utf8')) as {
  V: FixtureMatrix;
  V2: FixtureMatrix;
  W0: FixtureMatrix;
  H0: FixtureMatrix;
  chunks: number[];
  cases: Case[];
};
const { V, V2, W0, H0 } = fixture;
const K = V.rows;

/** max |a − b| / max |b|. */
function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

/** The columns start … end − 1 of V. */
function columns(start: number, end: number): FixtureMatrix {
  const data: number[] = [];
  for (let k = 0; k < K; k++) data.push(...V.data.slice(k * V.cols + start, k * V.cols + end));
  return { rows: K, cols: end - start, data };
}

/** nmfkit's options for a case: scikit-learn's alpha_W on its W (our H) is l1H = K·α·l1_ratio, l2H = K·α·(1 − l1_ratio). */
function optionsOf(c: Case, backend: 'native' | 'wasm', threads: number) {
  return {
    rank: W0.cols,
    solver: 'minibatch' as const,
    loss: c.loss === 'frobenius' ? ('euclidean' as const) : ('kl' as const),
    // The denominators of scikit-learn's MU have no eps: 0 for β = 2, a negligible one (it must be > 0) for KL.
    eps: c.loss === 'frobenius' ? 0 : 1e-300,
    batchSize: c.batchSize,
    forgetFactor: c.forgetFactor,
    freshRestarts: c.freshRestarts,
    freshRestartsMaxIter: c.freshRestartsMaxIter,
    maxNoImprovement: c.maxNoImprovement,
    tol: c.tol,
    maxIter: c.maxIter,
    l1H: K * c.alphaActivations * c.l1Ratio,
    l2H: K * c.alphaActivations * (1 - c.l1Ratio),
    backend,
    threads: backend === 'native' ? threads : undefined,
  };
}

const RUNS = [
  { backend: 'native', threads: 1 },
  { backend: 'native', threads: 2 },
  { backend: 'wasm', threads: 1 },
] as const;
const TOL = 1e-9;

describe.each(RUNS.filter((run) => backendAvailable(run.backend)))('$backend at $threads thread(s)', ({ backend, threads }) => {
  describe.each(fixture.cases)('$name', (c) => {
    it('fit matches MiniBatchNMF.fit_transform: W, H, epochs, and transform', () => {
      const model = new NMF(optionsOf(c, backend, threads));
      const H = model.fitTransform(V, { W: W0, H: H0 });
      expect(relativeDifference(model.components.data, c.fit.W.data)).toBeLessThan(TOL);
      expect(relativeDifference(H.data, c.fit.H.data)).toBeLessThan(TOL);
      expect(model.nIter).toBe(c.fit.nIter);
      expect(model.stopReason).toBe(c.fit.nSteps < c.maxIter * Math.ceil(V.cols / c.batchSize) ? 'tol' : 'maxIter');
      expect(relativeDifference(model.transform(V2).data, c.fit.transform.data)).toBeLessThan(TOL);
    });

    it('fitAsync gives the same model', async () => {
      const sync = new NMF(optionsOf(c, backend, threads)).fit(V, { W: W0, H: H0 });
      const model = await new NMF(optionsOf(c, backend, threads)).fitAsync(V, { W: W0, H: H0 });
      expect(Array.from(model.components.data)).toEqual(Array.from(sync.components.data));
    });

    it('partialFit over chunks matches MiniBatchNMF.partial_fit, and nmfStream reports its batch costs', async () => {
      const sync = new NMF(optionsOf(c, backend, threads));
      const chunks: FixtureMatrix[] = [];
      let start = 0;
      for (const size of fixture.chunks) {
        chunks.push(columns(start, start + size));
        start += size;
      }
      chunks.forEach((chunk, i) => {
        sync.partialFit(chunk, { W: W0 });
        expect(relativeDifference(sync.components.data, c.partial[i]!.W.data)).toBeLessThan(TOL);
      });
      const seen: number[] = [];
      const asyncModel = new NMF(optionsOf(c, backend, threads));
      for (const [i, chunk] of chunks.entries()) {
        await asyncModel.partialFitAsync(chunk, { W: W0 });
        expect(relativeDifference(asyncModel.components.data, c.partial[i]!.W.data)).toBeLessThan(TOL);
      }
      expect(Array.from(asyncModel.components.data)).toEqual(Array.from(sync.components.data));
      for await (const progress of nmfStream(chunks, { ...optionsOf(c, backend, threads), W: W0 })) {
        expect(progress.chunk).toBe(seen.length);
        seen.push(progress.cost);
        expect(relativeDifference(progress.model.components.data, c.partial[progress.chunk]!.W.data)).toBeLessThan(TOL);
      }
      expect(
        relativeDifference(
          seen,
          c.partial.map((p) => p.cost),
        ),
      ).toBeLessThan(TOL);
    });
  });
});
