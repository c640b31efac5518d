/**
 * The runners of the online solver's steps (src/online/step.ts): each activation solve they ask for is one backend
 * fit of the chunk with the dictionary fixed (`updateW: false`, `stop: 'relativeChange'`), through the entry's fit
 * functions, on the calling thread or off it. Also the readers of chunks and of V's columns.
 */
import { toCsr, isCsrInput, type CsrMatrix } from '../csr.js';
import { abortError } from '../driver.js';
import { rangeError } from '../errors.js';
import type { FitFunctions } from '../nmf.js';
import type { Matrix, NmfOptions, NmfResult } from '../types.js';
import { toMatrix } from '../validate.js';
import { chunkInput, type Chunk } from './algebra.js';
import type { Columns } from './epochs.js';
import type { ActivationAnswer, ActivationRequest, Steps } from './step.js';

/** The estimator options an activation update passes on to its fit. */
const ACTIVATION_OPTION_NAMES = ['loss', 'eps', 'l1H', 'l2H', 'backend', 'threads'];

/** The fits that answer activation requests: MU iterations of H with W fixed. */
export interface ActivationFits {
  sync(request: ActivationRequest): ActivationAnswer;
  async(request: ActivationRequest, signal: AbortSignal | undefined): Promise<ActivationAnswer>;
}

export function activationFits(fits: FitFunctions, estimatorOptions: Readonly<Record<string, unknown>>): ActivationFits {
  const shared = Object.fromEntries(Object.entries(estimatorOptions).filter(([key]) => ACTIVATION_OPTION_NAMES.includes(key)));
  const options = ({ V, W, H, maxIter, tol }: ActivationRequest): NmfOptions => {
    const rank = W.length / V.rows;
    return {
      ...shared,
      W: { rows: V.rows, cols: rank, data: W },
      H: { rows: rank, cols: V.cols, data: H },
      updateW: false,
      maxIter,
      stop: tol > 0 ? 'relativeChange' : 'none',
      tol,
      // The objective history is not read: no checkpoint after the start (each forms W·H for β ≠ 2).
      errorEvery: maxIter + 1,
      spectralError: false,
    } as NmfOptions;
  };
  return {
    sync: (request) => answerOf(fits.nmfSync(chunkInput(request.V), options(request))),
    async: async (request, signal) =>
      answerOf(await fits.nmf(chunkInput(request.V), { ...options(request), ...(signal !== undefined && { signal }) })),
  };
}

function answerOf(result: NmfResult): ActivationAnswer {
  return { H: result.H.data as Float64Array, frobeniusError: result.frobeniusError };
}

/** Runs steps to the end on the calling thread. */
export function runSync<T>(steps: Steps<T>, fits: ActivationFits): T {
  let next = steps.next();
  while (!next.done) next = steps.next(fits.sync(next.value));
  return next.value;
}

/** Runs steps to the end off the calling thread; `signal` stops them between two updates (AbortError). */
export async function runAsync<T>(steps: Steps<T>, fits: ActivationFits, signal: AbortSignal | undefined): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    if (signal?.aborted) throw abortError(signal);
    const answer = await fits.async(next.value, signal);
    if (signal?.aborted) throw abortError(signal);
    next = steps.next(answer);
  }
  return next.value;
}

/**
 * A chunk (dense or CSR, K×b), checked and copied, CSR kept CSR; `rows`: the model's K, when it has one (another
 * count is a RangeError naming the chunk).
 */
export function readChunk(name: string, value: unknown, rows: number | undefined): Chunk {
  const chunk: Chunk = isCsrInput(value, name) ? toCsr(name, value) : (toMatrix(name, value) as Chunk);
  if (rows !== undefined && chunk.rows !== rows) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${name} must have ${rows} rows, as the data the model was fitted to (its components are ${rows}×rank), got ${chunk.rows}×${chunk.cols}`,
    );
  }
  return chunk;
}

/**
 * Reading of V's columns: from a dense V by copying, from a CSR V as CSR chunks, through its columns (transposed
 * once).
 */
export function columnsOf(V: Matrix | CsrMatrix): Columns {
  if (!('indptr' in V)) {
    const { rows: K, cols: N, data } = V;
    return (start, end) => {
      const b = end - start;
      const out = new Float64Array(K * b);
      for (let k = 0; k < K; k++) for (let j = 0; j < b; j++) out[k * b + j] = data[k * N + start + j]!;
      return { rows: K, cols: b, data: out };
    };
  }
  // Column j's entries are colData[colptr[j] … colptr[j + 1] − 1] in the rows rowOf[…].
  const { rows: K, cols: N, indptr, indices, data } = V;
  const colptr = new Int32Array(N + 1);
  for (let p = 0; p < indices.length; p++) colptr[indices[p]! + 1]!++;
  for (let j = 0; j < N; j++) colptr[j + 1]! += colptr[j]!;
  const fill = colptr.slice(0, N);
  const rowOf = new Int32Array(indices.length);
  const colData = new Float64Array(indices.length);
  for (let i = 0; i < K; i++) {
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const q = fill[indices[p]!]!++;
      rowOf[q] = i;
      colData[q] = data[p]!;
    }
  }
  return (start, end) => {
    // The chunk's rows from its columns: count each row's entries, then place them column by column, so each row's
    // column indices come out sorted.
    const first = colptr[start]!;
    const last = colptr[end]!;
    const chunkIndptr = new Int32Array(K + 1);
    for (let q = first; q < last; q++) chunkIndptr[rowOf[q]! + 1]!++;
    for (let i = 0; i < K; i++) chunkIndptr[i + 1]! += chunkIndptr[i]!;
    const next = chunkIndptr.slice(0, K);
    const chunkIndices = new Int32Array(last - first);
    const chunkData = new Float64Array(last - first);
    for (let j = start; j < end; j++) {
      for (let q = colptr[j]!; q < colptr[j + 1]!; q++) {
        const p = next[rowOf[q]!]!++;
        chunkIndices[p] = j - start;
        chunkData[p] = colData[q]!;
      }
    }
    return { rows: K, cols: end - start, nnz: last - first, indptr: chunkIndptr, indices: chunkIndices, data: chunkData };
  };
}
