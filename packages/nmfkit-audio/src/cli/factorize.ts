/**
 * `nmfkit factorize INPUT --rank R`: reads a matrix (CSV, TSV, JSON, .npy) or a WAV file (turned into a
 * log-compressed magnitude spectrogram), factorizes it with `nmf`, and writes W and H, a JSON summary and the
 * figures into the output folder.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { nmf, type IterationInfo, type Matrix, type NmfOptions, type NmfResult } from 'nmfkit';
import { stft } from '../audio/stft.js';
import { spectrogram } from '../audio/spectrogram.js';
import { estimateTemplatePitches, type TemplatePitch } from '../audio/pitch.js';
import type { WindowName } from '../audio/window.js';
import { renderErrorPlot } from '../figures/errors.js';
import { renderFactorsFigure } from '../figures/factors.js';
import { readWav } from '../node.js';
import { CancelledError, InputError, isAbort, UsageError } from './errors.js';
import { FIT_FLAGS } from './fit-flags.js';
import { commandError, type Sources } from './library-error.js';
import {
  formatOf,
  readMatrixFile,
  writeMatrixFile,
  type MatrixFile,
  type MatrixFormat,
  type ReadOptions,
  type WriteOptions,
} from './matrix-io.js';
import type { NpyDtype } from './npy-file.js';
import { writeOutput } from './output.js';
import type { FitProgress } from './progress.js';

/** The flags of `factorize`, as parsed by the command line. */
export interface FactorizeFlags {
  /** Absent: from the columns of --w or the rows of --h. */
  readonly rank?: number;
  readonly maxIter?: number;
  readonly tol?: number;
  readonly normalize?: 'none' | 'max' | 'l1' | 'l2';
  readonly seed?: number;
  readonly backend?: 'auto' | 'native' | 'wasm';
  readonly maxTime?: number;
  /** The fit options below are passed to nmf only when given; nmf validates them. */
  readonly loss?: string | number;
  readonly solver?: string;
  readonly init?: string;
  readonly l1W?: number;
  readonly l2W?: number;
  readonly l1H?: number;
  readonly l2H?: number;
  readonly stop?: string;
  readonly errorEvery?: number;
  readonly restarts?: number;
  /** Passed to nmf only when given; nmf validates it. */
  readonly dtype?: string;
  /** Threads of the fit's team on the native backend (nmf's `threads`). */
  readonly threads?: number;
  /** Files of the initial W (K×R) and H (R×N), and of the mask (K×N weights in [0, 1], 0 = missing). */
  readonly w?: string;
  readonly h?: string;
  readonly mask?: string;
  /** Keep the factor of --w / --h as it is (nmf's updateW / updateH false). */
  readonly fixW?: boolean;
  readonly fixH?: boolean;
  /** On Ctrl-C, write the factors of the last iteration completed (and still exit 130). */
  readonly keepPartial?: boolean;
  readonly out: string;
  readonly format?: MatrixFormat;
  readonly figures: boolean;
  readonly nFft: number;
  readonly hop?: number;
  readonly log: number;
  readonly window: WindowName;
  /** WAV input: highest frequency (Hz) shown in the figures. Default: see {@link displayMaxFrequency}. */
  readonly plotMaxFrequency?: number;
}

/**
 * The top of the frequency axis in the figures of a spectrogram: the frequency below which 99 % of V's total
 * lies, plus 10 %, rounded up to 500 Hz (so a piano recording is not drawn as a thin strip under 11 kHz of
 * nothing).
 */
export function displayMaxFrequency(V: Matrix, frequencies: Float64Array): number {
  const sums = new Float64Array(V.rows);
  let total = 0;
  for (let k = 0; k < V.rows; k++) {
    for (let n = 0; n < V.cols; n++) sums[k] = sums[k]! + V.data[k * V.cols + n]!;
    total += sums[k]!;
  }
  let k = 0;
  for (let acc = 0; k < V.rows - 1 && acc + sums[k]! < 0.99 * total; k++) acc += sums[k]!;
  const top = frequencies[frequencies.length - 1]!;
  return Math.min(top, Math.ceil((1.1 * frequencies[k]!) / 500) * 500);
}

/** What `factorize` writes to summary.json and prints with --json. */
export interface FactorizeSummary {
  readonly input: {
    readonly path: string;
    readonly format: string;
    readonly rows: number;
    readonly cols: number;
    readonly audio?: Record<string, number | string>;
    /** The files of --w, --h and --mask. */
    readonly W?: string;
    readonly H?: string;
    readonly mask?: string;
  };
  /** Set when Ctrl-C stopped the fit and --keep-partial wrote the factors reached. */
  readonly interrupted?: boolean;
  readonly options: Record<string, unknown>;
  readonly backend: string;
  readonly iterations: number;
  readonly converged: boolean;
  readonly stopReason: string;
  readonly spectralError: number;
  readonly frobeniusError: number;
  /** The objective (loss + penalties) of the returned factors. */
  readonly objective: number;
  readonly seed: number | null;
  readonly seconds: number;
  readonly outputs: Record<string, string>;
  readonly templates?: readonly TemplatePitch[];
}

interface Loaded {
  readonly V: Matrix;
  readonly format: string;
  readonly outFormat: MatrixFormat;
  readonly jsonForm?: 'rows' | 'shaped';
  readonly dtype?: NpyDtype;
  /** Where entry (i, j) of V is, for messages. */
  readonly locate: (i: number, j: number) => string;
  readonly frequencies?: Float64Array;
  readonly times?: Float64Array;
  readonly audio?: Record<string, number | string>;
}

async function load(path: string, flags: FactorizeFlags, read: ReadOptions): Promise<Loaded> {
  const format = formatOf(path);
  if (format === undefined)
    throw new InputError(`cannot tell the format of ${path} from its extension: use .csv, .tsv, .json, .npy or .wav`);
  if (format !== 'wav') {
    const file = await readMatrixFile(path, format, { ...read, allowNaN: flags.mask !== undefined });
    return {
      V: file.matrix,
      format,
      outFormat: flags.format ?? format,
      locate: file.locate,
      ...(file.jsonForm ? { jsonForm: file.jsonForm } : {}),
      ...(file.dtype ? { dtype: file.dtype } : {}),
    };
  }
  let wav;
  // readWav reads the whole file at once: a large one is announced (its bar fills when it has been read).
  const size = await stat(path).then(
    (info) => info.size,
    () => 0,
  );
  read.progress?.start(path, size);
  try {
    wav = await readWav(path);
    read.progress?.advance(size);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`cannot read ${path}: no such file`, { cause: error });
    if (code === 'EISDIR') throw new InputError(`cannot read ${path}: is a directory`, { cause: error });
    throw new InputError((error as Error).message, { cause: error });
  } finally {
    read.progress?.stop();
  }
  if (read.signal?.aborted) throw new CancelledError(`cancelled while reading ${path}`);
  try {
    const spec = stft(wav.samples, wav.sampleRate, { nFft: flags.nFft, hop: flags.hop ?? flags.nFft / 4, window: flags.window });
    const s = spectrogram(spec, { log: flags.log });
    return {
      V: s.V,
      format: 'wav',
      outFormat: flags.format ?? 'csv',
      locate: (i, j) => `frequency bin ${i + 1}, frame ${j + 1}`,
      frequencies: s.frequencies,
      times: s.times,
      audio: {
        sampleRate: wav.sampleRate,
        channels: wav.channels,
        bitDepth: wav.bitDepth,
        seconds: wav.duration,
        nFft: spec.nFft,
        hop: spec.hop,
        window: flags.window,
        log: flags.log,
      },
    };
  } catch (error) {
    throw new InputError(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The flags that make no sense together, before any file is read. */
function checkFlags(flags: FactorizeFlags): void {
  if (flags.rank === undefined && flags.w === undefined && flags.h === undefined)
    throw new UsageError("required option '-r, --rank <R>' not specified (it may be left out when --w or --h gives it)");
  if (flags.fixW && flags.w === undefined) throw new UsageError('--fix-w keeps the W of --w: give --w FILE');
  if (flags.fixH && flags.h === undefined) throw new UsageError('--fix-h keeps the H of --h: give --h FILE');
  if (flags.fixW && flags.fixH) throw new UsageError('--fix-w and --fix-h together would leave nothing to learn');
}

/** A matrix file given with --w, --h or --mask, read like V. */
async function readFactor(path: string, flag: string, role: string, read: ReadOptions): Promise<MatrixFile> {
  const format = formatOf(path);
  if (format === undefined || format === 'wav')
    throw new InputError(`${flag} ${path}: cannot tell its format from its extension: use .csv, .tsv, .json or .npy`);
  return readMatrixFile(path, format, { ...read, role, ...(flag === '--mask' ? { max: 1 } : {}) });
}

/** A matrix file's shape against the one V and the rank need, or an error naming the file. */
function checkShape(file: MatrixFile, path: string, role: string, rows: number, cols: number, why: string): void {
  const { matrix } = file;
  if (matrix.rows !== rows || matrix.cols !== cols)
    throw new InputError(`${path}: ${role} must be ${rows}×${cols} (${why}), got ${matrix.rows}×${matrix.cols}`);
}

/** The NaN entries of V (missing) must be where the mask is 0. */
function checkMissing(input: string, loaded: Loaded, maskPath: string, mask: MatrixFile): void {
  const { cols, data } = loaded.V;
  const k = data.findIndex((x, k) => Number.isNaN(x) && mask.matrix.data[k] !== 0);
  if (k < 0) return;
  const [i, j] = [Math.floor(k / cols), k % cols];
  throw new InputError(
    `${input}: ${loaded.locate(i, j)} is NaN (missing), but ${maskPath} ${mask.locate(i, j)} is ${mask.matrix.data[k]}, not 0: a missing entry needs mask 0`,
  );
}

/** Runs the command; throws InputError (exit 1), UsageError (exit 2) or CancelledError (exit 130). */
export async function factorize(
  input: string,
  flags: FactorizeFlags,
  progress: FitProgress,
  signal: AbortSignal,
): Promise<FactorizeSummary> {
  checkFlags(flags);
  const read: ReadOptions = { signal, ...(progress.reading ? { progress: progress.reading } : {}) };
  const loaded = await load(input, flags, read);
  const [K, N] = [loaded.V.rows, loaded.V.cols];
  const sources: Sources = { V: { path: input, locate: loaded.locate } };
  const W = flags.w === undefined ? undefined : await readFactor(flags.w, '--w', 'W', read);
  const H = flags.h === undefined ? undefined : await readFactor(flags.h, '--h', 'H', read);
  const mask = flags.mask === undefined ? undefined : await readFactor(flags.mask, '--mask', 'the mask', read);
  const rank = flags.rank ?? W?.matrix.cols ?? H!.matrix.rows;
  const rankFrom =
    flags.rank !== undefined ? 'the rank' : W ? `the rank, from the columns of ${flags.w}` : `the rank, from the rows of ${flags.h}`;
  if (W) {
    checkShape(W, flags.w!, 'W', K, rank, `the rows of V in ${input} × ${rankFrom}`);
    sources['options.W'] = { path: flags.w!, locate: W.locate };
  }
  if (H) {
    checkShape(H, flags.h!, 'H', rank, N, `${rankFrom} × the columns of V in ${input}`);
    sources['options.H'] = { path: flags.h!, locate: H.locate };
  }
  if (mask) {
    checkShape(mask, flags.mask!, 'the mask', K, N, `the shape of V in ${input}`);
    checkMissing(input, loaded, flags.mask!, mask);
    sources['options.mask'] = { path: flags.mask!, locate: mask.locate };
  }
  if (signal.aborted) throw new CancelledError('cancelled: interrupted before the fit');

  const options: Record<string, unknown> = { rank };
  for (const key of FIT_FLAGS) {
    if (flags[key] !== undefined) options[key] = flags[key];
  }
  if (flags.fixW) options.updateW = false;
  if (flags.fixH) options.updateH = false;
  const started = performance.now();
  let result: NmfResult;
  progress.start('factorize', flags.maxIter ?? 1000);
  // --keep-partial: Ctrl-C stops the fit through onIteration, which returns the factors of the last iteration;
  // without it, the signal aborts the fit, which rejects and leaves nothing to write.
  const report = progress.onIteration;
  const onIteration = flags.keepPartial
    ? (info: IterationInfo): boolean => {
        report?.(info);
        return !signal.aborted;
      }
    : report;
  try {
    result = await nmf(loaded.V, {
      ...(options as unknown as NmfOptions),
      ...(W ? { W: W.matrix } : {}),
      ...(H ? { H: H.matrix } : {}),
      ...(mask ? { mask: mask.matrix } : {}),
      ...(flags.keepPartial ? {} : { signal }),
      ...(onIteration ? { onIteration } : {}),
    });
  } catch (error) {
    if (isAbort(error)) throw new CancelledError('cancelled: the fit was interrupted', { cause: error });
    if (error instanceof TypeError || error instanceof RangeError) throw commandError(error, sources);
    throw error;
  } finally {
    progress.stop();
  }
  // A Ctrl-C that came after the fit had ended on its own stopped nothing.
  const interrupted = flags.keepPartial === true && signal.aborted && result.stopReason === 'callback';
  const seconds = (performance.now() - started) / 1000;

  const out = resolve(flags.out);
  await mkdir(out, { recursive: true });
  const ext = loaded.outFormat;
  const outputs: Record<string, string> = { W: join(out, `W.${ext}`), H: join(out, `H.${ext}`), summary: join(out, 'summary.json') };
  // Factors are not integers: .npy output is float32 for float32 input, float64 otherwise.
  const write: WriteOptions = {
    ...(loaded.jsonForm ? { jsonForm: loaded.jsonForm } : {}),
    ...(loaded.dtype === 'f4' ? { dtype: 'f4' } : {}),
  };
  await writeMatrixFile(outputs.W!, result.W, ext, write);
  await writeMatrixFile(outputs.H!, result.H, ext, write);

  const templates = loaded.frequencies ? estimateTemplatePitches(result.W, loaded.frequencies) : undefined;
  if (flags.figures && !interrupted) {
    outputs.factors = join(out, 'factors.png');
    outputs.errors = join(out, 'errors.png');
    await writeOutput(
      outputs.factors,
      renderFactorsFigure({
        V: loaded.V,
        W: result.W,
        H: result.H,
        ...(loaded.frequencies
          ? {
              frequencies: loaded.frequencies,
              times: loaded.times!,
              maxFrequency: flags.plotMaxFrequency ?? displayMaxFrequency(loaded.V, loaded.frequencies),
            }
          : {}),
        ...(templates ? { componentLabels: templates.map((t) => `${t.component}: ${t.harmonic ? t.name : 'no pitch'}`) } : {}),
        title: `nmfkit factorize ${input}: rank ${rank}, ${result.iterations} iterations (${result.stopReason}), ${result.backend}`,
      }),
    );
    await writeOutput(
      outputs.errors,
      renderErrorPlot([
        {
          title: `Changes per iteration (rank ${rank})`,
          series: [
            { label: '‖ΔH‖₂ (change of H)', values: result.hChange },
            { label: '‖ΔW‖₂ (change of W)', values: result.wChange },
          ],
          tol: flags.tol ?? 1e-3,
        },
      ]),
    );
  }

  const summary: FactorizeSummary = {
    input: {
      path: input,
      format: loaded.format,
      rows: loaded.V.rows,
      cols: loaded.V.cols,
      ...(loaded.audio ? { audio: loaded.audio } : {}),
      ...(flags.w === undefined ? {} : { W: flags.w }),
      ...(flags.h === undefined ? {} : { H: flags.h }),
      ...(flags.mask === undefined ? {} : { mask: flags.mask }),
    },
    ...(interrupted ? { interrupted } : {}),
    options,
    backend: result.backend,
    iterations: result.iterations,
    converged: result.converged,
    stopReason: interrupted ? 'interrupted' : result.stopReason,
    spectralError: result.spectralError,
    frobeniusError: result.frobeniusError,
    objective: result.objective,
    seed: result.seed,
    seconds,
    outputs,
    ...(templates ? { templates } : {}),
  };
  await writeOutput(outputs.summary!, `${JSON.stringify(summary, null, 2)}\n`);
  if (interrupted) {
    throw new CancelledError(
      `cancelled: interrupted after ${result.iterations} iteration${result.iterations === 1 ? '' : 's'}; --keep-partial wrote the factors reached to ${outputs.W} and ${outputs.H}`,
    );
  }
  return summary;
}
