/**
 * How many rows of V each block of the fused MU Euclidean sweep takes, per backend, or 0 for the iteration that
 * reads V twice (docs/kernels.md, "Choosing the iteration"). Both iterations compute the same values; this only
 * decides which is faster. The crossovers were measured on each backend's own kernels (PERFORMANCE.md).
 */
import type { FitSpec } from '../spec.js';

/** A block of the fused sweep fills at least this much of V and W: half of a 1 MiB L2. */
const BLOCK_BYTES = 512 * 1024;

/** The fused sweep pays only from V of this many bytes up (below it neither iteration is measurably ahead). */
const FUSED_MIN_BYTES = 4 * 1024 * 1024;

/** Columns of WᵀV one slab of the WebAssembly products covers (assembly/products.ts, NB). */
const WASM_SLAB_COLUMNS = 2048;

type Sizes = Pick<FitSpec, 'rows' | 'cols' | 'rank' | 'dtype' | 'threads'>;

const elementBytes = (s: Sizes): number => (s.dtype === 'float32' ? 4 : 8);

/**
 * The native backend: blocks of at least 4R rows (each block's BLAS calls pass over all of H and WᵀV and pack H,
 * so a block must be tall beside R), at least as many as fill BLOCK_BYTES, at least 8; fused when V is large and
 * holds at least two blocks, and only for a fit on one thread (a team splits the iteration that reads V twice;
 * the sweep's blocks run in order).
 */
export function nativeBlockRows(s: Sizes): number {
  if (s.threads > 1) return 0;
  const rows = Math.max(8, 4 * s.rank, Math.floor(BLOCK_BYTES / ((s.cols + s.rank) * elementBytes(s))));
  const fused = s.rows * s.cols * elementBytes(s) >= FUSED_MIN_BYTES && s.rows >= 2 * rows;
  return fused ? Math.min(rows, s.rows) : 0;
}

/**
 * The WebAssembly backend: blocks that fill BLOCK_BYTES, in multiples of 16 rows (the products' register tiles
 * take 4 rows of V and their cache slabs 16), at least 16; fused when V is large, holds two blocks, and a column
 * slab of WᵀV stays within BLOCK_BYTES (else the blocks evict the slab the plain product keeps in L2), and only for
 * a fit on one thread (as native: a team splits the iteration that reads V twice; the sweep's blocks run in order).
 */
export function wasmBlockRows(s: Sizes): number {
  if (s.threads > 1) return 0;
  const e = elementBytes(s);
  const rows = Math.max(16, Math.floor(BLOCK_BYTES / ((s.cols + s.rank) * e) / 16) * 16);
  const fused =
    s.rows * s.cols * e >= FUSED_MIN_BYTES && s.rows >= 2 * rows && s.rank * Math.min(s.cols, WASM_SLAB_COLUMNS) * e <= BLOCK_BYTES;
  return fused ? Math.min(rows, s.rows) : 0;
}
