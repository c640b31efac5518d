/**
 * Matrix files for `nmfkit factorize` — V, and the initial factors and mask given with --w, --h and --mask: CSV
 * and TSV (./delimited.ts), JSON (`{ "rows", "cols", "data" }` with row-major data, or an array of rows) and
 * NumPy `.npy` (./npy-file.ts). Every problem is an {@link InputError} that names the file and, for an entry,
 * where it is as a person counts: the line and column of a CSV/TSV file, the row and column (from 1) of the others.
 * Every entry must be finite and ≥ 0 (at most `max`), NaN only where `allowNaN` (V with a mask: missing entries,
 * written NaN in CSV/TSV and .npy, null in JSON).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { dump as dumpNpy } from 'npyjs';
import type { FactorArray, Matrix } from 'nmfkit';
import { readDelimited } from './delimited.js';
import { CancelledError, InputError } from './errors.js';
import { MAX_ENTRIES } from './growing-array.js';
import { parseNpyFile, type NpyDtype } from './npy-file.js';
import { writeOutput } from './output.js';
import type { ReadProgress } from './progress.js';

/** The matrix formats the CLI reads and writes. */
export type MatrixFormat = 'csv' | 'tsv' | 'json' | 'npy';

export const MATRIX_FORMATS: readonly MatrixFormat[] = ['csv', 'tsv', 'json', 'npy'];

/** A matrix read from a file, with what is needed to write results back in the same form. */
export interface MatrixFile {
  readonly matrix: Matrix;
  readonly format: MatrixFormat;
  /** JSON: nested arrays or { rows, cols, data }. */
  readonly jsonForm?: 'rows' | 'shaped';
  /** .npy: the element type read. */
  readonly dtype?: NpyDtype;
  /** Where entry (i, j) (from 0) is, as a person counts: 'line 3, column 2' (CSV, TSV) or 'row 1, column 2'. */
  locate(i: number, j: number): string;
}

/** How a file is read. */
export interface ReadOptions {
  /** What the matrix is, for messages: 'V' (default), 'W', 'H', 'the mask'. */
  readonly role?: string;
  /** NaN entries allowed ('NaN' in CSV/TSV, NaN in .npy): the missing entries of V under a mask. */
  readonly allowNaN?: boolean;
  /** Largest entry allowed (1 for a mask). */
  readonly max?: number;
  /** Told the bytes read, for a progress line or bar. */
  readonly progress?: ReadProgress;
  /** Stops the reading (Ctrl-C) with a {@link CancelledError}. */
  readonly signal?: AbortSignal;
}

/** The format of a path by its extension (.csv, .tsv/.tab, .json, .npy, .wav), or undefined. */
export function formatOf(path: string): MatrixFormat | 'wav' | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.json') return 'json';
  if (ext === '.npy') return 'npy';
  if (ext === '.wav' || ext === '.wave') return 'wav';
  return undefined;
}

export function cannotRead(path: string, error: unknown): InputError {
  return new InputError(`cannot read ${path}: ${whyUnreadable(error)}`, { cause: error });
}

function whyUnreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}

/**
 * The file as a stream that reports its bytes to `progress` and stops with a CancelledError when `signal` aborts.
 * Opened (and its size known) before it is returned, so a missing file is reported as one.
 */
export async function openFile(path: string, options: ReadOptions): Promise<Readable> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw cannotRead(path, error);
  }
  if (info.isDirectory()) throw new InputError(`cannot read ${path}: is a directory`);
  const size = info.size;
  const stream = createReadStream(path);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(cannotRead(path, error)));
  });
  const { progress, signal } = options;
  progress?.start(path, size);
  let read = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (signal?.aborted) return done(new CancelledError(`cancelled while reading ${path}`));
      read += chunk.length;
      progress?.advance(read);
      done(null, chunk);
    },
  });
  // A read error (the file vanished, EIO) ends the reading with that error rather than leaving it waiting.
  stream.on('error', (error) => counted.destroy(cannotRead(path, error)));
  counted.on('close', () => {
    stream.destroy();
    progress?.stop();
  });
  return stream.pipe(counted);
}

async function readAll(stream: Readable, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (error) {
    if (error instanceof CancelledError || error instanceof InputError) throw error;
    throw cannotRead(path, error);
  }
  return Buffer.concat(chunks);
}

/** Reads a matrix file of the given format; its entries are checked as `options` says. */
export async function readMatrixFile(path: string, format: MatrixFormat, options: ReadOptions = {}): Promise<MatrixFile> {
  const stream = await openFile(path, options);
  let file: MatrixFile;
  try {
    file = await parseMatrix(path, stream, format, options.allowNaN ?? false);
  } catch (error) {
    // Whatever a parser throws that is not already worded (a stack overflow, a failed allocation) names the file.
    if (error instanceof InputError || error instanceof CancelledError) throw error;
    throw new InputError(`${path}: cannot be read as a ${format} matrix: ${(error as Error).message}`, { cause: error });
  } finally {
    stream.destroy();
  }
  if (options.signal?.aborted) throw new CancelledError(`cancelled while reading ${path}`);
  checkEntries(path, file, options);
  return file;
}

async function parseMatrix(path: string, stream: Readable, format: MatrixFormat, allowNaN: boolean): Promise<MatrixFile> {
  switch (format) {
    case 'csv':
    case 'tsv': {
      const { lines, ...matrix } = await readDelimited(path, stream, format === 'csv' ? ',' : '\t', allowNaN);
      return { matrix, format, locate: (i, j) => `line ${lines[i]}, column ${j + 1}` };
    }
    case 'json':
      return parseJson(path, (await readAll(stream, path)).toString('utf8'), allowNaN);
    case 'npy': {
      const { dtype, ...matrix } = parseNpyFile(path, await readAll(stream, path));
      return { matrix, format, dtype, locate: rowColumn };
    }
  }
}

const rowColumn = (i: number, j: number): string => `row ${i + 1}, column ${j + 1}`;

/** Every entry finite (NaN only if allowed), ≥ 0 and ≤ max, or an error saying where, in the file's terms. */
function checkEntries(path: string, file: MatrixFile, options: ReadOptions): void {
  const { cols, data } = file.matrix;
  const role = options.role ?? 'V';
  const max = options.max ?? Infinity;
  const allowNaN = options.allowNaN ?? false;
  for (let k = 0; k < data.length; k++) {
    const x = data[k]!;
    if (x >= 0 && x <= max && x !== Infinity) continue;
    if (Number.isNaN(x) && allowNaN) continue;
    const where = `${path}: ${file.locate(Math.floor(k / cols), k % cols)}`;
    if (!Number.isFinite(x)) throw new InputError(`${where}: ${x} is not a finite number`);
    const range = max === Infinity ? '≥ 0' : `in [0, ${max}]`;
    throw new InputError(`${where}: ${x} is ${x < 0 ? 'negative' : `above ${max}`} (every entry of ${role} must be ${range})`);
  }
}

function parseJson(path: string, text: string, allowNull: boolean): MatrixFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (Array.isArray(json)) {
    if (json.length === 0 || !Array.isArray(json[0])) throw new InputError(`${path}: expected an array of rows (arrays of numbers)`);
    const cols = (json[0] as unknown[]).length;
    if (cols === 0) throw new InputError(`${path}: row 1 is empty (a matrix has at least one column)`);
    // Every row's shape first: the allocation below must not be sized by the first row alone.
    json.forEach((row: unknown, i) => {
      if (!Array.isArray(row)) throw new InputError(`${path}: row ${i + 1} is not an array`);
      if (row.length !== cols) throw new InputError(`${path}: row ${i + 1} has ${row.length} entries, row 1 has ${cols}`);
    });
    const data = allocate(path, json.length, cols);
    json.forEach((row: unknown[], i) => {
      row.forEach((v: unknown, j) => {
        data[i * cols + j] = jsonNumber(path, v, rowColumn(i, j), allowNull);
      });
    });
    return { matrix: { rows: json.length, cols, data }, format: 'json', jsonForm: 'rows', locate: rowColumn };
  }
  if (json !== null && typeof json === 'object') {
    const { rows, cols, data } = json as Record<string, unknown>;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || (rows as number) < 1 || (cols as number) < 1) {
      throw new InputError(`${path}: "rows" and "cols" must be positive integers, got ${JSON.stringify(rows)} and ${JSON.stringify(cols)}`);
    }
    if (!Array.isArray(data)) throw new InputError(`${path}: "data" must be an array of numbers (row-major)`);
    const size = (rows as number) * (cols as number);
    if (data.length !== size) throw new InputError(`${path}: "data" has ${data.length} entries, rows × cols = ${size}`);
    const values = allocate(path, rows as number, cols as number);
    const locate = (i: number, j: number): string => `"data" entry ${i * (cols as number) + j + 1} (${rowColumn(i, j)})`;
    data.forEach((v: unknown, k) => {
      values[k] = jsonNumber(path, v, locate(Math.floor(k / (cols as number)), k % (cols as number)), allowNull);
    });
    return { matrix: { rows: rows as number, cols: cols as number, data: values }, format: 'json', jsonForm: 'shaped', locate };
  }
  throw new InputError(`${path}: expected {"rows", "cols", "data"} or an array of rows`);
}

/**
 * A JSON entry as a number; JSON has no NaN or Infinity, so ±Infinity is a number written beyond float64 (1e999),
 * and a missing entry (V under a mask) is null where `allowNull`.
 */
function jsonNumber(path: string, v: unknown, where: string, allowNull: boolean): number {
  if (v === null && allowNull) return NaN;
  if (typeof v !== 'number') throw new InputError(`${path}: ${where}: ${jsonValue(v)} is not a number`);
  if (!Number.isFinite(v))
    throw new InputError(`${path}: ${where}: a number beyond the range of float64 numbers (it reads as ${v}), not a finite number`);
  return v;
}

/** A rows×cols float64 buffer, or an error naming the file when it is too large to hold. */
function allocate(path: string, rows: number, cols: number): Float64Array {
  const size = rows * cols;
  if (size > MAX_ENTRIES) throw new InputError(`${path}: ${rows}×${cols} = ${size} entries, more than the 2^31 − 1 of one matrix`);
  try {
    return new Float64Array(size);
  } catch (error) {
    throw new InputError(`${path}: ${rows}×${cols} entries do not fit in memory (${(error as Error).message})`, { cause: error });
  }
}

/**
 * A JSON value for a message, short and without recursion (JSON.stringify of a deeply nested array overflows the
 * stack, and a huge one would flood the terminal).
 */
function jsonValue(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length} entries`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** How a matrix is written: JSON in the form read, .npy as float32 when the input was (float64 otherwise). */
export interface WriteOptions {
  readonly jsonForm?: 'rows' | 'shaped';
  readonly dtype?: NpyDtype;
}

/** Serialises a matrix in a format (JSON in the given form, .npy with the given dtype). */
export function formatMatrix(matrix: Matrix<FactorArray>, format: MatrixFormat, options: WriteOptions = {}): Buffer {
  const { rows, cols, data } = matrix;
  const rowArrays = (): number[][] => Array.from({ length: rows }, (_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols)));
  switch (format) {
    case 'csv':
    case 'tsv':
      return Buffer.from(stringifyCsv(rowArrays(), { delimiter: format === 'csv' ? ',' : '\t', cast: { number: (v) => String(v) } }));
    case 'json':
      return Buffer.from(`${JSON.stringify(options.jsonForm === 'shaped' ? { rows, cols, data: Array.from(data) } : rowArrays())}\n`);
    case 'npy': {
      const typed = options.dtype === 'f4' ? Float32Array.from(data) : Float64Array.from(data);
      return Buffer.from(dumpNpy(typed, [rows, cols]));
    }
  }
}

/** Writes a matrix file (see {@link formatMatrix}). */
export async function writeMatrixFile(
  path: string,
  matrix: Matrix<FactorArray>,
  format: MatrixFormat,
  options: WriteOptions = {},
): Promise<void> {
  await writeOutput(path, formatMatrix(matrix, format, options));
}
