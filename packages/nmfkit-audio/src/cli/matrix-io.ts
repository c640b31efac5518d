/**
 * Matrix files for `nmfkit factorize`: CSV and TSV (one row per line, through `csv-parse`/`csv-stringify`;
 * blank lines and lines starting with '#' are skipped), JSON (`{ "rows", "cols", "data" }` with row-major data,
 * or an array of rows), and NumPy `.npy` (2-D float32/float64, through `npyjs`). Every problem is an
 * {@link InputError} that names the file and, for entries, the line and column.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { dump as dumpNpy, parse as parseNpy } from 'npyjs';
import type { FactorArray, Matrix } from 'nmfkit';
import { InputError } from './errors.js';
import { writeOutput } from './output.js';

/** The matrix formats the CLI reads and writes. */
export type MatrixFormat = 'csv' | 'tsv' | 'json' | 'npy';

export const MATRIX_FORMATS: readonly MatrixFormat[] = ['csv', 'tsv', 'json', 'npy'];

/** A matrix read from a file, with what is needed to write results back in the same form. */
export interface MatrixFile {
  readonly matrix: Matrix;
  readonly format: MatrixFormat;
  /** JSON: nested arrays or { rows, cols, data }. */
  readonly jsonForm?: 'rows' | 'shaped';
  /** .npy: the element type. */
  readonly dtype?: 'f4' | 'f8';
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

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message;
    throw new InputError(`cannot read ${path}: ${why}`, { cause: error });
  }
}

/** Reads a matrix file of the given format. */
export async function readMatrixFile(path: string, format: MatrixFormat): Promise<MatrixFile> {
  const bytes = await readBytes(path);
  try {
    return parseMatrix(path, bytes, format);
  } catch (error) {
    // Whatever a parser throws that is not already worded (a stack overflow, a failed allocation) names the file.
    if (error instanceof InputError) throw error;
    throw new InputError(`${path}: cannot be read as a ${format} matrix: ${(error as Error).message}`, { cause: error });
  }
}

function parseMatrix(path: string, bytes: Buffer, format: MatrixFormat): MatrixFile {
  switch (format) {
    case 'csv':
    case 'tsv':
      return { matrix: parseDelimited(path, bytes.toString('utf8'), format === 'csv' ? ',' : '\t'), format };
    case 'json':
      return parseJson(path, bytes.toString('utf8'));
    case 'npy':
      return parseNpyFile(path, bytes);
  }
}

function parseDelimited(path: string, text: string, delimiter: string): Matrix {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, { delimiter, trim: true, skip_empty_lines: true, comment: '#', info: true }) as unknown as typeof records;
  } catch (error) {
    throw new InputError(`${path}: ${(error as Error).message}`, { cause: error });
  }
  if (records.length === 0) throw new InputError(`${path}: no rows of numbers`);
  const cols = records[0]!.record.length;
  for (const { record, info } of records) {
    if (record.length !== cols) throw new InputError(`${path}: line ${info.lines} has ${record.length} fields, the first row has ${cols}`);
  }
  const data = allocate(path, records.length, cols);
  records.forEach(({ record, info }, i) => {
    record.forEach((field, j) => {
      const value = field === '' ? NaN : Number(field);
      if (!Number.isFinite(value)) {
        throw new InputError(
          `${path}: line ${info.lines}, column ${j + 1}: ${JSON.stringify(field)} is not a finite number${i === 0 ? ' (a header row is not supported)' : ''}`,
        );
      }
      data[i * cols + j] = value;
    });
  });
  return { rows: records.length, cols, data };
}

function parseJson(path: string, text: string): MatrixFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (Array.isArray(json)) {
    if (json.length === 0 || !Array.isArray(json[0])) throw new InputError(`${path}: expected an array of rows (arrays of numbers)`);
    const cols = (json[0] as unknown[]).length;
    if (cols === 0) throw new InputError(`${path}: row 0 is empty (a matrix has at least one column)`);
    // Every row's shape first: the allocation below must not be sized by the first row alone.
    json.forEach((row: unknown, i) => {
      if (!Array.isArray(row)) throw new InputError(`${path}: row ${i} is not an array`);
      if (row.length !== cols) throw new InputError(`${path}: row ${i} has ${row.length} entries, row 0 has ${cols}`);
    });
    const data = allocate(path, json.length, cols);
    json.forEach((row: unknown[], i) => {
      row.forEach((v: unknown, j) => {
        if (typeof v !== 'number') throw new InputError(`${path}: entry [${i}][${j}] is ${jsonValue(v)}, not a number`);
        if (!Number.isFinite(v)) throw new InputError(`${path}: entry [${i}][${j}] ${OVERFLOW}`);
        data[i * cols + j] = v;
      });
    });
    return { matrix: { rows: json.length, cols, data }, format: 'json', jsonForm: 'rows' };
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
    data.forEach((v: unknown, k) => {
      if (typeof v !== 'number') throw new InputError(`${path}: data[${k}] is ${jsonValue(v)}, not a number`);
      if (!Number.isFinite(v)) throw new InputError(`${path}: data[${k}] ${OVERFLOW}`);
      values[k] = v;
    });
    return { matrix: { rows: rows as number, cols: cols as number, data: values }, format: 'json', jsonForm: 'shaped' };
  }
  throw new InputError(`${path}: expected {"rows", "cols", "data"} or an array of rows`);
}

/** JSON has no NaN or Infinity: a number it parses as ±Infinity was written beyond float64's range (1e999). */
const OVERFLOW = 'is beyond the range of float64 numbers (it reads as ±Infinity), not a finite number';

/** Most entries of a matrix read from a file: the 2^31 − 1 of one fit's V. */
const MAX_ENTRIES = 2 ** 31 - 1;

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

function parseNpyFile(path: string, bytes: Buffer): MatrixFile {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  // npyjs drops the byte-order mark of the dtype; read it from the header to refuse big-endian data.
  const header = bytes.subarray(0, Math.min(bytes.length, 4096)).toString('latin1');
  if (/'descr'\s*:\s*'>/.test(header))
    throw new InputError(`${path}: big-endian .npy data is not supported (save with dtype '<f8' or '<f4')`);
  let array: ReturnType<typeof parseNpy>;
  try {
    array = parseNpy(buffer);
  } catch (error) {
    throw new InputError(`${path}: not a readable .npy file: ${(error as Error).message}`, { cause: error });
  }
  const { shape, dtype, fortranOrder } = array;
  if (dtype !== 'f4' && dtype !== 'f8')
    throw new InputError(`${path}: dtype ${dtype} is not supported; nmfkit reads float32 ('<f4') and float64 ('<f8')`);
  if (shape.length !== 2) throw new InputError(`${path}: expected a 2-D array, got shape (${shape.join(', ')})`);
  const [rows, cols] = shape as [number, number];
  const source = array.data as Float32Array | Float64Array;
  if (rows < 1 || cols < 1) throw new InputError(`${path}: the array is empty (shape ${rows}×${cols})`);
  if (source.length !== rows * cols)
    throw new InputError(`${path}: holds ${source.length} values, the header's shape ${rows}×${cols} needs ${rows * cols}`);
  const data = new Float64Array(rows * cols);
  if (fortranOrder) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = source[j * rows + i]!;
  } else data.set(source);
  // NaN and ±Infinity are floats like any other in a .npy file; as with CSV, the entry is named (0-based, as numpy).
  const bad = data.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    const [i, j] = [Math.floor(bad / cols), bad % cols];
    throw new InputError(`${path}: entry [${i}, ${j}] is ${data[bad]}, not a finite number`);
  }
  return { matrix: { rows, cols, data }, format: 'npy', dtype };
}

/** Serialises a matrix in a format (JSON in the given form, .npy with the given dtype). */
export function formatMatrix(
  matrix: Matrix<FactorArray>,
  format: MatrixFormat,
  options: { jsonForm?: 'rows' | 'shaped'; dtype?: 'f4' | 'f8' } = {},
): Buffer {
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
  options: { jsonForm?: 'rows' | 'shaped'; dtype?: 'f4' | 'f8' } = {},
): Promise<void> {
  await writeOutput(path, formatMatrix(matrix, format, options));
}
