// The state of one fit, one iteration, the run loop and finish (docs/kernels.md, docs/algorithms.md). Parallel
// to native/fit.cc.
//
// A fit lives in one arena of linear memory that the JavaScript loader allocates (src/backends/wasm.ts): a
// header followed by every buffer the fit will ever need, so nothing is allocated per iteration. The only other
// memory a fit uses is the Lanczos workspace that the loader hands to `finish`.
//
// A fit stores and computes in float64 or float32 (the header's element size); every kernel below is generic in
// that type T and instantiated for both, and the exported entry points dispatch on the header once per call.
//
// Three iteration structures (docs/algorithms.md §2, §5): the Gram form (β = 2 without a mask: MU or HALS) runs
// iteratePlain, or iterateFused for MU updating both factors when the fused sweep is chosen; every other case
// (β ≠ 2 or a mask) runs iterateRatio. The per-entry and sweep kernels are in updates.ts.

import {
  changeGramAAt, changeGramAtA, changeGramAtAAdd, gramAAt, gramAtA, gramAtAAdd, lanes, mulABt, mulAtB, mulAtBAdd,
  mulSmallInner, mulSmallInnerWide, NB, vadd, vload, vmul, vsub, vzero,
} from './products';
import { largestSingularValueFromGram, residualSpectralNorm, scaleOf } from './spectral';
import {
  columnSums, divergenceSum, euclideanFromProducts, formRatios, halsSweepColumns, halsSweepRows, maskResidual,
  mmExponent, normalizeColumns, penaltySum, residualDivergence, rowSums, sumSquares, updateMu, updateMuKlL2,
} from './updates';

/** Iterations one `run` call may be asked for: the size of the change-norm and objective arrays in the arena. */
export const RUN_CHUNK: i32 = 1024;

// The algorithm word (`algo` of arenaBytes, init and chooseBlockRows; src/backends/wasm.ts sets the same bits).
const ALG_HALS: u32 = 1; // solver 'hals' (else 'mu')
const ALG_KEEP_W: u32 = 2; // updateW false
const ALG_KEEP_H: u32 = 4; // updateH false
const ALG_MASK: u32 = 8; // a mask is given (P_MASK holds it)
const ALG_FIXED: u32 = 16; // some columns of W are fixed (P_FIXED says which)

// Stop rules (configure's `stop`).
const STOP_CHANGE: u32 = 0;
const STOP_OBJECTIVE: u32 = 1;
// 2: 'none'

// Header fields (byte offsets from the arena's start).
const H_K = 0; // u32 rows of V and W
const H_N = 4; // u32 columns of V and H
const H_R = 8; // u32 rank
const H_FLAGS = 12; // u32 FLAG_*
const H_EPS = 16; // f64 added to every MU denominator; the floor of Λ for β < 2
const H_TOL = 24; // f64 tolerance of the stop test
const H_FROBENIUS = 32; // f64 ‖E‖_F, set by finish
const H_BYTES = 40; // u32 bytes per element of the matrices: 8 (float64) or 4 (float32)
const H_BLOCK = 44; // u32 rows of V per block of the fused sweep; 0: another kernel
const H_ALGO = 48; // u32 ALG_*
const H_STOP = 52; // u32 STOP_*
const H_EVERY = 56; // u32 errorEvery: the objective is evaluated after every errorEvery-th iteration
const H_ITER = 60; // u32 iterations run since the fit began
const H_BETA = 64; // f64 β
const H_GAMMA = 72; // f64 γ(β), the MM exponent
const H_L1W = 80; // f64 penalties
const H_L2W = 88;
const H_L1H = 96;
const H_L2H = 104;
const H_F0 = 112; // f64 F(W0, H0), set at the first run (or by finish when run was never called)
const H_FPREV = 120; // f64 F at the last checkpoint (F0 before the first): the 'objective' stop rule's reference
const H_NORMV2 = 128; // f64 ‖V‖²_F (Gram form), set at the first run
const H_OBJECTIVE = 136; // f64 F of the returned factors, set by finish
const H_PTRS = 160; // usize pointers to the buffers below, in this order (T: the fit's element type):
const P_V = 0; //      T   K×N (becomes E = V − W·H in finish)
const P_W = 1; //      T   K×R
const P_H = 2; //      T   R×N
const P_H_OLD = 3; //  T   R×N: the change H − H_old
const P_W_OLD = 4; //  T   K×R (fused: one block, B×R): the same for W
const P_NUM_H = 5; //  T   R×N: WᵀV or WᵀP (fused: WᵀV accumulated by the sweep for the next iteration)
const P_DEN_H = 6; //  T   R×N: (WᵀW)H or WᵀQ
const P_NUM_W = 7; //  T   K×R (fused: B×R): VHᵀ or PHᵀ
const P_DEN_W = 8; //  T   K×R (fused: B×R): W(HHᵀ) or QHᵀ
const P_RR = 9; //     T   R×R: WᵀW, then HHᵀ (fused: HHᵀ only)
const P_WTW = 10; //   T   R×R, fused only: WᵀW, accumulated by the sweep for the next iteration
const P_GRAM = 11; //  f64 R×R: Gram of a change (destroyed by Jacobi)
const P_H_CHANGES = 12; // RUN_CHUNK doubles: hChange of the iterations of one run call
const P_W_CHANGES = 13; // RUN_CHUNK doubles: wChange
const P_SPARE = 14; // T   R×R: HALS's Gram + l2·I; the Gram a checkpoint or F(W0, H0) needs besides P_RR
const P_OBJECTIVES = 15; // RUN_CHUNK doubles: F at the checkpoints of one run call (NaN elsewhere)
const P_FIXED = 16; // u8  R: 1 = column r of W is fixed
const P_MASK = 17; //  T   K×N, with a mask only
const P_LAMBDA = 18; // T  K×N, ratio form only: Λ = W·H, overwritten by P (formRatios)
const P_Q = 19; //     T   K×N, ratio form with a mask or β ≠ 1 only: Q
const P_COUNT = 20;
const HEADER_BYTES = 256; // H_PTRS + 4·P_COUNT ≤ 256

const FLAG_CONVERGED = 1; // the last iteration run passed the stop rule
const FLAG_FINISHED = 2; // finish has normalised W, H and formed E
// Fused: P_NUM_H and P_WTW hold WᵀV and WᵀW of the current W. Plain with updateW false: P_NUM_H and P_RR hold
// WᵀV and WᵀW, which never change, so every H half-step after the first reuses them; with updateH false, P_NUM_W
// and P_RR hold VHᵀ and HHᵀ, reused by the W half-steps alike.
const FLAG_PRIMED = 4;
const FLAG_STARTED = 8; // F(W0, H0) (and ‖V‖²) have been computed
const FLAG_LAMBDA = 16; // ratio form: P_LAMBDA holds W·H of the current factors (formed by a checkpoint)

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

/** Whether the ratio form runs: MU with β ≠ 2 or a mask (HALS is the facade's to reject otherwise). */
// @ts-ignore: decorator
@inline
function isRatio(beta: f64, algo: u32): bool {
  return (algo & ALG_HALS) == 0 && (beta != 2 || (algo & ALG_MASK) != 0);
}

/** Whether the ratio form needs Q: not for KL without a mask, whose Q ≡ 1 becomes column and row sums. */
// @ts-ignore: decorator
@inline
function needsQ(beta: f64, algo: u32): bool {
  return isRatio(beta, algo) && ((algo & ALG_MASK) != 0 || beta != 1);
}

/** Whether the fused sweep can run this algorithm: MU, Gram form, both factors updated. */
// @ts-ignore: decorator
@inline
function fusable(beta: f64, algo: u32): bool {
  return beta == 2 && (algo & (ALG_HALS | ALG_MASK | ALG_KEEP_W | ALG_KEEP_H)) == 0;
}

/**
 * Lays the buffers out after the header (each on a 64-byte boundary) and returns the arena's size in bytes.
 * With fit = 0 it only measures; the size is computed in f64 so that the caller can check it against 2^32.
 */
function layout(fit: usize, K: i32, N: i32, R: i32, bytes: i32, B: i32, beta: f64, algo: u32): f64 {
  let offset: f64 = HEADER_BYTES;
  for (let p = 0; p < P_COUNT; p++) {
    if (fit != 0) store<usize>(fit + H_PTRS + (<usize>p << 2), fit + <usize>offset);
    offset += align64(partBytes(p, <f64>K, <f64>N, <f64>R, <f64>bytes, <f64>B, beta, algo));
  }
  return offset;
}

/** Bytes of buffer p (P_*) with `e` bytes per element and fused blocks of b rows (0: plain). */
function partBytes(p: i32, k: f64, n: f64, r: f64, e: f64, b: f64, beta: f64, algo: u32): f64 {
  switch (p) {
    case P_V: return k * n * e;
    case P_W: return k * r * e;
    case P_W_OLD: case P_NUM_W: case P_DEN_W: return (b > 0 ? b : k) * r * e;
    case P_H: case P_H_OLD: case P_NUM_H: case P_DEN_H: return r * n * e;
    case P_RR: case P_SPARE: return r * r * e;
    case P_WTW: return b > 0 ? r * r * e : 0;
    case P_GRAM: return r * r * 8;
    case P_FIXED: return r;
    case P_MASK: return (algo & ALG_MASK) != 0 ? k * n * e : 0;
    case P_LAMBDA: return isRatio(beta, algo) ? k * n * e : 0;
    case P_Q: return needsQ(beta, algo) ? k * n * e : 0;
    default: return <f64>RUN_CHUNK * 8; // P_H_CHANGES, P_W_CHANGES, P_OBJECTIVES
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
 * Rows of V per block of the fused sweep, or 0 for another kernel: `kernel` (0 auto, 1 plain, 2 fused) and
 * `blockRows` (0 = automatic) as requested, decided by the measured crossover; 0 whenever the algorithm (β,
 * `algo`) is not one the fused sweep runs. native/fit.cc's chooseBlockRows has the same structure with the native
 * backend's own measurements.
 */
export function chooseBlockRows(K: i32, N: i32, R: i32, bytes: i32, kernel: i32, blockRows: i32, beta: f64, algo: u32): i32 {
  if (!fusable(beta, algo)) return 0;
  if (kernel == 1 || (kernel == 0 && !fusedIsFaster(K, N, R, bytes))) return 0;
  const rows = blockRows > 0 ? blockRows : autoBlockRows(N, R, bytes);
  return max(1, min(rows, K));
}

/**
 * Bytes of the arena of a K×N rank-R fit with `bytes` bytes per element (8 or 4), fused blocks of B rows (0:
 * another kernel), β and the algorithm word `algo` (ALG_*); f64, as it may exceed 2^32, which the caller must
 * reject.
 */
export function arenaBytes(K: i32, N: i32, R: i32, bytes: i32, B: i32, beta: f64, algo: u32): f64 {
  return layout(0, K, N, R, bytes, fusable(beta, algo) ? B : 0, beta, algo);
}

/**
 * Sets up the header of a fit in the arena at `fit` (64-byte aligned, arenaBytes long, same arguments), with the
 * seed's stop rule and no penalties until configure says otherwise. The mask (with ALG_MASK) and the fixed
 * columns are then copied in by the loader.
 */
export function init(fit: usize, K: i32, N: i32, R: i32, eps: f64, tol: f64, bytes: i32, B: i32, beta: f64, algo: u32): void {
  const block = fusable(beta, algo) ? B : 0;
  memory.fill(fit, 0, HEADER_BYTES);
  store<u32>(fit + H_K, K);
  store<u32>(fit + H_N, N);
  store<u32>(fit + H_R, R);
  store<f64>(fit + H_EPS, eps);
  store<f64>(fit + H_TOL, tol);
  store<u32>(fit + H_BYTES, bytes);
  store<u32>(fit + H_BLOCK, block);
  store<u32>(fit + H_ALGO, algo);
  store<u32>(fit + H_STOP, STOP_CHANGE);
  store<u32>(fit + H_EVERY, 1);
  store<f64>(fit + H_BETA, beta);
  store<f64>(fit + H_GAMMA, mmExponent(beta));
  layout(fit, K, N, R, bytes, block, beta, algo);
  memory.fill(ptr(fit, P_FIXED), 0, <usize>R);
}

/** The penalties, the stop rule (0 'change', 1 'objective', 2 'none') and errorEvery (≥ 1) of a fit. */
export function configure(fit: usize, l1W: f64, l2W: f64, l1H: f64, l2H: f64, stop: u32, errorEvery: u32): void {
  store<f64>(fit + H_L1W, l1W);
  store<f64>(fit + H_L2W, l2W);
  store<f64>(fit + H_L1H, l1H);
  store<f64>(fit + H_L2H, l2H);
  store<u32>(fit + H_STOP, stop);
  store<u32>(fit + H_EVERY, max<u32>(1, errorEvery));
}

/** Where the loader copies V in (and, after finish, E). */
export function ptrV(fit: usize): usize { return ptr(fit, P_V); }
/** Where the loader copies W in and the result out. */
export function ptrW(fit: usize): usize { return ptr(fit, P_W); }
/** Where the loader copies H in and the result out. */
export function ptrH(fit: usize): usize { return ptr(fit, P_H); }
/** Where the loader copies the mask in (K×N of the fit's element type); only with ALG_MASK. */
export function ptrMask(fit: usize): usize { return ptr(fit, P_MASK); }
/** Where the loader copies the fixed-column flags in (R bytes, 1 = fixed); only read with ALG_FIXED. */
export function ptrFixed(fit: usize): usize { return ptr(fit, P_FIXED); }
/** RUN_CHUNK doubles to pass to run as hOut. */
export function ptrHChanges(fit: usize): usize { return ptr(fit, P_H_CHANGES); }
/** RUN_CHUNK doubles to pass to run as wOut. */
export function ptrWChanges(fit: usize): usize { return ptr(fit, P_W_CHANGES); }
/** RUN_CHUNK doubles to pass to run as fOut. */
export function ptrObjectives(fit: usize): usize { return ptr(fit, P_OBJECTIVES); }
/** Whether the last iteration of the last run call passed the stop rule. */
export function converged(fit: usize): bool { return (load<u32>(fit + H_FLAGS) & FLAG_CONVERGED) != 0; }
/** ‖V − W·H‖_F, valid after finish. */
export function frobeniusError(fit: usize): f64 { return load<f64>(fit + H_FROBENIUS); }
/** F of the returned factors, valid after finish. */
export function objective(fit: usize): f64 { return load<f64>(fit + H_OBJECTIVE); }
/** F(W0, H0), valid after the first run or finish. */
export function initialObjective(fit: usize): f64 { return load<f64>(fit + H_F0); }

// @ts-ignore: decorator
@inline
function hasFlag(fit: usize, flag: u32): bool {
  return (load<u32>(fit + H_FLAGS) & flag) != 0;
}

// @ts-ignore: decorator
@inline
function setFlag(fit: usize, flag: u32, on: bool): void {
  const flags = load<u32>(fit + H_FLAGS);
  store<u32>(fit + H_FLAGS, on ? flags | flag : flags & ~flag);
}

/** The fixed-column flags, or 0 when no column is fixed. */
// @ts-ignore: decorator
@inline
function fixedOf(fit: usize): usize {
  return (load<u32>(fit + H_ALGO) & ALG_FIXED) != 0 ? ptr(fit, P_FIXED) : 0;
}

/** The mask, or 0 without one. */
// @ts-ignore: decorator
@inline
function maskOf(fit: usize): usize {
  return (load<u32>(fit + H_ALGO) & ALG_MASK) != 0 ? ptr(fit, P_MASK) : 0;
}

/** D = R×R Gram G plus l2 on the diagonal (HALS's G + l2·I), leaving G intact for the objective. */
function addDiagonal<T>(G: usize, D: usize, R: i32, l2: T): void {
  const e = sizeof<T>();
  memory.copy(D, G, <usize>R * <usize>R * e);
  for (let k = 0; k < R; k++) {
    const p = D + (<usize>k * <usize>R + <usize>k) * e;
    store<T>(p, load<T>(p) + l2);
  }
}

/**
 * One iteration of the plain kernel on the Gram form (β = 2 without a mask), MU or HALS: H half-step, W
 * half-step with the new H, then the spectral norms of both changes (0 for a factor not updated). Reads V twice
 * (WᵀV, VHᵀ); with one factor fixed, its products with V are formed once and reused (FLAG_PRIMED).
 */
function iteratePlain<T>(fit: usize, hOut: usize, wOut: usize): void {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const algo = load<u32>(fit + H_ALGO);
  const hals = (algo & ALG_HALS) != 0, keepW = (algo & ALG_KEEP_W) != 0, keepH = (algo & ALG_KEEP_H) != 0;
  const eps = <T>load<f64>(fit + H_EPS);
  const V = ptr(fit, P_V), W = ptr(fit, P_W), H = ptr(fit, P_H);
  const RR = ptr(fit, P_RR), spare = ptr(fit, P_SPARE), G = ptr(fit, P_GRAM);
  const primed = hasFlag(fit, FLAG_PRIMED);

  // H half-step with G = WᵀW, B = WᵀV (the MU numerator).
  const numH = ptr(fit, P_NUM_H), denH = ptr(fit, P_DEN_H), hOld = ptr(fit, P_H_OLD);
  if (!keepH) {
    const l1 = <T>load<f64>(fit + H_L1H), l2 = <T>load<f64>(fit + H_L2H);
    if (!(keepW && primed)) {
      mulAtB<T>(W, V, numH, R, K, N);
      gramAtA<T>(W, RR, K, R);
      if (keepW) setFlag(fit, FLAG_PRIMED, true);
    }
    if (hals) {
      addDiagonal<T>(RR, spare, R, l2);
      halsSweepRows<T>(H, spare, numH, hOld, R, N, l1);
    } else {
      mulSmallInner<T>(RR, H, denH, R, R, N);
      updateMu<T>(H, numH, denH, hOld, R, N, eps, l1, l2, <T>1, 0);
    }
    changeGramAAt<T>(hOld, G, R, N);
    store<f64>(hOut, largestSingularValueFromGram(G, R));
  } else {
    store<f64>(hOut, 0);
  }

  // W half-step with the new H: G = HHᵀ, B = VHᵀ.
  const numW = ptr(fit, P_NUM_W), denW = ptr(fit, P_DEN_W), wOld = ptr(fit, P_W_OLD);
  if (!keepW) {
    const l1 = <T>load<f64>(fit + H_L1W), l2 = <T>load<f64>(fit + H_L2W);
    const fixed = fixedOf(fit);
    if (!(keepH && primed)) {
      mulABt<T>(V, H, numW, K, N, R);
      gramAAt<T>(H, RR, R, N);
      if (keepH) setFlag(fit, FLAG_PRIMED, true);
    }
    if (hals) {
      addDiagonal<T>(RR, spare, R, l2);
      halsSweepColumns<T>(W, spare, numW, wOld, K, R, l1, fixed);
    } else {
      mulSmallInner<T>(W, RR, denW, K, R, R);
      updateMu<T>(W, numW, denW, wOld, K, R, eps, l1, l2, <T>1, fixed);
    }
    changeGramAtA<T>(wOld, G, K, R);
    store<f64>(wOut, largestSingularValueFromGram(G, R));
  } else {
    store<f64>(wOut, 0);
  }
}

/** Fused: WᵀV and WᵀW of the current W into P_NUM_H and P_WTW, once (later sweeps accumulate them). */
function primeFused<T>(fit: usize): void {
  if (hasFlag(fit, FLAG_PRIMED)) return;
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const W = ptr(fit, P_W);
  mulAtB<T>(W, ptr(fit, P_V), ptr(fit, P_NUM_H), R, K, N);
  gramAtA<T>(W, ptr(fit, P_WTW), K, R);
  setFlag(fit, FLAG_PRIMED, true);
}

/**
 * One iteration of the fused kernel (MU, Gram form, both factors updated): the same updates, but V is read once,
 * by a sweep over blocks of its rows that updates W block by block and accumulates WᵀV and WᵀW of the new W for
 * the next iteration's H update, and ΔWᵀΔW for wChange. The first iteration gets WᵀV and WᵀW of the initial W
 * from one extra pass (primed).
 */
function iterateFused<T>(fit: usize, hOut: usize, wOut: usize): void {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const B = load<i32>(fit + H_BLOCK);
  const eps = <T>load<f64>(fit + H_EPS);
  const V = ptr(fit, P_V), W = ptr(fit, P_W), H = ptr(fit, P_H);
  const numH = ptr(fit, P_NUM_H), WtW = ptr(fit, P_WTW), HHt = ptr(fit, P_RR), G = ptr(fit, P_GRAM);
  primeFused<T>(fit);

  // H ← MU step with WᵀV and WᵀW from the last sweep; ΔH ← H − H_old; hChange.
  const denH = ptr(fit, P_DEN_H), hOld = ptr(fit, P_H_OLD);
  mulSmallInner<T>(WtW, H, denH, R, R, N);
  updateMu<T>(H, numH, denH, hOld, R, N, eps, <T>load<f64>(fit + H_L1H), <T>load<f64>(fit + H_L2H), <T>1, 0);
  changeGramAAt<T>(hOld, G, R, N);
  store<f64>(hOut, largestSingularValueFromGram(G, R));

  // The sweep: for each block of rows i, W_i ← MU step with V_iHᵀ and W_i(HHᵀ); then, with the new W_i,
  // ΔWᵀΔW += ΔW_iᵀΔW_i, WᵀV += W_iᵀV_i and WᵀW += W_iᵀW_i.
  const numW = ptr(fit, P_NUM_W), denW = ptr(fit, P_DEN_W), wOld = ptr(fit, P_W_OLD);
  const l1 = <T>load<f64>(fit + H_L1W), l2 = <T>load<f64>(fit + H_L2W);
  const fixed = fixedOf(fit);
  gramAAt<T>(H, HHt, R, N);
  const vRow = <usize>N * sizeof<T>(), wRow = <usize>R * sizeof<T>();
  for (let i0 = 0; i0 < K; i0 += B) {
    const rows = min(B, K - i0);
    const first = i0 == 0;
    const Vi = V + <usize>i0 * vRow;
    const Wi = W + <usize>i0 * wRow;
    mulABt<T>(Vi, H, numW, rows, N, R);
    mulSmallInner<T>(Wi, HHt, denW, rows, R, R);
    updateMu<T>(Wi, numW, denW, wOld, rows, R, eps, l1, l2, <T>1, fixed);
    changeGramAtAAdd<T>(wOld, G, rows, R, first);
    mulAtBAdd<T>(Wi, Vi, numH, R, rows, N, first);
    gramAtAAdd<T>(Wi, WtW, rows, R, first);
  }
  store<f64>(wOut, largestSingularValueFromGram(G, R));
}

/**
 * One half-step of the ratio form: the MU update of H (`forH`) or W with num = AᵀP, den = AᵀQ (H) or PHᵀ, QHᵀ
 * (W), P and Q formed from Λ = W·H of the current factors (reused when a checkpoint formed it). Writes the
 * change's spectral norm to `out`.
 */
function ratioHalfStep<T>(fit: usize, forH: bool, out: usize): void {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const algo = load<u32>(fit + H_ALGO);
  const beta = load<f64>(fit + H_BETA);
  const eps = <T>load<f64>(fit + H_EPS), gamma = <T>load<f64>(fit + H_GAMMA);
  const V = ptr(fit, P_V), W = ptr(fit, P_W), H = ptr(fit, P_H), L = ptr(fit, P_LAMBDA), G = ptr(fit, P_GRAM);
  const Q = needsQ(beta, algo) ? ptr(fit, P_Q) : 0;
  if (!hasFlag(fit, FLAG_LAMBDA)) mulSmallInner<T>(W, H, L, K, R, N);
  // P overwrites Λ, which is not needed after it.
  formRatios<T>(V, maskOf(fit), L, L, Q, <usize>K * <usize>N, beta, eps);
  setFlag(fit, FLAG_LAMBDA, false);
  if (forH) {
    const num = ptr(fit, P_NUM_H), den = ptr(fit, P_DEN_H), change = ptr(fit, P_H_OLD);
    const l1 = <T>load<f64>(fit + H_L1H), l2 = <T>load<f64>(fit + H_L2H);
    mulAtB<T>(W, L, num, R, K, N);
    if (Q != 0) mulAtB<T>(W, Q, den, R, K, N);
    else columnSums<T>(W, K, R, den, N);
    if (beta == 1 && l2 > 0) updateMuKlL2<T>(H, num, den, change, R, N, eps, l1, l2, 0);
    else updateMu<T>(H, num, den, change, R, N, eps, l1, l2, gamma, 0);
    changeGramAAt<T>(change, G, R, N);
  } else {
    const num = ptr(fit, P_NUM_W), den = ptr(fit, P_DEN_W), change = ptr(fit, P_W_OLD);
    const l1 = <T>load<f64>(fit + H_L1W), l2 = <T>load<f64>(fit + H_L2W);
    const fixed = fixedOf(fit);
    mulABt<T>(L, H, num, K, N, R);
    if (Q != 0) mulABt<T>(Q, H, den, K, N, R);
    else rowSums<T>(H, R, N, den, K);
    if (beta == 1 && l2 > 0) updateMuKlL2<T>(W, num, den, change, K, R, eps, l1, l2, fixed);
    else updateMu<T>(W, num, den, change, K, R, eps, l1, l2, gamma, fixed);
    changeGramAtA<T>(change, G, K, R);
  }
  store<f64>(out, largestSingularValueFromGram(G, R));
}

/** One iteration of the ratio form (β ≠ 2 or a mask, MU): H half-step, then W with the new H (§2). */
function iterateRatio<T>(fit: usize, hOut: usize, wOut: usize): void {
  const algo = load<u32>(fit + H_ALGO);
  if ((algo & ALG_KEEP_H) == 0) ratioHalfStep<T>(fit, true, hOut);
  else store<f64>(hOut, 0);
  if ((algo & ALG_KEEP_W) == 0) ratioHalfStep<T>(fit, false, wOut);
  else store<f64>(wOut, 0);
}

/** l1W‖W‖₁ + ½l2W‖W‖² + l1H‖H‖₁ + ½l2H‖H‖² of the current factors (§1). */
function penalties<T>(fit: usize): f64 {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  return (
    penaltySum<T>(ptr(fit, P_W), <usize>K * <usize>R, load<f64>(fit + H_L1W), load<f64>(fit + H_L2W)) +
    penaltySum<T>(ptr(fit, P_H), <usize>R * <usize>N, load<f64>(fit + H_L1H), load<f64>(fit + H_L2H))
  );
}

/** The ratio form's D of the current factors: Λ = W·H into P_LAMBDA (kept for the next half-step), Σ m·d. */
function ratioDivergence<T>(fit: usize): f64 {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const L = ptr(fit, P_LAMBDA);
  if (!hasFlag(fit, FLAG_LAMBDA)) {
    mulSmallInner<T>(ptr(fit, P_W), ptr(fit, P_H), L, K, R, N);
    setFlag(fit, FLAG_LAMBDA, true);
  }
  const eps = <f64><T>load<f64>(fit + H_EPS);
  return divergenceSum<T>(ptr(fit, P_V), maskOf(fit), L, <usize>K * <usize>N, load<f64>(fit + H_BETA), eps);
}

/**
 * F after an iteration (§7). Ratio form: explicitly, forming Λ (which the next H half-step then reuses). Gram
 * form: from products the iteration has at hand: fused (WᵀV, H) with the sweep's WᵀW and this iteration's HHᵀ;
 * plain with W updated (VHᵀ, W) with the W half-step's HHᵀ and WᵀW of the new W (into the spare); plain with W
 * fixed (WᵀV, H) with the H half-step's WᵀW and HHᵀ of the new H (into the spare).
 */
function checkpoint<T>(fit: usize): f64 {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const algo = load<u32>(fit + H_ALGO);
  const beta = load<f64>(fit + H_BETA);
  let D: f64;
  if (isRatio(beta, algo)) {
    D = ratioDivergence<T>(fit);
  } else {
    const normV2 = load<f64>(fit + H_NORMV2);
    const W = ptr(fit, P_W), H = ptr(fit, P_H), RR = ptr(fit, P_RR), spare = ptr(fit, P_SPARE);
    if (load<u32>(fit + H_BLOCK) > 0) {
      D = euclideanFromProducts<T>(normV2, ptr(fit, P_NUM_H), H, <usize>R * <usize>N, ptr(fit, P_WTW), RR, R);
    } else if ((algo & ALG_KEEP_W) == 0) {
      gramAtA<T>(W, spare, K, R);
      D = euclideanFromProducts<T>(normV2, ptr(fit, P_NUM_W), W, <usize>K * <usize>R, spare, RR, R);
    } else {
      gramAAt<T>(H, spare, R, N);
      D = euclideanFromProducts<T>(normV2, ptr(fit, P_NUM_H), H, <usize>R * <usize>N, RR, spare, R);
    }
  }
  return D + penalties<T>(fit);
}

/**
 * D of the current factors, explicitly from Λ = W·H (§1): the ratio form into P_LAMBDA (ratioDivergence); the
 * Gram form R rows of Λ at a time into P_DEN_H (R×N, free between iterations), Σ ½(v − λ)².
 */
function explicitDivergence<T>(fit: usize): f64 {
  if (isRatio(load<f64>(fit + H_BETA), load<u32>(fit + H_ALGO))) return ratioDivergence<T>(fit);
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const V = ptr(fit, P_V), W = ptr(fit, P_W), H = ptr(fit, P_H), scratch = ptr(fit, P_DEN_H);
  const e = sizeof<T>();
  let sum: f64 = 0;
  for (let i0 = 0; i0 < K; i0 += R) {
    const rows = min(R, K - i0);
    mulSmallInner<T>(W + <usize>i0 * <usize>R * e, H, scratch, rows, R, N);
    sum += divergenceSum<T>(V + <usize>i0 * <usize>N * e, 0, scratch, <usize>rows * <usize>N, 2, 0);
  }
  return sum;
}

/**
 * F(W0, H0), once, at the start of the first run (or in finish when run was never called), explicitly, into H_F0
 * and H_FPREV; the Gram form's ‖V‖² for the checkpoints. The ratio form keeps Λ for the first H half-step.
 */
function startFit<T>(fit: usize): void {
  if (hasFlag(fit, FLAG_STARTED)) return;
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N);
  if (!isRatio(load<f64>(fit + H_BETA), load<u32>(fit + H_ALGO))) {
    store<f64>(fit + H_NORMV2, sumSquares<T>(ptr(fit, P_V), <usize>K * <usize>N));
  }
  const F = explicitDivergence<T>(fit) + penalties<T>(fit);
  store<f64>(fit + H_F0, F);
  store<f64>(fit + H_FPREV, F);
  setFlag(fit, FLAG_STARTED, true);
}

/**
 * Runs at most `steps` iterations (1 ≤ steps ≤ RUN_CHUNK when hOut/wOut/fOut are the arena's arrays), writing
 * iteration i's change norms to hOut[i] and wOut[i] and, when fOut ≠ 0, F to fOut[i] if the iteration is a
 * checkpoint (its 1-based number since the fit began is a multiple of errorEvery), NaN otherwise. Stops after
 * the first iteration that passes the stop rule (§6). Returns the number of iterations executed; converged()
 * then says whether the rule fired.
 */
export function run(fit: usize, steps: i32, hOut: usize, wOut: usize, fOut: usize): i32 {
  return load<u32>(fit + H_BYTES) == 4 ? runOf<f32>(fit, steps, hOut, wOut, fOut) : runOf<f64>(fit, steps, hOut, wOut, fOut);
}

function runOf<T>(fit: usize, steps: i32, hOut: usize, wOut: usize, fOut: usize): i32 {
  startFit<T>(fit);
  const tol = load<f64>(fit + H_TOL);
  const stop = load<u32>(fit + H_STOP);
  const every = load<u32>(fit + H_EVERY);
  const ratio = isRatio(load<f64>(fit + H_BETA), load<u32>(fit + H_ALGO));
  const fused = load<u32>(fit + H_BLOCK) > 0;
  let done = 0;
  let converged = false;
  while (done < steps) {
    const h = hOut + (<usize>done << 3);
    const w = wOut + (<usize>done << 3);
    if (ratio) iterateRatio<T>(fit, h, w);
    else if (fused) iterateFused<T>(fit, h, w);
    else iteratePlain<T>(fit, h, w);
    const it = load<u32>(fit + H_ITER) + 1;
    store<u32>(fit + H_ITER, it);
    let passed = false;
    if (it % every == 0 && (fOut != 0 || stop == STOP_OBJECTIVE)) {
      const F = checkpoint<T>(fit);
      if (fOut != 0) store<f64>(fOut + (<usize>done << 3), F);
      if (stop == STOP_OBJECTIVE) {
        const previous = load<f64>(fit + H_FPREV);
        passed = previous == 0 || (previous - F) / previous < tol;
      }
      store<f64>(fit + H_FPREV, F);
    } else if (fOut != 0) {
      store<f64>(fOut + (<usize>done << 3), NaN);
    }
    if (stop == STOP_CHANGE) passed = load<f64>(h) < tol && load<f64>(w) < tol;
    done++;
    if (passed) {
      converged = true;
      break;
    }
  }
  setFlag(fit, FLAG_CONVERGED, converged);
  return done;
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
 * Normalises the learned components (`kind`: 0 none, 1 max, 2 l1, 3 l2; §8), computes F of the normalised
 * factors explicitly (Λ = W·H for β ≠ 2; from the residual for β = 2), forms E = V − W·H once and its Frobenius
 * norm (all of this only on the first call; F(W0, H0) first when run was never called), then returns ‖E‖₂ by
 * Lanczos using the workspace `work` sized for at most m steps (spectral.ts, lanczosWorkBytes), or −1 when m
 * steps were not enough: the loader then calls again with a larger workspace and the Lanczos run starts over (it
 * is deterministic, so only m changes).
 */
export function finish(fit: usize, kind: i32, work: usize, m: i32): f64 {
  return load<u32>(fit + H_BYTES) == 4 ? finishOf<f32>(fit, kind, work, m) : finishOf<f64>(fit, kind, work, m);
}

function finishOf<T>(fit: usize, kind: i32, work: usize, m: i32): f64 {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const V = ptr(fit, P_V);
  if (!hasFlag(fit, FLAG_FINISHED)) {
    startFit<T>(fit);
    const W = ptr(fit, P_W), H = ptr(fit, P_H);
    const algo = load<u32>(fit + H_ALGO);
    const beta = load<f64>(fit + H_BETA);
    if (kind != 0 && (algo & (ALG_KEEP_W | ALG_KEEP_H)) == 0) {
      normalizeColumns<T>(W, H, K, N, R, kind, fixedOf(fit));
      setFlag(fit, FLAG_LAMBDA, false);
    }
    const count = <usize>K * <usize>N;
    // β ≠ 2 runs the ratio form, so Λ has its buffer (and may still hold W·H from the last checkpoint).
    let D: f64 = 0;
    if (beta != 2) D = ratioDivergence<T>(fit);
    formResidual<T>(V, W, H, ptr(fit, P_H_OLD), K, N, R);
    if (beta == 2) D = residualDivergence<T>(V, maskOf(fit), count);
    store<f64>(fit + H_OBJECTIVE, D + penalties<T>(fit));
    const M = maskOf(fit);
    if (M != 0) maskResidual<T>(V, M, count);
    store<f64>(fit + H_FROBENIUS, frobenius<T>(V, count));
    setFlag(fit, FLAG_FINISHED, true);
  }
  return residualSpectralNorm<T>(V, K, N, work, m);
}
