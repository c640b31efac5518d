/**
 * The scikit-learn reference numbers (test/fixtures/sklearn, made by scripts/make-sklearn-fixtures.py): loading,
 * and the nmfkit options of each case. Shared by the reference's test and the backends' tests.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadFixture, type FixtureMatrix } from '../support/helpers.js';
import { mat, type Mat } from './linalg.js';
import type { Loss } from './objective.js';

export interface SklearnCase {
  solver: 'mu' | 'cd';
  betaLoss: string | number;
  beta: number;
  alpha: number;
  l1Ratio: number;
  l1W: number;
  l2W: number;
  l1H: number;
  l2H: number;
  iterations: number;
  initialObjective: number;
  objective: number;
  /** scikit-learn's own update functions called in nmfkit's order (H, then W); null where the updates differ. */
  objectiveHThenW: number | null;
}

export interface SklearnFixture {
  name: string;
  sklearnVersion: string;
  rank: number;
  V: FixtureMatrix | { seedFixture: string; rows: number; cols: number; sha256: string };
  W0: FixtureMatrix;
  H0: FixtureMatrix;
  cases: SklearnCase[];
  /** scikit-learn's own NNDSVD / NNDSVDa of V (random_state 0), where stored. */
  inits?: Record<'nndsvd' | 'nndsvda', { W: FixtureMatrix; H: FixtureMatrix }>;
}

const DIR = fileURLToPath(new URL('../fixtures/sklearn/', import.meta.url));

export function loadSklearnFixtures(): { fixture: SklearnFixture; V: Mat; W0: Mat; H0: Mat }[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const fixture = JSON.parse(readFileSync(DIR + f, 'utf8')) as SklearnFixture;
      let V: Mat;
      if ('seedFixture' in fixture.V) {
        const seed = loadFixture(fixture.V.seedFixture).input.V;
        V = mat(seed.rows, seed.cols, seed.data);
        const bytes = Buffer.from(V.data.buffer, V.data.byteOffset, V.data.byteLength);
        const sha = createHash('sha256').update(bytes).digest('hex');
        if (sha !== fixture.V.sha256) throw new Error(`${f}: the libfmp fixture's V changed (sha256 ${sha})`);
      } else {
        V = mat(fixture.V.rows, fixture.V.cols, fixture.V.data);
      }
      return {
        fixture,
        V,
        W0: mat(fixture.W0.rows, fixture.W0.cols, fixture.W0.data),
        H0: mat(fixture.H0.rows, fixture.H0.cols, fixture.H0.data),
      };
    });
}

/** nmfkit's loss for a scikit-learn beta_loss. */
export function lossOf(c: SklearnCase): Loss {
  return c.beta === 2 ? 'euclidean' : c.beta === 1 ? 'kl' : c.beta === 0 ? 'is' : c.beta;
}

export function optionsOf(c: SklearnCase): { loss: Loss; l1W: number; l2W: number; l1H: number; l2H: number } {
  return { loss: lossOf(c), l1W: c.l1W, l2W: c.l2W, l1H: c.l1H, l2H: c.l2H };
}
