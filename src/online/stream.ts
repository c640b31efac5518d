/**
 * `nmfStream(source, options)`: the online solver over an (async) iterable of chunks, one partialFitAsync per chunk
 * (docs/api.md#nmfstream). Only the current chunk and the model are held: the source is pulled one chunk at a time.
 */
import { abortError } from '../driver.js';
import { codeOf, plainError, sameClassError, typeError } from '../errors.js';
import { LAST_CHUNKS, type NmfEstimator, type NmfEstimatorClass, type NmfEstimatorOptions } from '../estimator.js';
import type { CsrMatrixInput, MatrixInput } from '../types.js';
import { describe, isAbortSignal, isArray, readArray, readOwnProperties, readProperty, typedArrayName } from '../validate.js';

/** What nmfStream yields after each chunk. */
export interface NmfStreamProgress {
  /** The chunk's index (0-based). */
  readonly chunk: number;
  /** Samples (columns) seen so far, this chunk's included. */
  readonly samples: number;
  /** The chunk's cost as scikit-learn's MiniBatchNMF reports it (`batch_cost`: loss plus penalties, per sample). */
  readonly cost: number;
  /** The model, updated with this chunk (the same estimator every time). */
  readonly model: NmfEstimator;
}

/** The options of nmfStream: the estimator's, the initial dictionary, the signal and a callback. */
export interface NmfStreamOptions extends NmfEstimatorOptions {
  /** Initial W (K×R); absent: from `init` on the first chunk. */
  readonly W?: MatrixInput;
  /** Cancels the stream between two updates: the iteration rejects with an AbortError. */
  readonly signal?: AbortSignal;
  /** Called with each progress before it is yielded. */
  readonly onChunk?: (progress: NmfStreamProgress) => void;
}

/** A chunk source: an iterable or async iterable of K×b chunks, dense or CSR. */
export type NmfStreamSource = Iterable<MatrixInput | CsrMatrixInput> | AsyncIterable<MatrixInput | CsrMatrixInput>;

export type NmfStream = (source: NmfStreamSource, options: NmfStreamOptions) => AsyncGenerator<NmfStreamProgress, void, undefined>;

/** nmfStream over an entry's NMF class. Options and source are checked at the call; the chunks as they come. */
export function streamFunction(NMF: NmfEstimatorClass): NmfStream {
  return function nmfStream(source, options) {
    const { W, signal, onChunk, ...rest } = readStreamOptions(options);
    const model = new NMF(rest as unknown as NmfEstimatorOptions);
    const iterator = iteratorOf(source);
    return run(iterator, model, W, signal, onChunk);
  };
}

const STREAM_OPTION_NAMES = ['W', 'signal', 'onChunk'];
/** The most chunks an array source may hold. */
const MAX_ARRAY_CHUNKS = 2 ** 32 - 1;

function readStreamOptions(options: unknown): Record<string, unknown> & {
  W?: unknown;
  signal?: AbortSignal;
  onChunk?: (progress: NmfStreamProgress) => void;
} {
  if (options === null || typeof options !== 'object' || isArray(options)) {
    throw typeError('NMFKIT_INVALID_TYPE', `options must be an object with at least { rank }, got ${describe(options)}`);
  }
  // Each property read once (a throwing getter or trap is a TypeError naming it); the estimator checks the rest.
  const own = readOwnProperties('options', options);
  const rest: Record<string, unknown> = {};
  for (const key of Reflect.ownKeys(own)) if (typeof key !== 'string' || !STREAM_OPTION_NAMES.includes(key)) rest[key as string] = own[key];
  const { W, signal, onChunk } = own as { W?: unknown; signal?: unknown; onChunk?: unknown };
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw typeError('NMFKIT_INVALID_TYPE', `options.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (onChunk !== undefined && typeof onChunk !== 'function') {
    throw typeError('NMFKIT_INVALID_TYPE', `options.onChunk must be a function, got ${describe(onChunk)}`);
  }
  return { ...rest, W, signal: signal as AbortSignal | undefined, onChunk: onChunk as ((progress: NmfStreamProgress) => void) | undefined };
}

/** The source's iterator: async iteration first, else sync; anything else is a TypeError naming `source`. */
function iteratorOf(source: unknown): AsyncIterator<unknown> | Iterator<unknown> {
  const what = (): never => {
    throw typeError('NMFKIT_INVALID_TYPE', `source must be an iterable or async iterable of chunks, got ${describe(source)}`);
  };
  // A typed array iterates numbers, not chunks.
  if (source === null || (typeof source !== 'object' && typeof source !== 'function') || typedArrayName(source) !== undefined)
    return what();
  // An array is read once (its length, each chunk), as every argument is.
  if (isArray(source)) return readArray('source', source, MAX_ARRAY_CHUNKS)[Symbol.iterator]();
  const asyncMethod = readProperty('source[Symbol.asyncIterator]', source, Symbol.asyncIterator);
  const method = asyncMethod ?? readProperty('source[Symbol.iterator]', source, Symbol.iterator);
  if (typeof method !== 'function') return what();
  let iterator: unknown;
  try {
    iterator = (method as () => unknown).call(source);
  } catch (cause) {
    throw plainError('NMFKIT_SOURCE', `nmfStream: the source failed to start: ${String((cause as Error | undefined)?.message ?? cause)}`, {
      cause,
    });
  }
  if (iterator === null || typeof iterator !== 'object') return what();
  if (typeof readProperty('source iterator.next', iterator, 'next') !== 'function') return what();
  return iterator as AsyncIterator<unknown>;
}

async function* run(
  iterator: AsyncIterator<unknown> | Iterator<unknown>,
  model: NmfEstimator,
  W: unknown,
  signal: AbortSignal | undefined,
  onChunk: ((progress: NmfStreamProgress) => void) | undefined,
): AsyncGenerator<NmfStreamProgress, void, undefined> {
  let done = false;
  try {
    for (let chunk = 0; ; chunk++) {
      if (signal?.aborted) throw abortError(signal);
      let next: IteratorResult<unknown>;
      try {
        next = await iterator.next();
      } catch (cause) {
        done = true;
        throw plainError(
          'NMFKIT_SOURCE',
          `nmfStream: the source failed while producing chunk ${chunk}: ${(cause as Error)?.message ?? String(cause)}`,
          {
            cause,
          },
        );
      }
      if (next.done) {
        done = true;
        return;
      }
      const value = next.value as MatrixInput;
      try {
        await model.partialFitAsync(value, { ...(chunk === 0 && W !== undefined && { W: W as MatrixInput }), ...(signal && { signal }) });
      } catch (error) {
        // A chunk refused is named by its index in the source (the model is as after the chunk before).
        const code = codeOf(error);
        if (code === undefined || !(error instanceof TypeError || error instanceof RangeError) || !/^chunk\b/.test(error.message))
          throw error;
        throw sameClassError(error, code, `source[${chunk}]${error.message.slice('chunk'.length)}`, { cause: error });
      }
      const { cost, samples } = LAST_CHUNKS.get(model)!;
      const progress: NmfStreamProgress = { chunk, samples, cost, model };
      onChunk?.(progress);
      yield progress;
    }
  } finally {
    // A stream left early (break, abort, a bad chunk) closes its source.
    if (!done) await iterator.return?.();
  }
}
