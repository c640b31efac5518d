/**
 * scikit-learn 1.2's sklearn/decomposition/tests/test_nmf.py translated to nmfkit, on both backends: each `describe`
 * is one scikit-learn test (its name), each assertion the scikit-learn one or, where nmfkit's contract differs, the
 * adaptation test/sklearn/README.md states. The data are scikit-learn's (made by the test's own numpy RandomState
 * calls) and its numbers come from scripts/sklearn-fixtures.py (test/fixtures/sklearn-suite/test_nmf.json).
 *
 * Orientation: scikit-learn's X ≈ W·H is nmfkit's V for nmfSync (the same W and H); the NMF estimator takes samples
 * as columns, so it is given Xᵀ and its H is scikit-learn's W transposed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NMF, nmfSync, type FactorArray, type Matrix, type NmfOptions } from '../../src/index.js';
import { BACKENDS, backendAvailable } from '../support/helpers.js';

interface FixtureMatrix {
  rows: number;
  cols: number;
  data: number[];
}
interface Fixture {
  sklearnVersion: string;
  data: Record<string, FixtureMatrix>;
  customInit: { X: FixtureMatrix; W: FixtureMatrix; H: FixtureMatrix };
  betaDivergence: { X: FixtureMatrix; W: FixtureMatrix; H: FixtureMatrix; cases: { beta: number; sklearn: number; dense: number }[] };
  underflow: { X: FixtureMatrix; W: FixtureMatrix; H: FixtureMatrix; zero: number; tiny: number };
  muContinuity: {
    X: FixtureMatrix;
    W0: FixtureMatrix;
    H0: FixtureMatrix;
    alpha: number;
    l1Ratio: number;
    iterations: number;
    cases: { beta: number; sklearnGap: number }[];
  };
  decreasing: {
    X: FixtureMatrix;
    W0: FixtureMatrix;
    H0: FixtureMatrix;
    cdTrajectories: { alpha: number; l1Ratio: number; steps: { W: FixtureMatrix; H: FixtureMatrix }[] }[];
  };
  float32: {
    X: FixtureMatrix;
    solvers: Record<'cd' | 'mu', { maxAbs: number; iterations: number }>;
    dense: { V: FixtureMatrix; W0: FixtureMatrix; H0: FixtureMatrix; cases: { iterations: number; W: number; H: number }[] };
  };
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/sklearn-suite/test_nmf.json', import.meta.url), 'utf8')) as Fixture;
const { data } = fixture;

const transpose = (m: FixtureMatrix | Matrix): Matrix => {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j]!;
  return { rows: m.cols, cols: m.rows, data: out };
};
const product = (W: Matrix | FixtureMatrix, H: Matrix | FixtureMatrix): Float64Array => {
  const out = new Float64Array(W.rows * H.cols);
  for (let i = 0; i < W.rows; i++)
    for (let r = 0; r < W.cols; r++)
      for (let j = 0; j < H.cols; j++) out[i * H.cols + j]! += W.data[i * W.cols + r]! * H.data[r * H.cols + j]!;
  return out;
};
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
};
const norm = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));
const relative = (a: ArrayLike<number>, b: ArrayLike<number>): number => norm(Array.from(a, (x, k) => x - b[k]!)) / norm(b);
const nonNegative = (m: { data: ArrayLike<number> }): boolean => Array.from(m.data).every((x) => x >= 0);
const rangeErrorOf = (f: () => unknown): RangeError | undefined => {
  try {
    f();
  } catch (error) {
    if (error instanceof RangeError) return error;
    throw error;
  }
  return undefined;
};

/**
 * scikit-learn's penalties (`_compute_regularization`) for X (n_samples × n_features) as nmfKit's: l1W =
 * n_features·alpha_W·l1_ratio, l2W = n_features·alpha_W·(1 − l1_ratio), and for H n_samples·alpha_H; alpha_H
 * 'same' is alpha_W.
 */
function penalties(X: { rows: number; cols: number }, alphaW: number, alphaH: number | 'same', l1Ratio = 0): Partial<NmfOptions> {
  const aH = alphaH === 'same' ? alphaW : alphaH;
  return {
    l1W: X.cols * alphaW * l1Ratio,
    l2W: X.cols * alphaW * (1 - l1Ratio),
    l1H: X.rows * aH * l1Ratio,
    l2H: X.rows * aH * (1 - l1Ratio),
  };
}

/** scikit-learn's init=None: 'nndsvda' when the rank is at most min(n_samples, n_features), else 'random'. */
const defaultInit = (X: { rows: number; cols: number }, rank: number): 'nndsvda' | 'random' =>
  rank <= Math.min(X.rows, X.cols) ? 'nndsvda' : 'random';

/** scikit-learn's default tol, given where its test leaves tol at the default (nmfkit's default is 1e-3). */
const SKLEARN_TOL = 1e-4;

const SOLVERS = [
  ['cd', 'hals'],
  ['mu', 'mu'],
] as const;

it('the fixtures were made by scikit-learn 1.2', () => {
  expect(fixture.sklearnVersion).toMatch(/^1\.2\./);
});

describe.each(BACKENDS)('%s backend', (backend) => {
  describe.skipIf(!backendAvailable(backend))('test_nmf.py', () => {
    describe.each(SOLVERS)('solver %s', (_sklearn, solver) => {
      it('test_convergence_warning: a fit that reaches maxIter says so (stopReason)', () => {
        const r = nmfSync(
          [
            [1, 1],
            [1, 1],
          ],
          { rank: 2, maxIter: 1, solver, backend, seed: 0 },
        );
        expect(r.stopReason).toBe('maxIter');
        expect(
          new NMF({ rank: 2, maxIter: 1, solver, backend, seed: 0 }).fit([
            [1, 1],
            [1, 1],
          ]).stopReason,
        ).toBe('maxIter');
      });

      it('test_nmf_fit_nn_output: every init and penalty gives nonnegative factors', () => {
        const A = [1, 2, 3, 4, 5].map((i) => [5 - i, 5 + i]);
        const X = { rows: 5, cols: 2 };
        for (const init of [defaultInit(X, 2), 'nndsvd', 'nndsvda', 'nndsvdar', 'random'] as const) {
          for (const alphaW of [0, 1]) {
            for (const alphaH of [0, 1, 'same'] as const) {
              const model = new NMF({
                rank: 2,
                init,
                seed: 0,
                tol: SKLEARN_TOL,
                solver,
                backend,
                ...penalties(transpose({ ...X, data: A.flat() }), alphaW, alphaH),
              });
              const transformed = model.fitTransform(transpose({ ...X, data: A.flat() }));
              expect(nonNegative(model.components) && nonNegative(transformed), `${init} ${alphaW} ${alphaH}`).toBe(true);
            }
          }
        }
      });

      it('test_nmf_fit_close: rank 5 from NNDSVDar on 6×5 data fits to reconstructionErr < 0.1', () => {
        const model = new NMF({ rank: 5, init: 'nndsvdar', seed: 0, maxIter: 600, tol: SKLEARN_TOL, solver, backend });
        expect(model.fit(transpose(data.abs6x5!)).reconstructionErr).toBeLessThan(0.1);
      });

      it('test_nmf_transform: transform of the training data is close to fitTransform (atol 0.1)', () => {
        const V = transpose(data.abs6x5!);
        const model = new NMF({ rank: 3, init: 'random', seed: 0, tol: 1e-6, solver, backend });
        const ft = model.fitTransform(V);
        expect(maxAbsDiff(model.transform(V).data, ft.data)).toBeLessThan(0.1);
      });

      it('test_nmf_transform_custom_init: fit from given factors, then transform', () => {
        const { X, W, H } = fixture.customInit;
        const model = new NMF({ rank: 4, tol: 1e-3, solver, backend });
        // scikit-learn's W (samples × r) is the estimator's H transposed, its H the estimator's W transposed.
        model.fitTransform(transpose(X), { W: transpose(H), H: transpose(W) });
        const t = model.transform(transpose(X));
        expect([t.rows, t.cols]).toEqual([4, 6]);
        expect(nonNegative(t)).toBe(true);
      });

      it('test_nmf_inverse_transform: inverseTransform(fitTransform(V)) ≈ V to 2 decimals', () => {
        const V = transpose(data.inverse6x4!);
        const model = new NMF({ rank: 4, init: 'random', seed: 0, maxIter: 1000, tol: SKLEARN_TOL, solver, backend });
        expect(maxAbsDiff(model.inverseTransform(model.fitTransform(V)).data, V.data)).toBeLessThan(1.5e-2);
      });

      it('test_nmf_sparse_transform (dense): transform of the training data is close to fitTransform (atol 0.1)', () => {
        const V = transpose(data.sparseTransform3x2!);
        const model = new NMF({
          rank: 2,
          init: defaultInit(data.sparseTransform3x2!, 2),
          seed: 0,
          maxIter: 400,
          tol: SKLEARN_TOL,
          solver,
          backend,
        });
        const ft = model.fitTransform(V);
        expect(maxAbsDiff(model.transform(V).data, ft.data)).toBeLessThan(0.1);
      });

      it('test_non_negative_factorization_consistency: nmfSync and the estimator are the same fit', () => {
        const A = data.zeroColumns10x10!;
        for (const init of ['random', 'nndsvd'] as const) {
          for (const alphaW of [0, 1]) {
            for (const alphaH of [0, 1, 'same'] as const) {
              const options = { rank: 10, init, solver, maxIter: 500, seed: 1, tol: 1e-2, backend, ...penalties(A, alphaW, alphaH) };
              // The estimator's samples are A's columns (X = Aᵀ): its HALS updates H first, as scikit-learn's cd updates
              // its W (our Hᵀ) first.
              const direct = nmfSync(A, { ...options, halsOrder: 'h-first' });
              const model = new NMF(options);
              const label = `${init} ${alphaW} ${alphaH}`;
              expect(model.fitTransform(A).data, label).toEqual(direct.H.data);
              expect(model.components.data, label).toEqual(direct.W.data);
              // transform: W fixed, H from √(mean(V)/R), scikit-learn's update_H=False run with the same options.
              const mean = A.data.reduce((s, x) => s + x, 0) / A.data.length;
              const H = { rows: 10, cols: A.cols, data: new Float64Array(10 * A.cols).fill(Math.sqrt(mean / 10)) };
              const fixedW = nmfSync(A, { ...options, init: undefined, seed: undefined, W: model.components, H, updateW: false });
              expect(model.transform(A).data, label).toEqual(fixedW.H.data);
            }
          }
        }
      });

      it('test_nmf_regularization: L1 makes more zeros, L2 smaller norms', () => {
        const X = data.abs6x5!;
        const fit = (alpha: number, l1Ratio: number) =>
          nmfSync(X, {
            rank: 3,
            init: defaultInit(X, 3),
            seed: 42,
            tol: SKLEARN_TOL,
            solver,
            backend,
            ...penalties(X, alpha, 'same', l1Ratio),
          });
        const zeros = (m: Matrix<FactorArray>) => Array.from(m.data).filter((x) => x <= 2 ** -52).length;
        const l1 = fit(0.5, 1);
        const none = fit(0, 1);
        expect(zeros(l1.W)).toBeGreaterThan(zeros(none.W));
        expect(zeros(l1.H)).toBeGreaterThan(zeros(none.H));
        const l2 = fit(0.5, 0);
        const plain = fit(0, 0);
        expect(norm(plain.W.data) ** 2 + norm(plain.H.data) ** 2).toBeGreaterThan(norm(l2.W.data) ** 2 + norm(l2.H.data) ** 2);
      });

      it('test_nmf_float32_float64_consistency: float32 and float64 give scikit-learn’s W within 1e-5 (its iterations, its order)', () => {
        // In scikit-learn's update order, where a fit of rank = n_features is as sensitive to rounding as there: HALS
        // updates W first on X (scikit-learn's cd), MU updates H first, so on Xᵀ (scikit-learn's mu updates W first).
        // For as many iterations as scikit-learn ran: nmfkit's stop rule (docs/algorithms.md §6) runs longer.
        const X = fixture.float32.X;
        const { maxAbs, iterations } = fixture.float32.solvers[_sklearn];
        const options = { rank: 7, init: 'nndsvda', seed: 0, maxIter: iterations, stop: 'none', solver, backend } as const;
        const sklearnW = (V: Matrix | FixtureMatrix, dtype: 'float32' | 'float64'): Matrix<FactorArray> => {
          const r = nmfSync(V, { ...options, dtype });
          return solver === 'hals' ? r.W : r.H;
        };
        const V = solver === 'hals' ? X : transpose(X);
        const w32 = sklearnW(V, 'float32');
        const w64 = sklearnW(V, 'float64');
        expect(w32.data).toBeInstanceOf(Float32Array);
        expect(maxAbsDiff(w32.data, w64.data), `scikit-learn: ${maxAbs}`).toBeLessThan(1e-5);
      });

      it('test_nmf_dtype_match: float32 stays float32, integer data gives float64', () => {
        const X = data.abs20x15!;
        const V = transpose(X);
        const f32 = new NMF({ rank: 15, ...penalties(V, 1, 1), tol: 1e-2, seed: 0, solver, backend, dtype: 'float32' });
        expect(f32.fit({ ...V, data: Float32Array.from(V.data) }).transform(V).data).toBeInstanceOf(Float32Array);
        expect(f32.fitTransform(V).data).toBeInstanceOf(Float32Array);
        expect(f32.components.data).toBeInstanceOf(Float32Array);
        const ints = { ...V, data: Int32Array.from(V.data, (x) => Math.round(10 * x)) };
        const f64 = new NMF({ rank: 15, ...penalties(V, 1, 1), tol: 1e-2, seed: 0, solver, backend });
        expect(f64.fitTransform(ints).data).toBeInstanceOf(Float64Array);
        expect(f64.components.data).toBeInstanceOf(Float64Array);
      });
    });

    it('test_initialize_nn_output: every initialisation is nonnegative', () => {
      for (const init of ['random', 'nndsvd', 'nndsvda', 'nndsvdar'] as const) {
        const r = nmfSync(data.abs10x10!, { rank: 10, init, seed: 0, maxIter: 0, backend });
        expect(nonNegative(r.W) && nonNegative(r.H), init).toBe(true);
      }
    });

    it('test_parameter_checking: HALS with KL, negative data, NNDSVD above min(K, N) are RangeErrors', () => {
      const A = [
        [1, 1],
        [1, 1],
      ];
      expect(rangeErrorOf(() => nmfSync(A, { rank: 2, solver: 'hals', loss: 'kl', backend }))?.message).toMatch(
        /solver 'hals' is for the Euclidean loss/,
      );
      expect(
        rangeErrorOf(() =>
          nmfSync(
            [
              [-1, -1],
              [-1, -1],
            ],
            { rank: 2, backend },
          ),
        )?.message,
      ).toMatch(/^V must be finite and ≥ 0/);
      const model = new NMF({ rank: 2, tol: 0.1, backend }).fit(A);
      expect(
        rangeErrorOf(() =>
          model.transform([
            [-1, -1],
            [-1, -1],
          ]),
        )?.message,
      ).toMatch(/^V must be finite and ≥ 0/);
      for (const init of ['nndsvd', 'nndsvda', 'nndsvdar'] as const) {
        expect(rangeErrorOf(() => nmfSync(A, { rank: 3, init, backend }))?.message).toMatch(new RegExp(`init '${init}' needs rank ≤ min`));
        expect(rangeErrorOf(() => new NMF({ rank: 3, init, backend }).fit(A))?.message).toMatch(
          new RegExp(`init '${init}' needs rank ≤ min`),
        );
      }
    });

    it('test_initialize_close: the NNDSVD start is closer to V than its mean', () => {
      const A = data.abs10x10!;
      const r = nmfSync(A, { rank: 10, init: 'nndsvd', maxIter: 0, backend });
      const mean = A.data.reduce((s, x) => s + x, 0) / A.data.length;
      const error = norm(Array.from(product(r.W, r.H), (x, k) => x - A.data[k]!));
      expect(error).toBeLessThanOrEqual(norm(A.data.map((x) => x - mean)));
    });

    it('test_initialize_variants: NNDSVDa and NNDSVDar differ from NNDSVD only where it is zero', () => {
      const A = data.abs10x10!;
      const start = (init: 'nndsvd' | 'nndsvda' | 'nndsvdar') => nmfSync(A, { rank: 10, init, seed: 0, maxIter: 0, backend });
      const basic = start('nndsvd');
      for (const variant of [start('nndsvda'), start('nndsvdar')]) {
        for (const [ref, got] of [
          [basic.W, variant.W],
          [basic.H, variant.H],
        ] as const) {
          for (let k = 0; k < ref.data.length; k++)
            if (ref.data[k] !== 0) expect(Math.abs(got.data[k]! - ref.data[k]!)).toBeLessThan(1.5e-7);
        }
      }
    });

    it('test_nmf_true_reconstruction: KL MU recovers an exact product (reconstructionErr < 0.1; entries to 1e-6)', () => {
      const X = data.trueReconstruction!;
      const model = new NMF({
        rank: 5,
        loss: 'kl',
        solver: 'mu',
        maxIter: 1000,
        tol: SKLEARN_TOL,
        init: defaultInit(X, 5),
        seed: 0,
        backend,
      });
      const V = transpose(X);
      const H = model.fitTransform(V);
      expect(model.reconstructionErr).toBeLessThan(0.1);
      expect(maxAbsDiff(product(model.components, H), V.data)).toBeLessThan(1e-6);
    });

    it('test_n_components_greater_n_features: rank 15 on 30 samples of 10 features', () => {
      const model = new NMF({ rank: 15, init: defaultInit(data.abs30x10!, 15), seed: 0, tol: 1e-2, backend });
      expect(model.fit(transpose(data.abs30x10!)).components.cols).toBe(15);
    });

    it('test_non_negative_factorization_checking: negative or all-zero initial factors are RangeErrors naming them', () => {
      const A = [
        [1, 1],
        [1, 1],
      ];
      const minus = [
        [-1, -1],
        [-1, -1],
      ];
      expect(rangeErrorOf(() => nmfSync(A, { rank: 2, W: A, H: minus, backend }))?.message).toMatch(/^options\.H/);
      expect(rangeErrorOf(() => nmfSync(A, { rank: 2, W: minus, H: A, backend }))?.message).toMatch(/^options\.W/);
      expect(
        rangeErrorOf(() =>
          nmfSync(A, {
            rank: 2,
            W: A,
            H: [
              [0, 0],
              [0, 0],
            ],
            backend,
          }),
        )?.message,
      ).toMatch(/^options\.H is all zero/);
    });

    it('test_beta_divergence: the objective at given factors is scikit-learn’s β-divergence (7 decimals); β = 0 refuses zeros of V', () => {
      const { X, W, H, cases } = fixture.betaDivergence;
      for (const c of cases) {
        const options = { rank: 5, W, H, loss: c.beta, maxIter: 0, backend };
        if (c.beta <= 0) {
          expect(rangeErrorOf(() => nmfSync(X, options))?.message).toMatch(/^V has a zero/);
          continue;
        }
        const objective = nmfSync(X, options).objective;
        expect(Math.abs(objective - c.sklearn), `β ${c.beta}: ${objective} vs ${c.sklearn}`).toBeLessThan(1.5e-7);
        expect(Math.abs(objective - c.dense), `β ${c.beta}`).toBeLessThan(1.5e-7);
      }
    });

    it('test_nmf_multiplicative_update_sparse (dense): with penalties, β and β − 1e-5 give factors within 1e-4', () => {
      const { X, W0, H0, alpha, l1Ratio, iterations, cases } = fixture.muContinuity;
      const run = (beta: number) =>
        nmfSync(X, {
          rank: 5,
          W: W0,
          H: H0,
          loss: beta,
          maxIter: iterations,
          stop: 'none',
          backend,
          ...penalties(X, alpha, 'same', l1Ratio),
        });
      for (const { beta } of cases) {
        const a = run(beta);
        const b = run(beta - 1e-5);
        expect(maxAbsDiff(a.W.data, b.W.data), `β ${beta}`).toBeLessThan(1e-4);
        expect(maxAbsDiff(a.H.data, b.H.data), `β ${beta}`).toBeLessThan(1e-4);
      }
    });

    it('test_nmf_negative_beta_loss: β ≤ 0 refuses zeros of V; no NaN otherwise', () => {
      const X = data.clipped6x5!;
      const fit = (V: FixtureMatrix, loss: number) => nmfSync(V, { rank: 3, init: 'random', loss, seed: 0, maxIter: 1000, backend });
      const noNaN = (r: { W: Matrix; H: Matrix }) => !Array.from(r.W.data).some(Number.isNaN) && !Array.from(r.H.data).some(Number.isNaN);
      for (const beta of [-0.6, 0]) {
        expect(rangeErrorOf(() => fit(X, beta))?.message).toMatch(/^V has a zero/);
        expect(noNaN(fit({ ...X, data: X.data.map((x) => x + 1e-9) }, beta))).toBe(true);
      }
      for (const beta of [0.2, 1, 1.2, 2, 2.5]) expect(noNaN(fit(X, beta)), `β ${beta}`).toBe(true);
    });

    it('test_nmf_decreasing: the objective decreases at every iteration (MU: every β, with L1 and L2; cd: β = 2)', () => {
      const { X, W0, H0 } = fixture.decreasing;
      const pen = penalties(X, 0.1, 'same', 0.5);
      const cases: [NmfOptions['solver'], number][] = [
        ...[-1.2, 0, 0.2, 1, 2, 2.5].map((beta): [NmfOptions['solver'], number] => ['mu', beta]),
        ['hals', 2],
      ];
      for (const [solver, beta] of cases) {
        const r = nmfSync(X, { rank: 10, W: W0, H: H0, loss: beta, solver, maxIter: 30, stop: 'none', errorEvery: 1, backend, ...pen });
        const F = r.objectiveHistory.values;
        expect(F.length).toBe(31);
        for (let t = 1; t < F.length; t++) expect(F[t]!, `${solver} β ${beta}, iteration ${t}`).toBeLessThan(F[t - 1]!);
      }
    });

    it('test_nmf_underflow: the KL objective with V[0, 0] = 1e-323 equals the one with 0 (7 decimals)', () => {
      const { X, W, H, zero, tiny } = fixture.underflow;
      const objective = (V: FixtureMatrix) => nmfSync(V, { rank: 2, W, H, loss: 'kl', maxIter: 0, backend }).objective;
      const withTiny = { ...X, data: X.data.map((x, k) => (k === 0 ? 1e-323 : x)) };
      expect(Math.abs(objective(withTiny) - objective(X))).toBeLessThan(1.5e-7);
      expect(Math.abs(objective(X) - zero)).toBeLessThan(1.5e-7);
      expect(Math.abs(objective(withTiny) - tiny)).toBeLessThan(1.5e-7);
    });

    describe('HALS against scikit-learn cd, iteration by iteration (test_nmf_decreasing’s problem)', () => {
      const { X, W0, H0, cdTrajectories } = fixture.decreasing;
      it.each(cdTrajectories.map((t) => [t.alpha, t] as const))('alpha %s: W and H after each of 30 iterations to 1e-10', (_alpha, t) => {
        const pen = penalties(X, t.alpha, 'same', t.l1Ratio);
        t.steps.forEach((step, i) => {
          const r = nmfSync(X, { rank: 10, W: W0, H: H0, solver: 'hals', maxIter: i + 1, stop: 'none', backend, ...pen });
          expect(relative(r.W.data, step.W.data), `iteration ${i + 1}: W`).toBeLessThan(1e-10);
          expect(relative(r.H.data, step.H.data), `iteration ${i + 1}: H`).toBeLessThan(1e-10);
        });
      });

      // The estimator takes samples as columns: fitting V = Xᵀ from W = H0ᵀ, H = W0ᵀ is scikit-learn's fit of X, with
      // each factor's penalties on its transposed twin; its H is scikit-learn's Wᵀ and its components scikit-learn's Hᵀ.
      it.each(cdTrajectories.map((t) => [t.alpha, t] as const))('alpha %s: the NMF estimator on Xᵀ follows it too', (_alpha, t) => {
        const pen = penalties(X, t.alpha, 'same', t.l1Ratio);
        const swapped = { l1W: pen.l1H, l2W: pen.l2H, l1H: pen.l1W, l2H: pen.l2W };
        t.steps.forEach((step, i) => {
          const model = new NMF({ rank: 10, solver: 'hals', maxIter: i + 1, stop: 'none', backend, ...swapped });
          const H = model.fitTransform(transpose(X), { W: transpose(H0), H: transpose(W0) });
          expect(relative(H.data, transpose(step.W).data), `iteration ${i + 1}: H = scikit-learn's Wᵀ`).toBeLessThan(1e-10);
          expect(relative(model.components.data, transpose(step.H).data), `iteration ${i + 1}: W = scikit-learn's Hᵀ`).toBeLessThan(1e-10);
        });
      });
    });

    it('float32 HALS against float64 at equal iterations: within twice scikit-learn’s own distance', () => {
      const { V, W0, H0, cases } = fixture.float32.dense;
      for (const c of cases) {
        const options = { rank: 10, W: W0, H: H0, solver: 'hals', maxIter: c.iterations, stop: 'none', backend } as const;
        const a = nmfSync(V, { ...options, dtype: 'float64' });
        const b = nmfSync(V, { ...options, dtype: 'float32' });
        expect(relative(b.W.data, a.W.data), `${c.iterations} iterations: W, scikit-learn ${c.W}`).toBeLessThan(2 * c.W);
        expect(relative(b.H.data, a.H.data), `${c.iterations} iterations: H, scikit-learn ${c.H}`).toBeLessThan(2 * c.H);
      }
    });
  });
});
