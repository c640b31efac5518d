// The benchmark problems, their seeded data, and the formulas every row of the table is computed with.
//
// One problem = one V (K×N), one W0 (K×R), one H0 (R×N), generated once from a fixed seed and given unchanged to
// every implementation, with the same number of iterations and the tolerance off.

/** The benchmark problems. `iterations`: so that the fastest implementation's timing is ≥ ~0.2 s on the 2-core
 * development machine; every implementation runs exactly this many per timing. */
export const PROBLEMS = [
  { name: 'tiny', K: 64, N: 64, R: 4, iterations: 12000 },
  { name: 'small', K: 256, N: 256, R: 8, iterations: 1500 },
  { name: 'spectrogram', K: 1025, N: 2000, R: 32, iterations: 20 },
  { name: 'large', K: 4096, N: 4096, R: 64, iterations: 2 },
  { name: 'wide', K: 500, N: 20000, R: 20, iterations: 6 },
];

/** `--quick` runs these unless `--problems` names others, with iterations divided by QUICK_DIVISOR. */
export const QUICK_PROBLEMS = ['tiny', 'small'];
export const QUICK_DIVISOR = 10;

/** Data seed: the same V, W0, H0 in every run of the bench. */
export const DATA_SEED = 20240604;

/** libfmp's eps (float32 machine epsilon), nmfkit's default, used by every implementation. */
export const EPS = 2 ** -23;

export const DTYPE_BYTES = { float64: 8, float32: 4 };

/** Floating-point operations of one Euclidean MU iteration: WᵀV and V·Hᵀ (2KNR each), WᵀW and H·Hᵀ (2KR², 2R²N),
 * (WᵀW)·H and W·(HHᵀ) (2R²N, 2KR²): 4KNR + 4R²(K+N). The same count for every row, whatever it really executes. */
export function flopsPerIteration({ K, N, R }) {
  return 4 * K * N * R + 4 * R * R * (K + N);
}

/** Bytes of V read per iteration: `passes` full reads of K·N entries of the row's dtype. The plain MU loop reads
 * V twice (WᵀV, then V·Hᵀ); a fused kernel that sweeps V once per iteration reads it once. */
export function vBytesPerIteration({ K, N }, dtype, passes) {
  return passes * K * N * DTYPE_BYTES[dtype];
}

/** mulberry32 on a 32-bit state: a small, fast, seedable U[0,1) generator (53 bits from two draws). */
function generator(seed) {
  let state = seed >>> 0;
  const next32 = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return () => (next32() * 2 ** 21 + (next32() >>> 11)) / 2 ** 53;
}

/** V, W0, H0 of a problem: entries U[0,1), row-major Float64Arrays, drawn V then W0 then H0. */
export function generateData(problem, seed = DATA_SEED) {
  const { K, N, R } = problem;
  const fill = stream(problem.name, seed);
  const V = fill(K * N);
  const W0 = fill(K * R);
  const H0 = fill(R * N);
  return { V, W0, H0 };
}

/** A K×N mask of weights 0 (missing, with probability `zeros`) and 1, from a stream of its own. */
export function generateMask(problem, zeros, seed = DATA_SEED) {
  return stream(`${problem.name}-mask`, seed)(problem.K * problem.N).map((u) => (u < zeros ? 0 : 1));
}

/** fill(n): the next n draws of the stream named `name`. One stream per name, so selecting problems never
 * changes another problem's data. */
export function stream(name, seed) {
  const nameSalt = [...name].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7);
  const random = generator((seed ^ nameSalt) >>> 0);
  return (n) => {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = random();
    return a;
  };
}

/** ‖V − W·H‖_F in plain JavaScript (float64), the same check for every implementation's final factors. */
export function frobeniusResidual(V, W, H, K, N, R) {
  const row = new Float64Array(N);
  let sum = 0;
  for (let i = 0; i < K; i++) {
    row.fill(0);
    for (let r = 0; r < R; r++) {
      const w = W[i * R + r];
      const off = r * N;
      for (let j = 0; j < N; j++) row[j] += w * H[off + j];
    }
    const vOff = i * N;
    for (let j = 0; j < N; j++) {
      const e = V[vOff + j] - row[j];
      sum += e * e;
    }
  }
  return Math.sqrt(sum);
}
