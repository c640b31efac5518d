/**
 * nmf()'s messages in the command's words (src/cli/library-error.ts): entries placed in their files (rows and
 * columns from 1, CSV lines as in the file), option names as flags, and the class — a usage error for flags nmf
 * refuses without looking at V, bad input otherwise, the library's code kept either way.
 */
import { rangeError } from 'nmfkit/validation';
import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../src/cli/errors.js';
import { commandError, inCommandWords, type Sources } from '../src/cli/library-error.js';

/** V from a CSV whose rows are on lines 3, 5, 6 (a comment and a blank line before). */
const sources: Sources = {
  V: { path: 'v.csv', locate: (i, j) => `line ${[3, 5, 6][i]}, column ${j + 1}` },
  'options.mask': { path: 'm.json', locate: (i, j) => `row ${i + 1}, column ${j + 1}` },
};

describe('inCommandWords', () => {
  it.each([
    ['V must be finite and ≥ 0, but V.data[4] (row 1, column 1) is -5', 'V must be finite and ≥ 0, but v.csv line 5, column 2 is -5'],
    [
      'V has a zero at entry 6 (row 2, column 0), where the β = 0 divergence is infinite',
      'V has a zero at v.csv line 6, column 1, where the β = 0 divergence is infinite',
    ],
    [
      'options.mask entries must lie in [0, 1], but options.mask entry 2 (row 0, column 2) is 3',
      '--mask entries must lie in [0, 1], but --mask m.json row 1, column 3 is 3',
    ],
    // A matrix without a file (a result's factor): its own name, counted from 1.
    ['hChange is Infinity: W.data[3] (row 1, column 0) is Infinity', 'hChange is Infinity: W row 2, column 1 is Infinity'],
    [
      "nmfkit: options.solver 'hals' is for the Euclidean loss only; options.l1W and options.maxIter and options.eps",
      "--solver 'hals' is for the Euclidean loss only; --l1-w and --max-iter and options.eps",
    ],
  ])('%s', (message, expected) => {
    expect(inCommandWords(message, sources)).toBe(expected);
  });
});

describe('commandError', () => {
  it('flags refused without V: a UsageError with the flags named, keeping the code', () => {
    const error = commandError(rangeError('NMFKIT_INVALID_VALUE', "options.solver 'hals' is for the Euclidean loss only"), sources);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe("--solver 'hals' is for the Euclidean loss only");
    expect(error.code).toBe('NMFKIT_INVALID_VALUE');
  });

  it('anything about the data: an InputError naming the input', () => {
    const init = commandError(rangeError('NMFKIT_INVALID_VALUE', "options.init 'nndsvd' needs rank ≤ min(rows, cols) of V = 2"), sources);
    expect(init).toBeInstanceOf(InputError);
    expect(init.message).toBe("v.csv: --init 'nndsvd' needs rank ≤ min(rows, cols) of V = 2");
    const entry = commandError(rangeError('NMFKIT_INVALID_VALUE', 'options.mask entry 0 (row 0, column 0) is 2'), sources);
    expect(entry).toBeInstanceOf(InputError);
    expect(entry.message).toBe('v.csv: --mask m.json row 1, column 1 is 2');
  });
});
