/**
 * `nmfkit demo`: the showcase on the piano recording shipped in `examples/data/` (a C-major scale C4–C5 up and
 * down, then the chords C–E–G, F–A–C, G–B–D; see examples/data/PROVENANCE.md), or on the user's recording and
 * score (`--audio`, `--score`: a MIDI file or a JSON note list).
 *
 * 1. STFT with the FMP notebooks' settings (Hann window, nFft 2048, hop 512 at 22 050 Hz), V = log(1 + |X|).
 * 2. Unsupervised NMF with one component per distinct pitch of the score, seed 0; each template's fundamental is
 *    estimated; templates of salience below MIN_PITCH_SALIENCE get no pitch.
 * 3. Score-informed NMF (FMP Sect. 8.3.2, the model with onset templates): W0 and H0 from the note list with
 *    libfmp's default tolerances.
 * 4. Transcription scores against the note list (frame level, threshold rule in src/audio/evaluate.ts; note level,
 *    onsets within 50 ms) for the score-informed fit, its initialisation alone and the unsupervised fit.
 * 5. Separation of one pitch (C5 by default) from the rest with soft masks (α = 1), scored against the ground
 *    truth (the rendered C5 stem; `--truth` for the user's) with BSS-Eval v3 and SI-SDR, for the score-informed
 *    fit, the unsupervised fit grouped by estimated pitch, the initialisation alone, the ideal ratio mask (upper
 *    bound) and the unseparated mixture.
 * 6. Figures and a summary (summary.json).
 */
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo, nmf, type FactorArray, type Matrix, type NmfOptions, type NmfResult } from 'nmfkit';
import { evaluateActivations } from '../audio/evaluate.js';
import { distinctPitches, pitchName, type NoteEvent } from '../audio/notes.js';
import { estimateTemplatePitches, MIN_PITCH_SALIENCE, type TemplatePitch } from '../audio/pitch.js';
import { scoreInformedInit } from '../audio/score.js';
import { spectrogram } from '../audio/spectrogram.js';
import { stft } from '../audio/stft.js';
import { encodeWav, type DecodedWav } from '../audio/wav.js';
import type { FigureFormat } from '../figures/format.js';
import { renderErrorPlot, type ErrorPlotPanel } from '../figures/errors.js';
import { renderFactorsFigure } from '../figures/factors.js';
import { decibelRange, renderHeatmapRow } from '../figures/heatmap.js';
import { renderActivationComparison } from '../figures/pianoroll.js';
import { readMidi, readNotes, readWav } from '../node.js';
import {
  idealRatioMask,
  nmfSeparation,
  scoreSeparation,
  scoreTranscription,
  type SeparationResult,
  type TranscriptionResult,
} from './demo-scores.js';
import { CancelledError, InputError, isAbort, UsageError } from './errors.js';
import type { FitProgress } from './progress.js';
import { formatCents } from './format.js';
import { table } from './table.js';
import { writeOutput } from './output.js';

/** The recording and its note list, shipped with the package. */
export const DEMO_DATA = fileURLToPath(new URL('../../examples/data/', import.meta.url));
export const DEMO_WAV = join(DEMO_DATA, 'piano-scale.wav');
export const DEMO_NOTES = join(DEMO_DATA, 'piano-scale.notes.json');
/** Dynamic range of the separation figure's spectrograms. */
const SEPARATION_FIGURE_DB = 80;

/** The ground truth of the separation: the recording's C5 notes alone (scripts/render-stems.mjs). */
export const DEMO_TRUTH = join(DEMO_DATA, 'piano-scale.C5.wav');

/** The demo's fixed analysis settings (the FMP notebooks' choices). */
export const DEMO_SETTINGS = {
  nFft: 2048,
  hop: 512,
  log: 1,
  threshold: 0.2,
  onsetTolerance: 0.05,
  separatePitch: 72,
  displayMaxFrequency: 2000,
} as const;

export interface DemoFlags {
  readonly out: string;
  readonly maxIter: number;
  readonly seed: number;
  readonly backend?: 'auto' | 'native' | 'wasm';
  readonly figures: boolean;
  /** A WAV file to analyse instead of the shipped recording (with `score`). */
  readonly audio?: string;
  /** Its note list: a MIDI file (.mid, .midi) or a JSON note list. */
  readonly score?: string;
  /** MIDI pitch to separate. Default: C5 (72) for the shipped recording, the score's highest pitch otherwise. */
  readonly target?: number;
  /** A WAV file of the target pitch's notes alone (the ground truth); the shipped recording has one for C5. */
  readonly truth?: string;
}

export interface DemoSummary {
  readonly data: {
    readonly wav: string;
    readonly notes: string;
    readonly truth: string | null;
    readonly seconds: number;
    readonly sampleRate: number;
  };
  readonly spectrogram: { readonly nFft: number; readonly hop: number; readonly log: number; readonly rows: number; readonly cols: number };
  readonly backend: string;
  readonly blas: string | null;
  readonly unsupervised: {
    readonly rank: number;
    readonly seed: number;
    readonly iterations: number;
    readonly stopReason: string;
    readonly seconds: number;
    /** Templates whose salience is below this have no pitch (`harmonic: false`). */
    readonly minSalience: number;
    readonly templates: readonly TemplatePitch[];
    readonly pitchesFound: readonly string[];
    readonly pitchesMissed: readonly string[];
  };
  readonly scoreInformed: {
    readonly components: number;
    readonly iterations: number;
    readonly stopReason: string;
    readonly seconds: number;
  };
  /** Activations against the note list, per method. */
  readonly transcription: {
    readonly threshold: number;
    readonly onsetTolerance: number;
    readonly results: readonly TranscriptionResult[];
  };
  /** The target pitch against the rest, per method, scored against the ground truth (null without one). */
  readonly separation: {
    readonly pitch: string;
    readonly components: readonly number[];
    readonly measures: string;
    readonly results: readonly SeparationResult[] | null;
  };
  readonly outputs: Record<string, string>;
  readonly seconds: number;
}

/** Columns of W and rows of H in a new order. */
function permute(W: Matrix<FactorArray>, H: Matrix<FactorArray>, order: readonly number[]): { W: Matrix; H: Matrix } {
  const K = W.rows;
  const R = W.cols;
  const N = H.cols;
  const w = new Float64Array(K * R);
  const h = new Float64Array(R * N);
  order.forEach((from, to) => {
    for (let k = 0; k < K; k++) w[k * R + to] = W.data[k * R + from]!;
    h.set(H.data.subarray(from * N, (from + 1) * N), to * N);
  });
  return { W: { rows: K, cols: R, data: w }, H: { rows: R, cols: N, data: h } };
}

/** The input: the shipped recording and its data, or the user's files. */
async function readInput(flags: DemoFlags): Promise<{
  wav: DecodedWav;
  notes: NoteEvent[];
  paths: { wav: string; notes: string; truth: string | null };
  target: number;
  truth: Float64Array | null;
}> {
  if ((flags.audio === undefined) !== (flags.score === undefined))
    throw new UsageError('--audio and --score go together: a recording and its score');
  const own = flags.audio !== undefined;
  const wavPath = flags.audio ?? DEMO_WAV;
  const notesPath = flags.score ?? DEMO_NOTES;
  let wav: DecodedWav;
  let notes: NoteEvent[];
  try {
    wav = await readWav(wavPath);
    notes = /\.midi?$/i.test(notesPath) ? await readMidi(notesPath) : await readNotes(notesPath);
  } catch (error) {
    if (!own) throw new InputError(`the demo data is missing or unreadable (${DEMO_DATA}): ${(error as Error).message}`, { cause: error });
    throw new InputError((error as Error).message, { cause: error });
  }
  if (notes.length === 0) throw new InputError(`${notesPath} holds no notes`);
  const pitches = distinctPitches(notes);
  const target = flags.target ?? (own ? pitches[pitches.length - 1]! : DEMO_SETTINGS.separatePitch);
  if (!pitches.includes(target)) {
    throw new InputError(`--target ${pitchName(target)} is not a pitch of ${notesPath} (${pitches.map(pitchName).join(' ')})`);
  }
  const truthPath = flags.truth ?? (!own && target === DEMO_SETTINGS.separatePitch ? DEMO_TRUTH : null);
  let truth: Float64Array | null = null;
  if (truthPath !== null) {
    let stem: DecodedWav;
    try {
      stem = await readWav(truthPath);
    } catch (error) {
      throw new InputError((error as Error).message, { cause: error });
    }
    if (stem.sampleRate !== wav.sampleRate) {
      throw new InputError(
        `${truthPath} has ${stem.sampleRate} Hz, ${wavPath} ${wav.sampleRate} Hz: the ground truth must have the recording's rate`,
      );
    }
    // Cut or padded with silence to the recording's length.
    truth = new Float64Array(wav.samples.length);
    truth.set(stem.samples.subarray(0, truth.length));
    // Both references of the separation must sound: the target alone, and the recording without it.
    if (truth.every((v) => v === 0))
      throw new InputError(`${truthPath} is silent over the recording's length: it cannot be a ground truth`);
    if (truth.every((v, i) => v === wav.samples[i])) {
      throw new InputError(`${truthPath} is the whole recording: the rest (the recording minus it) would be silent`);
    }
  }
  return { wav, notes, paths: { wav: wavPath, notes: notesPath, truth: truthPath }, target, truth };
}

/** Runs the demo, printing progress lines through `log`. */
export async function demo(
  flags: DemoFlags,
  progress: FitProgress,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<DemoSummary> {
  const started = performance.now();
  const { wav, notes, paths, target, truth } = await readInput(flags);
  const { nFft, hop, log: gamma, threshold, onsetTolerance, displayMaxFrequency } = DEMO_SETTINGS;
  const spec = stft(wav.samples, wav.sampleRate, { nFft, hop });
  const s = spectrogram(spec, { log: gamma });
  log(
    `${basename(paths.wav)}: ${wav.duration.toFixed(1)} s at ${wav.sampleRate} Hz, ${notes.length} notes; V = log(1 + |STFT|), ${s.V.rows} bins × ${s.V.cols} frames (nFft ${nFft}, hop ${hop}, Hann)`,
  );

  const fit = async (label: string, V: Matrix, options: NmfOptions): Promise<{ result: NmfResult; seconds: number }> => {
    const t0 = performance.now();
    progress.start(label, options.maxIter ?? 1000);
    try {
      const result = await nmf(V, { ...options, signal, ...(progress.onIteration ? { onIteration: progress.onIteration } : {}) });
      return { result, seconds: (performance.now() - t0) / 1000 };
    } catch (error) {
      if (isAbort(error)) throw new CancelledError('cancelled: the fit was interrupted', { cause: error });
      if (error instanceof TypeError || error instanceof RangeError) throw new InputError(error.message, { cause: error });
      throw error;
    } finally {
      progress.stop();
    }
  };
  const backend = flags.backend === undefined ? {} : { backend: flags.backend };

  // 2. Unsupervised NMF, one component per distinct pitch; templates below the salience threshold get no pitch.
  const pitches = distinctPitches(notes);
  const unsupervised = await fit('unsupervised', s.V, {
    rank: pitches.length,
    seed: flags.seed,
    maxIter: flags.maxIter,
    normalize: 'max',
    ...backend,
  });
  const templates = estimateTemplatePitches(unsupervised.result.W, s.frequencies);
  const found = new Set(templates.filter((t) => t.harmonic).map((t) => t.midi));
  const pitchesFound = pitches.filter((p) => found.has(p)).map(pitchName);
  const pitchesMissed = pitches.filter((p) => !found.has(p)).map(pitchName);
  log('');
  log(
    `Unsupervised NMF, rank ${pitches.length} (one per distinct pitch), seed ${flags.seed}: ${unsupervised.result.iterations} iterations (${unsupervised.result.stopReason}), ${unsupervised.seconds.toFixed(2)} s`,
  );
  const byPitch = [...templates].sort((a, b) => (a.frequency || 0) - (b.frequency || 0));
  const templateLabel = (t: TemplatePitch): string => (t.harmonic ? t.name : 'no pitch');
  const rows = byPitch.map((t) => [
    String(t.component),
    t.frequency.toFixed(1),
    templateLabel(t),
    formatCents(t.cents),
    t.salience.toFixed(2),
  ]);
  for (const line of table(['template', 'f0 (Hz)', 'pitch', 'cents', 'salience'], rows, ['r', 'r', 'l', 'r', 'r'])) log(`  ${line}`);
  log(
    `  note-list pitches found: ${pitchesFound.length}/${pitches.length} (${pitchesFound.join(' ')})${pitchesMissed.length ? `; missed: ${pitchesMissed.join(' ')}` : ''}; salience < ${MIN_PITCH_SALIENCE}: no pitch`,
  );

  // 3. Score-informed NMF with onset templates.
  const init = scoreInformedInit(notes, s, { onsets: true });
  const informed = await fit('score-informed', s.V, {
    rank: init.W.cols,
    W: init.W,
    H: init.H,
    maxIter: flags.maxIter,
    normalize: 'max',
    ...backend,
  });
  log('');
  log(
    `Score-informed NMF, ${init.W.cols} components (a harmonic and an onset template per pitch): ${informed.result.iterations} iterations (${informed.result.stopReason}), ${informed.seconds.toFixed(2)} s`,
  );

  // 4. Transcription: activations against the note list. The score-informed model and its initialisation were
  // built from that same list, so they measure how well the fit keeps to it; the unsupervised row is blind.
  const informedPitches = init.components.map((c) => (c.kind === 'pitch' ? c.pitch : null));
  const unsupervisedPitches = templates.map((t) => (t.harmonic ? t.midi : null));
  const transcription = [
    scoreTranscription('score-informed NMF', 'harmonic components', informed.result.H, informedPitches, notes, s.times, threshold),
    scoreTranscription(
      'initialisation alone (H₀)',
      'the note list widened by its tolerances',
      init.H,
      informedPitches,
      notes,
      s.times,
      threshold,
    ),
    scoreTranscription(
      'unsupervised NMF',
      'templates by estimated pitch',
      unsupervised.result.H,
      unsupervisedPitches,
      notes,
      s.times,
      threshold,
    ),
  ];
  log('');
  log(
    `Transcription against the note list (frame: active ⇔ H ≥ ${threshold} × the pitch's maximum; note: onsets within ${1000 * onsetTolerance} ms). The first two rows start from this note list:`,
  );
  const transcriptionRows = transcription.map((r) => [
    r.method,
    r.frame.precision.toFixed(3),
    r.frame.recall.toFixed(3),
    r.frame.fMeasure.toFixed(3),
    r.note.precision.toFixed(3),
    r.note.recall.toFixed(3),
    r.note.fMeasure.toFixed(3),
  ]);
  for (const line of table(['method', 'frame P', 'R', 'F', 'note P', 'R', 'F'], transcriptionRows, ['l', 'r', 'r', 'r', 'r', 'r', 'r'])) {
    log(`  ${line}`);
  }

  // 5. Separation of the target pitch from the rest, against the ground truth.
  const group = init.components.filter((c) => c.pitch === target).map((c) => c.index);
  const informedSources = nmfSeparation(spec, informed.result.W, informed.result.H, group);
  const targetName = pitchName(target);
  let separationResults: SeparationResult[] | null = null;
  log('');
  if (truth === null) {
    log(`Separation of ${targetName}: no ground truth (--truth), so no scores`);
  } else {
    const rest = wav.samples.map((v, i) => v - truth[i]!);
    const references = [truth, rest] as const;
    const result = (method: string, detail: string, estimates: [Float64Array, Float64Array] | null): SeparationResult => {
      if (estimates === null) return { method, detail, target: null, rest: null };
      // A silent estimate (a mask of zeros) has no BSS-Eval decomposition: no scores, and the reason.
      const silent = estimates.findIndex((e) => e.every((v) => v === 0));
      if (silent >= 0)
        return { method, detail: `${detail}; its ${silent === 0 ? targetName : 'rest'} estimate is silent`, target: null, rest: null };
      return { method, detail, ...scoreSeparation(references, estimates) };
    };
    const unsupervisedGroup = templates.filter((t) => t.harmonic && t.midi === target).map((t) => t.component);
    separationResults = [
      result('score-informed NMF', `components ${group.join(', ')}`, informedSources),
      result(
        'unsupervised NMF',
        unsupervisedGroup.length
          ? `templates estimated at ${targetName}: ${unsupervisedGroup.join(', ')}`
          : `no template estimated at ${targetName}`,
        unsupervisedGroup.length ? nmfSeparation(spec, unsupervised.result.W, unsupervised.result.H, unsupervisedGroup) : null,
      ),
      result('initialisation alone (W₀, H₀)', `components ${group.join(', ')}, no iterations`, nmfSeparation(spec, init.W, init.H, group)),
      result('ideal ratio mask (upper bound)', 'masks from the true sources', idealRatioMask(spec, truth, rest)),
      result('mixture (no separation)', 'the recording as both estimates', [wav.samples, wav.samples]),
    ];
    log(
      `Separation of ${targetName} (its ${notes.filter((n) => n.pitch === target).length} notes) from the rest, against the ground truth ${basename(paths.truth!)}:`,
    );
    log('  BSS-Eval v3 (512-tap filter; each estimate with its reference) and SI-SDR over the whole recording, in dB');
    // Above 100 dB a ratio only measures rounding (the mixture's artifacts are 0 up to it).
    const cell = (v: number | undefined): string => (v === undefined ? '–' : v > 100 ? '>100' : v.toFixed(1));
    const separationRows = separationResults.map((r) => [
      r.method,
      cell(r.target?.sdr),
      cell(r.target?.sir),
      cell(r.target?.sar),
      cell(r.target?.siSdr),
      cell(r.rest?.sdr),
      cell(r.rest?.sir),
      cell(r.rest?.sar),
      cell(r.rest?.siSdr),
    ]);
    const headers = ['method', `${targetName} SDR`, 'SIR', 'SAR', 'SI-SDR', 'rest SDR', 'SIR', 'SAR', 'SI-SDR'];
    for (const line of table(headers, separationRows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'])) log(`  ${line}`);
  }

  // 6. Outputs.
  const out = resolve(flags.out);
  await mkdir(out, { recursive: true });
  const outputs: Record<string, string> = {
    separated: join(out, `${targetName.replace('♯', 's')}.wav`),
    residual: join(out, 'residual.wav'),
    summary: join(out, 'summary.json'),
  };
  await writeOutput(outputs.separated!, encodeWav(informedSources[0], wav.sampleRate));
  await writeOutput(outputs.residual!, encodeWav(informedSources[1], wav.sampleRate));
  if (flags.figures) {
    // Every figure as PNG and as SVG (the same drawing).
    const figure = async (key: string, name: string, render: (format: FigureFormat) => Buffer): Promise<void> => {
      outputs[key] = join(out, `${name}.png`);
      outputs[`${key}Svg`] = join(out, `${name}.svg`);
      await writeOutput(outputs[key]!, render('png'));
      await writeOutput(outputs[`${key}Svg`]!, render('svg'));
    };
    const common = { V: s.V, frequencies: s.frequencies, times: s.times, maxFrequency: displayMaxFrequency, sharedScale: true } as const;
    const order = byPitch.map((t) => t.component);
    const sorted = permute(unsupervised.result.W, unsupervised.result.H, order);
    await figure('unsupervised', 'unsupervised-nmf', (format) =>
      renderFactorsFigure({
        ...common,
        format,
        W: sorted.W,
        H: sorted.H,
        componentLabels: byPitch.map(templateLabel),
        componentAxis: 'Estimated pitch of the template',
        title: `Unsupervised NMF of log(1 + |X|), rank ${pitches.length}, seed ${flags.seed} (templates sorted by estimated f0; salience < ${MIN_PITCH_SALIENCE}: no pitch)`,
      }),
    );
    await figure('init', 'score-informed-init', (format) =>
      renderFactorsFigure({
        format,
        W: init.W,
        H: init.H,
        frequencies: s.frequencies,
        times: s.times,
        maxFrequency: displayMaxFrequency,
        showProduct: false,
        componentLabels: init.components.map((c) => c.label),
        componentAxis: 'Pitch',
        titles: { W: 'W₀ (harmonic and onset templates)', H: 'H₀ (activation masks)' },
        title: 'Score-informed initialisation: the zeros stay zero under multiplicative updates',
        width: 1240,
      }),
    );
    await figure('informed', 'score-informed-nmf', (format) =>
      renderFactorsFigure({
        ...common,
        format,
        W: informed.result.W,
        H: informed.result.H,
        componentLabels: init.components.map((c) => c.label),
        componentAxis: 'Pitch',
        title: `Score-informed NMF of log(1 + |X|), ${init.W.cols} components (W·H and V on one colour scale)`,
      }),
    );
    const evaluation = evaluateActivations(informed.result.H, informedPitches, notes, s.times, { threshold });
    await figure('evaluation', 'activations-vs-notes', (format) =>
      renderActivationComparison({ ...evaluation, times: s.times, labels: evaluation.pitches.map(pitchName), format }),
    );
    // The separated pitch beside the mixture (and the truth): magnitude spectrograms in dB on a log-frequency axis.
    const magnitudes = (x: Float64Array): Matrix => spectrogram(stft(x, wav.sampleRate, { nFft, hop })).V;
    const panels = [
      { title: 'Mixture |X|', signal: wav.samples },
      ...(truth ? [{ title: `${targetName} alone (ground truth)`, signal: truth }] : []),
      { title: `${targetName}, score-informed NMF`, signal: informedSources[0] },
    ].map((p) => ({ title: p.title, matrix: magnitudes(p.signal) }));
    const range = decibelRange(
      panels.map((p) => p.matrix.data),
      SEPARATION_FIGURE_DB,
    );
    const frequencyAxis = { label: 'Frequency (Hz)', centres: s.frequencies, limit: [50, 8000], scale: 'log' } as const;
    await figure('separation', 'separation', (format) =>
      renderHeatmapRow(
        panels.map((p) => ({
          ...p,
          title: `${p.title} (dB)`,
          x: { label: 'Time (seconds)', centres: s.times },
          y: frequencyAxis,
          decibels: SEPARATION_FIGURE_DB,
          range,
        })),
        {
          format,
          suptitle: `Separation of ${targetName}: magnitude spectrograms in dB (${SEPARATION_FIGURE_DB} dB below the loudest, one scale), log-frequency axis`,
        },
      ),
    );
    const history = (result: NmfResult, label: string): ErrorPlotPanel => ({
      title: `${label}: objective`,
      series: [
        {
          label: '½‖V − WH‖²_F',
          values: result.objectiveHistory.values,
          iterations: Float64Array.from(result.objectiveHistory.iterations),
        },
      ],
      yLabel: 'Objective',
    });
    const changes = (result: NmfResult, label: string): ErrorPlotPanel => ({
      title: `${label}: changes`,
      series: [
        { label: '‖ΔH‖₂ (change of H)', values: result.hChange },
        { label: '‖ΔW‖₂ (change of W)', values: result.wChange },
      ],
      tol: 1e-3,
    });
    const unsupervisedLabel = `Unsupervised NMF (rank ${pitches.length})`;
    const informedLabel = `Score-informed NMF (${init.W.cols} components)`;
    await figure('errors', 'errors', (format) =>
      renderErrorPlot(
        [
          changes(unsupervised.result, unsupervisedLabel),
          changes(informed.result, informedLabel),
          history(unsupervised.result, unsupervisedLabel),
          history(informed.result, informedLabel),
        ],
        { columns: 2, format },
      ),
    );
  }

  const info = backendInfo();
  const blas = info.native.loaded
    ? `${info.native.blas.vendor} ${info.native.blas.version}, ${info.native.blas.threads} thread${info.native.blas.threads === 1 ? '' : 's'}`
    : null;
  const seconds = (performance.now() - started) / 1000;
  const summary: DemoSummary = {
    data: { wav: paths.wav, notes: paths.notes, truth: paths.truth, seconds: wav.duration, sampleRate: wav.sampleRate },
    spectrogram: { nFft, hop, log: gamma, rows: s.V.rows, cols: s.V.cols },
    backend: informed.result.backend,
    blas: informed.result.backend === 'native' ? blas : null,
    unsupervised: {
      rank: pitches.length,
      seed: flags.seed,
      iterations: unsupervised.result.iterations,
      stopReason: unsupervised.result.stopReason,
      seconds: unsupervised.seconds,
      minSalience: MIN_PITCH_SALIENCE,
      templates,
      pitchesFound,
      pitchesMissed,
    },
    scoreInformed: {
      components: init.W.cols,
      iterations: informed.result.iterations,
      stopReason: informed.result.stopReason,
      seconds: informed.seconds,
    },
    transcription: { threshold, onsetTolerance, results: transcription },
    separation: {
      pitch: targetName,
      components: group,
      measures:
        'BSS-Eval v3 bss_eval_sources (512-tap distortion filter, each estimate paired with its reference) and SI-SDR, in dB, over the whole recording; references: the ground truth and the recording minus it',
      results: separationResults,
    },
    outputs,
    seconds,
  };
  await writeOutput(outputs.summary!, `${JSON.stringify(summary, null, 2)}\n`);
  log('');
  log(`backend ${summary.backend}${summary.blas ? ` (${summary.blas})` : ''}; total ${seconds.toFixed(2)} s`);
  log(
    `wrote ${Object.values(outputs)
      .map((p) => p.replace(`${out}/`, ''))
      .join(', ')} to ${out}`,
  );
  return summary;
}
