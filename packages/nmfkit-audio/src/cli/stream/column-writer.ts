/**
 * H (R×N) written a block of columns at a time, so the second pass of `factorize --online` holds one chunk's H,
 * never all of it. .npy is written in Fortran order (a column's entries contiguous), so each block is appended.
 * A text format writes a matrix row per line, so each of the R rows is gathered in its own spool file (in a
 * temporary folder beside the output) and the rows are joined into the output when the last block is in.
 */
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FactorArray, Matrix } from 'nmfkit';
import { InputError } from '../errors.js';
import type { MatrixFormat, WriteOptions } from '../matrix-io.js';
import { openOutput, writeError } from '../output.js';

/** Receives the blocks of columns in order; `close` checks that they made `cols` columns and completes the file. */
export interface ColumnWriter {
  append(block: Matrix<FactorArray>): Promise<void>;
  close(): Promise<void>;
  /** Removes what was written (an error or Ctrl-C stopped the pass). */
  abort(): Promise<void>;
}

/** A writer of a rows×cols matrix to `path` in `format` (.npy float32 when `options.dtype` is 'f4'). */
export async function columnWriter(
  path: string,
  format: MatrixFormat,
  rows: number,
  cols: number,
  options: WriteOptions = {},
): Promise<ColumnWriter> {
  return format === 'npy' ? npyWriter(path, rows, cols, options.dtype === 'f4') : textWriter(path, format, rows, cols, options);
}

async function guarded(path: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    throw error instanceof InputError ? error : writeError(path, error);
  }
}

function countCheck(path: string, written: number, cols: number): void {
  if (written !== cols) throw new InputError(`cannot write ${path}: ${written} columns were given, the matrix has ${cols}`);
}

async function npyWriter(path: string, rows: number, cols: number, float32: boolean): Promise<ColumnWriter> {
  const file = await openOutput(path);
  const dict = `{'descr': '<f${float32 ? 4 : 8}', 'fortran_order': True, 'shape': (${rows}, ${cols}), }`;
  // Magic (6) + version (2) + header length (2) + header padded with spaces to a multiple of 64, ending in '\n'.
  const length = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const preamble = Buffer.alloc(10);
  preamble.set([0x93, ...Buffer.from('NUMPY', 'latin1'), 1, 0]);
  preamble.writeUInt16LE(length, 8);
  let written = 0;
  let closed = false;
  const shut = async (): Promise<void> => {
    if (!closed) await file.close();
    closed = true;
  };
  await guarded(path, () =>
    file.write(Buffer.concat([preamble, Buffer.from(dict.padEnd(length - 1, ' ') + '\n', 'latin1')])).then(() => {}),
  );
  return {
    async append(block) {
      const column = float32 ? new Float32Array(rows * block.cols) : new Float64Array(rows * block.cols);
      for (let r = 0; r < rows; r++) for (let j = 0; j < block.cols; j++) column[j * rows + r] = block.data[r * block.cols + j]!;
      written += block.cols;
      await guarded(path, () => file.write(new Uint8Array(column.buffer)).then(() => {}));
    },
    async close() {
      await shut();
      countCheck(path, written, cols);
    },
    async abort() {
      await shut();
      await rm(path, { force: true });
    },
  };
}

async function textWriter(path: string, format: MatrixFormat, rows: number, cols: number, options: WriteOptions): Promise<ColumnWriter> {
  const shaped = format === 'json' && options.jsonForm === 'shaped';
  const separator = format === 'tsv' ? '\t' : ',';
  let folder: string;
  try {
    folder = await mkdtemp(join(dirname(path), '.nmfkit-spool-'));
  } catch (error) {
    throw writeError(path, error);
  }
  const spools: FileHandle[] = [];
  let written = 0;
  const release = async (): Promise<void> => {
    await Promise.all(spools.splice(0).map((spool) => spool.close()));
    await rm(folder, { recursive: true, force: true });
  };
  await guarded(path, async () => {
    for (let r = 0; r < rows; r++) spools.push(await open(join(folder, `row-${r}`), 'w+'));
  });
  return {
    async append(block) {
      await guarded(path, async () => {
        for (let r = 0; r < rows; r++) {
          const values = Array.from(block.data.subarray(r * block.cols, (r + 1) * block.cols), String).join(separator);
          await spools[r]!.write(written === 0 ? values : separator + values);
        }
      });
      written += block.cols;
    },
    async close() {
      try {
        countCheck(path, written, cols);
        const out = await openOutput(path);
        try {
          await guarded(path, async () => {
            const [open_, between, close_] =
              format !== 'json'
                ? ['', '\n', '\n']
                : shaped
                  ? [`{"rows":${rows},"cols":${cols},"data":[`, ',', ']}\n']
                  : ['[[', '],[', ']]\n'];
            await out.write(open_);
            for (let r = 0; r < rows; r++) {
              if (r > 0) await out.write(between);
              await copy(spools[r]!, out);
            }
            await out.write(close_);
          });
        } finally {
          await out.close();
        }
      } finally {
        await release();
      }
    },
    abort: release,
  };
}

/** The whole of `from` appended to `to`, a block at a time. */
async function copy(from: FileHandle, to: FileHandle): Promise<void> {
  const block = Buffer.alloc(1 << 16);
  for (let at = 0; ;) {
    const { bytesRead } = await from.read(block, 0, block.length, at);
    if (bytesRead === 0) return;
    await to.write(block.subarray(0, bytesRead));
    at += bytesRead;
  }
}
