/**
 * Rank selection (src/rank.ts): every measure against R NMF's definitions as numpy and scipy compute them
 * (test/fixtures/rank/measures.json, scripts/rank-measures-reference.py) and against plain reference
 * implementations written here (the whole N×N consensus, average linkage by merging the closest pair each time,
 * Pearson's correlation, Hoyer's sparseness, the residual); estimateRank picks the true rank of clustered low-rank
 * data by the cophenetic criterion on both backends and both entries, reports exactly the measures the reference
 * computes from the same restarts (rerun with nmfSync), and refuses bad options, too large a consensus and an abort.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  averageLinkage,
  clusterLabels,
  consensusMeasures,
  copheneticChoice,
  copheneticCorrelation,
  copheneticDistances,
  meanSparseness,
  pairIndex,
} from '../../src/rank.js';
import { Random } from '../../src/random.js';
import type { Matrix, NmfResult } from '../../src/types.js';
import { ENTRIES } from '../hostile/entries.js';
import { coded, outcome } from '../hostile/hostile-values.js';
import { randomMatrix } from '../support/helpers.js';

interface Clustering {
  name: string;
  samples: number;
  heights: number[];
  cophenetic: number[];
  correlation: number | null;
}
interface FixtureMatrix {
  rows: number;
  cols: number;
  data: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/rank/measures.json', import.meta.url), 'utf8')) as {
  distances: (Clustering & { distances: number[] })[];
  consensus: (Clustering & { runs: number; labels: number[][]; dispersion: number })[];
  factors: {
    name: string;
    V: FixtureMatrix;
    W: FixtureMatrix;
    H: FixtureMatrix;
    rss: number;
    explainedVariance: number;
    sparsenessW: number | null;
    sparsenessH: number | null;
    sparsenessHColumns: number | null;
  }[];
};

const close = (got: number, expected: number | null, tolerance = 1e-12): boolean =>
  expected === null ? Number.isNaN(got) : Math.abs(got - expected) <= tolerance * Math.max(1, Math.abs(expected));

// ---------------------------------------------------------------------------------------------------------------
// Plain reference implementations: whole matrices, the textbook algorithms.

/** The consensus matrix (N×N) of labels[r][i]. */
function referenceConsensus(labels: ArrayLike<number>[]): number[][] {
  const n = labels[0]!.length;
  const C = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const run of labels) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (run[i] === run[j]) C[i]![j]! += 1;
  return C.map((row) => row.map((c) => c / labels.length));
}

/**
 * UPGMA by merging the closest pair of clusters each time (the first in row-major order among equals), each
 * cluster distance the mean over its pairs of points: the textbook definition, for distances without ties (among
 * equal distances it may choose other merges than scipy).
 */
function referenceUpgma(D: number[][]): { heights: number[]; cophenetic: number[][] } {
  const n = D.length;
  let clusters = Array.from({ length: n }, (_, i) => [i]);
  const cophenetic = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const distance = (a: number[], b: number[]): number => {
    let s = 0;
    for (const i of a) for (const j of b) s += D[i]![j]!;
    return s / (a.length * b.length);
  };
  const heights: number[] = [];
  while (clusters.length > 1) {
    let best = [0, 1];
    let nearest = Infinity;
    for (let a = 0; a < clusters.length; a++) {
      for (let b = a + 1; b < clusters.length; b++) {
        const d = distance(clusters[a]!, clusters[b]!);
        if (d < nearest) {
          nearest = d;
          best = [a, b];
        }
      }
    }
    const [a, b] = best as [number, number];
    for (const i of clusters[a]!) for (const j of clusters[b]!) cophenetic[i]![j] = cophenetic[j]![i] = nearest;
    heights.push(nearest);
    clusters = [...clusters.filter((_, k) => k !== a && k !== b), [...clusters[a]!, ...clusters[b]!]];
  }
  return { heights, cophenetic };
}

/**
 * UPGMA by the nearest-neighbour chain on the whole matrix, with scipy's choices among equal distances (the chain
 * starts at the first live cluster, a neighbour must be strictly nearer, the chain's previous link wins ties) and
 * its update of a merged cluster's distances (the size-weighted mean of its parts'): consensus distances are full of
 * ties, where only these choices give scipy's dendrogram.
 */
function referenceChainUpgma(D0: number[][]): number[][] {
  const n = D0.length;
  const D = D0.map((row) => row.slice());
  const members = Array.from({ length: n }, (_, i) => [i]);
  const live = new Set(Array.from({ length: n }, (_, i) => i));
  const cophenetic = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const chain: number[] = [];
  while (live.size > 1) {
    if (chain.length === 0) chain.push(Math.min(...live));
    let x: number;
    let y: number;
    let nearest: number;
    for (;;) {
      x = chain[chain.length - 1]!;
      const previous = chain.length > 1 ? chain[chain.length - 2]! : undefined;
      y = previous ?? -1;
      nearest = previous === undefined ? Infinity : D[x]![previous]!;
      for (const i of [...live].sort((p, q) => p - q)) {
        if (i !== x && D[x]![i]! < nearest) {
          nearest = D[x]![i]!;
          y = i;
        }
      }
      if (y === previous) break;
      chain.push(y);
    }
    chain.length -= 2;
    const [keep, drop] = x < y ? [y, x] : [x, y];
    for (const i of members[drop]!) for (const j of members[keep]!) cophenetic[i]![j] = cophenetic[j]![i] = nearest;
    const nd = members[drop]!.length;
    const nk = members[keep]!.length;
    live.delete(drop);
    for (const i of live) {
      if (i === keep) continue;
      D[i]![keep] = D[keep]![i] = (nd * D[i]![drop]! + nk * D[i]![keep]!) / (nd + nk);
    }
    members[keep] = [...members[drop]!, ...members[keep]!];
  }
  return cophenetic;
}

function referencePearson(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, k) => {
    ab += (x - ma) * (b[k]! - mb);
    aa += (x - ma) ** 2;
    bb += (b[k]! - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

const upper = (M: number[][]): number[] => M.flatMap((row, i) => row.slice(i + 1));

/** The cophenetic correlation of a distance matrix with ties (consensus distances), scipy's way. */
function referenceCophenetic(D: number[][]): number {
  return referencePearson(upper(D), upper(referenceChainUpgma(D)));
}

function referenceDispersion(C: number[][]): number {
  return C.flat().reduce((s, c) => s + 4 * (c - 0.5) ** 2, 0) / C.length ** 2;
}

function referenceHoyer(x: number[]): number | null {
  const l1 = x.reduce((s, v) => s + Math.abs(v), 0);
  const l2 = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
  return l2 === 0 || x.length < 2 ? null : (Math.sqrt(x.length) - l1 / l2) / (Math.sqrt(x.length) - 1);
}

function columns(m: Matrix<Float64Array | Float32Array> | FixtureMatrix): number[][] {
  return Array.from({ length: m.cols }, (_, j) => Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + j]!));
}

function rows(m: Matrix<Float64Array | Float32Array> | FixtureMatrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.slice(i * m.cols, (i + 1) * m.cols)));
}

function referenceMeanSparseness(vectors: number[][]): number | null {
  const values = vectors.map(referenceHoyer).filter((s): s is number => s !== null);
  return values.length === 0 ? null : values.reduce((s, x) => s + x, 0) / values.length;
}

function referenceRss(
  V: FixtureMatrix | Matrix,
  W: Matrix<Float64Array | Float32Array> | FixtureMatrix,
  H: Matrix<Float64Array | Float32Array> | FixtureMatrix,
): number {
  let rss = 0;
  for (let i = 0; i < V.rows; i++) {
    for (let j = 0; j < V.cols; j++) {
      let wh = 0;
      for (let r = 0; r < W.cols; r++) wh += W.data[i * W.cols + r]! * H.data[r * H.cols + j]!;
      rss += (V.data[i * V.cols + j]! - wh) ** 2;
    }
  }
  return rss;
}

/** Square matrix of a condensed one. */
function square(condensed: ArrayLike<number>, n: number): number[][] {
  const D = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) D[i]![j] = D[j]![i] = condensed[pairIndex(n, i, j)]!;
  return D;
}

/** Labels sample-major (labels[i·runs + r]), as src/rank.ts keeps them. */
function sampleMajor(labels: number[][]): Int32Array {
  const runs = labels.length;
  const n = labels[0]!.length;
  const out = new Int32Array(n * runs);
  labels.forEach((run, r) => run.forEach((c, i) => (out[i * runs + r] = c)));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

describe('the measures, against numpy and scipy (scripts/rank-measures-reference.py)', () => {
  it.each(fixture.distances.map((c) => [c.name, c] as const))(
    '%s: average linkage, cophenetic distances and correlation',
    async (_n, c) => {
      const D = Float64Array.from(c.distances);
      const merges = await averageLinkage(D, c.samples);
      const heights = Array.from(merges.height).sort((a, b) => a - b);
      heights.forEach((h, k) => expect(close(h, c.heights[k]!), `height ${k}`).toBe(true));
      const coph = new Float64Array(c.distances.length);
      await copheneticDistances(merges, c.samples, coph);
      coph.forEach((x, p) => expect(close(x, c.cophenetic[p]!), `pair ${p}`).toBe(true));
      expect(close(await copheneticCorrelation(c.distances, c.samples), c.correlation)).toBe(true);
      // The textbook algorithm agrees (no ties in these distances).
      if (c.samples > 2)
        expect(close(await copheneticCorrelation(c.distances, c.samples), referenceCophenetic(square(c.distances, c.samples)))).toBe(true);
    },
  );

  it.each(fixture.consensus.map((c) => [c.name, c] as const))(
    '%s: cophenetic correlation and dispersion of the consensus',
    async (_n, c) => {
      const got = await consensusMeasures(sampleMajor(c.labels), c.samples, c.runs);
      expect(close(got.cophenetic, c.correlation), `cophenetic ${got.cophenetic} vs ${c.correlation}`).toBe(true);
      expect(close(got.dispersion, c.dispersion), `dispersion ${got.dispersion} vs ${c.dispersion}`).toBe(true);
      // The clustering itself, ties and all, is scipy's.
      const C = referenceConsensus(c.labels);
      const d = Float64Array.from(upper(C).map((x) => 1 - x));
      const merges = await averageLinkage(d.slice(), c.samples);
      Array.from(merges.height)
        .sort((a, b) => a - b)
        .forEach((h, k) => expect(close(h, c.heights[k]!), `height ${k}`).toBe(true));
      const coph = new Float64Array(d.length);
      await copheneticDistances(merges, c.samples, coph);
      coph.forEach((x, p) => expect(close(x, c.cophenetic[p]!), `pair ${p}`).toBe(true));
      // And the plain reference.
      expect(close(got.dispersion, referenceDispersion(C))).toBe(true);
      expect(close(got.cophenetic, referenceCophenetic(C.map((row) => row.map((x) => 1 - x)))), 'reference cophenetic').toBe(true);
    },
  );

  it.each(fixture.factors.map((c) => [c.name, c] as const))('%s: sparseness of W and H, RSS and explained variance', (_n, c) => {
    const W = { rows: c.W.rows, cols: c.W.cols, data: Float64Array.from(c.W.data) };
    const H = { rows: c.H.rows, cols: c.H.cols, data: Float64Array.from(c.H.data) };
    expect(close(meanSparseness(W, 'columns'), c.sparsenessW)).toBe(true);
    expect(close(meanSparseness(H, 'rows'), c.sparsenessH)).toBe(true);
    expect(close(meanSparseness(H, 'columns'), c.sparsenessHColumns)).toBe(true);
    expect(close(meanSparseness(W, 'columns'), referenceMeanSparseness(columns(W)))).toBe(true);
    expect(close(meanSparseness(H, 'rows'), referenceMeanSparseness(rows(H)))).toBe(true);
    // The reference's residual is the fixture's.
    const rss = referenceRss(c.V, c.W, c.H);
    expect(close(rss, c.rss)).toBe(true);
    expect(close(1 - rss / c.V.data.reduce((s, x) => s + x * x, 0), c.explainedVariance)).toBe(true);
  });

  it('against the textbook algorithms on random distances, large and small', async () => {
    for (const [n, seed] of [
      [3, 1],
      [17, 2],
      [60, 3],
    ] as const) {
      const random = new Random(seed);
      const d = Array.from({ length: (n * (n - 1)) / 2 }, () => random.nextDouble());
      const reference = referenceUpgma(square(d, n));
      expect(close(referencePearson(d, upper(referenceChainUpgma(square(d, n)))), referencePearson(d, upper(reference.cophenetic)))).toBe(
        true,
      );
      const merges = await averageLinkage(Float64Array.from(d), n);
      const heights = Array.from(merges.height).sort((a, b) => a - b);
      reference.heights.forEach((h, k) => expect(close(heights[k]!, h), `n = ${n}, height ${k}`).toBe(true));
      expect(close(await copheneticCorrelation(d, n), referencePearson(d, upper(reference.cophenetic)))).toBe(true);
    }
  });

  it('cluster labels: the argmax row of each column of H, the first of equal ones', () => {
    const H = { rows: 3, cols: 4, data: Float64Array.from([1, 0, 2, 5, 3, 0, 2, 5, 2, 0, 1, 1]) };
    expect(Array.from(clusterLabels(H))).toEqual([1, 0, 0, 0]);
  });

  it('the cophenetic criterion: the rank before the first drop, the largest without one; rounding is no drop', () => {
    const m = (values: number[]) => values.map((cophenetic, k) => ({ rank: k + 2, cophenetic }));
    expect(copheneticChoice(m([0.9, 0.95, 0.99, 0.97, 0.98]))).toBe(4);
    expect(copheneticChoice(m([1, 1, 1 - 2e-16, 0.99]))).toBe(4);
    expect(copheneticChoice(m([0.9, 0.95, 0.99]))).toBe(4);
    expect(copheneticChoice(m([1, 0.9]))).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------------------------

/** 30×60 data of rank 4: each column one of four templates (disjoint supports) times a random weight, plus noise. */
function clustered(seed: number): Matrix {
  const random = new Random(seed);
  const K = 30;
  const N = 60;
  const R = 4;
  const data = new Float64Array(K * N);
  for (let j = 0; j < N; j++) {
    const weight = 0.5 + random.nextDouble();
    for (let i = 0; i < K; i++) {
      data[i * N + j] = (i % R === j % R ? weight * (1 + 0.3 * random.nextDouble()) : 0) + 0.05 * random.nextDouble();
    }
  }
  return { rows: K, cols: N, data };
}

/** The example of docs/rank.md: four patterns of disjoint support, each sample one of them at its own strength. */
function documented(patterns: number): number[][] {
  return Array.from({ length: 30 }, (_, i) =>
    Array.from({ length: 60 }, (_, j) => (i % patterns === j % patterns ? 0.5 + ((37 * j) % 11) / 10 : 0) + ((5 * i + 3 * j) % 7) / 200),
  );
}

describe.each(ENTRIES)('$name entry: the cophenetic criterion discriminates', (entry) => {
  const options = { ranks: [2, 3, 4, 5, 6], restarts: 10, seed: 1, maxIter: 400 };
  describe.each(entry.backends.filter((b) => entry.available(b)))('on %s', (backend) => {
    it('the example of docs/rank.md gives 4; the same data built with 3 patterns gives 3', async () => {
      const four = await entry.estimateRank(documented(4), { ...options, backend });
      expect(four.rank).toBe(4);
      const cophenetic = four.ranks.map((m) => m.cophenetic);
      expect(cophenetic[2]).toBe(1);
      expect(cophenetic[3]).toBeLessThan(1);
      expect(four.ranks[2]!.explainedVariance).toBeGreaterThan(0.999);
      expect(four.ranks[1]!.explainedVariance).toBeLessThan(0.9);
      expect((await entry.estimateRank(documented(3), { ...options, backend })).rank).toBe(3);
    });

    it('on unstructured data no rank has a perfect consensus', async () => {
      const random = new Random(5);
      const noise = { rows: 30, cols: 60, data: Float64Array.from({ length: 1800 }, () => random.nextDouble()) };
      const estimate = await entry.estimateRank(noise, { ...options, backend });
      for (const m of estimate.ranks) {
        expect(m.cophenetic, `rank ${m.rank}`).toBeLessThan(0.99);
        expect(m.dispersion, `rank ${m.rank}`).toBeLessThan(0.9);
      }
    });
  });
});

describe.each(ENTRIES)('$name entry: estimateRank', (entry) => {
  const { estimateRank } = entry;
  const V = clustered(1);
  const options = { ranks: [6, 2, 3, 4, 5, 7], restarts: 12, seed: 3, maxIter: 400 };

  describe.each(entry.backends.filter((b) => entry.available(b)))('on %s', (backend) => {
    it('picks the true rank (4) by the cophenetic criterion, and each measure is the reference’s from the same restarts', async () => {
      const estimate = await estimateRank(V, { ...options, backend });
      expect(estimate.rank).toBe(4);
      expect(estimate.ranks.map((m) => m.rank)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(estimate.seed).toBe(3);
      expect(estimate.restarts).toBe(12);
      const normV = V.data.reduce((s, x) => s + x * x, 0);
      for (const measures of estimate.ranks) {
        // Every restart again, on the calling thread: the same fit (seed 3 + j).
        const runs: NmfResult[] = Array.from({ length: 12 }, (_, j) =>
          entry.nmfSync(V, { rank: measures.rank, seed: 3 + j, maxIter: 400, backend, spectralError: false }),
        );
        expect(Array.from(measures.restartObjectives)).toEqual(runs.map((r) => r.objective));
        const bestIndex = runs.reduce((b, r, j) => (r.objective < runs[b]!.objective ? j : b), 0);
        const best = runs[bestIndex]!;
        expect(measures.best.objective).toBe(best.objective);
        expect(measures.best.seed).toBe(3 + bestIndex);
        const C = referenceConsensus(runs.map((r) => clusterLabels(r.H)));
        const label = `rank ${measures.rank}`;
        expect(close(measures.cophenetic, referenceCophenetic(C.map((row) => row.map((x) => 1 - x))), 1e-10), label).toBe(true);
        expect(close(measures.dispersion, referenceDispersion(C)), label).toBe(true);
        const rss = referenceRss(V, best.W, best.H);
        expect(close(measures.rss, rss, 1e-9), `${label}: rss ${measures.rss} vs ${rss}`).toBe(true);
        expect(close(measures.explainedVariance, 1 - rss / normV, 1e-9), label).toBe(true);
        expect(close(measures.sparsenessW, referenceMeanSparseness(columns(best.W))), label).toBe(true);
        expect(close(measures.sparsenessH, referenceMeanSparseness(rows(best.H))), label).toBe(true);
        expect(close(measures.sparsenessHColumns, referenceMeanSparseness(columns(best.H))), label).toBe(true);
      }
      // At the true rank the consensus is perfect; one rank up a cluster splits, differently in each restart.
      const at = (rank: number) => estimate.ranks.find((m) => m.rank === rank)!;
      expect(at(4).cophenetic).toBe(1);
      expect(at(4).dispersion).toBe(1);
      expect(at(5).cophenetic).toBeLessThan(1);
      expect(at(4).explainedVariance).toBeGreaterThan(0.99);
      expect(at(3).explainedVariance).toBeLessThan(0.9);
    });
  });

  it('keeps the event loop turning while the restarts run', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await estimateRank(V, { ...options, ranks: [3, 4, 5] });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
  });

  it('refuses bad options, too few columns and too large a consensus, before any fit; an abort rejects', async () => {
    const cases: [unknown, unknown, RegExp, string][] = [
      [V, undefined, /^options must be an object with at least \{ ranks \}/, 'NMFKIT_INVALID_TYPE'],
      [V, {}, /^options\.ranks must be an array of ranks/, 'NMFKIT_INVALID_TYPE'],
      [V, { ranks: [] }, /^options\.ranks must hold at least one rank/, 'NMFKIT_INVALID_VALUE'],
      [V, { ranks: [2, 2.5] }, /^options\.ranks\[1\] must be an integer/, 'NMFKIT_INVALID_VALUE'],
      [V, { ranks: [2, 3, 2] }, /^options\.ranks\[2\] = 2 is listed twice/, 'NMFKIT_INVALID_VALUE'],
      [V, { ranks: [2], rank: 2 }, /^unknown option options\.rank\b/, 'NMFKIT_INVALID_TYPE'],
      [V, { ranks: [2], W: [[1]] }, /^unknown option options\.W\b/, 'NMFKIT_INVALID_TYPE'],
      [V, { ranks: [2], init: 'nndsvd' }, /^options\.init 'nndsvd' depends on V alone/, 'NMFKIT_INVALID_VALUE'],
      [V, { ranks: [2], restarts: 0 }, /^options\.restarts must be an integer/, 'NMFKIT_INVALID_VALUE'],
      [V, { ranks: [2], seed: Number.MAX_SAFE_INTEGER }, /^options\.seed \+ options\.restarts − 1/, 'NMFKIT_INVALID_VALUE'],
      [V, { ranks: [2], loss: 'kl', solver: 'hals' }, /^options\.solver 'hals' is for the Euclidean loss only/, 'NMFKIT_INVALID_VALUE'],
      [[[1], [2]], { ranks: [1] }, /^V must have at least 2 columns/, 'NMFKIT_INVALID_VALUE'],
      [
        { rows: 1, cols: 70000, data: new Float64Array(70000).fill(1) },
        { ranks: [2] },
        /^V's consensus matrix \(N\(N − 1\)\/2 pairs of its 70000 columns\) is too large/,
        'NMFKIT_TOO_LARGE',
      ],
      [[[-1, 1]], { ranks: [1] }, /^V must be finite and ≥ 0/, 'NMFKIT_INVALID_VALUE'],
    ];
    for (const [v, o, message, code] of cases) {
      const started = performance.now();
      const error = await outcome(() => estimateRank(v as never, o as never), true);
      const context = `${message}`;
      expect((error as Error | undefined)?.message, context).toMatch(message);
      expect((error as { code?: unknown }).code, context).toBe(code);
      coded(error, context);
      expect(performance.now() - started, context).toBeLessThan(1000);
    }
    const aborted = await outcome(() => estimateRank(V, { ...options, signal: AbortSignal.abort() }), true);
    expect((aborted as { code?: unknown }).code).toBe('NMFKIT_ABORTED');
    const controller = new AbortController();
    const running = estimateRank(V, { ...options, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('enough')), 20);
    const late = await outcome(() => running, true);
    expect((late as { code?: unknown }).code).toBe('NMFKIT_ABORTED');
    // A fit that fails rejects the call with its error (here: NNDSVD-ar with a rank above min(K, N)).
    const failing = await outcome(() => estimateRank(randomMatrix(3, 5, 1), { ranks: [2, 4], init: 'nndsvdar', restarts: 2 }), true);
    expect((failing as Error).message).toMatch(/^options\.init 'nndsvdar' needs rank ≤ min\(rows, cols\) of V = 3, got rank 4/);
  });
});
