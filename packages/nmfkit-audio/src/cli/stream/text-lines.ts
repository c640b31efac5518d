/**
 * The lines of a text stream one at a time with a bound on a line's length, so a file without line breaks (or a
 * corrupt one) is refused naming the line instead of being gathered into memory whole.
 */
import type { Readable } from 'node:stream';
import { CancelledError, InputError } from '../errors.js';
import { cannotRead } from '../matrix-io.js';

export interface TextLine {
  /** From 1. */
  readonly line: number;
  readonly text: string;
}

/** The lines of `source` (the bytes of `path`, latin1), at most `maxLength` characters each; '\r\n' ends a line too. */
export async function* textLines(path: string, source: Readable, maxLength: number): AsyncGenerator<TextLine, void, undefined> {
  let partial = '';
  let line = 1;
  try {
    for await (const block of source) {
      const text = partial + (block as Buffer).toString('latin1');
      let from = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', from)) {
        if (end - from > maxLength) throw tooLong(path, line, maxLength);
        yield { line: line++, text: text.slice(from, text[end - 1] === '\r' ? end - 1 : end) };
        from = end + 1;
      }
      partial = text.slice(from);
      if (partial.length > maxLength) throw tooLong(path, line, maxLength);
    }
  } catch (error) {
    if (error instanceof InputError || error instanceof CancelledError) throw error;
    throw cannotRead(path, error);
  } finally {
    source.destroy();
  }
  if (partial !== '') yield { line, text: partial.endsWith('\r') ? partial.slice(0, -1) : partial };
}

function tooLong(path: string, line: number, maxLength: number): InputError {
  return new InputError(`${path}: line ${line} is longer than ${maxLength} characters (not a line of this format; a corrupt file?)`);
}
