/**
 * NumPy `.npy` matrices through `npyjs`: 2-D, C or Fortran order, little-endian, of float32/float64 or of any
 * integer type (int8/16/32/64, uint8/16/32/64). Entries are taken as float64; an int64 or uint64 entry that
 * float64 cannot hold exactly (beyond 2^53, unless it happens to be a multiple of the power of two float64 rounds
 * to there) is refused, naming it, instead of being rounded silently.
 */
import { parse as parseNpy } from 'npyjs';
import { InputError } from './errors.js';

/** The element types read. */
export const NPY_DTYPES = ['f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8'] as const;
export type NpyDtype = (typeof NPY_DTYPES)[number];

export interface NpyMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row-major, as read (NaN and infinities included: the caller checks the entries). */
  readonly data: Float64Array;
  readonly dtype: NpyDtype;
}

const NUMPY_NAMES: Record<string, string> = {
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
};

export function parseNpyFile(path: string, bytes: Buffer): NpyMatrix {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  // npyjs drops the byte-order mark of the dtype; read it from the header to refuse big-endian data.
  const header = bytes.subarray(0, Math.min(bytes.length, 4096)).toString('latin1');
  if (/'descr'\s*:\s*'>/.test(header))
    throw new InputError(`${path}: big-endian .npy data is not supported (save it little-endian, e.g. with dtype '<f8')`);
  let array: ReturnType<typeof parseNpy>;
  try {
    array = parseNpy(buffer);
  } catch (error) {
    throw new InputError(`${path}: not a readable .npy file: ${(error as Error).message}`, { cause: error });
  }
  const { shape, fortranOrder } = array;
  const dtype = array.dtype as string;
  if (!(NPY_DTYPES as readonly string[]).includes(dtype)) {
    throw new InputError(
      `${path}: dtype ${dtype} is not supported; nmfkit reads float32, float64 and integer arrays (${NPY_DTYPES.map((d) => NUMPY_NAMES[d]).join(', ')})`,
    );
  }
  if (shape.length !== 2) throw new InputError(`${path}: expected a 2-D array, got shape (${shape.join(', ')})`);
  const [rows, cols] = shape as [number, number];
  const source = array.data as unknown as ArrayLike<number | bigint>;
  if (rows < 1 || cols < 1) throw new InputError(`${path}: the array is empty (shape ${rows}×${cols})`);
  if (source.length !== rows * cols)
    throw new InputError(`${path}: holds ${source.length} values, the header's shape ${rows}×${cols} needs ${rows * cols}`);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const value = source[fortranOrder ? j * rows + i : i * cols + j]!;
      data[i * cols + j] = typeof value === 'bigint' ? exactly(path, value, i, j, dtype) : value;
    }
  }
  return { rows, cols, data, dtype: dtype as NpyDtype };
}

/** A 64-bit integer as the float64 of the same value, or an error naming the entry (rows and columns from 1). */
function exactly(path: string, value: bigint, i: number, j: number, dtype: string): number {
  const x = Number(value);
  if (BigInt(x) !== value) {
    throw new InputError(
      `${path}: row ${i + 1}, column ${j + 1}: the ${NUMPY_NAMES[dtype]} ${value} has no exact float64 value (the nearest is ${BigInt(x)}); nmfkit computes in float64`,
    );
  }
  return x;
}
