// The state of one fit, one iteration, the run loop and finish (docs/kernels.md). Parallel to native/fit.cc.
//
// A fit lives in one arena of linear memory that the JavaScript loader allocates (src/backends/wasm.ts): a
// header followed by every buffer the fit will ever need, so nothing is allocated per iteration. The only other
// memory a fit uses is the Lanczos workspace that the loader hands to `finish`.

import { gramAAt, gramAtA, mulABt, mulAtB, mulSmallInner } from './products';
import { largestSingularValueFromGram, residualSpectralNorm } from './spectral';

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
const H_PTRS = 64; // usize pointers to the buffers below, in this order:
const P_V = 0; //      V K×N (becomes E = V − W·H in finish)
const P_W = 1; //      W K×R
const P_H = 2; //      H R×N
const P_H_OLD = 3; //  R×N: H before the update, then the change H − H_old
const P_W_OLD = 4; //  K×R: the same for W
const P_NUM_H = 5; //  R×N: WᵀV
const P_DEN_H = 6; //  R×N: (WᵀW)H
const P_NUM_W = 7; //  K×R: VHᵀ
const P_DEN_W = 8; //  K×R: W(HHᵀ)
const P_RR = 9; //     R×R: WᵀW, then HHᵀ
const P_GRAM = 10; //  R×R: Gram of a change (destroyed by Jacobi)
const P_H_CHANGES = 11; // RUN_CHUNK doubles: hChange of the iterations of one run call
const P_W_CHANGES = 12; // RUN_CHUNK doubles: wChange
const P_COUNT = 13;
const HEADER_BYTES = 128; // H_PTRS + 4·P_COUNT ≤ 128

const FLAG_CONVERGED = 1; // the last iteration run passed the tol test
const FLAG_FINISHED = 2; // finish has normalised W, H and formed E

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
function layout(fit: usize, K: i32, N: i32, R: i32): f64 {
  let offset: f64 = HEADER_BYTES;
  for (let p = 0; p < P_COUNT; p++) {
    if (fit != 0) store<usize>(fit + H_PTRS + (<usize>p << 2), fit + <usize>offset);
    offset += align64(partDoubles(p, <f64>K, <f64>N, <f64>R) * 8);
  }
  return offset;
}

/** Doubles in buffer p (P_*). */
function partDoubles(p: i32, k: f64, n: f64, r: f64): f64 {
  switch (p) {
    case P_V: return k * n;
    case P_W: case P_W_OLD: case P_NUM_W: case P_DEN_W: return k * r;
    case P_H: case P_H_OLD: case P_NUM_H: case P_DEN_H: return r * n;
    case P_RR: case P_GRAM: return r * r;
    default: return <f64>RUN_CHUNK; // P_H_CHANGES, P_W_CHANGES
  }
}

/** Bytes of the arena of a K×N rank-R fit (f64: may exceed 2^32, which the caller must reject). */
export function arenaBytes(K: i32, N: i32, R: i32): f64 {
  return layout(0, K, N, R);
}

/** Sets up the header of a fit in the arena at `fit` (64-byte aligned, arenaBytes long). */
export function init(fit: usize, K: i32, N: i32, R: i32, eps: f64, tol: f64): void {
  memory.fill(fit, 0, HEADER_BYTES);
  store<u32>(fit + H_K, K);
  store<u32>(fit + H_N, N);
  store<u32>(fit + H_R, R);
  store<f64>(fit + H_EPS, eps);
  store<f64>(fit + H_TOL, tol);
  layout(fit, K, N, R);
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
function updateFactor(X: usize, num: usize, den: usize, old: usize, count: usize, eps: f64): void {
  const e = f64x2.splat(eps);
  const bytes = count << 3;
  const vecBytes = bytes & ~(<usize>15);
  let o: usize = 0;
  for (; o < vecBytes; o += 16) {
    const x = v128.load(X + o);
    const xn = f64x2.mul(x, f64x2.div(v128.load(num + o), f64x2.add(v128.load(den + o), e)));
    v128.store(X + o, xn);
    v128.store(old + o, f64x2.sub(xn, x));
  }
  if (o < bytes) {
    const x = load<f64>(X + o);
    const xn = x * (load<f64>(num + o) / (load<f64>(den + o) + eps));
    store<f64>(X + o, xn);
    store<f64>(old + o, xn - x);
  }
}

/** One iteration: H update, W update (with the new H), then the spectral norms of both changes. */
export function iterate(fit: usize, hOut: usize, wOut: usize): void {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const eps = load<f64>(fit + H_EPS);
  const V = ptr(fit, P_V), W = ptr(fit, P_W), H = ptr(fit, P_H);
  const RR = ptr(fit, P_RR), G = ptr(fit, P_GRAM);

  // H ← H ⊙ (WᵀV) ⊘ ((WᵀW)H + eps); H_old ← H − H_old.
  const numH = ptr(fit, P_NUM_H), denH = ptr(fit, P_DEN_H), hOld = ptr(fit, P_H_OLD);
  mulAtB(W, V, numH, R, K, N);
  gramAtA(W, RR, K, R);
  mulSmallInner(RR, H, denH, R, R, N);
  updateFactor(H, numH, denH, hOld, <usize>R * <usize>N, eps);

  // W ← W ⊙ (VHᵀ) ⊘ (W(HHᵀ) + eps) with the new H; W_old ← W − W_old.
  const numW = ptr(fit, P_NUM_W), denW = ptr(fit, P_DEN_W), wOld = ptr(fit, P_W_OLD);
  mulABt(V, H, numW, K, N, R);
  gramAAt(H, RR, R, N);
  mulSmallInner(W, RR, denW, K, R, R);
  updateFactor(W, numW, denW, wOld, <usize>K * <usize>R, eps);

  // hChange = ‖H − H_old‖₂ from the R×R Gram (H − H_old)(H − H_old)ᵀ, wChange from (W − W_old)ᵀ(W − W_old).
  gramAAt(hOld, G, R, N);
  store<f64>(hOut, largestSingularValueFromGram(G, R));
  gramAtA(wOld, G, K, R);
  store<f64>(wOut, largestSingularValueFromGram(G, R));
}

/**
 * Runs at most `steps` iterations (1 ≤ steps ≤ RUN_CHUNK when hOut/wOut are the arena's change arrays),
 * writing iteration i's norms to hOut[i] and wOut[i]; stops after the first iteration whose two norms are
 * both < tol. Returns the number of iterations executed.
 */
export function run(fit: usize, steps: i32, hOut: usize, wOut: usize): i32 {
  const tol = load<f64>(fit + H_TOL);
  let flags = load<u32>(fit + H_FLAGS) & ~FLAG_CONVERGED;
  let done = 0;
  while (done < steps) {
    const h = hOut + (<usize>done << 3);
    const w = wOut + (<usize>done << 3);
    iterate(fit, h, w);
    done++;
    if (load<f64>(h) < tol && load<f64>(w) < tol) {
      flags |= FLAG_CONVERGED;
      break;
    }
  }
  store<u32>(fit + H_FLAGS, flags);
  return done;
}

/** For each column r of W whose maximum is > 0: divide the column by it and multiply row r of H by it. */
function normalizeMax(W: usize, H: usize, K: i32, N: i32, R: i32): void {
  for (let r = 0; r < R; r++) {
    let m: f64 = load<f64>(W + (<usize>r << 3));
    for (let k = 1; k < K; k++) m = max(m, load<f64>(W + ((<usize>k * <usize>R + <usize>r) << 3)));
    if (!(m > 0)) continue;
    for (let k = 0; k < K; k++) {
      const p = W + ((<usize>k * <usize>R + <usize>r) << 3);
      store<f64>(p, load<f64>(p) / m);
    }
    const row = H + ((<usize>r * <usize>N) << 3);
    for (let j = 0; j < N; j++) {
      const p = row + (<usize>j << 3);
      store<f64>(p, load<f64>(p) * m);
    }
  }
}

/**
 * E ← V − W·H in place of V (V is not needed after the loop). W·H goes through the product kernel, R rows at a
 * time into the H_old buffer (R×N), and is then subtracted: every entry equals that of the full product formed
 * first and subtracted after (the kernel's summation order does not depend on how many rows it is given).
 */
function formResidual(V: usize, W: usize, H: usize, scratch: usize, K: i32, N: i32, R: i32): void {
  const rowBytes = <usize>N << 3;
  for (let i0 = 0; i0 < K; i0 += R) {
    const rows = min(R, K - i0);
    mulSmallInner(W + ((<usize>i0 * <usize>R) << 3), H, scratch, rows, R, N);
    const e = V + <usize>i0 * rowBytes;
    const bytes = <usize>rows * rowBytes;
    const vecBytes = bytes & ~(<usize>15);
    let o: usize = 0;
    for (; o < vecBytes; o += 16) v128.store(e + o, f64x2.sub(v128.load(e + o), v128.load(scratch + o)));
    if (o < bytes) store<f64>(e + o, load<f64>(e + o) - load<f64>(scratch + o));
  }
}

/** sqrt(Σ x²) over `count` entries: two lanes (even and odd index), then their sum, then the last entry. */
function frobenius(X: usize, count: usize): f64 {
  let acc = f64x2.splat(0);
  const bytes = count << 3;
  const vecBytes = bytes & ~(<usize>15);
  let o: usize = 0;
  for (; o < vecBytes; o += 16) {
    const x = v128.load(X + o);
    acc = f64x2.add(acc, f64x2.mul(x, x));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (o < bytes) {
    const x = load<f64>(X + o);
    s += x * x;
  }
  return Math.sqrt(s);
}

/**
 * Normalises W and H when `normalize` (max-normalisation), forms E = V − W·H once and its Frobenius norm (all
 * of this only on the first call), then returns ‖E‖₂ by Lanczos using the workspace `work` sized for at most
 * m steps (spectral.ts, lanczosWorkBytes), or −1 when m steps were not enough: the loader then calls again
 * with a larger workspace and the Lanczos run starts over (it is deterministic, so only m changes).
 */
export function finish(fit: usize, normalize: bool, work: usize, m: i32): f64 {
  const K = load<i32>(fit + H_K), N = load<i32>(fit + H_N), R = load<i32>(fit + H_R);
  const V = ptr(fit, P_V);
  const flags = load<u32>(fit + H_FLAGS);
  if ((flags & FLAG_FINISHED) == 0) {
    const W = ptr(fit, P_W), H = ptr(fit, P_H);
    if (normalize) normalizeMax(W, H, K, N, R);
    formResidual(V, W, H, ptr(fit, P_H_OLD), K, N, R);
    store<f64>(fit + H_FROBENIUS, frobenius(V, <usize>K * <usize>N));
    store<u32>(fit + H_FLAGS, flags | FLAG_FINISHED);
  }
  return residualSpectralNorm(V, K, N, work, m);
}
