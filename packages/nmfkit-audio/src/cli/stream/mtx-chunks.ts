/**
 * A Matrix Market file (`%%MatrixMarket matrix coordinate real|integer|pattern general`) read as CSR chunks of
 * samples, a line at a time. The entries must come grouped by sample in increasing order (by column for samples in
 * columns — what scipy.io.mmwrite writes for a CSC matrix —, by row for samples in rows), so a chunk is complete
 * when the first entry of a later sample arrives; an entry out of that order, a repeated entry, an index outside
 * the size line's shape, a value that is not a finite number ≥ 0 (an integer, for `integer`), more or fewer
 * entries than the size line says are errors naming the line.
 */
import { CancelledError, InputError } from '../errors.js';
import { openFile } from '../matrix-io.js';
import type { ChunkReadOptions, ChunkSource, ColumnChunk } from './column-chunks.js';
import { textLines, type TextLine } from './text-lines.js';

/** Matrix Market lines are short; a longer one is not a line of this format. */
const MAX_LINE = 1024;
const MAX_NNZ = 2 ** 31 - 1;
/** A chunk's indptr has a slot per feature and one more, within an Int32Array's length. */
const MAX_SIDE = 2 ** 31 - 2;
/**
 * Every CSR chunk holds a row pointer per feature however few entries the file has, so a size line alone could ask
 * a short file for gigabytes. 2^24 features (64 MiB of pointers a chunk) is far beyond what a fit keeps in memory
 * as W anyway: at rank 32, W alone is 4 GiB.
 */
const MAX_FEATURES = 2 ** 24;
const INTEGER = /^[-+]?\d+$/;
const REAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

type Field = 'real' | 'integer' | 'pattern';

interface MtxHeader {
  readonly field: Field;
  readonly rows: number;
  readonly cols: number;
  readonly nnz: number;
  /** The size line's line number. */
  readonly line: number;
}

/** A .mtx file as CSR chunks of samples; its banner and size line are checked before it is returned. */
export async function mtxChunks(path: string, options: ChunkReadOptions): Promise<ChunkSource> {
  const lines = async function* (): AsyncGenerator<TextLine, void, undefined> {
    yield* textLines(path, await openFile(path, options), MAX_LINE);
  };
  let header: MtxHeader | undefined;
  const reading = lines();
  try {
    header = await readHeader(path, reading);
  } finally {
    await reading.return();
  }
  const { rows, cols } = header;
  const [features, samples] = options.samples === 'columns' ? [rows, cols] : [cols, rows];
  if (features > MAX_FEATURES)
    throw new InputError(
      `${path}: line ${header.line}: ${features} features (its ${options.samples === 'columns' ? 'rows' : 'columns'}, with samples in ${options.samples}) are more than the 2^24 a chunk of --online holds: each chunk has a row pointer per feature`,
    );
  return {
    path,
    features,
    samples,
    async *chunks(size: number): AsyncGenerator<ColumnChunk, void, undefined> {
      const source = lines();
      const head = await readHeader(path, source);
      if (head.rows !== rows || head.cols !== cols || head.nnz !== header.nnz || head.field !== header.field)
        throw new InputError(`${path}: the file changed while it was read (its size line is not the one first read)`);
      const chunk = new ChunkBuilder(path, features, size);
      /** The features of the current sample's entries (a repeat is refused): as many as the file's lines hold. */
      const seen = new Set<number>();
      let current = -1;
      let count = 0;
      for await (const { line, text } of source) {
        if (options.signal?.aborted) throw new CancelledError(`cancelled while reading ${path}`);
        if (text.trim() === '' || text.startsWith('%')) continue;
        const [i, j, value] = parseEntry(path, line, text, head);
        if (++count > head.nnz) throw new InputError(`${path}: line ${line}: more entries than the ${head.nnz} of the size line`);
        const [s, k] = options.samples === 'columns' ? [j, i] : [i, j];
        const axis = options.samples === 'columns' ? 'column' : 'row';
        if (s < current) {
          throw new InputError(
            `${path}: line ${line}: an entry of ${axis} ${s + 1} after ${axis} ${current + 1}: --online reads entries grouped by sample (${axis}) in increasing order; sort the file by ${axis}`,
          );
        }
        if (s !== current) seen.clear();
        if (seen.has(k)) throw new InputError(`${path}: line ${line}: a second entry at row ${i + 1}, column ${j + 1}`);
        seen.add(k);
        current = s;
        while (s >= chunk.end) yield chunk.take(samples);
        chunk.add(k, s, value);
      }
      if (count < head.nnz) throw new InputError(`${path}: ends after ${count} of the ${head.nnz} entries of its size line (truncated?)`);
      while (chunk.start < samples) yield chunk.take(samples);
    },
  };
}

async function readHeader(path: string, lines: AsyncGenerator<TextLine, void, undefined>): Promise<MtxHeader> {
  const banner = (await lines.next()).value;
  const words = banner?.text.trim().toLowerCase().split(/\s+/) ?? [];
  if (words[0] !== '%%matrixmarket' || words[1] !== 'matrix')
    throw new InputError(`${path}: line 1: not a Matrix Market file (it starts with "%%MatrixMarket matrix")`);
  if (words[2] !== 'coordinate') throw new InputError(`${path}: line 1: only the coordinate format is read, not "${words[2] ?? ''}"`);
  const field = words[3];
  if (field !== 'real' && field !== 'integer' && field !== 'pattern')
    throw new InputError(`${path}: line 1: the field must be real, integer or pattern, not "${field ?? ''}"`);
  if (words[4] !== 'general' || words.length !== 5)
    throw new InputError(
      `${path}: line 1: only general matrices are read, not "${words.slice(4).join(' ')}" (write it with all its entries)`,
    );
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const { line, text } = next.value;
    if (text.trim() === '' || text.startsWith('%')) continue;
    const size = text.trim().split(/\s+/);
    if (size.length !== 3 || !size.every((t) => /^\d+$/.test(t)))
      throw new InputError(
        `${path}: line ${line}: the size line must be three integers "rows cols entries", got ${JSON.stringify(text.slice(0, 60))}`,
      );
    const [rows, cols, nnz] = size.map(Number) as [number, number, number];
    if (rows < 1 || cols < 1) throw new InputError(`${path}: line ${line}: the matrix is empty (${rows}×${cols})`);
    if (rows > MAX_SIDE || cols > MAX_SIDE)
      throw new InputError(`${path}: line ${line}: ${rows}×${cols} has a side beyond the 2^31 − 2 a matrix may have`);
    if (nnz > Math.min(MAX_NNZ, rows * cols))
      throw new InputError(`${path}: line ${line}: ${nnz} entries in a ${rows}×${cols} matrix (at most ${Math.min(MAX_NNZ, rows * cols)})`);
    return { field, rows, cols, nnz, line };
  }
  throw new InputError(`${path}: ends before its size line`);
}

/** An entry line as [row, column] (from 0) and its value. */
function parseEntry(path: string, line: number, text: string, header: MtxHeader): [number, number, number] {
  const tokens = text.trim().split(/\s+/);
  const wanted = header.field === 'pattern' ? 2 : 3;
  if (tokens.length !== wanted)
    throw new InputError(
      `${path}: line ${line}: expected ${wanted} fields for a ${header.field} entry, got ${JSON.stringify(text.slice(0, 60))}`,
    );
  const index = (token: string, size: number, name: string): number => {
    const n = /^\d+$/.test(token) ? Number(token) : NaN;
    if (!(n >= 1 && n <= size))
      throw new InputError(`${path}: line ${line}: ${name} ${JSON.stringify(token)} is not an integer in [1, ${size}]`);
    return n - 1;
  };
  const i = index(tokens[0]!, header.rows, 'row');
  const j = index(tokens[1]!, header.cols, 'column');
  if (header.field === 'pattern') return [i, j, 1];
  const token = tokens[2]!;
  const value = Number(token);
  if (!(header.field === 'integer' ? INTEGER : REAL).test(token) || !Number.isFinite(value))
    throw new InputError(
      `${path}: line ${line}: ${JSON.stringify(token.slice(0, 40))} is not ${header.field === 'integer' ? 'an integer' : 'a finite number'}`,
    );
  if (value < 0) throw new InputError(`${path}: line ${line}: ${token} is negative (every entry of V must be ≥ 0)`);
  return [i, j, value];
}

/** The entries of the samples start … end − 1, turned into a K×b CSR chunk. */
class ChunkBuilder {
  start = 0;
  private features: number[] = [];
  private samples: number[] = [];
  private values: number[] = [];
  constructor(
    private readonly path: string,
    private readonly rows: number,
    private readonly size: number,
  ) {}

  get end(): number {
    return this.start + this.size;
  }

  add(feature: number, sample: number, value: number): void {
    this.features.push(feature);
    this.samples.push(sample - this.start);
    this.values.push(value);
  }

  /** The chunk, and the builder moved on to the next samples (the last chunk ends at `total`). */
  take(total: number): ColumnChunk {
    const cols = Math.min(this.size, total - this.start);
    let indptr: Int32Array;
    try {
      indptr = new Int32Array(this.rows + 1);
    } catch (error) {
      throw new InputError(`${this.path}: a chunk of ${this.rows} rows does not fit in memory (${(error as Error).message})`, {
        cause: error,
      });
    }
    for (const k of this.features) indptr[k + 1]!++;
    for (let k = 0; k < this.rows; k++) indptr[k + 1]! += indptr[k]!;
    const indices = new Int32Array(this.values.length);
    const data = new Float64Array(this.values.length);
    // indptr[k] serves as row k's cursor, which leaves it at row k + 1's start; shifting by one slot restores the
    // pointers without a second array of K entries. Entries arrive by sample, so each row's columns increase.
    this.features.forEach((k, e) => {
      const at = indptr[k]!++;
      indices[at] = this.samples[e]!;
      data[at] = this.values[e]!;
    });
    indptr.copyWithin(1, 0, this.rows);
    indptr[0] = 0;
    [this.features, this.samples, this.values] = [[], [], []];
    this.start += this.size;
    return { format: 'csr', rows: this.rows, cols, indptr, indices, data };
  }
}
