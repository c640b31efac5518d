/**
 * nmfkit/validation — the argument checks behind nmfkit's own functions, for packages built on nmfkit (such as
 * nmfkit-audio) whose functions should refuse bad input exactly as nmfkit's do: a TypeError for the wrong kind of
 * value, a RangeError for the right kind with a bad value, each message naming the argument (and, for entries, the
 * index and value); a getter or proxy trap of the caller's that throws becomes a TypeError naming what could not
 * be read; every property is read once; nothing is modified (lists and matrices come back as fresh copies).
 *
 * The same module instance as the entries' (`nmfkit`): sizes are checked against the memory limit the loaded entry
 * sets (the machine's memory on the Node entry, what a wasm memory holds on the WebAssembly-only entry).
 * Imports nothing of Node's, so it runs wherever the WebAssembly-only entry runs. docs/api.md#nmfkitvalidation.
 */
export {
  checkBoolean,
  checkChoice,
  checkCount,
  checkedLength,
  checkedSize,
  checkFinite,
  checkFunction,
  checkInRange,
  checkNonNegative,
  checkPositive,
  checkString,
  checkTypedArray,
  describe,
  readList,
  readOptions,
  readProperty,
  toMatrix,
  toNumberArray,
  typedArrayName,
} from './validate.js';
export type { EntryRule, ExpectedShape } from './validate.js';
export { codeOf, ERROR_CODES, isErrorCode, plainError, rangeError, typeError, withCode } from './errors.js';
export type { ErrorCode } from './errors.js';
