// NMFD kernels: convolutive NMF with T-frame templates and the Kullback–Leibler divergence (Smaragdis 2004), in
// the update order of libnmfd's `nmfd` (docs/algorithms.md §13). native/nmfd.cc is the same program in C++: the
// same functions in the same order; fit.ts owns the state and calls them. All arrays are float64.
//
// W holds the templates as T stacked K×R matrices (W_t = W + t·K·R), H is R×N, and the model is
// Λ = Σ_t W_t · shift(H, t), where shift(H, t) moves H's columns t to the right and fills zeros in front. The
// products are shifted: W_t·shift(H, t) adds into columns t … N − 1 of Λ, and Q·shift(H, t)ᵀ and W_tᵀ·shift(Q, −t)
// read columns t … N − 1 of Q; no shifted copy is formed. The native kernels call the BLAS; these form the same
// products row by row (two lanes at a time).

/** y[0 … n) += a·x[0 … n) (float64). */
function axpy(y: usize, x: usize, a: f64, n: i32): void {
  const av = f64x2.splat(a);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(av, v128.load(x + o))));
  }
  if (j < n) store<f64>(y + (<usize>j << 3), load<f64>(y + (<usize>j << 3)) + a * load<f64>(x + (<usize>j << 3)));
}

/** Σ x[j]·y[j] over [0, n) (float64). */
function dot(x: usize, y: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  let j = 0;
  for (; j + 2 <= n; j += 2) {
    const o = <usize>j << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(x + o), v128.load(y + o)));
  }
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (j < n) sum += load<f64>(x + (<usize>j << 3)) * load<f64>(y + (<usize>j << 3));
  return sum;
}

// @ts-ignore: decorator
@inline
function at(p: usize, i: usize): usize {
  return p + (i << 3);
}

/** V ← V / (eps + ΣV) and H ← H / (eps + ΣV): libnmfd fits the scaled target. Returns the scale eps + ΣV. */
export function nmfdScale(V: usize, H: usize, K: i32, N: i32, R: i32, eps: f64): f64 {
  const count = <usize>K * <usize>N;
  let total: f64 = 0;
  for (let i: usize = 0; i < count; i++) total += load<f64>(at(V, i));
  const scale = eps + total;
  for (let i: usize = 0; i < count; i++) store<f64>(at(V, i), load<f64>(at(V, i)) / scale);
  const hCount = <usize>R * <usize>N;
  for (let i: usize = 0; i < hCount; i++) store<f64>(at(H, i), load<f64>(at(H, i)) / scale);
  return scale;
}

/** L = Σ_t W_t · shift(H, t) + eps. */
export function nmfdModel(W: usize, H: usize, L: usize, K: i32, N: i32, R: i32, T: i32, eps: f64): void {
  memory.fill(L, 0, <usize>K * <usize>N * 8);
  for (let t = 0; t < T; t++) {
    const Wt = at(W, <usize>t * <usize>K * <usize>R);
    for (let k = 0; k < K; k++) {
      const row = at(L, <usize>k * <usize>N + <usize>t);
      for (let r = 0; r < R; r++) {
        const a = load<f64>(at(Wt, <usize>k * <usize>R + <usize>r));
        if (a != 0) axpy(row, at(H, <usize>r * <usize>N), a, N - t);
      }
    }
  }
  const count = <usize>K * <usize>N;
  for (let i: usize = 0; i < count; i++) store<f64>(at(L, i), load<f64>(at(L, i)) + eps);
}

/** Σ v·log(v/λ) − v + λ over V and L = Λ (0·log 0 = 0): the generalised KL divergence of the scaled target. */
export function nmfdDivergence(V: usize, L: usize, count: usize): f64 {
  let sum: f64 = 0;
  for (let i: usize = 0; i < count; i++) {
    const v = load<f64>(at(V, i)), l = load<f64>(at(L, i));
    sum += (v > 0 ? v * Math.log(v / l) : 0) - v + l;
  }
  return sum;
}

/** sqrt Σ (v − (λ − eps))² over V and L = Λ: ‖V − model‖_F of the scaled target. */
export function nmfdResidualNorm(V: usize, L: usize, count: usize, eps: f64): f64 {
  let sum: f64 = 0;
  for (let i: usize = 0; i < count; i++) {
    const e = load<f64>(at(V, i)) - (load<f64>(at(L, i)) - eps);
    sum += e * e;
  }
  return Math.sqrt(sum);
}

/**
 * One iteration: Λ and Q = V / (Λ + eps) from the current factors; for t = 0 … T − 1, W_t ← W_t ⊙ (Q·shift(H, t)ᵀ)
 * / (1·shift(H, t)ᵀ + eps) unless W is fixed, and the H ratio accumulated from the new W_t as
 * (W_tᵀ·shift(Q, −t)) / (W_tᵀ·1 + eps); then H ← H ⊙ ratio / T unless H is fixed; then every template is scaled to
 * unit sum (over k and t) by 1 / (eps + sum), fixed or not. Writes ‖ΔH‖_F to `hChange` and ‖ΔW‖_F to `wChange`.
 * Buffers as native/nmfd.h's NmfdBuffers: L K×N, numW K×R, multH and WtQ R×N, oldW T×K×R, sums R.
 */
export function nmfdIterate(
  V: usize, W: usize, H: usize, L: usize, numW: usize, multH: usize, WtQ: usize, oldW: usize, sums: usize,
  K: i32, N: i32, R: i32, T: i32, eps: f64, updateW: bool, updateH: bool, hChange: usize, wChange: usize,
): void {
  nmfdModel(W, H, L, K, N, R, T, eps);
  const count = <usize>K * <usize>N;
  for (let i: usize = 0; i < count; i++) store<f64>(at(L, i), load<f64>(at(V, i)) / (load<f64>(at(L, i)) + eps));
  const wCount = <usize>T * <usize>K * <usize>R;
  memory.copy(oldW, W, wCount << 3);
  memory.fill(multH, 0, <usize>R * <usize>N * 8);
  for (let t = 0; t < T; t++) {
    const Wt = at(W, <usize>t * <usize>K * <usize>R);
    const n = N - t;
    if (updateW) {
      for (let k = 0; k < K; k++) {
        const q = at(L, <usize>k * <usize>N + <usize>t);
        for (let r = 0; r < R; r++) store<f64>(at(numW, <usize>k * <usize>R + <usize>r), dot(q, at(H, <usize>r * <usize>N), n));
      }
      for (let r = 0; r < R; r++) {
        let sum: f64 = 0;
        for (let j = 0; j < n; j++) sum += load<f64>(at(H, <usize>r * <usize>N + <usize>j));
        store<f64>(at(sums, r), sum + eps);
      }
      for (let k = 0; k < K; k++) {
        for (let r = 0; r < R; r++) {
          const w = at(Wt, <usize>k * <usize>R + <usize>r);
          store<f64>(w, load<f64>(w) * (load<f64>(at(numW, <usize>k * <usize>R + <usize>r)) / load<f64>(at(sums, r))));
        }
      }
    }
    for (let r = 0; r < R; r++) store<f64>(at(sums, r), 0);
    for (let k = 0; k < K; k++) {
      for (let r = 0; r < R; r++) store<f64>(at(sums, r), load<f64>(at(sums, r)) + load<f64>(at(Wt, <usize>k * <usize>R + <usize>r)));
    }
    for (let r = 0; r < R; r++) store<f64>(at(sums, r), load<f64>(at(sums, r)) + eps);
    memory.fill(WtQ, 0, <usize>R * <usize>N * 8);
    for (let k = 0; k < K; k++) {
      const q = at(L, <usize>k * <usize>N + <usize>t);
      for (let r = 0; r < R; r++) {
        const a = load<f64>(at(Wt, <usize>k * <usize>R + <usize>r));
        if (a != 0) axpy(at(WtQ, <usize>r * <usize>N), q, a, n);
      }
    }
    for (let r = 0; r < R; r++) {
      const d = load<f64>(at(sums, r));
      for (let j = 0; j < n; j++) {
        const i = <usize>r * <usize>N + <usize>j;
        store<f64>(at(multH, i), load<f64>(at(multH, i)) + load<f64>(at(WtQ, i)) / d);
      }
    }
  }
  let dh: f64 = 0;
  if (updateH) {
    const hCount = <usize>R * <usize>N;
    for (let i: usize = 0; i < hCount; i++) {
      const old = load<f64>(at(H, i));
      const next = old * (load<f64>(at(multH, i)) / <f64>T);
      store<f64>(at(H, i), next);
      dh += (next - old) * (next - old);
    }
  }
  for (let r = 0; r < R; r++) store<f64>(at(sums, r), 0);
  for (let i: usize = 0; i < wCount; i++) {
    const r = <i32>(i % <usize>R);
    store<f64>(at(sums, r), load<f64>(at(sums, r)) + load<f64>(at(W, i)));
  }
  for (let r = 0; r < R; r++) store<f64>(at(sums, r), 1 / (eps + load<f64>(at(sums, r))));
  let dw: f64 = 0;
  for (let i: usize = 0; i < wCount; i++) {
    const w = load<f64>(at(W, i)) * load<f64>(at(sums, <i32>(i % <usize>R)));
    store<f64>(at(W, i), w);
    const d = w - load<f64>(at(oldW, i));
    dw += d * d;
  }
  store<f64>(hChange, Math.sqrt(dh));
  store<f64>(wChange, Math.sqrt(dw));
}
