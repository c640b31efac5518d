// The products of a CSR matrix V (K×N, nnz stored entries) with the dense factors, for rows [i0, i1) of V: V·Hᵀ,
// Vᵀ·W and W·H sampled at the stored entries. Each output row is summed in the order the pattern stores its entries.
// Costs are nnz·w for a product of width w, never K·N. team-kernels.ts spreads them over a fit's team;
// native/sparse-products.h is the same code in C++, under the same names.
//
// The pattern is the facade's, validated (src/csr.ts): indptr runs from 0 to nnz, never decreasing, and each row's
// column indices are in [0, N) and strictly increasing. Pattern arrays are i32; values are of the fit's type T.

import { lanes, vadd, vmul, vsplatValue } from './products';

// @ts-ignore: decorator
@inline
function at32(array: usize, k: i32): i32 {
  return load<i32>(array + (<usize>k << 2));
}

/**
 * o[c] ← o[c] + a·b[c] for c < w: whole vectors of T, then the rest one by one (each entry rounded as the scalar
 * loop rounds it: the product, then the sum).
 */
// @ts-ignore: decorator
@inline
function addScaledRow<T>(o: usize, a: T, b: usize, w: i32): void {
  const e = sizeof<T>();
  const L = lanes<T>();
  const av = vsplatValue<T>(a);
  let c = 0;
  for (; c + L <= w; c += L) {
    const q = o + <usize>c * e;
    v128.store(q, vadd<T>(v128.load(q), vmul<T>(av, v128.load(b + <usize>c * e))));
  }
  for (; c < w; c++) {
    const q = o + <usize>c * e;
    store<T>(q, load<T>(q) + a * load<T>(b + <usize>c * e));
  }
}

/**
 * out (rows [i0, i1) of K×w) = A·B, A a CSR matrix with the pattern (indptr, indices) and values `values` (0: every
 * stored entry is 1, the pattern itself), B N×w: out[i][:] = Σ_k a_k·B[indices[k]][:], k over row i's entries in
 * order.
 */
export function csrMulDense<T>(indptr: usize, indices: usize, values: usize, B: usize, out: usize, i0: i32, i1: i32, w: i32): void {
  const e = sizeof<T>();
  const rowBytes = <usize>w * e;
  for (let i = i0; i < i1; i++) {
    const o = out + <usize>i * rowBytes;
    memory.fill(o, 0, rowBytes);
    const end = at32(indptr, i + 1);
    for (let k = at32(indptr, i); k < end; k++) {
      const a: T = values == 0 ? <T>1 : load<T>(values + <usize>k * e);
      addScaledRow<T>(o, a, B + <usize>at32(indices, k) * rowBytes, w);
    }
  }
}

/**
 * outT (N×w) = Aᵀ·X for the rows [i0, i1) of A (as for csrMulDense), X K×w: outT zeroed, then each row's entries add
 * a·X[i][:] into the rows of their columns, rows ascending. V's values and X are read in order and only outT (N×w,
 * small beside V) is written out of order, where reading Aᵀ by columns would gather across V's values.
 */
export function csrTransposeMulDense<T>(
  indptr: usize, indices: usize, values: usize, X: usize, outT: usize, i0: i32, i1: i32, N: i32, w: i32,
): void {
  const e = sizeof<T>();
  const rowBytes = <usize>w * e;
  memory.fill(outT, 0, <usize>N * rowBytes);
  for (let i = i0; i < i1; i++) {
    const x = X + <usize>i * rowBytes;
    const end = at32(indptr, i + 1);
    for (let k = at32(indptr, i); k < end; k++) {
      const a: T = values == 0 ? <T>1 : load<T>(values + <usize>k * e);
      addScaledRow<T>(outT + <usize>at32(indices, k) * rowBytes, a, x, w);
    }
  }
}

/**
 * out[k] = W[i][:]·Ht[j][:] for the stored entries k = (i, j) of rows [i0, i1): W·H at the pattern (W K×R, Ht = Hᵀ
 * N×R), summed over r ascending.
 */
export function sampledProduct<T>(indptr: usize, indices: usize, W: usize, Ht: usize, out: usize, i0: i32, i1: i32, R: i32): void {
  const e = sizeof<T>();
  const rowBytes = <usize>R * e;
  for (let i = i0; i < i1; i++) {
    const w = W + <usize>i * rowBytes;
    const end = at32(indptr, i + 1);
    for (let k = at32(indptr, i); k < end; k++) {
      const h = Ht + <usize>at32(indices, k) * rowBytes;
      let sum: T = <T>0;
      for (let r = 0; r < R; r++) sum = sum + load<T>(w + <usize>r * e) * load<T>(h + <usize>r * e);
      store<T>(out + <usize>k * e, sum);
    }
  }
}

/** out (cols×rows) = Aᵀ, A rows×cols. */
export function transposeDense<T>(A: usize, out: usize, rows: i32, cols: i32): void {
  const e = sizeof<T>();
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      store<T>(out + (<usize>j * <usize>rows + <usize>i) * e, load<T>(A + (<usize>i * <usize>cols + <usize>j) * e));
    }
  }
}

/** ⟨A, B⟩ = Σ a·b over `count` entries, in float64: with the R×R Grams, ‖W·H‖²_F = ⟨WᵀW, HHᵀ⟩. */
export function innerProduct<T>(A: usize, B: usize, count: usize): f64 {
  const e = sizeof<T>();
  let sum: f64 = 0;
  for (let k: usize = 0; k < count; k++) sum += <f64>load<T>(A + k * e) * <f64>load<T>(B + k * e);
  return sum;
}
