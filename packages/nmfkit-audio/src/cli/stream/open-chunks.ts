/** A matrix file as a {@link ChunkSource}, by its format: CSV, TSV, .npy or Matrix Market (.mtx). */
import type { NpyDtype } from '../npy-file.js';
import type { ChunkReadOptions, ChunkSource } from './column-chunks.js';
import { delimitedChunks } from './delimited-chunks.js';
import { mtxChunks } from './mtx-chunks.js';
import { npyChunks } from './npy-chunks.js';

/** The formats read a chunk at a time. */
export type StreamFormat = 'csv' | 'tsv' | 'npy' | 'mtx';

export async function openChunks(
  path: string,
  format: StreamFormat,
  options: ChunkReadOptions,
): Promise<ChunkSource & { readonly dtype?: NpyDtype }> {
  switch (format) {
    case 'csv':
    case 'tsv':
      return delimitedChunks(path, format === 'csv' ? ',' : '\t', options);
    case 'npy':
      return npyChunks(path, options);
    case 'mtx':
      return mtxChunks(path, options);
  }
}
