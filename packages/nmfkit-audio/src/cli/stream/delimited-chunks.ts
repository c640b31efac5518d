/**
 * A CSV or TSV file read a block of samples at a time, its rows checked as `factorize` checks them (./delimited.ts).
 * With samples in rows (one sample per line, the file holds Vᵀ) one pass reads every chunk in turn: the natural
 * layout for streaming. With samples in columns (the file holds V, one feature per line) a chunk's samples are a
 * range of fields on every line, so each chunk costs one pass over the file (after a first pass that finds the
 * shape): memory stays one chunk either way; the time is the file's length times the chunks.
 */
import { delimitedRows, type DelimitedRow } from '../delimited.js';
import { CancelledError, InputError } from '../errors.js';
import { openFile } from '../matrix-io.js';
import { checkEntry, chunkBuffer, type ChunkReadOptions, type ChunkSource, type ColumnChunk } from './column-chunks.js';

/** A CSV/TSV file as chunks of samples; its shape (all of it, for samples in columns) is read first. */
export async function delimitedChunks(path: string, delimiter: ',' | '\t', options: ChunkReadOptions): Promise<ChunkSource> {
  const rows = async function* (): AsyncGenerator<DelimitedRow, void, undefined> {
    const stream = await openFile(path, options);
    for await (const row of delimitedRows(path, stream, delimiter, false)) {
      if (options.signal?.aborted) throw new CancelledError(`cancelled while reading ${path}`);
      yield row;
    }
  };
  const value = (row: DelimitedRow, column: number): number => {
    const x = Number(row.fields[column]);
    return x >= 0 ? x : checkEntry(path, `line ${row.line}, column ${column + 1}`, x);
  };
  let lines = 0;
  let fields = 0;
  for await (const { fields: record } of rows()) {
    fields = record.length;
    lines++;
    // Samples in rows: the first line gives K; the number of samples is found by the pass that reads them.
    if (options.samples === 'rows') break;
  }
  if (lines === 0) throw new InputError(`${path}: no rows of numbers`);
  if (options.samples === 'rows') {
    return {
      path,
      features: fields,
      samples: undefined,
      async *chunks(size: number): AsyncGenerator<ColumnChunk, void, undefined> {
        let out = chunkBuffer(path, fields, size);
        let j = 0;
        for await (const row of rows()) {
          if (row.fields.length !== fields) throw changed(path);
          for (let k = 0; k < fields; k++) out[k * size + j] = value(row, k);
          if (++j === size) {
            yield { rows: fields, cols: size, data: out };
            [out, j] = [chunkBuffer(path, fields, size), 0];
          }
        }
        if (j > 0) yield { rows: fields, cols: j, data: narrow(out, fields, size, j) };
      },
    };
  }
  return {
    path,
    features: lines,
    samples: fields,
    async *chunks(size: number): AsyncGenerator<ColumnChunk, void, undefined> {
      for (let s0 = 0; s0 < fields; s0 += size) {
        const b = Math.min(size, fields - s0);
        const out = chunkBuffer(path, lines, b);
        let k = 0;
        for await (const row of rows()) {
          if (k === lines || row.fields.length !== fields) throw changed(path);
          for (let j = 0; j < b; j++) out[k * b + j] = value(row, s0 + j);
          k++;
        }
        if (k !== lines) throw changed(path);
        yield { rows: lines, cols: b, data: out };
      }
    },
  };
}

function changed(path: string): InputError {
  return new InputError(`${path}: the file changed while it was read (its shape is not the one the first pass found)`);
}

/** The first `cols` columns of a K×size row-major buffer. */
function narrow(data: Float64Array, rows: number, size: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let k = 0; k < rows; k++) out.set(data.subarray(k * size, k * size + cols), k * cols);
  return out;
}
