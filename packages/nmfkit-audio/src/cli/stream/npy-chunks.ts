/**
 * A `.npy` file read a block of samples at a time by positioned reads (never the whole file): the header (format
 * 1.0, 2.0 or 3.0) gives the dtype, the order and the shape, and the file's size must be exactly what they say. The
 * samples of a chunk are one read where they are contiguous (Fortran order with samples in columns, C order with
 * samples in rows), one read per feature otherwise. Entries as `factorize` reads them: float32/float64/integers,
 * little-endian, a 64-bit integer float64 cannot hold exactly refused.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { CancelledError, InputError } from '../errors.js';
import { cannotRead } from '../matrix-io.js';
import { NPY_DTYPES, type NpyDtype } from '../npy-file.js';
import { checkEntry, chunkBuffer, type ChunkReadOptions, type ChunkSource, type ColumnChunk } from './column-chunks.js';

/** The longest header read (numpy writes a few hundred bytes). */
const MAX_HEADER = 1 << 20;

interface NpyLayout {
  readonly dtype: NpyDtype;
  readonly itemSize: number;
  readonly fortran: boolean;
  readonly rows: number;
  readonly cols: number;
  /** Byte offset of the first entry. */
  readonly start: number;
}

/** A .npy file as chunks of samples; the header and the size are checked before it is returned. */
export async function npyChunks(path: string, options: ChunkReadOptions): Promise<ChunkSource & { readonly dtype: NpyDtype }> {
  const layout = await withFile(path, (file, size) => readLayout(path, file, size));
  const { rows, cols } = layout;
  const [features, samples] = options.samples === 'columns' ? [rows, cols] : [cols, rows];
  return {
    path,
    features,
    samples,
    dtype: layout.dtype,
    async *chunks(size: number): AsyncGenerator<ColumnChunk, void, undefined> {
      const file = await openRead(path);
      try {
        for (let s0 = 0; s0 < samples; s0 += size) {
          if (options.signal?.aborted) throw new CancelledError(`cancelled while reading ${path}`);
          const s1 = Math.min(samples, s0 + size);
          yield await readChunk(path, file, layout, options.samples, features, samples, s0, s1);
        }
      } finally {
        await file.close();
      }
    },
  };
}

async function openRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw cannotRead(path, error);
  }
}

async function withFile<T>(path: string, use: (file: FileHandle, size: number) => Promise<T>): Promise<T> {
  const file = await openRead(path);
  try {
    const info = await file.stat();
    if (info.isDirectory()) throw new InputError(`cannot read ${path}: is a directory`);
    return await use(file, info.size);
  } finally {
    await file.close();
  }
}

async function readExactly(path: string, file: FileHandle, length: number, position: number, into?: Buffer): Promise<Buffer> {
  const buffer = into ?? Buffer.alloc(length);
  let done = 0;
  try {
    while (done < length) {
      const { bytesRead } = await file.read(buffer, done, length - done, position + done);
      if (bytesRead === 0)
        throw new InputError(`${path}: ends at byte ${position + done}, ${length - done} bytes short of what its header says`);
      done += bytesRead;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw cannotRead(path, error);
  }
  return buffer;
}

async function readLayout(path: string, file: FileHandle, size: number): Promise<NpyLayout> {
  const bad = (why: string): InputError => new InputError(`${path}: not a readable .npy file: ${why}`);
  if (size < 10) throw bad(`${size} bytes, shorter than the 10-byte preamble`);
  const preamble = await readExactly(path, file, Math.min(size, 12), 0);
  if (preamble.readUInt8(0) !== 0x93 || preamble.toString('latin1', 1, 6) !== 'NUMPY') throw bad('it does not start with \\x93NUMPY');
  const major = preamble.readUInt8(6);
  if (major < 1 || major > 3) throw bad(`format version ${major}.${preamble.readUInt8(7)} (1.0, 2.0 and 3.0 are read)`);
  if (major > 1 && size < 12) throw bad(`${size} bytes, shorter than the 12-byte preamble of version ${major}`);
  const headerLength = major === 1 ? preamble.readUInt16LE(8) : preamble.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  if (headerLength > MAX_HEADER) throw bad(`a header of ${headerLength} bytes (at most ${MAX_HEADER} are read)`);
  if (headerStart + headerLength > size)
    throw bad(`the header claims ${headerLength} bytes, the file has ${size - headerStart} after the preamble`);
  const header = (await readExactly(path, file, headerLength, headerStart)).toString('latin1');
  const descr = /'descr'\s*:\s*'([<>|=]?)([a-zA-Z]\d+)'/.exec(header);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shape)
    throw bad(`the header does not give 'descr', 'fortran_order' and 'shape': ${JSON.stringify(header.slice(0, 80))}`);
  const [, endian, type] = descr as unknown as [string, string, string];
  if (endian === '>') throw new InputError(`${path}: big-endian .npy data is not supported (save it little-endian, e.g. with dtype '<f8')`);
  if (!(NPY_DTYPES as readonly string[]).includes(type))
    throw new InputError(`${path}: dtype ${type} is not supported; nmfkit reads float32, float64 and integer arrays`);
  const dims = shape[1]!
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  if (dims.length !== 2 || !dims.every((d) => /^\d+$/.test(d)))
    throw new InputError(`${path}: expected a 2-D array, got shape (${shape[1]})`);
  const [rows, cols] = dims.map(Number) as [number, number];
  if (rows < 1 || cols < 1) throw new InputError(`${path}: the array is empty (shape ${rows}×${cols})`);
  const itemSize = Number(type.slice(1));
  const start = headerStart + headerLength;
  const needed = rows * cols * itemSize;
  if (size - start !== needed) {
    throw new InputError(
      `${path}: holds ${size - start} bytes of data, the header's shape ${rows}×${cols} of ${itemSize}-byte entries needs ${needed}${size - start < needed ? ' (truncated?)' : ''}`,
    );
  }
  return { dtype: type as NpyDtype, itemSize, fortran: order[1] === 'True', rows, cols, start };
}

/** Samples s0 … s1 − 1 as a K×b row-major chunk. */
async function readChunk(
  path: string,
  file: FileHandle,
  layout: NpyLayout,
  axis: ChunkReadOptions['samples'],
  features: number,
  samples: number,
  s0: number,
  s1: number,
): Promise<ColumnChunk> {
  const b = s1 - s0;
  const { itemSize, start } = layout;
  const out = chunkBuffer(path, features, b);
  const bytes = Buffer.alloc(out.length * itemSize);
  // Entry (k, s) sits at s·K + k of the data when a sample's entries are contiguous, at k·N + s otherwise.
  const contiguous = (axis === 'columns') === layout.fortran;
  if (contiguous) await readExactly(path, file, bytes.length, start + s0 * features * itemSize, bytes);
  else {
    for (let k = 0; k < features; k++) {
      const row = bytes.subarray(k * b * itemSize, (k + 1) * b * itemSize);
      await readExactly(path, file, row.length, start + (k * samples + s0) * itemSize, row);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const where = (k: number, j: number): string => {
    const [row, col] = axis === 'columns' ? [k, s0 + j] : [s0 + j, k];
    const byte = start + (contiguous ? (s0 + j) * features + k : k * samples + s0 + j) * itemSize;
    return `row ${row + 1}, column ${col + 1} (byte ${byte})`;
  };
  for (let k = 0; k < features; k++) {
    for (let j = 0; j < b; j++) {
      const at = (contiguous ? j * features + k : k * b + j) * itemSize;
      const x = entry(view, at, layout.dtype);
      if (x === undefined) {
        const value = layout.dtype === 'i8' ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
        throw new InputError(`${path}: ${where(k, j)}: the integer ${value} has no exact float64 value; nmfkit computes in float64`);
      }
      out[k * b + j] = x >= 0 && x !== Infinity ? x : checkEntry(path, where(k, j), x);
    }
  }
  return { rows: features, cols: b, data: out };
}

/** The entry at byte `at` as a number; undefined for a 64-bit integer float64 cannot hold exactly. */
function entry(view: DataView, at: number, dtype: NpyDtype): number | undefined {
  switch (dtype) {
    case 'f4':
      return view.getFloat32(at, true);
    case 'f8':
      return view.getFloat64(at, true);
    case 'i1':
      return view.getInt8(at);
    case 'i2':
      return view.getInt16(at, true);
    case 'i4':
      return view.getInt32(at, true);
    case 'u1':
      return view.getUint8(at);
    case 'u2':
      return view.getUint16(at, true);
    case 'u4':
      return view.getUint32(at, true);
    case 'i8':
    case 'u8': {
      const value = dtype === 'i8' ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
      const x = Number(value);
      return BigInt(x) === value ? x : undefined;
    }
  }
}
