/**
 * V read from a file a block of samples at a time, for `nmfkit factorize --online`: each chunk is the K×b matrix of
 * b consecutive samples (V's columns), dense (row-major float64) or CSR, so a file of any length is read with
 * memory of one chunk. A source can be read again from the start (the second pass writes H). The file holds V
 * (`samples: 'columns'`, as `factorize` reads it without --online) or Vᵀ (`samples: 'rows'`: one sample per line
 * or row, the layout a file that grows by appending has).
 */
import type { CsrMatrixInput, Matrix } from 'nmfkit';
import { InputError } from '../errors.js';
import { MAX_ENTRIES } from '../growing-array.js';

/** Which axis of the file's matrix holds the samples. */
export type SampleAxis = 'rows' | 'columns';

/** A chunk of V: K rows, b columns (the samples), dense row-major or CSR. */
export type ColumnChunk =
  Matrix | (CsrMatrixInput & { readonly data: Float64Array; readonly indptr: Int32Array; readonly indices: Int32Array });

/** A file read as chunks of samples. */
export interface ChunkSource {
  readonly path: string;
  /** K: the entries of one sample. */
  readonly features: number;
  /** N, when the file's header says it (.npy, .mtx) or a first pass found it (CSV with samples in columns). */
  readonly samples: number | undefined;
  /** One pass over the file, chunks of `size` samples (the last may be smaller). */
  chunks(size: number): AsyncIterable<ColumnChunk>;
}

/** How a chunk source reads. */
export interface ChunkReadOptions {
  readonly samples: SampleAxis;
  readonly signal?: AbortSignal;
}

/** An entry of V: finite and ≥ 0, or an error naming where it is. */
export function checkEntry(path: string, where: string, x: number): number {
  if (x >= 0 && x !== Infinity) return x;
  if (!Number.isFinite(x)) throw new InputError(`${path}: ${where}: ${x} is not a finite number`);
  throw new InputError(`${path}: ${where}: ${x} is negative (every entry of V must be ≥ 0)`);
}

/** A K×b float64 buffer, refused by name when one chunk would pass the entries of one matrix. */
export function chunkBuffer(path: string, features: number, size: number): Float64Array {
  if (features * size > MAX_ENTRIES)
    throw new InputError(`${path}: a chunk of ${size} samples of ${features} entries is more than the 2^31 − 1 entries of one matrix`);
  return new Float64Array(features * size);
}
