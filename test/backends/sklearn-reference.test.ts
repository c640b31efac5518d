/**
 * The reference implementation against scikit-learn (test/fixtures/sklearn, made by
 * scripts/make-sklearn-fixtures.py): from the same W0/H0 and after the same number of iterations, every β-MU and
 * HALS case reaches an objective within 0.5 % of scikit-learn's, or better; and HALS needs fewer iterations than
 * MU to reach a given error. The same checks run on both backends through the public API.
 *
 * scikit-learn updates W before H, nmfkit H before W: the trajectories differ, the quality must not.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nmfSync } from '../../src/index.js';
import { BACKENDS, backendAvailable } from '../support/helpers.js';
import { fit } from '../reference/fit.js';
import { objective } from '../reference/objective.js';
import { loadSklearnFixtures, optionsOf } from '../reference/sklearn-fixtures.js';

const fixtures = loadSklearnFixtures();

describe.each(fixtures.map((f) => [f.fixture.name, f] as const))('scikit-learn %s', (_name, { fixture, V, W0, H0 }) => {
  it('was made by scikit-learn and covers KL, IS, β = 0.5, β = 3 and cd', () => {
    expect(fixture.sklearnVersion).toMatch(/^\d+\.\d+/);
    const losses = new Set(fixture.cases.filter((c) => c.solver === 'mu').map((c) => c.beta));
    for (const beta of [1, 0, 0.5, 3]) expect(losses.has(beta)).toBe(true);
    expect(fixture.cases.some((c) => c.solver === 'cd')).toBe(true);
  });

  it.each(fixture.cases.map((c) => [`${c.solver} ${c.betaLoss} α=${c.alpha} l1_ratio=${c.l1Ratio} n=${c.iterations}`, c] as const))(
    '%s',
    (_label, c) => {
      const o = optionsOf(c);
      // The objective is the same function in both languages (checked on the initial factors).
      expect(Math.abs(objective(V, W0, H0, o) / c.initialObjective - 1)).toBeLessThan(1e-12);
      const solver = c.solver === 'cd' ? 'hals' : 'mu';
      const result = fit(V, W0, H0, { ...o, solver, maxIter: c.iterations, stop: 'none' });
      expect(result.iterations).toBe(c.iterations);

      // Quality: within 0.5 % of scikit-learn's objective after the same iterations, or better.
      const ratio = result.objective / c.objective;
      expect(ratio, `nmfkit ${result.objective} vs scikit-learn ${c.objective}`).toBeLessThanOrEqual(1.005);

      // Formulas. HALS runs in scikit-learn's own order (W first), so it reproduces scikit-learn's run itself.
      // For MU, scikit-learn's own update functions called in nmfkit's order (H first) agree closely. They add
      // nothing to the denominators where nmfkit adds eps; for β ≥ 2 (no floor of WH involved) the comparison is
      // made with eps = 0, so only rounding separates the two.
      let same = NaN;
      if (solver === 'hals') {
        same = Math.abs(result.objective / c.objective - 1);
        expect(same, `nmfkit ${result.objective} vs scikit-learn ${c.objective}`).toBeLessThan(1e-9);
      } else if (c.objectiveHThenW !== null) {
        const exact =
          c.beta >= 2 && solver === 'mu' ? fit(V, W0, H0, { ...o, solver, eps: 0, maxIter: c.iterations, stop: 'none' }) : result;
        same = Math.abs(exact.objective / c.objectiveHThenW - 1);
        expect(same).toBeLessThan(1e-7);
      }
      report.push(
        `${fixture.name} ${c.solver} ${c.betaLoss} α=${c.alpha} l1_ratio=${c.l1Ratio} n=${c.iterations}: ` +
          `nmfkit/sklearn ${ratio.toFixed(5)}, same order |Δ| ${same.toExponential(1)}`,
      );
    },
  );

  it('HALS needs fewer iterations than MU to reach the objective MU reaches', () => {
    const n = fixture.name.startsWith('spectrogram') ? 300 : 200;
    const mu = fit(V, W0, H0, { solver: 'mu', maxIter: n, stop: 'none' });
    const hals = fit(V, W0, H0, { solver: 'hals', maxIter: n, stop: 'none' });
    const target = mu.objective;
    const reached = hals.history.find((h) => h.value <= target);
    expect(reached).toBeDefined();
    expect(reached!.iteration).toBeLessThan(n);
    report.push(
      `${fixture.name}: MU's objective after ${n} iterations (${target.toPrecision(6)}) is reached by HALS after ${reached!.iteration}`,
    );
  });
});

describe.each(BACKENDS)('%s backend against scikit-learn', (backend) => {
  describe.skipIf(!backendAvailable(backend)).each(fixtures.map((f) => [f.fixture.name, f] as const))(
    '%s',
    (_name, { fixture, V, W0, H0 }) => {
      const matrices = {
        V: { rows: V.rows, cols: V.cols, data: V.data },
        W: { rows: W0.rows, cols: W0.cols, data: W0.data },
        H: { rows: H0.rows, cols: H0.cols, data: H0.data },
      };
      it.each(fixture.cases.map((c) => [`${c.solver} ${c.betaLoss} α=${c.alpha} l1_ratio=${c.l1Ratio} n=${c.iterations}`, c] as const))(
        '%s',
        (_label, c) => {
          const result = nmfSync(matrices.V, {
            rank: fixture.rank,
            W: matrices.W,
            H: matrices.H,
            ...optionsOf(c),
            solver: c.solver === 'cd' ? 'hals' : 'mu',
            maxIter: c.iterations,
            stop: 'none',
            errorEvery: c.iterations,
            backend,
          });
          expect(result.iterations).toBe(c.iterations);
          expect(Math.abs(result.objectiveHistory.values[0]! / c.initialObjective - 1)).toBeLessThan(1e-12);
          expect(result.objective / c.objective, `nmfkit ${result.objective} vs scikit-learn ${c.objective}`).toBeLessThanOrEqual(1.005);
          // HALS runs in scikit-learn's order (W first): the same run, up to rounding.
          if (c.solver === 'cd') expect(Math.abs(result.objective / c.objective - 1)).toBeLessThan(1e-9);
        },
      );

      it('HALS needs fewer iterations than MU to reach the objective MU reaches', () => {
        const n = fixture.name.startsWith('spectrogram') ? 300 : 200;
        const o = { rank: fixture.rank, W: matrices.W, H: matrices.H, maxIter: n, stop: 'none' as const, backend };
        const mu = nmfSync(matrices.V, o);
        const hals = nmfSync(matrices.V, { ...o, solver: 'hals' });
        const { iterations, values } = hals.objectiveHistory;
        const reached = values.findIndex((v) => v <= mu.objective);
        expect(reached).toBeGreaterThan(0);
        expect(iterations[reached]).toBeLessThan(n);
      });
    },
  );
});

const report: string[] = [];
afterAll(() => {
  if (process.env.NMFKIT_REPORT) console.log(report.join('\n'));
});
