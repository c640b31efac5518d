/** The chunks of a chunk source as dense row-major matrices (CSR chunks densified), for comparing with a reference. */
import type { ChunkSource, ColumnChunk } from '../../src/cli/stream/column-chunks.js';

export interface Dense {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function dense(chunk: ColumnChunk): Dense {
  if (!('format' in chunk)) return { rows: chunk.rows, cols: chunk.cols, data: Float64Array.from(chunk.data) };
  const data = new Float64Array(chunk.rows * chunk.cols);
  for (let i = 0; i < chunk.rows; i++) {
    for (let e = chunk.indptr[i]!; e < chunk.indptr[i + 1]!; e++) data[i * chunk.cols + chunk.indices[e]!] = chunk.data[e]!;
  }
  return { rows: chunk.rows, cols: chunk.cols, data };
}

export async function denseChunks(source: ChunkSource, size: number): Promise<Dense[]> {
  const out: Dense[] = [];
  for await (const chunk of source.chunks(size)) out.push(dense(chunk));
  return out;
}

export function transpose(M: Dense): Dense {
  const data = new Float64Array(M.data.length);
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.cols; j++) data[j * M.rows + i] = M.data[i * M.cols + j]!;
  return { rows: M.cols, cols: M.rows, data };
}
