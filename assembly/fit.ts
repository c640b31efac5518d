// The state of one fit, one iteration, the run loop and finish (docs/kernels.md). Parallel to native/fit.cc.
//
// A fit lives in one arena of linear memory that the JavaScript loader allocates (src/backends/wasm.ts): a
// header followed by every buffer the fit will ever need, so nothing is allocated per iteration. The only other
// memory a fit uses is the Lanczos workspace that the loader hands to `finish`.
//
// A fit stores and computes in float64 or float32 (the header's element size); every kernel below is generic in
// that type T and instantiated for both, and the exported entry points dispatch on the header once per call.

import {
  changeGramAAt, changeGramAtA, changeGramAtAAdd, gramAAt, gramAtA, gramAtAAdd, lanes, mulABt, mulAtB, mulAtBAdd,
  mulSmallInner, mulSmallInnerWide, NB, vadd, vdiv, vload, vmul, vsplatValue, vsub, vzero,
} from './products';
import { largestSingularValueFromGram, residualSpectralNorm, scaleOf } from './spectral';

/** Iterations one `run` call may be asked for: the size of the two change-norm arrays in the arena. */
export const RUN_CHUNK: i32 = 1024;

// Header fields (byte offsets from the arena's start).
const H_K = 0; // u32 rows of V and W
const H_N = 4; // u32 columns of V and H
const H_R = 8; // u32 rank
const H_FLAGS = 12; // u32 FLAG_*
const H_EPS = 16; // f64 added to both denominators
const H_TOL = 24; // f64 tolerance of the stop test
const H_FROBENIUS = 32; // f64 ‖E‖_F, set by finish
const H_BYTES = 40; // u32 bytes per element of the matrices: 8 (float64) or 4 (float32)
const H_BLOCK = 44; // u32 rows of V per block of the fused sweep; 0: the plain kernel
const H_PTRS = 64; // usize pointers to the buffers below, in this order (T: the fit's element type):
const P_V = 0; //      T   K×N (becomes E = V − W·H in finish)
const P_W = 1; //      T   K×R
const P_H = 2; //      T   R×N
const P_H_OLD = 3; //  T   R×N: H before the update, then the change H − H_old
const P_W_OLD = 4; //  T   K×R (fused: one block, B×R): the same for W
const P_NUM_H = 5; //  T   R×N: WᵀV (fused: accumulated by the sweep for the next iteration)
const P_DEN_H = 6; //  T   R×N: (WᵀW)H
const P_NUM_W = 7; //  T   K×R (fused: B×R): VHᵀ
const P_DEN_W = 8; //  T   K×R (fused: B×R): W(HHᵀ)
const P_RR = 9; //     T   R×R: WᵀW, then HHᵀ (fused: HHᵀ only)
const P_WTW = 10; //   T   R×R, fused only: WᵀW, accumulated by the sweep for the next iteration
const P_GRAM = 11; //  f64 R×R: Gram of a change (destroyed by Jacobi)
const P_H_CHANGES = 12; // RUN_CHUNK doubles: hChange of the iterations of one run call
const P_W_CHANGES = 13; // RUN_CHUNK doubles: wChange
const P_COUNT = 14;
const HEADER_BYTES = 128; // H_PTRS + 4·P_COUNT ≤ 128

const FLAG_CONVERGED = 1; // the last iteration run passed the tol test
const FLAG_FINISHED = 2; // finish has normalised W, H and formed E
const FLAG_PRIMED = 4; // fused: P_NUM_H and P_WTW hold WᵀV and WᵀW of the current W

// @ts-ignore: decorator
@inline
function ptr(fit: usize, p: i32): usize {
  return load<usize>(fit + H_PTRS + (<usize>p << 2));
}

// @ts-ignore: decorator
@inline
function align64(bytes: f64): f64 {
  return Math.ceil(bytes / 64) * 64;
}

/**
 * Lays the buffers out after the header (each on a 64-byte boundary) and returns the arena's size in bytes.
 * With fit = 0 it only measures; the size is computed in f64 so that the caller can check it against 2^32.
 */
function layout(fit: usize, K: i32, N: i32, R: i32, bytes: i32, B: i32): f64 {
  let offset: f64 = HEADER_BYTES;
  for (let p = 0; p < P_COUNT; p++) {
    if (fit != 0) store<usize>(fit + H_PTRS + (<usize>p << 2), fit + <usize>offset);
    offset += align64(partBytes(p, <f64>K, <f64>N, <f64>R, <f64>bytes, <f64>B));
  }
  return offset;
}

/** Bytes of buffer p (P_*) with `e` bytes per element and fused blocks of b rows (0: plain). */
function partBytes(p: i32, k: f64, n: f64, r: f64, e: f64, b: f64): f64 {
  switch (p) {
    case P_V: return k * n * e;
    case P_W: return k * r * e;
    case P_W_OLD: case P_NUM_W: case P_DEN_W: return (b > 0 ? b : k) * r * e;
    case P_H: case P_H_OLD: case P_NUM_H: case P_DEN_H: return r * n * e;
    case P_RR: return r * r * e;
    case P_WTW: return b > 0 ? r * r * e : 0;
    case P_GRAM: return r * r * 8;
    default: return <f64>RUN_CHUNK * 8; // P_H_CHANGES, P_W_CHANGES
  }
}

// The crossover between the two kernels, measured (docs/kernels.md, "Choosing the kernel"): these kernels are
// bound by arithmetic (8 to 26 GFLOP/s, f64x2 and f32x4 without fused multiply–add), so reading V once instead of
// twice gains little: on the 2-core development machine the fused sweep was 1–5% faster from V = 8 MB up
// (1025×2000 R 32: 19.71 vs 20.47 ms in float64; 500×20000 R 20: 29.77 vs 31.21 ms in float32) and level below,
// except where the column slab of WᵀV that mulAtBAdd resumes (R × min(N, NB) entries) does not fit in half the L2
// with the block: 4096×4096 R 64 float64 (1 MiB) was 1% slower in a quiet run and 4% in a busy one (its blocks
// evict that slab, which the plain product keeps in L2), while in float32 (512 KiB) it was 1% faster.

/** Bytes of a block of the fused sweep: its rows of V and of W take at most this much (half of a 1 MiB L2). */
const BLOCK_BYTES: f64 = 512 * 1024;

/**
 * Rows of V per block of the fused sweep when none were asked for: as many as fit in BLOCK_BYTES, rounded down to
 * a multiple of 16 (the products' register tiles take 4 rows of V at a time and their cache slabs 16, so a block
 * of 15 rows ran its last 3 rows on the slow remainder tiles: 8% slower at 4096×4096), at least 16.
 */
function autoBlockRows(N: i32, R: i32, bytes: i32): i32 {
  return <i32>max(16.0, Math.floor(BLOCK_BYTES / ((<f64>N + <f64>R) * <f64>bytes) / 16) * 16);
}

/** The fused sweep is chosen for V of at least this many bytes (and see fusedIsFaster). */
const FUSED_MIN_BYTES: f64 = 4 * 1024 * 1024;

/**
 * Whether the automatic choice is the fused sweep: V large enough, at least two blocks, and a column slab of WᵀV
 * (R × min(N, NB) entries) within BLOCK_BYTES.
 */
function fusedIsFaster(K: i32, N: i32, R: i32, bytes: i32): bool {
  return (
    <f64>K * <f64>N * <f64>bytes >= FUSED_MIN_BYTES &&
    K >= 2 * autoBlockRows(N, R, bytes) &&
    <f64>R * <f64>min(N, NB) * <f64>bytes <= BLOCK_BYTES
  );
}

/**
 * Rows of V per block of the fused sweep, or 0 for the plain kernel: `kernel` (0 auto, 1 plain, 2 fused) and
 * `blockRows` (0 = automatic) as requested, decided by the measured crossover. native/fit.cc's chooseBlockRows has
 * the same structure with the native backend's own measurements.
 */
export function chooseBlockRows(K: i32, N: i32, R: i32, bytes: i32, kernel: i32, blockRows: i32): i32 {
  if (kernel == 1 || (kernel == 0 && !fusedIsFaster(K, N, R, bytes))) return 0;
  const rows = blockRows > 0 ? blockRows : autoBlockRows(N, R, bytes);
  return max(1, min(rows, K));
}

/**
 * Bytes of the arena of a K×N rank-R fit with `bytes` bytes per element (8 or 4) and fused blocks of B rows (0:
 * the plain kernel); f64, as it may exceed 2^32, which the caller must reject.
 */
export function arenaBytes(K: i32, N: i32, R: i32, bytes: i32, B: i32): f64 {
  return layout(0, K, N, R, bytes, B);
}

/** Sets up the header of a fit in the arena at `fit` (64-byte aligned, arenaBytes long). */
export function init(fit: usize, K: i32, N: i32, R: i32, eps: f64, tol: f64, bytes: i32, B: i32): void {
  memory.fill(fit, 0, HEADER_BYTES);
  store<u32>(fit + H_K, K);
  store<u32>(fit + H_N, N);
  store<u32>(fit + H_R, R);
  store<f64>(fit + H_EPS, eps);
  store<f64>(fit + H_TOL, tol);
  store<u32>(fit + H_BYTES, bytes);
  store<u32>(fit + H_BLOCK, B);
  layout(fit, K, N, R, bytes, B);
}

/** Where the loader copies V in (and, after finish, E). */
export function ptrV(fit: usize): usize { return ptr(fit, P_V); }
/** Where the loader copies W in and the result out. */
export function ptrW(fit: usize): usize { return ptr(fit, P_W); }
/** Where the loader copies H in and the result out. */
export function ptrH(fit: usize): usize { return ptr(fit, P_H); }
/** RUN_CHUNK doubles to pass to run as hOut. */
export function ptrHChanges(fit: usize): usize { return ptr(fit, P_H_CHANGES); }
/** RUN_CHUNK doubles to pass to run as wOut. */
export function ptrWChanges(fit: usize): usize { return ptr(fit, P_W_CHANGES); }
/** Whether the last iteration of the last run call passed the tol test. */
export function converged(fit: usize): bool { return (load<u32>(fit + H_FLAGS) & FLAG_CONVERGED) != 0; }
/** ‖V − W·H‖_F, valid after finish. */
export function frobeniusError(fit: usize): f64 { return load<f64>(fit + H_FROBENIUS); }

/**
 * X ← X ⊙ (num ⊘ (den + eps)) over `count` entries, and at the same time old ← X_new − X_old, the change.
 * The factor is formed as libfmp does: x · (num / (den + eps)).
 */
function updateFactor<T>(X: usize, num: usize, den: usize, old: usize, count: usize, eps: T): void {
  const e = vsplatValue<T>(eps);
  const bytes = count * sizeof<T>();
  const vecBytes = bytes & ~(<usize>15);
  let o: usize = 0;
  for (; o < vecBytes; o += 16) {
    const x = v128.load(X + o);
    const xn = vmul<T>(x, vdiv<T>(v128.load(num + o), vadd<T>(v128.load(den + o), e)));
    v128.store(X + o, xn);
    v128.store(old + o, vsub<T>(xn, x));
  }
  for (; o < bytes; o += sizeof<T>()) {
    const x = load<T>(X + o);
    const xn: T = x * (load<T>(num + o) / (load<T>(den + o) + eps));
    store<T>(X + o, xn);
    store<T>(old + o, xn - x);
  }
}

/**
 * One iteration of the plain kernel: H update, W update (with the new H), then the spectral norms of both
 * changes. Reads V twice (WᵀV, VHᵀ).
 */
function iteratePlain<T>(fit: usize, hOut: usize, wOut: usize): void {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const eps = <T>load<f64>(fit + H_EPS);
  const V = ptr(fit, P_V), W = ptr(fit, P_W), H = ptr(fit, P_H);
  const RR = ptr(fit, P_RR), G = ptr(fit, P_GRAM);

  // H ← H ⊙ (WᵀV) ⊘ ((WᵀW)H + eps); ΔH ← H − H_old.
  const numH = ptr(fit, P_NUM_H), denH = ptr(fit, P_DEN_H), hOld = ptr(fit, P_H_OLD);
  mulAtB<T>(W, V, numH, R, K, N);
  gramAtA<T>(W, RR, K, R);
  mulSmallInner<T>(RR, H, denH, R, R, N);
  updateFactor<T>(H, numH, denH, hOld, <usize>R * <usize>N, eps);

  // W ← W ⊙ (VHᵀ) ⊘ (W(HHᵀ) + eps) with the new H; ΔW ← W − W_old.
  const numW = ptr(fit, P_NUM_W), denW = ptr(fit, P_DEN_W), wOld = ptr(fit, P_W_OLD);
  mulABt<T>(V, H, numW, K, N, R);
  gramAAt<T>(H, RR, R, N);
  mulSmallInner<T>(W, RR, denW, K, R, R);
  updateFactor<T>(W, numW, denW, wOld, <usize>K * <usize>R, eps);

  // hChange = ‖ΔH‖₂ from the R×R Gram ΔHΔHᵀ, wChange from ΔWᵀΔW (float64).
  changeGramAAt<T>(hOld, G, R, N);
  store<f64>(hOut, largestSingularValueFromGram(G, R));
  changeGramAtA<T>(wOld, G, K, R);
  store<f64>(wOut, largestSingularValueFromGram(G, R));
}

/**
 * One iteration of the fused kernel: the same updates, but V is read once, by a sweep over blocks of its rows
 * that updates W block by block and accumulates WᵀV and WᵀW of the new W for the next iteration's H update, and
 * ΔWᵀΔW for wChange. The first iteration gets WᵀV and WᵀW of the initial W from one extra pass (primed).
 */
function iterateFused<T>(fit: usize, hOut: usize, wOut: usize): void {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const B = load<i32>(fit + H_BLOCK);
  const eps = <T>load<f64>(fit + H_EPS);
  const V = ptr(fit, P_V), W = ptr(fit, P_W), H = ptr(fit, P_H);
  const numH = ptr(fit, P_NUM_H), WtW = ptr(fit, P_WTW), HHt = ptr(fit, P_RR), G = ptr(fit, P_GRAM);
  const flags = load<u32>(fit + H_FLAGS);
  if ((flags & FLAG_PRIMED) == 0) {
    mulAtB<T>(W, V, numH, R, K, N);
    gramAtA<T>(W, WtW, K, R);
    store<u32>(fit + H_FLAGS, flags | FLAG_PRIMED);
  }

  // H ← H ⊙ (WᵀV) ⊘ ((WᵀW)H + eps) with WᵀV and WᵀW from the last sweep; ΔH ← H − H_old; hChange.
  const denH = ptr(fit, P_DEN_H), hOld = ptr(fit, P_H_OLD);
  mulSmallInner<T>(WtW, H, denH, R, R, N);
  updateFactor<T>(H, numH, denH, hOld, <usize>R * <usize>N, eps);
  changeGramAAt<T>(hOld, G, R, N);
  store<f64>(hOut, largestSingularValueFromGram(G, R));

  // The sweep: for each block of rows i, W_i ← W_i ⊙ (V_iHᵀ) ⊘ (W_i(HHᵀ) + eps); then, with the new W_i,
  // ΔWᵀΔW += ΔW_iᵀΔW_i, WᵀV += W_iᵀV_i and WᵀW += W_iᵀW_i.
  const numW = ptr(fit, P_NUM_W), denW = ptr(fit, P_DEN_W), wOld = ptr(fit, P_W_OLD);
  gramAAt<T>(H, HHt, R, N);
  const vRow = <usize>N * sizeof<T>(), wRow = <usize>R * sizeof<T>();
  for (let i0 = 0; i0 < K; i0 += B) {
    const rows = min(B, K - i0);
    const first = i0 == 0;
    const Vi = V + <usize>i0 * vRow;
    const Wi = W + <usize>i0 * wRow;
    mulABt<T>(Vi, H, numW, rows, N, R);
    mulSmallInner<T>(Wi, HHt, denW, rows, R, R);
    updateFactor<T>(Wi, numW, denW, wOld, <usize>rows * <usize>R, eps);
    changeGramAtAAdd<T>(wOld, G, rows, R, first);
    mulAtBAdd<T>(Wi, Vi, numH, R, rows, N, first);
    gramAtAAdd<T>(Wi, WtW, rows, R, first);
  }
  store<f64>(wOut, largestSingularValueFromGram(G, R));
}

/**
 * Runs at most `steps` iterations (1 ≤ steps ≤ RUN_CHUNK when hOut/wOut are the arena's change arrays),
 * writing iteration i's norms to hOut[i] and wOut[i]; stops after the first iteration whose two norms are
 * both < tol. Returns the number of iterations executed.
 */
export function run(fit: usize, steps: i32, hOut: usize, wOut: usize): i32 {
  return load<u32>(fit + H_BYTES) == 4 ? runOf<f32>(fit, steps, hOut, wOut) : runOf<f64>(fit, steps, hOut, wOut);
}

function runOf<T>(fit: usize, steps: i32, hOut: usize, wOut: usize): i32 {
  const tol = load<f64>(fit + H_TOL);
  const fused = load<u32>(fit + H_BLOCK) > 0;
  let done = 0;
  let converged = false;
  while (done < steps) {
    const h = hOut + (<usize>done << 3);
    const w = wOut + (<usize>done << 3);
    if (fused) iterateFused<T>(fit, h, w);
    else iteratePlain<T>(fit, h, w);
    done++;
    if (load<f64>(h) < tol && load<f64>(w) < tol) {
      converged = true;
      break;
    }
  }
  // Read after the loop: iterateFused sets FLAG_PRIMED.
  const flags = load<u32>(fit + H_FLAGS) & ~FLAG_CONVERGED;
  store<u32>(fit + H_FLAGS, converged ? flags | FLAG_CONVERGED : flags);
  return done;
}

/** For each column r of W whose maximum is > 0: divide the column by it and multiply row r of H by it. */
function normalizeMax<T>(W: usize, H: usize, K: i32, N: i32, R: i32): void {
  const e = sizeof<T>();
  for (let r = 0; r < R; r++) {
    let m: T = load<T>(W + <usize>r * e);
    for (let k = 1; k < K; k++) m = max(m, load<T>(W + (<usize>k * <usize>R + <usize>r) * e));
    if (!(m > 0)) continue;
    for (let k = 0; k < K; k++) {
      const p = W + (<usize>k * <usize>R + <usize>r) * e;
      store<T>(p, load<T>(p) / m);
    }
    const row = H + <usize>r * <usize>N * e;
    for (let j = 0; j < N; j++) {
      const p = row + <usize>j * e;
      store<T>(p, load<T>(p) * m);
    }
  }
}

/**
 * E ← V − W·H in place of V (V is not needed after the loop). W·H goes through the product kernel, R rows at a
 * time into the H_old buffer (R×N), and is then subtracted: every entry equals that of the full product formed
 * first and subtracted after (the kernel's summation order does not depend on how many rows it is given).
 * For a float32 fit, W·H and the subtraction are float64 (⌊R/2⌋ rows at a time, so the float64 rows fit in
 * H_old) and only E is rounded to float32, so that E is accurate relative to itself, not to V.
 */
function formResidual<T>(V: usize, W: usize, H: usize, scratch: usize, K: i32, N: i32, R: i32): void {
  const rowBytes = <usize>N * sizeof<T>();
  const chunk = sizeof<T>() == 8 ? R : max(1, R >> 1);
  for (let i0 = 0; i0 < K; i0 += chunk) {
    const rows = min(chunk, K - i0);
    const e = V + <usize>i0 * rowBytes;
    const Wi = W + <usize>i0 * <usize>R * sizeof<T>();
    if (sizeof<T>() == 8) {
      mulSmallInner<T>(Wi, H, scratch, rows, R, N);
      const bytes = <usize>rows * rowBytes;
      const vecBytes = bytes & ~(<usize>15);
      let o: usize = 0;
      for (; o < vecBytes; o += 16) v128.store(e + o, vsub<T>(v128.load(e + o), v128.load(scratch + o)));
      if (o < bytes) store<T>(e + o, load<T>(e + o) - load<T>(scratch + o));
    } else {
      mulSmallInnerWide<T>(Wi, H, scratch, rows, R, N);
      const count = <usize>rows * <usize>N;
      for (let i: usize = 0; i < count; i++) {
        const p = e + i * sizeof<T>();
        store<T>(p, <T>(<f64>load<T>(p) - load<f64>(scratch + (i << 3))));
      }
    }
  }
}

/**
 * sqrt(Σ x²) over `count` entries of T, summed in float64: two lanes (even and odd index), then their sum, then
 * the last entry.
 */
function frobenius<T>(X: usize, count: usize): f64 {
  // On c·X (spectral.ts, scaleOf: exact, and no square overflows or underflows), divided by c.
  const c = scaleOf<T>(X, count);
  const cv = f64x2.splat(c);
  let acc = vzero<f64>();
  const pairs = count >> 1;
  const step = <usize>lanes<f64>() * sizeof<T>();
  let p = X;
  for (let q: usize = 0; q < pairs; q++) {
    const x = vmul<f64>(vload<T, f64>(p), cv);
    acc = vadd<f64>(acc, vmul<f64>(x, x));
    p += step;
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (count & 1) {
    const x = <f64>load<T>(p) * c;
    s += x * x;
  }
  return Math.sqrt(s) / c;
}

/**
 * Normalises W and H when `normalize` (max-normalisation), forms E = V − W·H once and its Frobenius norm (all
 * of this only on the first call), then returns ‖E‖₂ by Lanczos using the workspace `work` sized for at most
 * m steps (spectral.ts, lanczosWorkBytes), or −1 when m steps were not enough: the loader then calls again
 * with a larger workspace and the Lanczos run starts over (it is deterministic, so only m changes).
 */
export function finish(fit: usize, normalize: bool, work: usize, m: i32): f64 {
  return load<u32>(fit + H_BYTES) == 4 ? finishOf<f32>(fit, normalize, work, m) : finishOf<f64>(fit, normalize, work, m);
}

function finishOf<T>(fit: usize, normalize: bool, work: usize, m: i32): f64 {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const V = ptr(fit, P_V);
  const flags = load<u32>(fit + H_FLAGS);
  if ((flags & FLAG_FINISHED) == 0) {
    const W = ptr(fit, P_W), H = ptr(fit, P_H);
    if (normalize) normalizeMax<T>(W, H, K, N, R);
    formResidual<T>(V, W, H, ptr(fit, P_H_OLD), K, N, R);
    store<f64>(fit + H_FROBENIUS, frobenius<T>(V, <usize>K * <usize>N));
    store<u32>(fit + H_FLAGS, flags | FLAG_FINISHED);
  }
  return residualSpectralNorm<T>(V, K, N, work, m);
}
