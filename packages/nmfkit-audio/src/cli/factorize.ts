/**
 * `nmfkit factorize INPUT --rank R`: reads a matrix (CSV, TSV, JSON, .npy) or a WAV file (turned into a
 * log-compressed magnitude spectrogram), factorizes it with `nmf`, and writes W and H, a JSON summary and the
 * figures into the output folder.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { nmf, type Matrix, type NmfOptions, type NmfResult } from 'nmfkit';
import { stft } from '../audio/stft.js';
import { spectrogram } from '../audio/spectrogram.js';
import { estimateTemplatePitches, type TemplatePitch } from '../audio/pitch.js';
import type { WindowName } from '../audio/window.js';
import { renderErrorPlot } from '../figures/errors.js';
import { renderFactorsFigure } from '../figures/factors.js';
import { readWav } from '../node.js';
import { CancelledError, InputError, isAbort } from './errors.js';
import { FIT_FLAGS } from './fit-flags.js';
import { formatOf, readMatrixFile, writeMatrixFile, type MatrixFormat } from './matrix-io.js';
import { writeOutput } from './output.js';
import type { FitProgress } from './progress.js';

/** The flags of `factorize`, as parsed by the command line. */
export interface FactorizeFlags {
  readonly rank: number;
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
  };
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
  readonly dtype?: 'f4' | 'f8';
  readonly frequencies?: Float64Array;
  readonly times?: Float64Array;
  readonly audio?: Record<string, number | string>;
}

async function load(path: string, flags: FactorizeFlags): Promise<Loaded> {
  const format = formatOf(path);
  if (format === undefined)
    throw new InputError(`cannot tell the format of ${path} from its extension: use .csv, .tsv, .json, .npy or .wav`);
  if (format !== 'wav') {
    const file = await readMatrixFile(path, format);
    return {
      V: file.matrix,
      format,
      outFormat: flags.format ?? format,
      ...(file.jsonForm ? { jsonForm: file.jsonForm } : {}),
      ...(file.dtype ? { dtype: file.dtype } : {}),
    };
  }
  let wav;
  try {
    wav = await readWav(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`cannot read ${path}: no such file`, { cause: error });
    throw new InputError((error as Error).message, { cause: error });
  }
  try {
    const spec = stft(wav.samples, wav.sampleRate, { nFft: flags.nFft, hop: flags.hop ?? flags.nFft / 4, window: flags.window });
    const s = spectrogram(spec, { log: flags.log });
    return {
      V: s.V,
      format: 'wav',
      outFormat: flags.format ?? 'csv',
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

/** Runs the command; throws InputError (exit 1) or CancelledError (exit 130). */
export async function factorize(
  input: string,
  flags: FactorizeFlags,
  progress: FitProgress,
  signal: AbortSignal,
): Promise<FactorizeSummary> {
  const loaded = await load(input, flags);
  const options: Record<string, unknown> = { rank: flags.rank };
  for (const key of FIT_FLAGS) {
    if (flags[key] !== undefined) options[key] = flags[key];
  }
  const started = performance.now();
  let result: NmfResult;
  progress.start('factorize', flags.maxIter ?? 1000);
  try {
    result = await nmf(loaded.V, {
      ...(options as unknown as NmfOptions),
      signal,
      ...(progress.onIteration ? { onIteration: progress.onIteration } : {}),
    });
  } catch (error) {
    if (isAbort(error)) throw new CancelledError('cancelled: the fit was interrupted', { cause: error });
    if (error instanceof TypeError || error instanceof RangeError) throw new InputError(`${input}: ${error.message}`, { cause: error });
    throw error;
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;

  const out = resolve(flags.out);
  await mkdir(out, { recursive: true });
  const ext = loaded.outFormat;
  const outputs: Record<string, string> = { W: join(out, `W.${ext}`), H: join(out, `H.${ext}`), summary: join(out, 'summary.json') };
  const write = { ...(loaded.jsonForm ? { jsonForm: loaded.jsonForm } : {}), ...(loaded.dtype ? { dtype: loaded.dtype } : {}) };
  await writeMatrixFile(outputs.W!, result.W, ext, write);
  await writeMatrixFile(outputs.H!, result.H, ext, write);

  const templates = loaded.frequencies ? estimateTemplatePitches(result.W, loaded.frequencies) : undefined;
  if (flags.figures) {
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
        title: `nmfkit factorize ${input}: rank ${flags.rank}, ${result.iterations} iterations (${result.stopReason}), ${result.backend}`,
      }),
    );
    await writeOutput(
      outputs.errors,
      renderErrorPlot([
        {
          title: `Changes per iteration (rank ${flags.rank})`,
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
    },
    options,
    backend: result.backend,
    iterations: result.iterations,
    converged: result.converged,
    stopReason: result.stopReason,
    spectralError: result.spectralError,
    frobeniusError: result.frobeniusError,
    objective: result.objective,
    seed: result.seed,
    seconds,
    outputs,
    ...(templates ? { templates } : {}),
  };
  await writeOutput(outputs.summary!, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
