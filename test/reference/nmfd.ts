/**
 * The plain NMFD reference: libnmfd's `nmfd` update (Smaragdis 2004; Dittmar & Müller 2016, eqs. 4–6) written out
 * on arrays of rows, one line per formula, with the shift operator formed explicitly. Independent of the kernels
 * (which never form a shifted copy); the kernels of both backends are checked against it.
 *
 *   Ṽ = V / (ε + ΣV),  Λ = Σ_t W_t · shift(H, t) + ε,  Q = Ṽ / (Λ + ε)
 *   for t: W_t ← W_t ⊙ (Q · shift(H, t)ᵀ) / (J · shift(H, t)ᵀ + ε)            (J: all ones, K×N)
 *          A += (W_tᵀ · shift(Q, −t)) / (W_tᵀ · J + ε)                        (with the new W_t)
 *   H ← H ⊙ A / T;  every template W[:, r, :] ← W[:, r, :] / (ε + Σ_{k,t} W[k, r, t])
 */
type Rows = number[][];

const zeros = (m: number, n: number): Rows => Array.from({ length: m }, () => new Array<number>(n).fill(0));

/** Columns moved right by s > 0 (zeros in front) or left by −s (zeros behind). */
export function shift(A: Rows, s: number): Rows {
  const n = A[0]!.length;
  return A.map((row) => row.map((_, j) => (j - s >= 0 && j - s < n ? row[j - s]! : 0)));
}

function matmul(A: Rows, B: Rows): Rows {
  const C = zeros(A.length, B[0]!.length);
  for (let i = 0; i < A.length; i++)
    for (let p = 0; p < B.length; p++) for (let j = 0; j < B[0]!.length; j++) C[i]![j]! += A[i]![p]! * B[p]![j]!;
  return C;
}

const transpose = (A: Rows): Rows => A[0]!.map((_, j) => A.map((row) => row[j]!));

/** W as a list of R templates K×T; W_t (K×R) is column t of every template. */
const frame = (W: Rows[], t: number): Rows => W[0]!.map((_, k) => W.map((template) => template[k]![t]!));

/** Λ = Σ_t W_t · shift(H, t) (+ eps). */
export function model(W: Rows[], H: Rows, eps: number): Rows {
  const T = W[0]![0]!.length;
  let L = zeros(W[0]!.length, H[0]!.length);
  for (let t = 0; t < T; t++) {
    const P = matmul(frame(W, t), shift(H, t));
    L = L.map((row, k) => row.map((x, n) => x + P[k]![n]!));
  }
  return L.map((row) => row.map((x) => x + eps));
}

export interface NmfdReference {
  /** Templates, R matrices K×T. */
  W: Rows[];
  /** Activations on the scaled target Ṽ. */
  H: Rows;
  scale: number;
  /** Per-component Λ_r on the scaled target, libnmfd's nmfd_V (each with its own + eps). */
  parts: Rows[];
}

/** `iterations` NMFD iterations from W0 (R templates K×T) and H0 (on the scaled target). */
export function nmfdReference(V: Rows, W0: Rows[], H0: Rows, iterations: number, eps: number, fixW = false, fixH = false): NmfdReference {
  const K = V.length;
  const N = V[0]!.length;
  const R = W0.length;
  const T = W0[0]![0]!.length;
  const scale = eps + V.flat().reduce((a, b) => a + b, 0);
  const Vs = V.map((row) => row.map((x) => x / scale));
  let W = W0.map((m) => m.map((row) => row.slice()));
  let H = H0.map((row) => row.slice());
  const J = zeros(K, N).map((row) => row.fill(1));
  for (let it = 0; it < iterations; it++) {
    const L = model(W, H, eps);
    const Q = Vs.map((row, k) => row.map((v, n) => v / (L[k]![n]! + eps)));
    const A = zeros(R, N);
    for (let t = 0; t < T; t++) {
      const Ht = transpose(shift(H, t));
      const num = matmul(Q, Ht);
      const den = matmul(J, Ht);
      if (!fixW) W = W.map((m, r) => m.map((row, k) => row.map((w, tt) => (tt === t ? (w * num[k]![r]!) / (den[k]![r]! + eps) : w))));
      const Wtt = transpose(frame(W, t));
      const up = matmul(Wtt, shift(Q, -t));
      const down = matmul(Wtt, J);
      for (let r = 0; r < R; r++) for (let n = 0; n < N; n++) A[r]![n]! += up[r]![n]! / (down[r]![n]! + eps);
    }
    if (!fixH) H = H.map((row, r) => row.map((h, n) => (h * A[r]![n]!) / T));
    W = W.map((m) => {
      const sum = m.flat().reduce((a, b) => a + b, 0);
      return m.map((row) => row.map((w) => w * (1 / (eps + sum))));
    });
  }
  const parts = W.map((m, r) => model([m], [H[r]!], eps));
  return { W, H, scale, parts };
}

/** The generalised KL divergence Σ v·log(v/λ) − v + λ. */
export function klDivergence(V: Rows, L: Rows): number {
  let sum = 0;
  V.forEach((row, k) => row.forEach((v, n) => (sum += (v > 0 ? v * Math.log(v / L[k]![n]!) : 0) - v + L[k]![n]!)));
  return sum;
}
