/**
 * CSV and TSV matrices, read as a stream through `csv-parse` (so a large file reports its progress and can be
 * cancelled while it is read): one matrix row per line, blank lines and lines starting with '#' skipped. Every
 * problem names the file, the line and the column (both from 1, as an editor shows them), and says what is
 * likely wrong: a header row only when the line after it is all numbers, another delimiter when a field holds
 * numbers separated by one, a trailing delimiter when the empty field is the last one.
 */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { CancelledError, InputError } from './errors.js';
import { GrowingArray } from './growing-array.js';

/** A matrix read from a delimited file, with the line of each row (for messages). */
export interface DelimitedMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  /** The line (from 1) of each row. */
  readonly lines: Uint32Array;
}

/** Reads `source` (the bytes of `path`) as rows of numbers separated by `delimiter`; 'NaN' only if `allowNaN`. */
export async function readDelimited(path: string, source: Readable, delimiter: ',' | '\t', allowNaN: boolean): Promise<DelimitedMatrix> {
  const data = new GrowingArray();
  const lines: number[] = [];
  let cols = 0;
  for await (const row of delimitedRows(path, source, delimiter, allowNaN)) {
    cols = row.fields.length;
    lines.push(row.line);
    data.pushAll(row.fields, path);
  }
  if (lines.length === 0) throw new InputError(`${path}: no rows of numbers`);
  return { rows: lines.length, cols, data: data.toArray(), lines: Uint32Array.from(lines) };
}

/** One line of numbers of a delimited file, its fields checked to be numbers. */
export interface DelimitedRow {
  /** The line, from 1. */
  readonly line: number;
  readonly fields: readonly string[];
}

/**
 * The rows of a delimited file one at a time, each checked (same field count as the first, every field a number),
 * so a file can be read without holding it. The source is closed when the iteration ends, early or not.
 */
export async function* delimitedRows(
  path: string,
  source: Readable,
  delimiter: ',' | '\t',
  allowNaN: boolean,
): AsyncGenerator<DelimitedRow, void, undefined> {
  const parser = source.pipe(parse({ delimiter, trim: true, skip_empty_lines: true, comment: '#', info: true, relax_column_count: true }));
  // An error of the source (a read error, Ctrl-C) ends the parse with that error rather than leaving it waiting.
  source.on('error', (error) => parser.destroy(error));
  let first: number | undefined;
  let cols = 0;
  /** The problem of the first line, held until the next line tells whether the first is a header. */
  let pending: { line: number; column: number; field: string; fields: readonly string[] } | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (first === undefined) [first, cols] = [line, record.length];
      else if (record.length !== cols) {
        throw new InputError(
          `${path}: line ${line} has ${record.length} field${record.length === 1 ? '' : 's'}, line ${first} (the first row) has ${cols}`,
        );
      }
      const bad = record.findIndex((field) => !isNumber(field, allowNaN));
      if (pending) {
        throw notANumber(path, pending.line, pending.column, pending.field, pending.fields, delimiter, bad < 0);
      }
      if (bad >= 0) {
        if (line !== first) throw notANumber(path, line, bad, record[bad]!, record, delimiter, false);
        pending = { line, column: bad, field: record[bad]!, fields: record };
        continue;
      }
      yield { line, fields: record };
    }
  } catch (error) {
    if (error instanceof InputError || error instanceof CancelledError) throw error;
    throw new InputError(`${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    source.destroy();
  }
  if (pending) throw notANumber(path, pending.line, pending.column, pending.field, pending.fields, delimiter, false);
}

/** Whether a field is a number nmfkit reads ('NaN', any case, marks a missing entry only where it is allowed). */
function isNumber(field: string, allowNaN: boolean): boolean {
  if (field === '') return false;
  if (allowNaN && /^nan$/i.test(field)) return true;
  return Number.isFinite(Number(field));
}

/** Another delimiter between numbers in one field: the file is not separated by the one its extension says. */
const OTHER_DELIMITER = /^[-+.\d eE]*\d[-+.\d eE]*([;|\t, ])\s*[-+.\d]/;

function notANumber(
  path: string,
  line: number,
  column: number,
  field: string,
  fields: readonly string[],
  delimiter: ',' | '\t',
  nextLineIsNumbers: boolean,
): InputError {
  const where = `${path}: line ${line}, column ${column + 1}`;
  const separated = field === '' ? undefined : OTHER_DELIMITER.exec(field)?.[1];
  const expected = delimiter === ',' ? 'commas (","; use .tsv for tabs)' : 'tabs (use .csv for commas)';
  if (field === '') {
    const last = column === fields.length - 1 && fields.length > 1;
    return new InputError(`${where}: the field is empty${last ? ' (a delimiter at the end of the line?)' : ''}`);
  }
  if (separated !== undefined && separated !== delimiter) {
    const name = separated === '\t' ? 'a tab' : `"${separated}"`;
    return new InputError(
      `${where}: ${JSON.stringify(short(field))} is not a number: it looks like numbers separated by ${name}, but this file's fields are separated by ${expected}`,
    );
  }
  if (/^[-+]?(nan|inf|infinity)$/i.test(field)) {
    const nan = /nan/i.test(field) ? ' (NaN marks a missing entry only with --mask, where the mask is 0)' : '';
    return new InputError(`${where}: ${JSON.stringify(field)} is not a finite number${nan}`);
  }
  // A header is a first line of names above lines of numbers; a first line that is not followed by numbers is not
  // told to be one.
  const header = nextLineIsNumbers ? ' (the first row looks like a header: a header row is not supported)' : '';
  return new InputError(`${where}: ${JSON.stringify(short(field))} is not a finite number${header}`);
}

function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
