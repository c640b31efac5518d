// The products and updates of products.ts, updates.ts and sparse-products.ts spread over a fit's team (team.ts), as
// native/team-kernels.h spreads them. Each member writes a disjoint block of the output and reads what it needs,
// so no sums are split and every entry is computed as the one-thread kernel computes it:
//  - products whose output has N columns (WᵀV, (WᵀW)·H) split by columns, i.e. V by columns;
//  - products whose output has K rows (VHᵀ, W·(HHᵀ)) split by rows, i.e. V by rows;
//  - the entrywise updates and the HALS sweeps split by rows of W and columns of H.
// The R×R Grams and the change norms stay on the calling thread. The ratio form of MU β (fit.ts) runs by blocks
// of rows of each member's share of V; its sums over rows are added from member partials in member order
// (addPartials), so they are the same for a given team size.
//
// A kernel whose range is shorter than the team runs on the calling thread alone (as Team::forEach does). The
// arguments travel in the team's argument slots; each job reads them back and takes its member's share.

import * as one from './products';
import * as sparse from './sparse-products';
import { halsSweepColumns as sweepColumns, halsSweepRowsStrided, updateMu as mu, updateMuKlL2 as muKlL2, updateMuL2 as muL2 } from './updates';
import { ARG_SLOTS, Job, arg, argF, argI, setArg, setArgF, shareBegin, shareEnd, teamRun, teamSize } from './team';

// The argument slot that holds the element size of the job's matrices: a job is a plain function, which reads
// it to pick its float64 or float32 kernel.
const TYPE_SLOT = ARG_SLOTS - 1;

/** Runs `job` over the team on matrices of T. */
function runOn<T>(team: usize, job: Job): void {
  setArg(team, TYPE_SLOT, <u64>sizeof<T>());
  teamRun(team, job);
}

/** Whether `count` items are split over the team (else the caller computes them alone). */
function splits(team: usize, count: i32): bool {
  const size = teamSize(team);
  return size > 1 && count >= size;
}

/** The arguments most jobs take: three pointers and three sizes. */
function setArgs6(team: usize, a: usize, b: usize, c: usize, m: i32, k: i32, n: i32): void {
  setArg(team, 0, a);
  setArg(team, 1, b);
  setArg(team, 2, c);
  setArg(team, 3, <u64>m);
  setArg(team, 4, <u64>k);
  setArg(team, 5, <u64>n);
}

// C (m×n) = Aᵀ · B, with A k×m and B k×n: C's columns split.
function mulAtBShare<T>(team: usize, member: i32): void {
  const n = argI(team, 5), size = teamSize(team);
  one.mulAtBColumns<T>(arg(team, 0), arg(team, 1), arg(team, 2), argI(team, 3), argI(team, 4), n,
    shareBegin(n, size, member), shareEnd(n, size, member));
}

function mulAtBJob(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) mulAtBShare<f64>(team, member);
  else mulAtBShare<f32>(team, member);
}

export function mulAtB<T>(team: usize, A: usize, B: usize, C: usize, m: i32, k: i32, n: i32): void {
  if (!splits(team, n)) {
    one.mulAtB<T>(A, B, C, m, k, n);
    return;
  }
  setArgs6(team, A, B, C, m, k, n);
  runOn<T>(team, mulAtBJob);
}

// C (m×n) = A · Bᵀ, with A m×k and B n×k: C's rows split.
function mulABtShare<T>(team: usize, member: i32): void {
  const m = argI(team, 3), k = argI(team, 4), n = argI(team, 5), e = sizeof<T>();
  const i0 = shareBegin(m, teamSize(team), member), i1 = shareEnd(m, teamSize(team), member);
  one.mulABt<T>(arg(team, 0) + <usize>i0 * <usize>k * e, arg(team, 1), arg(team, 2) + <usize>i0 * <usize>n * e, i1 - i0, k, n);
}

function mulABtJob(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) mulABtShare<f64>(team, member);
  else mulABtShare<f32>(team, member);
}

export function mulABt<T>(team: usize, A: usize, B: usize, C: usize, m: i32, k: i32, n: i32): void {
  if (!splits(team, m)) {
    one.mulABt<T>(A, B, C, m, k, n);
    return;
  }
  setArgs6(team, A, B, C, m, k, n);
  runOn<T>(team, mulABtJob);
}

// C (m×n) = A (m×k) · B (k×n): C's rows split when it is tall ((W·HHᵀ), W·H), its columns when wide ((WᵀW)·H).
function mulSmallInnerRowsShare<T>(team: usize, member: i32): void {
  const m = argI(team, 3), k = argI(team, 4), n = argI(team, 5), e = sizeof<T>();
  const i0 = shareBegin(m, teamSize(team), member), i1 = shareEnd(m, teamSize(team), member);
  one.mulSmallInner<T>(arg(team, 0) + <usize>i0 * <usize>k * e, arg(team, 1), arg(team, 2) + <usize>i0 * <usize>n * e, i1 - i0, k, n);
}

function mulSmallInnerRowsJob(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) mulSmallInnerRowsShare<f64>(team, member);
  else mulSmallInnerRowsShare<f32>(team, member);
}

function mulSmallInnerColumnsShare<T>(team: usize, member: i32): void {
  const n = argI(team, 5), size = teamSize(team);
  one.mulSmallInnerColumns<T>(arg(team, 0), arg(team, 1), arg(team, 2), argI(team, 3), argI(team, 4), n,
    shareBegin(n, size, member), shareEnd(n, size, member));
}

function mulSmallInnerColumnsJob(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) mulSmallInnerColumnsShare<f64>(team, member);
  else mulSmallInnerColumnsShare<f32>(team, member);
}

export function mulSmallInner<T>(team: usize, A: usize, B: usize, C: usize, m: i32, k: i32, n: i32): void {
  if (!splits(team, m >= n ? m : n)) {
    one.mulSmallInner<T>(A, B, C, m, k, n);
    return;
  }
  setArgs6(team, A, B, C, m, k, n);
  if (m >= n) runOn<T>(team, mulSmallInnerRowsJob);
  else runOn<T>(team, mulSmallInnerColumnsJob);
}

// The entrywise updates by rows of X: slots 0–2 X, num, den; 3 change; 4 rows; 5 cols; 6–10 eps, l1, l2, γ;
// 11 fixed.
function setUpdateArgs(team: usize, X: usize, num: usize, den: usize, change: usize, rows: i32, cols: i32, eps: f64, l1: f64, l2: f64, gamma: f64, fixed: usize): void {
  setArg(team, 0, X);
  setArg(team, 1, num);
  setArg(team, 2, den);
  setArg(team, 3, change);
  setArg(team, 4, <u64>rows);
  setArg(team, 5, <u64>cols);
  setArgF(team, 6, eps);
  setArgF(team, 7, l1);
  setArgF(team, 8, l2);
  setArgF(team, 9, gamma);
  setArg(team, 10, fixed);
}

/** Byte offset of member `member`'s first row of the rows×cols matrices of an update job. */
function updateOffset<T>(team: usize, member: i32): usize {
  return <usize>shareBegin(argI(team, 4), teamSize(team), member) * <usize>argI(team, 5) * sizeof<T>();
}

function updateRows(team: usize, member: i32): i32 {
  const rows = argI(team, 4), size = teamSize(team);
  return shareEnd(rows, size, member) - shareBegin(rows, size, member);
}

function updateMuShare<T>(team: usize, member: i32): void {
  const o = updateOffset<T>(team, member);
  mu<T>(arg(team, 0) + o, arg(team, 1) + o, arg(team, 2) + o, arg(team, 3) + o, updateRows(team, member), argI(team, 5),
    <T>argF(team, 6), <T>argF(team, 7), <T>argF(team, 8), <T>argF(team, 9), arg(team, 10));
}

function updateMuJob(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) updateMuShare<f64>(team, member);
  else updateMuShare<f32>(team, member);
}

/** updateMu (updates.ts) by rows of X. */
export function updateMu<T>(team: usize, X: usize, num: usize, den: usize, change: usize, rows: i32, cols: i32, eps: T, l1: T, l2: T, gamma: T, fixed: usize): void {
  if (!splits(team, rows)) {
    mu<T>(X, num, den, change, rows, cols, eps, l1, l2, gamma, fixed);
    return;
  }
  setUpdateArgs(team, X, num, den, change, rows, cols, <f64>eps, <f64>l1, <f64>l2, <f64>gamma, fixed);
  runOn<T>(team, updateMuJob);
}

function updateMuKlL2Share<T>(team: usize, member: i32): void {
  const o = updateOffset<T>(team, member);
  muKlL2<T>(arg(team, 0) + o, arg(team, 1) + o, arg(team, 2) + o, arg(team, 3) + o, updateRows(team, member), argI(team, 5),
    <T>argF(team, 6), <T>argF(team, 7), <T>argF(team, 8), arg(team, 10));
}

function updateMuKlL2Job(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) updateMuKlL2Share<f64>(team, member);
  else updateMuKlL2Share<f32>(team, member);
}

/** updateMuKlL2 (updates.ts) by rows of X. */
export function updateMuKlL2<T>(team: usize, X: usize, num: usize, den: usize, change: usize, rows: i32, cols: i32, eps: T, l1: T, l2: T, fixed: usize): void {
  if (!splits(team, rows)) {
    muKlL2<T>(X, num, den, change, rows, cols, eps, l1, l2, fixed);
    return;
  }
  setUpdateArgs(team, X, num, den, change, rows, cols, <f64>eps, <f64>l1, <f64>l2, 1, fixed);
  runOn<T>(team, updateMuKlL2Job);
}

function updateMuL2Share<T>(team: usize, member: i32): void {
  const o = updateOffset<T>(team, member);
  muL2<T>(arg(team, 0) + o, arg(team, 1) + o, arg(team, 2) + o, arg(team, 3) + o, updateRows(team, member), argI(team, 5),
    <T>argF(team, 6), <T>argF(team, 7), <T>argF(team, 8), argF(team, 9), arg(team, 10));
}

function updateMuL2Job(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) updateMuL2Share<f64>(team, member);
  else updateMuL2Share<f32>(team, member);
}

/** updateMuL2 (updates.ts) by rows of X; β travels in the exponent's slot. */
export function updateMuL2<T>(team: usize, X: usize, num: usize, den: usize, change: usize, rows: i32, cols: i32, eps: T, l1: T, l2: T, beta: f64, fixed: usize): void {
  if (!splits(team, rows)) {
    muL2<T>(X, num, den, change, rows, cols, eps, l1, l2, beta, fixed);
    return;
  }
  setUpdateArgs(team, X, num, den, change, rows, cols, <f64>eps, <f64>l1, <f64>l2, beta, fixed);
  runOn<T>(team, updateMuL2Job);
}

function halsSweepColumnsShare<T>(team: usize, member: i32): void {
  const o = updateOffset<T>(team, member);
  sweepColumns<T>(arg(team, 0) + o, arg(team, 1), arg(team, 2) + o, arg(team, 3) + o, updateRows(team, member), argI(team, 5),
    <T>argF(team, 7), arg(team, 10));
}

function halsSweepColumnsJob(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) halsSweepColumnsShare<f64>(team, member);
  else halsSweepColumnsShare<f32>(team, member);
}

/** halsSweepColumns (updates.ts) by rows of W: each row of W is swept on its own. */
export function halsSweepColumns<T>(team: usize, W: usize, G: usize, B: usize, change: usize, K: i32, R: i32, l1: T, fixed: usize): void {
  if (!splits(team, K)) {
    sweepColumns<T>(W, G, B, change, K, R, l1, fixed);
    return;
  }
  setUpdateArgs(team, W, G, B, change, K, R, 0, <f64>l1, 0, 1, fixed);
  runOn<T>(team, halsSweepColumnsJob);
}

// Slots: 0 X, 1 G, 2 B, 3 change, 4 R, 5 N, 7 l1.
function halsSweepRowsShare<T>(team: usize, member: i32): void {
  const N = argI(team, 5), size = teamSize(team);
  const j0 = shareBegin(N, size, member), j1 = shareEnd(N, size, member);
  const o = <usize>j0 * sizeof<T>();
  halsSweepRowsStrided<T>(arg(team, 0) + o, arg(team, 1), arg(team, 2) + o, arg(team, 3) + o, argI(team, 4), j1 - j0, N,
    <T>argF(team, 7));
}

function halsSweepRowsJob(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) halsSweepRowsShare<f64>(team, member);
  else halsSweepRowsShare<f32>(team, member);
}

/** halsSweepRows (updates.ts) by columns of H: each column of H is swept on its own. */
export function halsSweepRows<T>(team: usize, X: usize, G: usize, B: usize, change: usize, R: i32, N: i32, l1: T): void {
  if (!splits(team, N)) {
    halsSweepRowsStrided<T>(X, G, B, change, R, N, N, l1);
    return;
  }
  setUpdateArgs(team, X, G, B, change, R, N, 0, <f64>l1, 0, 1, 0);
  runOn<T>(team, halsSweepRowsJob);
}

// X (count entries) += the partial sums of members 1 … of a job over K rows (the members that had rows), in member
// order: member m's partial is at partials + (m − 1)·stride entries. Split by entries over the team.
function addPartialsRange<T>(team: usize, j0: i32, j1: i32): void {
  const X = arg(team, 0), partials = arg(team, 1), stride = <usize>argI(team, 3);
  const members = argI(team, 4), e = sizeof<T>();
  for (let m = 1; m < members; m++) {
    const p = partials + <usize>(m - 1) * stride * e;
    for (let j = j0; j < j1; j++) {
      const at = <usize>j * e;
      store<T>(X + at, load<T>(X + at) + load<T>(p + at));
    }
  }
}

function addPartialsShare<T>(team: usize, member: i32): void {
  const count = argI(team, 2), size = teamSize(team);
  addPartialsRange<T>(team, shareBegin(count, size, member), shareEnd(count, size, member));
}

function addPartialsJob(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) addPartialsShare<f64>(team, member);
  else addPartialsShare<f32>(team, member);
}

export function addPartials<T>(team: usize, X: usize, partials: usize, count: i32, stride: i32, K: i32): void {
  const members = min(teamSize(team), K);
  if (members < 2) return;
  setArg(team, 0, X);
  setArg(team, 1, partials);
  setArg(team, 2, <u64>count);
  setArg(team, 3, <u64>stride);
  setArg(team, 4, <u64>members);
  if (splits(team, count)) runOn<T>(team, addPartialsJob);
  else addPartialsRange<T>(team, 0, count);
}

// The CSR products of sparse-products.ts over the team, by rows of V (native/sparse-products.h): V·Hᵀ and W·H at
// the stored entries with each output row one member's (the same bits whatever the team size), Vᵀ·W into member
// partials added in member order (the same bits for a given team size).

// csrMulDense and sampledProduct: the same arguments (the pattern, three pointers, the rows K and a width) and the
// same split, by rows of V; the job's slot 7 says which.
const CSR_MUL_DENSE = 0;
const SAMPLED_PRODUCT = 1;

/** Slots 0–4 of the CSR jobs: V's pattern, then three matrices (the values or W, the dense operand, the output). */
function setCsrPointers(team: usize, indptr: usize, indices: usize, a: usize, b: usize, out: usize): void {
  setArg(team, 0, indptr);
  setArg(team, 1, indices);
  setArg(team, 2, a);
  setArg(team, 3, b);
  setArg(team, 4, out);
}

function csrRows<T>(kind: i32, indptr: usize, indices: usize, a: usize, b: usize, out: usize, i0: i32, i1: i32, w: i32): void {
  if (kind == CSR_MUL_DENSE) sparse.csrMulDense<T>(indptr, indices, a, b, out, i0, i1, w);
  else sparse.sampledProduct<T>(indptr, indices, a, b, out, i0, i1, w);
}

function csrRowsShare<T>(team: usize, member: i32): void {
  const K = argI(team, 5), size = teamSize(team);
  csrRows<T>(argI(team, 7), arg(team, 0), arg(team, 1), arg(team, 2), arg(team, 3), arg(team, 4),
    shareBegin(K, size, member), shareEnd(K, size, member), argI(team, 6));
}

function csrRowsJob(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) csrRowsShare<f64>(team, member);
  else csrRowsShare<f32>(team, member);
}

function runCsrRows<T>(team: usize, kind: i32, indptr: usize, indices: usize, a: usize, b: usize, out: usize, K: i32, w: i32): void {
  if (!splits(team, K)) {
    csrRows<T>(kind, indptr, indices, a, b, out, 0, K, w);
    return;
  }
  setCsrPointers(team, indptr, indices, a, b, out);
  setArg(team, 5, <u64>K);
  setArg(team, 6, <u64>w);
  setArg(team, 7, <u64>kind);
  runOn<T>(team, csrRowsJob);
}

/** out (K×w) = A·B, A CSR (values 0: the pattern), B N×w; each member a share of A's rows. */
export function csrMulDense<T>(team: usize, indptr: usize, indices: usize, values: usize, B: usize, out: usize, K: i32, w: i32): void {
  runCsrRows<T>(team, CSR_MUL_DENSE, indptr, indices, values, B, out, K, w);
}

/** out[k] = (W·H)[i][j] at the stored entries k = (i, j) of A's pattern (Ht = Hᵀ); each member a share of rows. */
export function sampledProduct<T>(team: usize, indptr: usize, indices: usize, W: usize, Ht: usize, out: usize, K: i32, R: i32): void {
  runCsrRows<T>(team, SAMPLED_PRODUCT, indptr, indices, W, Ht, out, K, R);
}

function csrTransposeMulDenseShare<T>(team: usize, member: i32): void {
  const K = argI(team, 6), N = argI(team, 7), w = argI(team, 8), size = teamSize(team);
  const own = member == 0 ? arg(team, 4) : arg(team, 5) + <usize>(member - 1) * <usize>N * <usize>w * sizeof<T>();
  sparse.csrTransposeMulDense<T>(arg(team, 0), arg(team, 1), arg(team, 2), arg(team, 3), own,
    shareBegin(K, size, member), shareEnd(K, size, member), N, w);
}

function csrTransposeMulDenseJob(team: usize, member: i32): void {
  if (argI(team, TYPE_SLOT) == 8) csrTransposeMulDenseShare<f64>(team, member);
  else csrTransposeMulDenseShare<f32>(team, member);
}

/**
 * outT (N×w) = Aᵀ·X, A CSR K×N, X K×w: each member a share of A's rows into its own N×w sums (member 0's are outT,
 * the others' at partials + (m − 1)·N·w), then added in member order.
 */
export function csrTransposeMulDense<T>(
  team: usize, indptr: usize, indices: usize, values: usize, X: usize, outT: usize, partials: usize, K: i32, N: i32, w: i32,
): void {
  if (!splits(team, K)) {
    sparse.csrTransposeMulDense<T>(indptr, indices, values, X, outT, 0, K, N, w);
    return;
  }
  setCsrPointers(team, indptr, indices, values, X, outT);
  setArg(team, 5, partials);
  setArg(team, 6, <u64>K);
  setArg(team, 7, <u64>N);
  setArg(team, 8, <u64>w);
  runOn<T>(team, csrTransposeMulDenseJob);
  addPartials<T>(team, outT, partials, N * w, N * w, K);
}
