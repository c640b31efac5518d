/**
 * Plain float64 linear algebra for the reference implementation: row-major matrices, naive products, a cyclic
 * Jacobi eigen-solver and spectral norms. Written to be obviously right, not fast.
 */

/** A row-major matrix: entry (i, j) is `data[i * cols + j]`. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function mat(rows: number, cols: number, data?: ArrayLike<number>): Mat {
  const m = { rows, cols, data: new Float64Array(rows * cols) };
  if (data) {
    if (data.length !== rows * cols) throw new Error(`mat: ${data.length} entries for ${rows}×${cols}`);
    m.data.set(data);
  }
  return m;
}

export function copy(a: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}

/** A·B: c_ij = Σ_k a_ik·b_kj, k ascending. */
export function mul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error('mul: shapes');
  const n = a.cols;
  const m = b.cols;
  const c = mat(a.rows, m);
  const A = a.data;
  const B = b.data;
  const C = c.data;
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < n; k++) {
      const x = A[i * n + k]!;
      const row = k * m;
      const out = i * m;
      for (let j = 0; j < m; j++) C[out + j] = C[out + j]! + x * B[row + j]!;
    }
  }
  return c;
}

export function transpose(a: Mat): Mat {
  const t = mat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j]!;
  return t;
}

/** Aᵀ·B. */
export function mulTN(a: Mat, b: Mat): Mat {
  return mul(transpose(a), b);
}

/** A·Bᵀ. */
export function mulNT(a: Mat, b: Mat): Mat {
  return mul(a, transpose(b));
}

/** Elementwise A − B. */
export function sub(a: Mat, b: Mat): Mat {
  const c = mat(a.rows, a.cols);
  for (let k = 0; k < c.data.length; k++) c.data[k] = a.data[k]! - b.data[k]!;
  return c;
}

/**
 * Eigen-decomposition of a symmetric n×n matrix by the cyclic Jacobi method: returns the eigenvalues (descending)
 * and the eigenvectors as the columns of an n×n matrix.
 */
export function symmetricEigen(a: Mat): { values: Float64Array; vectors: Mat } {
  const n = a.rows;
  const A = copy(a);
  const Q = mat(n, n);
  for (let i = 0; i < n; i++) Q.data[i * n + i] = 1;
  const at = (i: number, j: number): number => A.data[i * n + j]!;
  let total = 0;
  for (const x of A.data) total += x * x;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) off += at(i, j) ** 2;
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = at(p, q);
        if (apq === 0) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J with J the rotation in the (p, q) plane.
        for (let k = 0; k < n; k++) {
          const akp = at(k, p);
          const akq = at(k, q);
          A.data[k * n + p] = c * akp - s * akq;
          A.data[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = at(p, k);
          const aqk = at(q, k);
          A.data[p * n + k] = c * apk - s * aqk;
          A.data[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const qkp = Q.data[k * n + p]!;
          const qkq = Q.data[k * n + q]!;
          Q.data[k * n + p] = c * qkp - s * qkq;
          Q.data[k * n + q] = s * qkp + c * qkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => at(y, y) - at(x, x));
  const values = new Float64Array(order.map((i) => at(i, i)));
  const vectors = mat(n, n);
  order.forEach((from, to) => {
    for (let k = 0; k < n; k++) vectors.data[k * n + to] = Q.data[k * n + from]!;
  });
  return { values, vectors };
}

/** ‖A‖₂, the largest singular value, from the Gram of the smaller side. */
export function spectralNorm(a: Mat): number {
  if (a.rows === 0 || a.cols === 0) return 0;
  const gram = a.rows <= a.cols ? mulNT(a, a) : mulTN(a, a);
  let zero = true;
  for (const x of gram.data) if (x !== 0) zero = false;
  if (zero) return 0;
  return Math.sqrt(Math.max(symmetricEigen(gram).values[0]!, 0));
}

/** ‖A‖_F. */
export function frobeniusNorm(a: Mat): number {
  let s = 0;
  for (const x of a.data) s += x * x;
  return Math.sqrt(s);
}
