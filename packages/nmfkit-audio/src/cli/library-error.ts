/**
 * A TypeError or RangeError of nmf(), said in the command's words: option names as the flags that set them
 * (`options.l1W` → `--l1-w`), entries of V, W, H or the mask at the place a person finds them in their file
 * (`V.data[4] (row 1, column 1)` → `v.csv line 3, column 2`; rows and columns from 1), and classed: a refused flag
 * or combination of flags (a message about options that does not involve V) is a usage error, exit code 2;
 * anything about the data is bad input, exit code 1.
 */
import { InputError, UsageError } from './errors.js';
import { FIT_FLAGS } from './fit-flags.js';

/** A matrix the command read from a file, by the name nmf gives it in messages. */
export interface Source {
  readonly path: string;
  /** Where entry (i, j) (from 0) is in the file: 'line 3, column 2' or 'row 1, column 2'. */
  locate(i: number, j: number): string;
}

/** The files of V and of the options W, H and mask, where given. */
export type Sources = Partial<Record<'V' | 'options.W' | 'options.H' | 'options.mask', Source>>;

/** nmf's option names that are flags of the command, and the flag of each. */
const FLAG_OF: Record<string, string> = Object.fromEntries(
  [...FIT_FLAGS, 'rank', 'W', 'H', 'mask'].map((name) => [
    `options.${name}`,
    `--${name.replace(/[A-Z]/g, (c, at: number) => `${at > 0 ? '-' : ''}${c.toLowerCase()}`)}`,
  ]),
);

/** An entry as nmf names it (from 0): `NAME.data[k] (row i, column j)` or `… entry k (row i, column j)`. */
const ENTRY = /(\b(?:options\.mask|options\.W|options\.H|V|W|H))?(?:\.data\[\d+\]|\bentry \d+) \(row (\d+), column (\d+)\)/g;

/** The matrix an entry belongs to: the name just before it (`V.data[4]`), else the last one named before it. */
const MATRIX_NAME = /\b(options\.mask|options\.W|options\.H|V|W|H)\b/g;

/** The message of nmf's `error` with entries placed in their files and options named by their flags. */
export function inCommandWords(message: string, sources: Sources): string {
  const placed = message.replace(ENTRY, (_match, own: string | undefined, i: string, j: string, at: number) => {
    const name = own ?? [...message.slice(0, at).matchAll(MATRIX_NAME)].at(-1)?.[1];
    const source = name === undefined ? undefined : sources[name as keyof Sources];
    const [row, col] = [Number(i), Number(j)];
    if (source) return `${source.path} ${source.locate(row, col)}`;
    return `${own ? `${own.replace('options.', '')} ` : ''}row ${row + 1}, column ${col + 1}`;
  });
  return placed.replace(/^nmfkit: /, '').replace(/\boptions\.[A-Za-z0-9]+\b/g, (name) => FLAG_OF[name] ?? name);
}

/** The command's error for a TypeError or RangeError of nmf (see the module's comment). */
export function commandError(error: TypeError | RangeError, sources: Sources): InputError | UsageError {
  const flagsOnly = error.message.startsWith('options.') && !/\bV\b/.test(error.message) && !new RegExp(ENTRY.source).test(error.message);
  const message = inCommandWords(error.message, sources);
  if (flagsOnly) return new UsageError(message, { cause: error });
  const input = sources.V?.path;
  return new InputError(input === undefined ? message : `${input}: ${message}`, { cause: error });
}
