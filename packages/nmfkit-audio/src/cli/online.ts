/**
 * `nmfkit factorize INPUT --online`: online NMF over a file too large to hold. The file is read a chunk of samples
 * at a time (./stream/) and the chunks are handed to nmfkit's `nmfStream`, which updates the dictionary W after
 * each; `--epochs` passes over the file make one longer stream. A last pass computes each chunk's H with W fixed
 * (the model's transform) and writes it as it goes (./stream/column-writer.ts), so memory stays one chunk and the
 * factors.
 */
import { mkdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { nmfStream, type NmfStreamOptions, type NmfStreamProgress } from 'nmfkit';
import { CancelledError, InputError, isAbort, UsageError } from './errors.js';
import { FIT_FLAGS } from './fit-flags.js';
import { commandError } from './library-error.js';
import { writeMatrixFile, type MatrixFormat, type WriteOptions } from './matrix-io.js';
import { writeOutput } from './output.js';
import type { FitProgress } from './progress.js';
import type { ChunkSource, ColumnChunk, SampleAxis } from './stream/column-chunks.js';
import { columnWriter } from './stream/column-writer.js';
import { openChunks, type StreamFormat } from './stream/open-chunks.js';
import type { FactorizeFlags } from './factorize.js';

/** The flags `--online` adds to factorize's. */
export interface OnlineFlags extends FactorizeFlags {
  readonly batchSize?: number;
  readonly forgetFactor?: number;
  readonly epochs?: number;
  readonly samples?: SampleAxis;
}

/** What `factorize --online` writes to summary.json and prints with --json. */
export interface OnlineSummary {
  readonly input: {
    readonly path: string;
    readonly format: string;
    readonly rows: number;
    readonly cols: number;
    readonly samples: SampleAxis;
  };
  readonly options: Record<string, unknown>;
  readonly online: { readonly epochs: number; readonly chunks: number; readonly samplesSeen: number; readonly lastCost: number };
  readonly seconds: number;
  readonly outputs: Record<string, string>;
}

const STREAM_FORMATS: Record<string, StreamFormat> = { '.csv': 'csv', '.tsv': 'tsv', '.tab': 'tsv', '.npy': 'npy', '.mtx': 'mtx' };

/** The flags of a batch fit that an online fit does not take. */
const BATCH_ONLY = [
  ['w', '--w'],
  ['h', '--h'],
  ['mask', '--mask'],
  ['fixW', '--fix-w'],
  ['fixH', '--fix-h'],
  ['keepPartial', '--keep-partial'],
  ['plotMaxFrequency', '--plot-max-frequency'],
] as const;

/** Runs `factorize --online`; throws InputError (exit 1), UsageError (exit 2) or CancelledError (exit 130). */
export async function factorizeOnline(
  input: string,
  flags: OnlineFlags,
  progress: FitProgress,
  signal: AbortSignal,
): Promise<OnlineSummary> {
  for (const [key, flag] of BATCH_ONLY)
    if (flags[key] !== undefined && flags[key] !== false) throw new UsageError(`${flag} is not taken with --online`);
  if (flags.rank === undefined) throw new UsageError("required option '-r, --rank <R>' not specified");
  const format = STREAM_FORMATS[extname(input).toLowerCase()];
  if (format === undefined)
    throw new InputError(`${input}: --online reads .csv, .tsv, .npy or .mtx files (one chunk of samples at a time)`);
  const axis = flags.samples ?? 'columns';
  const source = await openChunks(input, format, { samples: axis, signal });
  const batch = flags.batchSize ?? 1024;
  const epochs = flags.epochs ?? 1;
  const given: Record<string, unknown> = { rank: flags.rank, batchSize: batch };
  for (const key of FIT_FLAGS) if (flags[key] !== undefined) given[key] = flags[key];
  if (flags.forgetFactor !== undefined) given.forgetFactor = flags.forgetFactor;
  // The flags' values are checked by nmfStream itself, which names the option of a bad one.
  const options = given as unknown as NmfStreamOptions;
  const sources = { V: { path: input, locate: (i: number, j: number) => `feature ${i + 1}, sample ${j + 1}` } };

  const started = performance.now();
  let last: NmfStreamProgress | undefined;
  progress.startStream(
    `factorize --online (${epochs} epoch${epochs === 1 ? '' : 's'})`,
    source.samples === undefined ? undefined : source.samples * epochs,
  );
  try {
    for await (const step of nmfStream(passes(source, batch, epochs), { ...options, signal })) {
      last = step;
      progress.onChunk(step.chunk, step.samples, step.cost);
    }
  } catch (error) {
    throw fitError(error, sources);
  } finally {
    progress.stop();
  }
  if (last === undefined) throw new InputError(`${input}: no samples`);
  const model = last.model;
  const samples = last.samples / epochs;

  const out = resolve(flags.out);
  await mkdir(out, { recursive: true });
  const ext: MatrixFormat = flags.format ?? (format === 'mtx' ? 'csv' : format);
  const write: WriteOptions = source.dtype === 'f4' ? { dtype: 'f4' } : {};
  const outputs: Record<string, string> = { W: join(out, `W.${ext}`), H: join(out, `H.${ext}`), summary: join(out, 'summary.json') };
  await writeMatrixFile(outputs.W!, model.components, ext, write);
  const writer = await columnWriter(outputs.H!, ext, flags.rank, samples, write);
  progress.startStream('H (W fixed)', samples);
  try {
    let seen = 0;
    let chunk = 0;
    for await (const V of source.chunks(batch)) {
      await writer.append(await model.transformAsync(V, { signal }));
      seen += V.cols;
      progress.onChunk(chunk++, seen, Number.NaN);
    }
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw fitError(error, sources);
  } finally {
    progress.stop();
  }
  const summary: OnlineSummary = {
    input: { path: input, format, rows: source.features, cols: samples, samples: axis },
    options: given,
    online: { epochs, chunks: last.chunk + 1, samplesSeen: last.samples, lastCost: last.cost },
    seconds: (performance.now() - started) / 1000,
    outputs,
  };
  await writeOutput(outputs.summary!, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** `epochs` passes over the file, as one stream of chunks. */
async function* passes(source: ChunkSource, size: number, epochs: number): AsyncGenerator<ColumnChunk, void, undefined> {
  for (let epoch = 0; epoch < epochs; epoch++) yield* source.chunks(size);
}

/** An error of the stream fit or of the reading it drives, as the command reports it. */
function fitError(error: unknown, sources: Parameters<typeof commandError>[1]): unknown {
  // nmfStream rejects with a source's error as its cause: the reader's own message names the file.
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof InputError || cause instanceof CancelledError) return cause;
  if (error instanceof InputError || error instanceof CancelledError) return error;
  if (isAbort(error)) return new CancelledError('cancelled: the fit was interrupted', { cause: error });
  if (error instanceof TypeError || error instanceof RangeError) return commandError(error, sources);
  return error;
}
