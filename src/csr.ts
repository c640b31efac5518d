/**
 * A sparse V in compressed sparse row form, `{ format: 'csr', rows, cols, indptr, indices, data }` with scipy's
 * names (docs/sparse.md): row i's stored entries are data[indptr[i] … indptr[i + 1] − 1] in the columns
 * indices[indptr[i] …]. Checked as strictly as a dense V, each property and entry read once, every size checked
 * before anything is allocated: indptr has rows + 1 integer offsets from 0, never decreasing, its last one the
 * number of stored entries nnz; indices has nnz integer columns in [0, cols), strictly increasing along each row
 * (a repeated column is refused, not summed: scipy's `sum_duplicates()` makes the pattern canonical); data has nnz
 * finite entries ≥ 0. The result is private copies: int32 offsets and indices, float64 values.
 */
import type { CsrPattern } from './contract.js';
import { rangeError, typeError } from './errors.js';
import {
  checkCount,
  checkedSize,
  checkTypedArray,
  checkedLength,
  describe,
  inheritsIndices,
  isArray,
  firstInvalidEntry,
  NUMBER_ARRAYS,
  NUMBER_ARRAYS_TEXT,
  readArrayLength,
  readOptions,
  readOwnProperty,
  readProperty,
  typedArrayLength,
  typedArrayName,
} from './validate.js';

/** A validated CSR V: its shape, pattern and nnz stored values. */
export interface CsrMatrix extends CsrPattern {
  readonly rows: number;
  readonly cols: number;
  readonly nnz: number;
  readonly data: Float64Array;
}

const CSR_KEYS = ['format', 'rows', 'cols', 'indptr', 'indices', 'data'] as const;

/** The most stored entries: offsets and indices are int32. */
const MAX_STORED = 0x7fffffff;

/** Whether `value` is meant as a CSR matrix: an object (no array) with an own `format` property. */
export function isCsrInput(value: unknown, name = 'V'): boolean {
  if (value === null || typeof value !== 'object' || isArray(value) || typedArrayName(value) !== undefined) return false;
  return readOwnProperty(`${name}.format`, value, 'format') !== undefined;
}

/**
 * A reader of an integer list (Int32Array, Uint32Array or number[]) of exactly `length` entries: its kind and length
 * are checked first (before the caller allocates anything for it), then reader(k) reads entry k once, a number.
 */
function integerList(name: string, value: unknown, length: number, why: string): (k: number) => number {
  const typed = typedArrayName(value);
  const wrongLength = (actual: unknown): never => {
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must have ${why} = ${length} entries, got ${describe(actual)}`);
  };
  if (typed === 'Int32Array' || typed === 'Uint32Array') {
    const array = checkTypedArray<Int32Array | Uint32Array>(name, value, [typed], 'an Int32Array, Uint32Array or number[]');
    const actual = typedArrayLength(array);
    if (actual !== length) wrongLength(actual);
    return (k) => array[k]!;
  }
  if (typed !== undefined || !isArray(value)) {
    throw typeError('NMFKIT_INVALID_TYPE', `${name} must be an Int32Array, Uint32Array or number[], got ${describe(value)}`);
  }
  const actual = readArrayLength(name, value, MAX_STORED + 1);
  if (actual !== length) wrongLength(actual);
  const careful = inheritsIndices(value);
  return (k) => {
    const x = careful ? readOwnProperty(`${name}[${k}]`, value, k) : readProperty(`${name}[${k}]`, value, k);
    if (typeof x !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name}[${k}] must be a number, got ${describe(x)}`);
    return x;
  };
}

/** indptr: rows + 1 integer offsets, 0 first, never decreasing, the last at most 2^31 − 1 (nnz). */
function readIndptr(name: string, value: unknown, rows: number): Int32Array {
  const entry = integerList(`${name}.indptr`, value, rows + 1, `${name}.rows + 1`);
  // The first entry before the allocation: an array of a plausible length full of holes is refused at once.
  const first = entry(0);
  const out = new Int32Array(checkedLength(`${name}.indptr`, rows + 1));
  for (let k = 0; k <= rows; k++) {
    const x = k === 0 ? first : entry(k);
    if (Number.isInteger(x) && x <= MAX_STORED && (k === 0 ? x === 0 : x >= out[k - 1]!)) {
      out[k] = x;
      continue;
    }
    // Only a bad entry is worded (a message per entry would cost more than the checks).
    const where = `${name}.indptr[${k}]`;
    if (!Number.isInteger(x) || x < 0 || x > MAX_STORED)
      throw rangeError('NMFKIT_INVALID_VALUE', `${where} must be an integer in [0, 2^31 − 1], got ${describe(x)}`);
    if (k === 0 && x !== 0) throw rangeError('NMFKIT_INVALID_VALUE', `${where} must be 0 (row 0 starts at the first entry), got ${x}`);
    if (k > 0 && x < out[k - 1]!) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `${name}.indptr must never decrease, but ${where} = ${x} is below ${name}.indptr[${k - 1}] = ${out[k - 1]} (row ${k - 1})`,
      );
    }
    out[k] = x;
  }
  return out;
}

/** indices: nnz integer columns in [0, cols), strictly increasing along each row. */
function readIndices(name: string, value: unknown, indptr: Int32Array, rows: number, cols: number, nnz: number): Int32Array {
  const entry = integerList(`${name}.indices`, value, nnz, `${name}.indptr[${rows}] (nnz)`);
  const first = nnz > 0 ? entry(0) : 0;
  const out = new Int32Array(checkedLength(`${name}.indices`, nnz));
  let row = 0;
  for (let k = 0; k < nnz; k++) {
    const x = k === 0 ? first : entry(k);
    while (k >= indptr[row + 1]!) row++;
    if (Number.isInteger(x) && x >= 0 && x < cols && (k === indptr[row]! || x > out[k - 1]!)) {
      out[k] = x;
      continue;
    }
    const where = `${name}.indices[${k}] (row ${row})`;
    if (!Number.isInteger(x) || x < 0 || x >= cols)
      throw rangeError('NMFKIT_INVALID_VALUE', `${where} must be an integer column in [0, ${cols - 1}], got ${describe(x)}`);
    if (k > indptr[row]! && x <= out[k - 1]!) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        x === out[k - 1]
          ? `${where} repeats column ${x}: nmfkit refuses duplicate entries (sum them first, e.g. scipy's sum_duplicates())`
          : `${where} = ${x} follows column ${out[k - 1]}: the columns of a row must increase (sort them first, e.g. scipy's sort_indices())`,
      );
    }
    out[k] = x;
  }
  return out;
}

/** data: nnz finite entries ≥ 0, from any array of numbers a dense V may be given in. */
function readData(name: string, value: unknown, indptr: Int32Array, indices: Int32Array, nnz: number): Float64Array {
  const where = `${name}.data`;
  const typed = typedArrayName(value);
  let out: Float64Array;
  if (typed !== undefined && NUMBER_ARRAYS.includes(typed)) {
    const array = checkTypedArray<Float64Array>(where, value, [typed], NUMBER_ARRAYS_TEXT);
    const actual = typedArrayLength(array);
    if (actual !== nnz)
      throw rangeError('NMFKIT_INVALID_VALUE', `${where} must have nnz = ${name}.indptr[last] = ${nnz} entries, got ${actual}`);
    out = new Float64Array(checkedLength(where, nnz));
    out.set(array);
  } else if (typed === undefined && isArray(value)) {
    const actual = readArrayLength(where, value, MAX_STORED);
    if (actual !== nnz)
      throw rangeError('NMFKIT_INVALID_VALUE', `${where} must have nnz = ${name}.indptr[last] = ${nnz} entries, got ${actual}`);
    out = new Float64Array(checkedLength(where, nnz));
    const careful = inheritsIndices(value);
    for (let k = 0; k < nnz; k++) {
      const x = careful ? readOwnProperty(`${where}[${k}]`, value, k) : readProperty(`${where}[${k}]`, value, k);
      if (typeof x !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${where}[${k}] must be a number, got ${describe(x)}`);
      out[k] = x;
    }
  } else {
    throw typeError('NMFKIT_INVALID_TYPE', `${where} must be ${NUMBER_ARRAYS_TEXT}, got ${describe(value)}`);
  }
  const k = firstInvalidEntry(out, false);
  if (k >= 0) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${name} must be finite and ≥ 0, but ${where}[${k}] (row ${csrRowOf(indptr, k)}, column ${indices[k]}) is ${describe(out[k])}`,
    );
  }
  return out;
}

/** The row of stored entry k of a CSR matrix: the i with indptr[i] ≤ k < indptr[i + 1] (the first, past empty rows). */
export function csrRowOf(indptr: ArrayLike<number>, k: number): number {
  let row = 0;
  while (k >= indptr[row + 1]!) row++;
  return row;
}

/** Reads and checks a CSR matrix (see the file's comment); TypeError/RangeError naming the field and position. */
export function toCsr(name: string, value: unknown): CsrMatrix {
  const o = readOptions(name, value, CSR_KEYS, "a CSR matrix { format: 'csr', rows, cols, indptr, indices, data }");
  if (o.format !== 'csr') throw rangeError('NMFKIT_INVALID_VALUE', `${name}.format must be 'csr', got ${describe(o.format)}`);
  const rows = checkCount(`${name}.rows`, o.rows);
  const cols = checkCount(`${name}.cols`, o.cols);
  const indptr = readIndptr(name, o.indptr, rows);
  const nnz = indptr[rows]!;
  const indices = readIndices(name, o.indices, indptr, rows, cols, nnz);
  const data = readData(name, o.data, indptr, indices, nnz);
  return { rows, cols, nnz, indptr, indices, data };
}

/** The K×N entries of a CSR matrix, zeros where it stores none; the size is checked before allocating. */
export function denseEntries(csr: CsrMatrix, name = 'V', allocate?: (length: number) => Float64Array): Float64Array {
  const length = checkedSize(name, csr.rows, csr.cols);
  const data = allocate ? allocate(length).fill(0) : new Float64Array(length);
  for (let i = 0; i < csr.rows; i++) {
    for (let p = csr.indptr[i]!; p < csr.indptr[i + 1]!; p++) data[i * csr.cols + csr.indices[p]!] = csr.data[p]!;
  }
  return data;
}
