// The products of a CSR matrix V (K×N, nnz stored entries) with the dense factors: V·Hᵀ by rows of V, Vᵀ·W by
// columns of V (through the pattern's transpose, built once), and W·H sampled at the stored entries. Each output
// row is summed in the order the pattern stores its entries. Costs are nnz·w for a product of width w, never K·N.
// native/sparse-products.h is the same code in C++ (there spread over a fit's team), under the same names.
//
// The pattern is the facade's, validated (src/csr.ts): indptr runs from 0 to nnz, never decreasing, and each row's
// column indices are in [0, N) and strictly increasing. Pattern arrays are i32; values are of the fit's type T.

// @ts-ignore: decorator
@inline
function at32(array: usize, k: i32): i32 {
  return load<i32>(array + (<usize>k << 2));
}

/**
 * The transpose of a K×N pattern (CSC of V): colptr (N + 1), rows (nnz) the row of each entry column by column in
 * ascending rows, and order (nnz) each such entry's position in the CSR arrays, so that Vᵀ's values are read from
 * V's own. A counting sort: O(nnz + N).
 */
export function transposePattern(indptr: usize, indices: usize, K: i32, N: i32, colptr: usize, rows: usize, order: usize): void {
  for (let j = 0; j <= N; j++) store<i32>(colptr + (<usize>j << 2), 0);
  const nnz = at32(indptr, K);
  for (let k = 0; k < nnz; k++) {
    const c = colptr + (<usize>(at32(indices, k) + 1) << 2);
    store<i32>(c, load<i32>(c) + 1);
  }
  for (let j = 0; j < N; j++) {
    const c = colptr + (<usize>(j + 1) << 2);
    store<i32>(c, load<i32>(c) + at32(colptr, j));
  }
  // colptr[j] is advanced past each entry placed in column j, then shifted back.
  for (let i = 0; i < K; i++) {
    const end = at32(indptr, i + 1);
    for (let k = at32(indptr, i); k < end; k++) {
      const c = colptr + (<usize>at32(indices, k) << 2);
      const to = load<i32>(c);
      store<i32>(c, to + 1);
      store<i32>(rows + (<usize>to << 2), i);
      store<i32>(order + (<usize>to << 2), k);
    }
  }
  for (let j = N; j > 0; j--) store<i32>(colptr + (<usize>j << 2), at32(colptr, j - 1));
  store<i32>(colptr, 0);
}

/**
 * out (K×w) = A·B, A a CSR matrix with the pattern (indptr, indices) and values `values` (0: every stored entry is
 * 1, the pattern itself), B N×w: out[i][:] = Σ_k a_k·B[indices[k]][:], k over row i's entries in order.
 */
export function csrMulDense<T>(indptr: usize, indices: usize, values: usize, B: usize, out: usize, K: i32, w: i32): void {
  const e = sizeof<T>();
  const rowBytes = <usize>w * e;
  for (let i = 0; i < K; i++) {
    const o = out + <usize>i * rowBytes;
    memory.fill(o, 0, rowBytes);
    const end = at32(indptr, i + 1);
    for (let k = at32(indptr, i); k < end; k++) {
      const a: T = values == 0 ? <T>1 : load<T>(values + <usize>k * e);
      const b = B + <usize>at32(indices, k) * rowBytes;
      for (let c = 0; c < w; c++) {
        const q = o + <usize>c * e;
        store<T>(q, load<T>(q) + a * load<T>(b + <usize>c * e));
      }
    }
  }
}

/**
 * outT (N×w) = Aᵀ·X, A as for csrMulDense, X K×w, through the transpose (colptr, rows, order): outT[j][:] =
 * Σ a·X[i][:] over column j's entries in ascending rows.
 */
export function cscMulDense<T>(colptr: usize, rows: usize, order: usize, values: usize, X: usize, outT: usize, N: i32, w: i32): void {
  const e = sizeof<T>();
  const rowBytes = <usize>w * e;
  for (let j = 0; j < N; j++) {
    const o = outT + <usize>j * rowBytes;
    memory.fill(o, 0, rowBytes);
    const end = at32(colptr, j + 1);
    for (let k = at32(colptr, j); k < end; k++) {
      const a: T = values == 0 ? <T>1 : load<T>(values + <usize>at32(order, k) * e);
      const x = X + <usize>at32(rows, k) * rowBytes;
      for (let c = 0; c < w; c++) {
        const q = o + <usize>c * e;
        store<T>(q, load<T>(q) + a * load<T>(x + <usize>c * e));
      }
    }
  }
}

/**
 * out[k] = W[i][:]·Ht[j][:] for the stored entries k = (i, j): W·H at the pattern (W K×R, Ht = Hᵀ N×R), summed over
 * r ascending.
 */
export function sampledProduct<T>(indptr: usize, indices: usize, W: usize, Ht: usize, out: usize, K: i32, R: i32): void {
  const e = sizeof<T>();
  const rowBytes = <usize>R * e;
  for (let i = 0; i < K; i++) {
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
