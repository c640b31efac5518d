// One fit: its state, the three solvers, the run loop and finish. native/fit.cc is the same program in C++: the
// same state, the same functions in the same order (docs/kernels.md pairs them).
//
// The state holds the resolved specification and one pointer per buffer; every buffer lives in one arena of
// linear memory that the loader allocates (src/backends/wasm.ts), laid out by attach, so iterating never
// allocates. The only other memory a fit uses is the Lanczos workspace that the loader hands to finish. The
// products an iteration forms are tracked by "fresh" flags (this factor has not changed since the product was
// formed), so that none is formed twice: the Euclidean checkpoint's WᵀW of the new W is the next H half-step's
// Gram; a factor that is never updated keeps its products (WᵀV and WᵀW, or VHᵀ and HHᵀ) for the whole fit. A
// product formed again from the same factor has the same bits, so the flags change the cost, never the results.
// MU β (the ratio form) keeps no K×N product: it forms Λ = W·H, P and Q for a block of rows at a time, wherever it
// needs them.
//
// A fit stores and computes in float64 or float32 (spec.dtype): every function below is generic in that type T,
// and the exported entry points dispatch on it once per call.
//
// Built with threads (wasm/nmfkit-threads.wasm), a fit runs on a team of spec.threads members (team.ts): the
// products and updates over V, W and H are split between them by blocks (team-kernels.ts), each block computed
// as the whole would be. Built without, the team has one member.

import {
  changeGramAAt, changeGramAtA, changeGramAtAAdd, gramAAt, gramAtA, gramAtAAdd, lanes, mulABt, mulAtB, mulAtBAdd,
  mulSmallInner, mulSmallInnerWide, vadd, vload, vmul, vsub, vzero,
} from './products';
import { nmfdDivergence, nmfdIterate, nmfdModel, nmfdResidualNorm, nmfdScale } from './nmfd';
import { csrTransposeMulDense, innerProduct, transposeDense } from './sparse-products';
import { largestSingularValueFromGram, residualSpectralNorm, scaleFor } from './spectral';
import * as team from './team-kernels';
import { arg, argI, partialAt, setArg, shareBegin, shareEnd, teamBytes, teamInit, teamRun, teamSize, teamStop } from './team';
import {
  DTYPE_FLOAT32, FitSpec, HALS_ORDER_W_FIRST, NORMALIZE_NONE, SOLVER_HALS, SOLVER_MU_BETA, SOLVER_MU_EUCLIDEAN, SOLVER_NMFD, STOP_CHANGE,
  STOP_OBJECTIVE, STOP_RELATIVE_CHANGE, STORAGE_CSR, STORAGE_DENSE, readSpec,
} from './spec';
import {
  columnSums, divergenceSum, euclideanFromProducts, formRatios, halsSweepColumns, halsSweepRows, mmExponent,
  normalizeColumns, penaltySum, residualSums, rowSums, sumSquares, updateMu, updateMuKlL2,
  updateMuL2,
} from './updates';

/** Iterations one run call may be asked for: the size of the change-norm and objective arrays in the arena. */
export const RUN_CHUNK: i32 = 1024;

// ---------------------------------------------------------------------------------------------------------------
// State.

// The arena's parts, in order. The last four exist in this backend only: the team's block (native: a Team object
// of threads), and the run loop's outputs, which the loader reads from linear memory (the native glue writes into
// JavaScript arrays directly). The AssemblyScript kernels widen float32 change Grams lane by lane (no kWide).
const V_PART = 0; //        T K×N (becomes E = V − W·H in finish)
const W_PART = 1; //        T K×R
const H_PART = 2; //        T R×N
const DH_PART = 3; //       T R×N: the change H − H_old (scratch of the explicit Gram-form objective and of formResidual)
const NUM_H_PART = 4; //    T R×N: WᵀV or WᵀP (fused: accumulated by the sweep for the next iteration)
const DEN_H_PART = 5; //    T R×N: (WᵀW)H or WᵀQ
const DW_PART = 6; //       T B×R (B = blockRows, or K): the change W − W_old
const NUM_W_PART = 7; //    T B×R: VHᵀ or PHᵀ
const DEN_W_PART = 8; //    T B×R: W(HHᵀ) or QHᵀ
const WTW_PART = 9; //      T R×R: WᵀW (fused: accumulated by the sweep)
const HHT_PART = 10; //     T R×R: HHᵀ
const GHALS_PART = 11; //   T R×R, HALS only: the Gram with l2 on the diagonal
const GRAM_PART = 12; //    f64 R×R: Gram of a change (destroyed by the eigen-solve)
const BLOCKS_PART = 13; //  T, MU β only, per team member: a block of ratioBlockRows rows of Λ = W·H, replaced by P, and of Q
const SUMS_PART = 14; //    T, MU β only, 2×R×N per team member after the first: its partial sums of WᵀP and WᵀQ
const MASK_PART = 15; //    T K×N, masked only
const SWEEP_PART = 16; //   T max(K, N)×R, HALS with more than one sweep only: the change of a sweep after the first
const FIXED_PART = 17; //   u8 R: 1 = column r of W is never updated
const TEAM_PART = 18; //    the team's block (team.ts), threaded builds only
const H_CHANGES_PART = 19; // f64 RUN_CHUNK: hChange of the iterations of one run call
const W_CHANGES_PART = 20; // f64 RUN_CHUNK: wChange
const OBJECTIVES_PART = 21; // f64 RUN_CHUNK: F at the checkpoints of one run call (NaN elsewhere)
const INDPTR_PART = 22; //  i32 K + 1, CSR only: V's pattern (sparse-products.ts)
const INDICES_PART = 23; // i32 nnz, CSR only
const HT_PART = 24; //      T N×R, CSR only: Hᵀ, the dense operand of V·Hᵀ and of W·H at the stored entries
const OUT_T_PART = 25; //   T N×R, CSR only: Vᵀ·W (or Pᵀ·W, Qᵀ·W) before it is transposed into an R×N product
const OUT_T_SUMS_PART = 26; // T N×R per team member after the first, CSR only: the members' partial sums of outT
const STORED_PART = 27; //  T nnz (MU β: per ratio buffer), CSR only: Λ at the stored entries (MU β: replaced by P, then Q)
const PART_COUNT = 28;

@unmanaged
class State {
  spec: FitSpec;
  V: usize;
  W: usize;
  H: usize;
  dH: usize;
  numH: usize;
  denH: usize;
  dW: usize;
  numW: usize;
  denW: usize;
  WtW: usize;
  HHt: usize;
  Ghals: usize;
  gram: usize;
  blocks: usize;
  sums: usize;
  mask: usize;
  sweep: usize;
  fixed: usize;
  team: usize; // the team's block (0 without threads)
  hChanges: usize;
  wChanges: usize;
  objectives: usize;
  indptr: usize;
  indices: usize;
  Ht: usize;
  outT: usize;
  outTSums: usize;
  stored: usize;
  // Which products hold those of the current factors.
  wtvFresh: bool; // numH = WᵀV
  wtwFresh: bool; // WtW = WᵀW
  vhtFresh: bool; // numW = VHᵀ (not fused: there numW holds one block)
  hhtFresh: bool; // HHt = HHᵀ
  anyFixed: bool; // some column of W is fixed
  started: bool; // ‖V‖², the first products and F(W0, H0) are formed
  finished: bool; // finish has normalised, evaluated F and formed E
  converged: bool; // the last iteration of the last run passed the stop rule
  iteration: i32; // iterations since the fit began
  normV2: f64; // ‖V‖²_F (Gram form)
  initialObjective: f64; // F(W0, H0)
  previousObjective: f64; // F at the last checkpoint (F(W0, H0) before the first)
  frobenius: f64; // ‖E‖_F, set by finish
  residualSquares: f64; // Σ e² of E, set by finish (residualSums writes it and residualMax)
  residualMax: f64; // max |E|, set by finish
  objective: f64; // F of the returned factors, set by finish
  scale: f64; // NMFD: eps + ΣV, by which V and H are divided while the fit runs
  hChangeSquared: f64; // ‖ΔH‖²_F of the last iteration (the trace of its change Gram)
  wChangeSquared: f64; // ‖ΔW‖²_F of the last iteration
}

/**
 * Whether the fit runs the fused MU Euclidean sweep, which updates W in blocks of blockRows rows (it needs both
 * factors updated; any other fit updates W whole, whatever blockRows says).
 */
function fusedSweep(s: FitSpec): bool {
  return s.solver == SOLVER_MU_EUCLIDEAN && s.blockRows > 0 && s.updateW && s.updateH && s.storage == STORAGE_DENSE;
}

/** Whether V comes as CSR: its products are sparse-products.ts's, and nothing of size K×N exists. */
function sparse(s: FitSpec): bool {
  return s.storage == STORAGE_CSR;
}

/** Entries V stores: nnz for CSR, K·N dense. */
function storedEntries(s: FitSpec): usize {
  return sparse(s) ? <usize>s.nnz : <usize>s.rows * <usize>s.cols;
}

function elementBytes(s: FitSpec): f64 {
  return s.dtype == DTYPE_FLOAT32 ? 4 : 8;
}

function align64(bytes: f64): f64 {
  return Math.ceil(bytes / 64) * 64;
}

// The ratio form (MU β) forms Λ, P and Q for blocks of this many rows of V at a time, so that a block stays in
// the cache between its product, its ratios and its products with W and H (PERFORMANCE.md, "MU β and masks").
// The blocks hold P, and Q unless β = 1, in RATIO_BLOCK_BYTES; at least MIN_RATIO_BLOCK_ROWS rows (a wide V: every
// block's products pass over all of WᵀP, R×N) and at most K.
const RATIO_BLOCK_BYTES: f64 = 1048576;
const MIN_RATIO_BLOCK_ROWS: i32 = 16;

function ratioBuffers(s: FitSpec): i32 {
  return s.beta == 1 ? 1 : 2;
}

function ratioBlockRows(s: FitSpec): i32 {
  const fill = Math.floor(RATIO_BLOCK_BYTES / (<f64>s.cols * elementBytes(s) * <f64>ratioBuffers(s)));
  return <i32>Math.min(<f64>s.rows, Math.max(<f64>MIN_RATIO_BLOCK_ROWS, fill));
}

/** Entries of one member's block: P, then Q. */
function blockEntries(s: FitSpec): usize {
  return <usize>ratioBlockRows(s) * <usize>s.cols * <usize>ratioBuffers(s);
}

/**
 * Bytes of one part of an NMFD fit (nmfd.ts, nmfdIterate's buffers): the templates and their copy T×K×R, Λ (and Q)
 * K×N in the blocks part, the H ratio and W_tᵀQ R×N in the dH and numH parts, Q·shift(H, t)ᵀ K×R in numW, R sums in
 * WtW.
 */
function nmfdPartBytes(s: FitSpec, part: i32): f64 {
  const K = <f64>s.rows, N = <f64>s.cols, R = <f64>s.rank, T = <f64>s.templateFrames;
  switch (part) {
    case V_PART: case BLOCKS_PART: return K * N * 8;
    case W_PART: case DW_PART: return T * K * R * 8;
    case H_PART: case DH_PART: case NUM_H_PART: return R * N * 8;
    case NUM_W_PART: return K * R * 8;
    case WTW_PART: return R * 8;
    case FIXED_PART: return R;
    case TEAM_PART: return teamBytes(s.threads);
    case H_CHANGES_PART: case W_CHANGES_PART: case OBJECTIVES_PART: return <f64>RUN_CHUNK * 8;
    default: return 0;
  }
}

/** Bytes of one part, in f64: the caller checks the total against the 4 GiB address space. */
function partBytes(s: FitSpec, part: i32): f64 {
  if (s.solver == SOLVER_NMFD) return nmfdPartBytes(s, part);
  const K = <f64>s.rows, N = <f64>s.cols, R = <f64>s.rank;
  const e = elementBytes(s);
  const B = fusedSweep(s) ? <f64>s.blockRows : K;
  const muBeta = s.solver == SOLVER_MU_BETA && !sparse(s);
  const nnz = <f64>s.nnz, csr: f64 = sparse(s) ? 1 : 0;
  switch (part) {
    case V_PART: return sparse(s) ? nnz * e : K * N * e;
    case W_PART: return K * R * e;
    case H_PART: case DH_PART: case NUM_H_PART: case DEN_H_PART: return R * N * e;
    case DW_PART: case NUM_W_PART: case DEN_W_PART: return B * R * e;
    case WTW_PART: case HHT_PART: return R * R * e;
    case GHALS_PART: return s.solver == SOLVER_HALS ? R * R * e : 0;
    case GRAM_PART: return R * R * 8;
    case BLOCKS_PART: return muBeta ? <f64>s.threads * <f64>blockEntries(s) * e : 0;
    case SUMS_PART: return muBeta ? (<f64>s.threads - 1) * 2 * R * N * e : 0;
    case MASK_PART: return s.masked && !sparse(s) ? K * N * e : 0;
    case SWEEP_PART: return s.solver == SOLVER_HALS && s.halsSweeps > 1 ? max(K, N) * R * e : 0;
    case FIXED_PART: return R;
    case TEAM_PART: return teamBytes(s.threads);
    case H_CHANGES_PART: case W_CHANGES_PART: case OBJECTIVES_PART: return <f64>RUN_CHUNK * 8;
    case INDPTR_PART: return csr * (K + 1) * 4;
    case INDICES_PART: return csr * nnz * 4;
    case HT_PART: case OUT_T_PART: return csr * N * R * e;
    case OUT_T_SUMS_PART: return csr * (<f64>s.threads - 1) * N * R * e;
    case STORED_PART: return csr * nnz * (s.solver == SOLVER_MU_BETA ? <f64>ratioBuffers(s) : 1) * e;
    default: return 0;
  }
}

/** Bytes of the state and the specification in front of the parts. */
function headerBytes(): f64 {
  return align64(<f64>offsetof<State>()) + align64(<f64>offsetof<FitSpec>());
}

/** Bytes of the arena: the header, then every part on a 64-byte boundary. */
function arenaBytesOf(s: FitSpec): f64 {
  let bytes = headerBytes();
  for (let p = 0; p < PART_COUNT; p++) bytes += align64(partBytes(s, p));
  return bytes;
}

/** Points the state's buffers into the arena at `base` (the first byte after the header). */
function attach(s: State, base: usize): void {
  let offset: f64 = 0;
  for (let p = 0; p < PART_COUNT; p++) {
    const at = base + <usize>offset;
    switch (p) {
      case V_PART: s.V = at; break;
      case W_PART: s.W = at; break;
      case H_PART: s.H = at; break;
      case DH_PART: s.dH = at; break;
      case NUM_H_PART: s.numH = at; break;
      case DEN_H_PART: s.denH = at; break;
      case DW_PART: s.dW = at; break;
      case NUM_W_PART: s.numW = at; break;
      case DEN_W_PART: s.denW = at; break;
      case WTW_PART: s.WtW = at; break;
      case HHT_PART: s.HHt = at; break;
      case GHALS_PART: s.Ghals = at; break;
      case GRAM_PART: s.gram = at; break;
      case BLOCKS_PART: s.blocks = at; break;
      case SUMS_PART: s.sums = at; break;
      case MASK_PART: s.mask = at; break;
      case SWEEP_PART: s.sweep = at; break;
      case FIXED_PART: s.fixed = at; break;
      case TEAM_PART: s.team = teamBytes(s.spec.threads) > 0 ? at : 0; break;
      case H_CHANGES_PART: s.hChanges = at; break;
      case W_CHANGES_PART: s.wChanges = at; break;
      case OBJECTIVES_PART: s.objectives = at; break;
      case INDPTR_PART: s.indptr = at; break;
      case INDICES_PART: s.indices = at; break;
      case HT_PART: s.Ht = at; break;
      case OUT_T_PART: s.outT = at; break;
      case OUT_T_SUMS_PART: s.outTSums = at; break;
      case STORED_PART: s.stored = at; break;
    }
    offset += align64(partBytes(s.spec, p));
  }
}

/** The mask, or 0 without one. */
// @ts-ignore: decorator
@inline
function maskOf(s: State): usize {
  return s.spec.masked ? s.mask : 0;
}

/** The fixed-column flags, or 0 when no column is fixed. */
// @ts-ignore: decorator
@inline
function fixedOf(s: State): usize {
  return s.anyFixed ? s.fixed : 0;
}

/** Team member `member`'s block of the ratio form (ratioBlockRows rows: P, then Q). */
function blockOf<T>(s: State, member: i32): usize {
  return s.blocks + <usize>member * blockEntries(s.spec) * sizeof<T>();
}

// ---------------------------------------------------------------------------------------------------------------
// Products.

/** The factors changed: the products formed from them are stale. */
function hChanged(s: State): void {
  s.hhtFresh = s.vhtFresh = false;
}

function wChanged(s: State): void {
  s.wtwFresh = s.wtvFresh = false;
}

/**
 * CSR: out (R×N) = Wᵀ·A, A the pattern with `values` (V, P or Q at the stored entries; 0: the pattern itself), as
 * (Aᵀ·W)ᵀ by rows of A.
 */
function sparseWtA<T>(s: State, values: usize, out: usize): void {
  const K = s.spec.rows, N = s.spec.cols, R = s.spec.rank;
  team.csrTransposeMulDense<T>(s.team, s.indptr, s.indices, values, s.W, s.outT, s.outTSums, K, N, R);
  transposeDense<T>(s.outT, out, N, R);
}

/** CSR: out (K×R) = A·Hᵀ, A as for sparseWtA, by rows of A. */
function sparseAHt<T>(s: State, values: usize, out: usize): void {
  const K = s.spec.rows, N = s.spec.cols, R = s.spec.rank;
  transposeDense<T>(s.H, s.Ht, R, N);
  team.csrMulDense<T>(s.team, s.indptr, s.indices, values, s.Ht, out, K, R);
}

/** WᵀV into numH and WᵀW into WtW, unless they are those of the current W. */
function formWProducts<T>(s: State): void {
  const K = s.spec.rows, N = s.spec.cols, R = s.spec.rank;
  if (!s.wtvFresh && sparse(s.spec)) sparseWtA<T>(s, s.V, s.numH);
  if (!s.wtvFresh && !sparse(s.spec)) team.mulAtB<T>(s.team, s.W, s.V, s.numH, R, K, N);
  if (!s.wtwFresh) gramAtA<T>(s.W, s.WtW, K, R);
  s.wtvFresh = s.wtwFresh = true;
}

/** VHᵀ into numW and HHᵀ into HHt, unless they are those of the current H (not fused: its numW holds one block). */
function formHProducts<T>(s: State): void {
  const K = s.spec.rows, N = s.spec.cols, R = s.spec.rank;
  if (!s.vhtFresh && sparse(s.spec)) sparseAHt<T>(s, s.V, s.numW);
  if (!s.vhtFresh && !sparse(s.spec)) team.mulABt<T>(s.team, s.V, s.H, s.numW, K, N, R);
  if (!s.hhtFresh) gramAAt<T>(s.H, s.HHt, R, N);
  s.vhtFresh = s.hhtFresh = true;
}

/**
 * The ratio form of rows [i0, i0 + rows) of the current factors (§2): Λ = W·H of those rows into the block P,
 * then P in its place and Q after it. Returns what the denominators multiply: Q, or for KL the mask's rows
 * (Q = M), or 0 for KL without a mask (Q ≡ 1: the denominators are column and row sums).
 */
function formBlockRatios<T>(s: State, P: usize, i0: i32, rows: i32): usize {
  const p = s.spec;
  const N = p.cols, R = p.rank;
  const e = sizeof<T>();
  const M: usize = p.masked ? s.mask + <usize>i0 * <usize>N * e : 0;
  const Q: usize = p.beta == 1 ? 0 : P + <usize>ratioBlockRows(p) * <usize>N * e;
  mulSmallInner<T>(s.W + <usize>i0 * <usize>R * e, s.H, P, rows, R, N);
  formRatios<T>(s.V + <usize>i0 * <usize>N * e, M, P, P, Q, <usize>rows * <usize>N, p.beta, <T>p.eps);
  return Q != 0 ? Q : M;
}

/** CSR: Λ = W·H at the stored entries into `stored`. */
function formStoredLambda<T>(s: State): void {
  const p = s.spec;
  transposeDense<T>(s.H, s.Ht, p.rank, p.cols);
  team.sampledProduct<T>(s.team, s.indptr, s.indices, s.W, s.Ht, s.stored, p.rows, p.rank);
}

/**
 * CSR: Λ = W·H at the stored entries into `stored`, then P in its place and Q after it (the ratio form at the
 * stored entries only: elsewhere V is 0, so P is 0, and Q is what formRatioProductsH and W take instead). Returns
 * Q, or 0 for KL, whose Q is the pattern (masked) or all ones (the column and row sums).
 */
function formStoredRatios<T>(s: State): usize {
  const p = s.spec;
  const nnz = <usize>p.nnz;
  const Q: usize = p.beta == 1 ? 0 : s.stored + nnz * sizeof<T>();
  formStoredLambda<T>(s);
  formRatios<T>(s.V, 0, s.stored, s.stored, Q, nnz, p.beta, <T>p.eps);
  return Q;
}

/** CSR: numH = WᵀP and denH = WᵀQ, W's column sums (KL), or Wᵀ times the pattern (masked KL). */
function formSparseRatioProductsH<T>(s: State): void {
  const p = s.spec;
  const Q = formStoredRatios<T>(s);
  sparseWtA<T>(s, s.stored, s.numH);
  if (Q != 0 || p.masked) sparseWtA<T>(s, Q, s.denH);
  else columnSums<T>(s.W, p.rows, p.rank, s.denH, p.cols);
}

/** CSR: numW = PHᵀ and denW = QHᵀ, H's row sums (KL), or the pattern times Hᵀ (masked KL). */
function formSparseRatioProductsW<T>(s: State): void {
  const p = s.spec;
  const Q = formStoredRatios<T>(s);
  sparseAHt<T>(s, s.stored, s.numW);
  if (Q != 0 || p.masked) sparseAHt<T>(s, Q, s.denW);
  else rowSums<T>(s.H, p.rank, p.cols, s.denW, p.rows);
}

/**
 * job(s, member, i0, rows, first) for consecutive blocks of at most ratioBlockRows rows of each member's share of
 * [0, K), in order (native/team-kernels.h, forEachBlock); `first` marks a member's first block. A member whose
 * share is empty (K below the team size) gets no call. The state travels in the team's first argument slot.
 */
type BlockJob = (s: State, member: i32, i0: i32, rows: i32, first: bool) => void;

/** Member `member`'s blocks of a team of `size`. */
function blocksOf(s: State, job: BlockJob, member: i32, size: i32): void {
  const K = s.spec.rows, B = ratioBlockRows(s.spec);
  const begin = shareBegin(K, size, member), end = shareEnd(K, size, member);
  for (let i0 = begin; i0 < end; i0 += B) job(s, member, i0, min(B, end - i0), i0 == begin);
}

function forEachBlockJob(t: usize, member: i32): void {
  blocksOf(changetype<State>(arg(t, 0)), changetype<BlockJob>(arg(t, 1)), member, teamSize(t));
}

function forEachBlock(s: State, job: BlockJob): void {
  if (teamSize(s.team) == 1) {
    blocksOf(s, job, 0, 1);
    return;
  }
  setArg(s.team, 0, changetype<usize>(s));
  setArg(s.team, 1, changetype<usize>(job));
  teamRun(s.team, forEachBlockJob);
}

/** The block job of formRatioProductsH: the first member's sums go to numH and denH, the others' to their partials. */
function ratioProductsHBlockOf<T>(s: State, member: i32, i0: i32, rows: i32, first: bool): void {
  const p = s.spec;
  const N = p.cols, R = p.rank, e = sizeof<T>();
  const num = member == 0 ? s.numH : s.sums + <usize>(member - 1) * 2 * <usize>R * <usize>N * e;
  const den = member == 0 ? s.denH : num + <usize>R * <usize>N * e;
  const Wi = s.W + <usize>i0 * <usize>R * e;
  const P = blockOf<T>(s, member);
  const Q = formBlockRatios<T>(s, P, i0, rows);
  mulAtBAdd<T>(Wi, P, num, R, rows, N, first);
  if (Q != 0) mulAtBAdd<T>(Wi, Q, den, R, rows, N, first);
}

function ratioProductsHBlock(s: State, member: i32, i0: i32, rows: i32, first: bool): void {
  if (s.spec.dtype == DTYPE_FLOAT32) ratioProductsHBlockOf<f32>(s, member, i0, rows, first);
  else ratioProductsHBlockOf<f64>(s, member, i0, rows, first);
}

/**
 * numH = WᵀP and denH = WᵀQ (KL: WᵀM, or the column sums of W without a mask), block by block: V is read once,
 * and each block's Λ, P and Q stay in the cache. Each team member adds the products of the blocks of its rows in
 * order (W_iᵀP_i), into numH and denH for the first member and into its partials for the others; the partials
 * are then added in member order, so the sums depend on the team size only.
 */
function formRatioProductsH<T>(s: State): void {
  const p = s.spec;
  const K = p.rows, N = p.cols, R = p.rank, e = sizeof<T>();
  if (sparse(p)) {
    formSparseRatioProductsH<T>(s);
    return;
  }
  forEachBlock(s, ratioProductsHBlock);
  team.addPartials<T>(s.team, s.numH, s.sums, R * N, 2 * R * N, K);
  if (p.beta != 1 || p.masked) team.addPartials<T>(s.team, s.denH, s.sums + <usize>R * <usize>N * e, R * N, 2 * R * N, K);
  else columnSums<T>(s.W, K, R, s.denH, N);
}

/** The block job of formRatioProductsW: each block's rows of numW and denW are its own. */
function ratioProductsWBlockOf<T>(s: State, member: i32, i0: i32, rows: i32, first: bool): void {
  const p = s.spec;
  const N = p.cols, R = p.rank, e = sizeof<T>();
  const P = blockOf<T>(s, member);
  const Q = formBlockRatios<T>(s, P, i0, rows);
  mulABt<T>(P, s.H, s.numW + <usize>i0 * <usize>R * e, rows, N, R);
  if (Q != 0) mulABt<T>(Q, s.H, s.denW + <usize>i0 * <usize>R * e, rows, N, R);
}

function ratioProductsWBlock(s: State, member: i32, i0: i32, rows: i32, first: bool): void {
  if (s.spec.dtype == DTYPE_FLOAT32) ratioProductsWBlockOf<f32>(s, member, i0, rows, first);
  else ratioProductsWBlockOf<f64>(s, member, i0, rows, first);
}

/**
 * numW = PHᵀ and denW = QHᵀ (KL: MHᵀ, or the row sums of H without a mask), block by block; each block's rows of
 * numW and denW are its own.
 */
function formRatioProductsW<T>(s: State): void {
  const p = s.spec;
  if (sparse(p)) {
    formSparseRatioProductsW<T>(s);
    return;
  }
  forEachBlock(s, ratioProductsWBlock);
  if (p.beta == 1 && !p.masked) rowSums<T>(s.H, p.rank, p.cols, s.denW, p.rows);
}

/** Ghals ← G + l2·I: HALS's Gram with the L2 penalty on the diagonal; G stays unpenalised for the objective. */
function halsGram<T>(s: State, G: usize, l2: f64): usize {
  const R = s.spec.rank;
  const e = sizeof<T>();
  memory.copy(s.Ghals, G, <usize>R * <usize>R * e);
  const shift = <T>l2;
  for (let k = 0; k < R; k++) {
    const p = s.Ghals + (<usize>k * <usize>R + <usize>k) * e;
    store<T>(p, load<T>(p) + shift);
  }
  return s.Ghals;
}

/** The trace of an n×n Gram matrix XᵀX or XXᵀ (f64): ‖X‖²_F. */
function gramTrace(G: usize, n: i32): f64 {
  let trace: f64 = 0;
  for (let k = 0; k < n; k++) trace += load<f64>(G + ((<usize>k * <usize>n + <usize>k) << 3));
  return trace;
}

/**
 * hChange = ‖ΔH‖₂ from the R×R Gram ΔHΔHᵀ, wChange from ΔWᵀΔW (float64); their traces are ‖ΔH‖²_F and
 * ‖ΔW‖²_F.
 */
function hChangeNorm<T>(s: State): f64 {
  changeGramAAt<T>(s.dH, s.gram, s.spec.rank, s.spec.cols);
  s.hChangeSquared = gramTrace(s.gram, s.spec.rank);
  return largestSingularValueFromGram(s.gram, s.spec.rank);
}

function wChangeNorm<T>(s: State): f64 {
  changeGramAtA<T>(s.dW, s.gram, s.spec.rows, s.spec.rank);
  s.wChangeSquared = gramTrace(s.gram, s.spec.rank);
  return largestSingularValueFromGram(s.gram, s.spec.rank);
}

// ---------------------------------------------------------------------------------------------------------------
// Solvers (docs/algorithms.md §2, §5). Each runs one iteration: the H half-step, the W half-step with the new H,
// and the spectral norms of both changes (0 for a factor that is not updated), written to hOut and wOut.

/**
 * MU for the Euclidean loss from Grams: H ← H ⊙ (WᵀV) ⊘ ((WᵀW)H + l1H + l2H·H + eps), then
 * W ← W ⊙ (VHᵀ) ⊘ (W(HHᵀ) + l1W + l2W·W + eps). Reads V twice, or not at all for a factor never updated.
 */
function iterateMuEuclidean<T>(s: State, hOut: usize, wOut: usize): void {
  const p = s.spec;
  const K = p.rows, N = p.cols, R = p.rank;
  const eps = <T>p.eps;
  if (p.updateH) {
    formWProducts<T>(s);
    team.mulSmallInner<T>(s.team, s.WtW, s.H, s.denH, R, R, N);
    team.updateMu<T>(s.team, s.H, s.numH, s.denH, s.dH, R, N, eps, <T>p.l1H, <T>p.l2H, <T>1, 0);
    hChanged(s);
  }
  if (p.updateW) {
    formHProducts<T>(s);
    team.mulSmallInner<T>(s.team, s.W, s.HHt, s.denW, K, R, R);
    team.updateMu<T>(s.team, s.W, s.numW, s.denW, s.dW, K, R, eps, <T>p.l1W, <T>p.l2W, <T>1, fixedOf(s));
    wChanged(s);
  }
  store<f64>(hOut, p.updateH ? hChangeNorm<T>(s) : 0);
  store<f64>(wOut, p.updateW ? wChangeNorm<T>(s) : 0);
}

/**
 * The same iteration with V read once (blockRows > 0, both factors updated): a sweep over blocks of V's rows
 * updates W block by block and accumulates WᵀV and WᵀW of the new W for the next iteration's H half-step, and
 * ΔWᵀΔW for wChange. The first iteration forms WᵀV and WᵀW of the initial W in one extra pass.
 */
function iterateMuEuclideanFused<T>(s: State, hOut: usize, wOut: usize): void {
  const p = s.spec;
  const K = p.rows, N = p.cols, R = p.rank, B = p.blockRows;
  const eps = <T>p.eps;
  formWProducts<T>(s);
  team.mulSmallInner<T>(s.team, s.WtW, s.H, s.denH, R, R, N);
  team.updateMu<T>(s.team, s.H, s.numH, s.denH, s.dH, R, N, eps, <T>p.l1H, <T>p.l2H, <T>1, 0);
  hChanged(s);
  store<f64>(hOut, hChangeNorm<T>(s));

  // For each block of rows i: W_i ← MU step with V_iHᵀ and W_i(HHᵀ); then, with the new W_i,
  // ΔWᵀΔW += ΔW_iᵀΔW_i, WᵀV += W_iᵀV_i and WᵀW += W_iᵀW_i. The accumulating kernels fill both triangles.
  gramAAt<T>(s.H, s.HHt, R, N);
  const l1 = <T>p.l1W, l2 = <T>p.l2W;
  const vRow = <usize>N * sizeof<T>(), wRow = <usize>R * sizeof<T>();
  for (let i0 = 0; i0 < K; i0 += B) {
    const rows = min(B, K - i0);
    const first = i0 == 0;
    const Vi = s.V + <usize>i0 * vRow;
    const Wi = s.W + <usize>i0 * wRow;
    mulABt<T>(Vi, s.H, s.numW, rows, N, R);
    mulSmallInner<T>(Wi, s.HHt, s.denW, rows, R, R);
    updateMu<T>(Wi, s.numW, s.denW, s.dW, rows, R, eps, l1, l2, <T>1, fixedOf(s));
    changeGramAtAAdd<T>(s.dW, s.gram, rows, R, first);
    mulAtBAdd<T>(Wi, Vi, s.numH, R, rows, N, first);
    gramAtAAdd<T>(Wi, s.WtW, rows, R, first);
  }
  s.wChangeSquared = gramTrace(s.gram, R);
  store<f64>(wOut, largestSingularValueFromGram(s.gram, R));
  // numH and WtW now hold WᵀV and WᵀW of the new W, HHt HHᵀ of the new H; numW only the last block.
  s.wtvFresh = s.wtwFresh = s.hhtFresh = true;
  s.vhtFresh = false;
}

/**
 * One MU step of MU β: with an L2 penalty and β < 2 the MM step of the penalised β (KL's in closed form, the others
 * by Newton's method), everything else updateMu with γ(β).
 */
function muBetaStep<T>(
  s: State, X: usize, num: usize, den: usize, change: usize, rows: i32, cols: i32, l1: f64, l2: f64, fixed: usize,
): void {
  const eps = <T>s.spec.eps;
  if (s.spec.beta == 1 && l2 > 0) {
    team.updateMuKlL2<T>(s.team, X, num, den, change, rows, cols, eps, <T>l1, <T>l2, fixed);
  } else if (s.spec.beta < 2 && l2 > 0) {
    team.updateMuL2<T>(s.team, X, num, den, change, rows, cols, eps, <T>l1, <T>l2, s.spec.beta, fixed);
  } else {
    team.updateMu<T>(s.team, X, num, den, change, rows, cols, eps, <T>l1, <T>l2, <T>mmExponent(s.spec.beta), fixed);
  }
}

/**
 * MU for any β or a mask, from Λ = W·H: H with num = WᵀP, den = WᵀQ (Λ = W·H), then W with num = PHᵀ, den = QHᵀ
 * (Λ = W·H_new); the ratio form by blocks of rows (formRatioProductsH, formRatioProductsW).
 */
function iterateMuBeta<T>(s: State, hOut: usize, wOut: usize): void {
  const p = s.spec;
  const K = p.rows, N = p.cols, R = p.rank;
  if (p.updateH) {
    formRatioProductsH<T>(s);
    muBetaStep<T>(s, s.H, s.numH, s.denH, s.dH, R, N, p.l1H, p.l2H, 0);
    hChanged(s);
  }
  if (p.updateW) {
    formRatioProductsW<T>(s);
    muBetaStep<T>(s, s.W, s.numW, s.denW, s.dW, K, R, p.l1W, p.l2W, fixedOf(s));
    wChanged(s);
  }
  store<f64>(hOut, p.updateH ? hChangeNorm<T>(s) : 0);
  store<f64>(wOut, p.updateW ? wChangeNorm<T>(s) : 0);
}

/** change ← change + sweep over `count` entries: the change of a half-step's sweeps, summed. */
function addChange<T>(change: usize, sweep: usize, count: usize): void {
  for (let i: usize = 0; i < count; i++) {
    const at = change + i * sizeof<T>();
    store<T>(at, load<T>(at) + load<T>(sweep + i * sizeof<T>()));
  }
}

/**
 * Whether a half-step of accelerated HALS sweeps again: the last sweep changed its factor by at least
 * halsSweepTol times the first sweep's change (squared Frobenius norms `last` and `first`).
 */
function halsSweepsAgain(p: FitSpec, last: f64, first: f64): bool {
  return last > p.halsSweepTol * p.halsSweepTol * first;
}

/**
 * W's half-step of HALS: up to spec.halsSweeps sweeps of its columns with the same G and B = VHᵀ (accelerated
 * HALS, Gillis & Glineur 2012: the products cost far more than a sweep), dW the change over all of them.
 */
function halsHalfStepW<T>(s: State, G: usize): void {
  const p = s.spec;
  const K = p.rows, R = p.rank;
  const count = <usize>K * <usize>R;
  team.halsSweepColumns<T>(s.team, s.W, G, s.numW, s.dW, K, R, <T>p.l1W, fixedOf(s));
  const first = p.halsSweeps > 1 ? sumSquares<T>(s.dW, count) : 0;
  for (let sweep = 1; sweep < p.halsSweeps; sweep++) {
    team.halsSweepColumns<T>(s.team, s.W, G, s.numW, s.sweep, K, R, <T>p.l1W, fixedOf(s));
    addChange<T>(s.dW, s.sweep, count);
    if (!halsSweepsAgain(p, sumSquares<T>(s.sweep, count), first)) break;
  }
}

/** H's half-step of HALS: the same for the rows of H, with B = WᵀV. */
function halsHalfStepH<T>(s: State, G: usize): void {
  const p = s.spec;
  const N = p.cols, R = p.rank;
  const count = <usize>R * <usize>N;
  team.halsSweepRows<T>(s.team, s.H, G, s.numH, s.dH, R, N, <T>p.l1H);
  const first = p.halsSweeps > 1 ? sumSquares<T>(s.dH, count) : 0;
  for (let sweep = 1; sweep < p.halsSweeps; sweep++) {
    team.halsSweepRows<T>(s.team, s.H, G, s.numH, s.sweep, R, N, <T>p.l1H);
    addChange<T>(s.dH, s.sweep, count);
    if (!halsSweepsAgain(p, sumSquares<T>(s.sweep, count), first)) break;
  }
}

/** HALS's update of W: the W half-step with G = HHᵀ + l2W·I, B = VHᵀ − l1W of the current H. */
function halsUpdateW<T>(s: State): void {
  if (!s.spec.updateW) return;
  formHProducts<T>(s);
  halsHalfStepW<T>(s, halsGram<T>(s, s.HHt, s.spec.l2W));
  wChanged(s);
}

/** HALS's update of H: the H half-step with G = WᵀW + l2H·I, B = WᵀV − l1H of the current W. */
function halsUpdateH<T>(s: State): void {
  if (!s.spec.updateH) return;
  formWProducts<T>(s);
  halsHalfStepH<T>(s, halsGram<T>(s, s.WtW, s.spec.l2H));
  hChanged(s);
}

/**
 * HALS for the Euclidean loss (scikit-learn's solver='cd'): W then H in its order on V as its X, or H then W
 * (spec.halsOrder), its order on X = Vᵀ.
 */
function iterateHals<T>(s: State, hOut: usize, wOut: usize): void {
  const p = s.spec;
  if (p.halsOrder == HALS_ORDER_W_FIRST) {
    halsUpdateW<T>(s);
    halsUpdateH<T>(s);
  } else {
    halsUpdateH<T>(s);
    halsUpdateW<T>(s);
  }
  store<f64>(hOut, p.updateH ? hChangeNorm<T>(s) : 0);
  store<f64>(wOut, p.updateW ? wChangeNorm<T>(s) : 0);
}

/** One NMFD iteration (float64 only); the change of H in V's units (the kernels work on V / scale). */
function iterateNmfd(s: State, hOut: usize, wOut: usize): void {
  const p = s.spec;
  nmfdIterate(
    s.V, s.W, s.H, s.blocks, s.numW, s.dH, s.numH, s.dW, s.WtW,
    p.rows, p.cols, p.rank, p.templateFrames, p.eps, p.updateW, p.updateH, hOut, wOut,
  );
  s.hChangeSquared = load<f64>(hOut) * load<f64>(hOut);
  s.wChangeSquared = load<f64>(wOut) * load<f64>(wOut);
  store<f64>(hOut, load<f64>(hOut) * s.scale);
}

/** One iteration of the fit's solver. */
function iterate<T>(s: State, hOut: usize, wOut: usize): void {
  switch (s.spec.solver) {
    case SOLVER_MU_EUCLIDEAN:
      if (fusedSweep(s.spec)) iterateMuEuclideanFused<T>(s, hOut, wOut);
      else iterateMuEuclidean<T>(s, hOut, wOut);
      break;
    case SOLVER_MU_BETA: iterateMuBeta<T>(s, hOut, wOut); break;
    case SOLVER_HALS: iterateHals<T>(s, hOut, wOut); break;
    case SOLVER_NMFD: iterateNmfd(s, hOut, wOut); break;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The objective (docs/algorithms.md §1, §7).

/** l1W‖W‖₁ + ½l2W‖W‖² + l1H‖H‖₁ + ½l2H‖H‖² of the current factors. */
function penalties<T>(s: State): f64 {
  const p = s.spec;
  return (
    penaltySum<T>(s.W, <usize>p.rows * <usize>p.rank, p.l1W, p.l2W) +
    penaltySum<T>(s.H, <usize>p.rank * <usize>p.cols, p.l1H, p.l2H)
  );
}

/** How storedSum combines an entry's v and λ. */
const STORED_LAMBDA = 0; //   λ
const STORED_RESIDUAL = 1; // (v − λ)²
const STORED_ABSENT = 2; //   (v − λ)² − λ²

/** Σ over the stored entries of f(v, λ) (`kind`), λ = (W·H)_ij, in float64 (CSR): Λ at the pattern into `stored`. */
function sumOverStored<T>(s: State, kind: i32): f64 {
  formStoredLambda<T>(s);
  const e = sizeof<T>();
  const nnz = <usize>s.spec.nnz;
  let sum: f64 = 0;
  for (let k: usize = 0; k < nnz; k++) {
    const v = <f64>load<T>(s.V + k * e);
    const lambda = <f64>load<T>(s.stored + k * e);
    if (kind == STORED_LAMBDA) sum += lambda;
    else if (kind == STORED_RESIDUAL) sum += (v - lambda) * (v - lambda);
    else sum += (v - lambda) * (v - lambda) - lambda * lambda;
  }
  return sum;
}

/**
 * Σ_ij (W·H)_ij = Σ_r (Σ_i W_ir)(Σ_j H_rj), in float64: the KL divergence's terms at V's absent entries, which are
 * λ itself (CSR).
 */
function sumOfProduct<T>(s: State): f64 {
  const p = s.spec;
  const e = sizeof<T>();
  let sum: f64 = 0;
  for (let r = 0; r < p.rank; r++) {
    let w: f64 = 0, h: f64 = 0;
    for (let i = 0; i < p.rows; i++) w += <f64>load<T>(s.W + (<usize>i * <usize>p.rank + <usize>r) * e);
    for (let j = 0; j < p.cols; j++) h += <f64>load<T>(s.H + (<usize>r * <usize>p.cols + <usize>j) * e);
    sum += w * h;
  }
  return sum;
}

/**
 * CSR, MU β: D over the stored entries (divergenceSum on Λ there), and without a mask (KL) the absent entries'
 * terms, Σ λ over all entries less Σ λ over the stored ones.
 */
function sparseDivergence<T>(s: State): f64 {
  const p = s.spec;
  const storedLambda = sumOverStored<T>(s, STORED_LAMBDA);
  const d = divergenceSum<T>(s.V, 0, s.stored, <usize>p.nnz, p.beta, <f64><T>p.eps);
  return p.masked ? d : d + (sumOfProduct<T>(s) - storedLambda);
}

/**
 * CSR: ‖E‖²_F of the residual: over the stored entries Σ (v − λ)²; without a mask the absent ones' Σ λ² too, taken
 * as ‖W·H‖²_F = ⟨WᵀW, HHᵀ⟩ less Σ λ² over the stored entries (the Grams formed here).
 */
function sparseResidualSquares<T>(s: State): f64 {
  const p = s.spec;
  if (p.masked) return sumOverStored<T>(s, STORED_RESIDUAL);
  const stored = sumOverStored<T>(s, STORED_ABSENT);
  gramAtA<T>(s.W, s.WtW, p.rows, p.rank);
  gramAAt<T>(s.H, s.HHt, p.rank, p.cols);
  s.wtwFresh = s.hhtFresh = true;
  return max<f64>(0, stored + innerProduct<T>(s.WtW, s.HHt, <usize>p.rank * <usize>p.rank));
}

/** The block job of explicitDivergence: its divergence added to the member's partial sum. */
function divergenceBlockOf<T>(s: State, member: i32, i0: i32, rows: i32, first: bool): void {
  const p = s.spec;
  const N = p.cols, R = p.rank, e = sizeof<T>();
  const M = maskOf(s);
  const o = <usize>i0 * <usize>N * e;
  const L = blockOf<T>(s, member);
  mulSmallInner<T>(s.W + <usize>i0 * <usize>R * e, s.H, L, rows, R, N);
  const d = divergenceSum<T>(s.V + o, M != 0 ? M + o : 0, L, <usize>rows * <usize>N, p.beta, <f64><T>p.eps);
  const at = partialAt(s.team, member);
  store<f64>(at, (first ? 0 : load<f64>(at)) + d);
}

function divergenceBlock(s: State, member: i32, i0: i32, rows: i32, first: bool): void {
  if (s.spec.dtype == DTYPE_FLOAT32) divergenceBlockOf<f32>(s, member, i0, rows, first);
  else divergenceBlockOf<f64>(s, member, i0, rows, first);
}

/**
 * D of the current factors, explicitly from Λ = W·H: for MU β by the ratio form's blocks of rows (each team member
 * sums its blocks in order, the members' sums are added in member order); for the Gram form R rows of Λ at a
 * time into the R×N scratch dH (free between iterations).
 */
function explicitDivergence<T>(s: State): f64 {
  const p = s.spec;
  const K = p.rows, N = p.cols, R = p.rank;
  const e = sizeof<T>();
  if (sparse(p)) return p.solver == SOLVER_MU_BETA ? sparseDivergence<T>(s) : 0.5 * sparseResidualSquares<T>(s);
  if (p.solver == SOLVER_MU_BETA) {
    if (s.team == 0) {
      // No team block to hold the partial sums (a build without threads): one member, its blocks in order.
      const M = maskOf(s);
      const B = ratioBlockRows(p);
      let blocks: f64 = 0;
      for (let i0 = 0; i0 < K; i0 += B) {
        const rows = min(B, K - i0);
        const o = <usize>i0 * <usize>N * e;
        mulSmallInner<T>(s.W + <usize>i0 * <usize>R * e, s.H, s.blocks, rows, R, N);
        blocks += divergenceSum<T>(s.V + o, M != 0 ? M + o : 0, s.blocks, <usize>rows * <usize>N, p.beta, <f64><T>p.eps);
      }
      return blocks;
    }
    forEachBlock(s, divergenceBlock);
    const members = min(teamSize(s.team), K);
    let sum: f64 = 0;
    for (let m = 0; m < members; m++) sum += load<f64>(partialAt(s.team, m));
    return sum;
  }
  let sum: f64 = 0;
  for (let i0 = 0; i0 < K; i0 += R) {
    const rows = min(R, K - i0);
    mulSmallInner<T>(s.W + <usize>i0 * <usize>R * e, s.H, s.dH, rows, R, N);
    sum += divergenceSum<T>(s.V + <usize>i0 * <usize>N * e, 0, s.dH, <usize>rows * <usize>N, 2, 0);
  }
  return sum;
}

/** How far the Euclidean objective from float32 products may be off, relative to ‖V‖² (2^8 float32 roundings). */
const FLOAT32_PRODUCTS_ROUNDING: f64 = 1.52587890625e-5; // 2^-16

/**
 * NMFD's F: the KL divergence of V from Λ + eps in V's units (scale times that of the scaled target), with Λ formed
 * in the block part (free between iterations).
 */
function nmfdObjective(s: State): f64 {
  const p = s.spec;
  nmfdModel(s.W, s.H, s.blocks, p.rows, p.cols, p.rank, p.templateFrames, p.eps);
  return s.scale * nmfdDivergence(s.V, s.blocks, <usize>p.rows * <usize>p.cols);
}

/**
 * F of the current factors. MU β evaluates D explicitly. The Gram form takes
 * the Euclidean term from products at hand: after a W half-step (VHᵀ, W) with HHᵀ of that half-step and WᵀW of
 * the new W, formed here (the next H half-step's Gram); after an H half-step or the fused sweep (WᵀV, H) with its
 * WᵀW and HHᵀ of the new H (formed here, or at hand after the fused sweep).
 */
function checkpoint<T>(s: State): f64 {
  const p = s.spec;
  const K = p.rows, N = p.cols, R = p.rank;
  let d: f64;
  if (p.solver == SOLVER_NMFD) {
    d = nmfdObjective(s);
  } else if (p.solver == SOLVER_MU_BETA) {
    d = explicitDivergence<T>(s);
  } else if (s.vhtFresh && s.hhtFresh) {
    if (!s.wtwFresh) gramAtA<T>(s.W, s.WtW, K, R);
    s.wtwFresh = true;
    d = euclideanFromProducts<T>(s.normV2, s.numW, s.W, <usize>K * <usize>R, s.WtW, s.HHt, R);
  } else if (s.wtvFresh && s.wtwFresh) {
    if (!s.hhtFresh) gramAAt<T>(s.H, s.HHt, R, N);
    s.hhtFresh = true;
    d = euclideanFromProducts<T>(s.normV2, s.numH, s.H, <usize>R * <usize>N, s.WtW, s.HHt, R);
  } else {
    d = explicitDivergence<T>(s);
  }
  // float32: the products' rounding, about 2^-24·‖V‖² (times the length of their sums), does not shrink with the
  // objective; where it could reach tol·F, the objective rule would stop on rounding, so D is taken explicitly
  // from W·H, whose rounding is relative to each residual instead.
  if (
    p.solver != SOLVER_MU_BETA && p.dtype == DTYPE_FLOAT32 && p.stop == STOP_OBJECTIVE &&
    d * p.tol < FLOAT32_PRODUCTS_ROUNDING * s.normV2
  ) d = explicitDivergence<T>(s);
  return d + penalties<T>(s);
}

/**
 * Before the first iteration: which columns are fixed, ‖V‖² and F(W0, H0). The Gram form forms the products its
 * first half-step needs (WᵀV and WᵀW for an H half-step, VHᵀ and HHᵀ for a W half-step) and takes F(W0, H0)
 * from them with one O((K + N)·R²) Gram more, instead of a product as large as an iteration's. MU β evaluates
 * F(W0, H0) explicitly.
 */
function start<T>(s: State): void {
  const p = s.spec;
  s.anyFixed = false;
  for (let r = 0; r < p.rank; r++) s.anyFixed = s.anyFixed || load<u8>(s.fixed + <usize>r) != 0;
  if (p.solver == SOLVER_NMFD) s.scale = nmfdScale(s.V, s.H, p.rows, p.cols, p.rank, p.eps);
  if (p.solver != SOLVER_MU_BETA && p.solver != SOLVER_NMFD) {
    s.normV2 = sumSquares<T>(s.V, storedEntries(p));
    // The products of the first half-step: H's (WᵀV, WᵀW) for MU, and for HALS those of the factor it updates first.
    const halsWFirst = p.halsOrder == HALS_ORDER_W_FIRST ? p.updateW : !p.updateH;
    const wFirst = p.solver == SOLVER_HALS ? halsWFirst : !p.updateH;
    if (wFirst) formHProducts<T>(s);
    else formWProducts<T>(s);
  }
  s.initialObjective = checkpoint<T>(s);
  s.previousObjective = s.initialObjective;
  s.started = true;
}

/**
 * The relative-change rule (scikit-learn's for MiniBatchNMF's activations): every updated factor X has
 * ‖ΔX‖_F / ‖X‖_F ≤ tol. Taken as a quotient, so a factor that is and stays zero (0/0) never stops the fit; tol 0
 * never stops it either.
 */
function relativeChangesWithin<T>(s: State): bool {
  const p = s.spec;
  if (!(p.tol > 0)) return false;
  const K = p.rows, N = p.cols, R = p.rank, frames = p.templateFrames;
  let within = true;
  const hEntries = <usize>R * <usize>N, wEntries = <usize>frames * <usize>K * <usize>R;
  if (p.updateH) within = within && Math.sqrt(s.hChangeSquared) / Math.sqrt(sumSquares<T>(s.H, hEntries)) <= p.tol;
  if (p.updateW) within = within && Math.sqrt(s.wChangeSquared) / Math.sqrt(sumSquares<T>(s.W, wEntries)) <= p.tol;
  return within;
}

/**
 * At most `steps` iterations (1 ≤ steps ≤ RUN_CHUNK), writing iteration i's change norms to hChanges[i] and
 * wChanges[i] and, when `objectives` is set, F to objectives[i] if the iteration is a checkpoint (its 1-based
 * number since the fit began is a multiple of errorEvery), NaN otherwise. Stops after the first iteration that
 * passes the stop rule (§6). Returns the number of iterations run; converged then says whether the rule fired.
 */
function run<T>(s: State, steps: i32, objectives: bool): i32 {
  const p = s.spec;
  let done = 0;
  s.converged = false;
  while (done < steps) {
    if (!s.started) start<T>(s);
    const h = s.hChanges + (<usize>done << 3);
    const w = s.wChanges + (<usize>done << 3);
    iterate<T>(s, h, w);
    done++;
    s.iteration++;
    const isCheckpoint = s.iteration % p.errorEvery == 0;
    let objective: f64 = NaN;
    if (isCheckpoint && (objectives || p.stop == STOP_OBJECTIVE)) objective = checkpoint<T>(s);
    if (objectives) store<f64>(s.objectives + (<usize>(done - 1) << 3), objective);
    if (p.stop == STOP_CHANGE) {
      s.converged = load<f64>(h) < p.tol && load<f64>(w) < p.tol;
    } else if (p.stop == STOP_OBJECTIVE && isCheckpoint) {
      const previous = s.previousObjective;
      s.converged = previous == 0 || (previous - objective) / previous < p.tol;
      s.previousObjective = objective;
    } else if (p.stop == STOP_RELATIVE_CHANGE) {
      s.converged = relativeChangesWithin<T>(s);
    }
    if (s.converged) break;
  }
  return done;
}

// ---------------------------------------------------------------------------------------------------------------
// Initialisation from V (src/init): before the first iteration, the facade may ask for products with V and then
// replace the initial factors.

/**
 * out = V·X (X N×cols, out K×cols) or, transposed, Vᵀ·X (X K×cols, out N×cols), float64 in and out; the product
 * in the fit's dtype (X rounded to it, the result widened). `scratch`: (K + N)·cols elements of T for a float32
 * fit (unused for float64). Returns false, computing nothing, once the fit has started.
 */
function multiplyV<T>(s: State, X: usize, cols: i32, transpose: bool, out: usize, scratch: usize): bool {
  if (s.started) return false;
  const K = s.spec.rows, N = s.spec.cols;
  const inner = transpose ? K : N, outer = transpose ? N : K;
  const count = <usize>inner * <usize>cols;
  const x = sizeof<T>() == 8 ? X : scratch;
  const y = sizeof<T>() == 8 ? out : scratch + count * sizeof<T>();
  if (sizeof<T>() != 8) for (let i: usize = 0; i < count; i++) store<T>(x + i * sizeof<T>(), <T>load<f64>(X + (i << 3)));
  if (sparse(s.spec) && transpose) csrTransposeMulDense<T>(s.indptr, s.indices, s.V, x, y, 0, K, N, cols);
  else if (sparse(s.spec)) team.csrMulDense<T>(s.team, s.indptr, s.indices, s.V, x, y, K, cols);
  else if (transpose) team.mulAtB<T>(s.team, s.V, x, y, N, K, cols);
  else team.mulSmallInner<T>(s.team, s.V, x, y, K, N, cols);
  if (sizeof<T>() != 8) {
    const results = <usize>outer * <usize>cols;
    for (let i: usize = 0; i < results; i++) store<f64>(out + (i << 3), <f64>load<T>(y + i * sizeof<T>()));
  }
  return true;
}

/** Replaces the initial factors (float64 W K×R and H R×N, rounded to the fit's dtype); false once started. */
function setFactors<T>(s: State, W: usize, H: usize): bool {
  if (s.started) return false;
  const K = s.spec.rows, N = s.spec.cols, R = s.spec.rank;
  const nW = <usize>K * <usize>R * <usize>s.spec.templateFrames, nH = <usize>R * <usize>N;
  for (let i: usize = 0; i < nW; i++) store<T>(s.W + i * sizeof<T>(), <T>load<f64>(W + (i << 3)));
  for (let i: usize = 0; i < nH; i++) store<T>(s.H + i * sizeof<T>(), <T>load<f64>(H + (i << 3)));
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Finish.

/**
 * E ← V − W·H in place of V (V is not needed after the loop, and a separate K×N residual would double the fit's
 * memory at its end). W·H goes through the product kernel R rows at a time into the R×N scratch, and is then
 * subtracted: W·H formed first and subtracted after, as numpy evaluates it. For a float32 fit, W·H and the
 * subtraction are float64 (⌊R/2⌋ rows at a time, so the float64 rows fit in the scratch) and only E is rounded to
 * float32, so that E is accurate relative to itself, not to V (a small residual would otherwise drown in V's
 * rounding).
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
        const q = e + i * sizeof<T>();
        store<T>(q, <T>(<f64>load<T>(q) - load<f64>(scratch + (i << 3))));
      }
    }
  }
}

/** 2^-400 and 2^400: where max |e| lies between them, no square of the Frobenius sum overflows or matters below. */
const FROBENIUS_SAFE_MIN: f64 = 3.8725919148493183e-121;
const FROBENIUS_SAFE_MAX: f64 = 2.5822498780869086e120;

/**
 * ‖E‖_F = sqrt(Σ e²) from the residual's sums. Where a square could have overflowed or underflowed (max |e|
 * outside [2^-400, 2^400]) the sum is taken again on c·E (scaleFor: exact) and divided by c, in two lanes (even
 * and odd index), then their sum, then the last entry; elsewhere the two agree to the bit.
 */
function frobenius<T>(E: usize, count: usize, squares: f64, maxAbs: f64): f64 {
  if (maxAbs >= FROBENIUS_SAFE_MIN && maxAbs <= FROBENIUS_SAFE_MAX) return Math.sqrt(squares);
  const c = scaleFor(maxAbs);
  const cv = f64x2.splat(c);
  let acc = vzero<f64>();
  const pairs = count >> 1;
  const step = <usize>lanes<f64>() * sizeof<T>();
  let q = E;
  for (let k: usize = 0; k < pairs; k++) {
    const x = vmul<f64>(vload<T, f64>(q), cv);
    acc = vadd<f64>(acc, vmul<f64>(x, x));
    q += step;
  }
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (count & 1) {
    const x = <f64>load<T>(q) * c;
    sum += x * x;
  }
  return Math.sqrt(sum) / c;
}

/**
 * finish for CSR: F and ‖E‖_F from the stored entries and the Grams, never from a K×N residual; the spectral norm
 * is not computed (NaN: src/options.ts refuses spectralError for CSR).
 */
function finishSparse<T>(s: State): f64 {
  const p = s.spec;
  const squares = sparseResidualSquares<T>(s);
  const d = p.solver == SOLVER_MU_BETA ? sparseDivergence<T>(s) : 0.5 * squares;
  s.objective = d + penalties<T>(s);
  s.frobenius = Math.sqrt(squares);
  s.finished = true;
  return NaN;
}

/**
 * NMFD's finish: F and ‖V − Σ_t W_t·shift(H, t)‖_F of the returned factors, and H back in V's units. No spectral
 * norm (the facade asks for none).
 */
function finishNmfd<T>(s: State): f64 {
  const p = s.spec;
  if (!s.finished) {
    if (!s.started) start<T>(s);
    s.objective = checkpoint<T>(s);
    s.frobenius = s.scale * nmfdResidualNorm(s.V, s.blocks, <usize>p.rows * <usize>p.cols, p.eps);
    const count = <usize>p.rank * <usize>p.cols;
    for (let i: usize = 0; i < count; i++) store<f64>(s.H + (i << 3), load<f64>(s.H + (i << 3)) * s.scale);
    s.finished = true;
  }
  return NaN;
}

/**
 * Once: normalises the learned components (§8; a factor or column that is not updated is returned as given),
 * evaluates F of the returned factors (MU β explicitly; the Gram form from the residual), forms E once in place
 * of V (with a mask, M ⊙ E) and measures it in one pass: its Frobenius norm and max |E|. Then ‖E‖₂ by Lanczos,
 * when the specification asks for it (NaN otherwise), in the workspace `work` sized for at most m steps
 * (spectral.ts, lanczosWorkBytes), or −1 when m steps were not enough: the loader then calls again with a larger
 * workspace and the Lanczos run starts over (it is deterministic, so only m changes).
 */
function finish<T>(s: State, work: usize, m: i32): f64 {
  const p = s.spec;
  const K = p.rows, N = p.cols, R = p.rank;
  const count = <usize>K * <usize>N;
  if (p.solver == SOLVER_NMFD) return finishNmfd<T>(s);
  if (!s.finished) {
    if (!s.started) start<T>(s);
    if (p.normalize != NORMALIZE_NONE && p.updateW && p.updateH) {
      normalizeColumns<T>(s.W, s.H, K, N, R, p.normalize, fixedOf(s));
      hChanged(s);
      wChanged(s);
    }
    if (sparse(p)) return finishSparse<T>(s);
    let d: f64 = p.solver == SOLVER_MU_BETA ? explicitDivergence<T>(s) : 0;
    formResidual<T>(s.V, s.W, s.H, s.dH, K, N, R);
    residualSums<T>(s.V, maskOf(s), count, changetype<usize>(s) + offsetof<State>('residualSquares'));
    if (p.solver != SOLVER_MU_BETA) d = 0.5 * s.residualSquares; // no mask here: D = ½‖E‖²
    s.objective = d + penalties<T>(s);
    s.frobenius = frobenius<T>(s.V, count, s.residualSquares, s.residualMax);
    s.finished = true;
  }
  if (!p.spectralError || sparse(p)) return NaN;
  return residualSpectralNorm<T>(s.V, K, N, s.residualMax, work, m);
}

// ---------------------------------------------------------------------------------------------------------------
// The entry points (exported by index.ts): the arena, the state and the loader's handles.

/** Where the specification of arenaBytes is read into (it has no arena yet). */
const sizingSpec = changetype<FitSpec>(memory.data(offsetof<FitSpec>(), 8));

// @ts-ignore: decorator
@inline
function stateOf(fit: usize): State {
  return changetype<State>(fit);
}

/**
 * Bytes of the arena of the fit whose specification is in the SPEC_SLOTS float64 slots at `slots`; f64, as it may
 * exceed 2^32, which the loader must reject.
 */
export function arenaBytes(slots: usize): f64 {
  readSpec(sizingSpec, slots);
  return arenaBytesOf(sizingSpec);
}

/**
 * Sets up a fit in the arena at `fit` (64-byte aligned, arenaBytes long) from the specification at `slots`: the
 * state, the specification and the parts. The loader then copies V, W, H, the mask and the fixed columns in.
 */
export function init(fit: usize, slots: usize): void {
  memory.fill(fit, 0, <usize>headerBytes());
  const s = stateOf(fit);
  const specAt = fit + <usize>align64(<f64>offsetof<State>());
  s.spec = changetype<FitSpec>(specAt);
  readSpec(s.spec, slots);
  attach(s, fit + <usize>headerBytes());
  memory.fill(s.fixed, 0, <usize>s.spec.rank);
  if (s.team != 0) {
    memory.fill(s.team, 0, <usize>teamBytes(s.spec.threads));
    teamInit(s.team, s.spec.threads);
  }
}

export function ptrV(fit: usize): usize { return stateOf(fit).V; }
export function ptrW(fit: usize): usize { return stateOf(fit).W; }
export function ptrH(fit: usize): usize { return stateOf(fit).H; }
/** K×N of the fit's element type; only with spec.masked and a dense V. */
export function ptrMask(fit: usize): usize { return stateOf(fit).mask; }
/** K + 1 i32: a CSR V's row offsets. */
export function ptrIndptr(fit: usize): usize { return stateOf(fit).indptr; }
/** nnz i32: a CSR V's column indices. */
export function ptrIndices(fit: usize): usize { return stateOf(fit).indices; }

/** R bytes, 1 = the column of W is fixed. */
export function ptrFixed(fit: usize): usize { return stateOf(fit).fixed; }
/** The fit's team block (team.ts), which its helpers are given; 0 in a build without threads. */
export function ptrTeam(fit: usize): usize { return stateOf(fit).team; }
/** Stops the fit's helpers (before the fit's arena is given back). */
export function stopTeam(fit: usize): void { teamStop(stateOf(fit).team); }
/** RUN_CHUNK doubles: the hChange of each iteration of the last runFit call. */
export function ptrHChanges(fit: usize): usize { return stateOf(fit).hChanges; }
/** RUN_CHUNK doubles: the wChange. */
export function ptrWChanges(fit: usize): usize { return stateOf(fit).wChanges; }
/** RUN_CHUNK doubles: F at the checkpoints (NaN elsewhere), when runFit was asked for objectives. */
export function ptrObjectives(fit: usize): usize { return stateOf(fit).objectives; }

/** multiplyV of the fit (false once it has started). */
export function multiplyVFit(fit: usize, X: usize, cols: i32, transpose: bool, out: usize, scratch: usize): bool {
  const s = stateOf(fit);
  return s.spec.dtype == DTYPE_FLOAT32
    ? multiplyV<f32>(s, X, cols, transpose, out, scratch)
    : multiplyV<f64>(s, X, cols, transpose, out, scratch);
}

/** setFactors of the fit (false once it has started). */
export function setFactorsFit(fit: usize, W: usize, H: usize): bool {
  const s = stateOf(fit);
  return s.spec.dtype == DTYPE_FLOAT32 ? setFactors<f32>(s, W, H) : setFactors<f64>(s, W, H);
}

/** At most `steps` (1 … RUN_CHUNK) iterations; objectives ≠ 0: record F at the checkpoints. */
export function runFit(fit: usize, steps: i32, objectives: i32): i32 {
  const s = stateOf(fit);
  return s.spec.dtype == DTYPE_FLOAT32 ? run<f32>(s, steps, objectives != 0) : run<f64>(s, steps, objectives != 0);
}

/** Whether the last iteration of the last runFit call passed the stop rule. */
export function converged(fit: usize): bool { return stateOf(fit).converged; }

/** ‖E‖₂ (after the rest of finish, once), or −1: call again with a workspace for more Lanczos steps. */
export function finishFit(fit: usize, work: usize, m: i32): f64 {
  const s = stateOf(fit);
  return s.spec.dtype == DTYPE_FLOAT32 ? finish<f32>(s, work, m) : finish<f64>(s, work, m);
}

/** ‖E‖_F, valid after finishFit. */
export function frobeniusError(fit: usize): f64 { return stateOf(fit).frobenius; }
/** F of the returned factors, valid after finishFit. */
export function objective(fit: usize): f64 { return stateOf(fit).objective; }
/** F(W0, H0), valid after the first runFit or finishFit. */
export function initialObjective(fit: usize): f64 { return stateOf(fit).initialObjective; }
