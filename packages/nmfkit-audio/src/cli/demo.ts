/**
 * `nmfkit demo`: the showcase on the piano recording shipped in `examples/data/` (a C-major scale C4–C5 up and
 * down, then the chords C–E–G, F–A–C, G–B–D; see examples/data/PROVENANCE.md).
 *
 * 1. STFT with the FMP notebooks' settings (Hann window, nFft 2048, hop 512 at 22 050 Hz), V = log(1 + |X|).
 * 2. Unsupervised NMF with one component per distinct pitch of the recording (9), seed 0; each template's
 *    fundamental is estimated and compared with the pitches of the note list.
 * 3. Score-informed NMF (FMP Sect. 8.3.2, the model with onset templates): W0 and H0 from the note list with
 *    libfmp's default tolerances; the activations are scored against the notes at frame level (threshold rule in
 *    src/audio/evaluate.ts).
 * 4. Separation of the top note C5 with its score-informed components (soft mask, α = 1), written as WAV.
 * 5. Figures (PNG) and a summary.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo, nmf, type FactorArray, type Matrix, type NmfOptions, type NmfResult } from 'nmfkit';
import { evaluateActivations } from '../audio/evaluate.js';
import { distinctPitches, pitchName, type NoteEvent } from '../audio/notes.js';
import { estimateTemplatePitches, type TemplatePitch } from '../audio/pitch.js';
import { scoreInformedInit } from '../audio/score.js';
import { separate } from '../audio/separate.js';
import { spectrogram } from '../audio/spectrogram.js';
import { stft } from '../audio/stft.js';
import { encodeWav } from '../audio/wav.js';
import { renderErrorPlot } from '../figures/errors.js';
import { renderFactorsFigure } from '../figures/factors.js';
import { renderActivationComparison } from '../figures/pianoroll.js';
import { readNotes, readWav } from '../node.js';
import { CancelledError, InputError, isAbort } from './errors.js';
import type { FitProgress } from './progress.js';
import { formatCents } from './format.js';
import { table } from './table.js';
import { writeOutput } from './output.js';

/** The recording and its note list, shipped with the package. */
export const DEMO_DATA = fileURLToPath(new URL('../../examples/data/', import.meta.url));
export const DEMO_WAV = join(DEMO_DATA, 'piano-scale.wav');
export const DEMO_NOTES = join(DEMO_DATA, 'piano-scale.notes.json');

/** The demo's fixed analysis settings (the FMP notebooks' choices). */
export const DEMO_SETTINGS = { nFft: 2048, hop: 512, log: 1, threshold: 0.2, separatePitch: 72, displayMaxFrequency: 2000 } as const;

export interface DemoFlags {
  readonly out: string;
  readonly maxIter: number;
  readonly seed: number;
  readonly backend?: 'auto' | 'native' | 'wasm';
  readonly figures: boolean;
}

export interface DemoSummary {
  readonly data: { readonly wav: string; readonly notes: string; readonly seconds: number; readonly sampleRate: number };
  readonly spectrogram: { readonly nFft: number; readonly hop: number; readonly log: number; readonly rows: number; readonly cols: number };
  readonly backend: string;
  readonly blas: string | null;
  readonly unsupervised: {
    readonly rank: number;
    readonly seed: number;
    readonly iterations: number;
    readonly stopReason: string;
    readonly seconds: number;
    readonly templates: readonly TemplatePitch[];
    readonly pitchesFound: readonly string[];
    readonly pitchesMissed: readonly string[];
  };
  readonly scoreInformed: {
    readonly components: number;
    readonly iterations: number;
    readonly stopReason: string;
    readonly seconds: number;
    readonly threshold: number;
    readonly precision: number;
    readonly recall: number;
    readonly fMeasure: number;
  };
  readonly separation: {
    readonly pitch: string;
    readonly components: readonly number[];
    /** Fraction of the separated signal's energy inside the note spans of that pitch (onset to offset + 0.1 s). */
    readonly energyInNotes: number;
    /** The same fraction for the mixture: what a separation that does nothing would score. */
    readonly mixtureEnergyInNotes: number;
  };
  readonly outputs: Record<string, string>;
  readonly seconds: number;
}

/** Fraction of a signal's energy inside the given time spans. */
export function energyFraction(signal: Float64Array, sampleRate: number, spans: readonly (readonly [number, number])[]): number {
  let inside = 0;
  let total = 0;
  for (let i = 0; i < signal.length; i++) {
    const e = signal[i]! * signal[i]!;
    total += e;
    const t = i / sampleRate;
    if (spans.some(([a, b]) => t >= a && t < b)) inside += e;
  }
  return total === 0 ? 0 : inside / total;
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

/** Runs the demo, printing progress lines through `log`. */
export async function demo(
  flags: DemoFlags,
  progress: FitProgress,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<DemoSummary> {
  const started = performance.now();
  let wav;
  let notes: NoteEvent[];
  try {
    wav = await readWav(DEMO_WAV);
    notes = await readNotes(DEMO_NOTES);
  } catch (error) {
    throw new InputError(`the demo data is missing or unreadable (${DEMO_DATA}): ${(error as Error).message}`, { cause: error });
  }
  const { nFft, hop, log: gamma, threshold, separatePitch, displayMaxFrequency } = DEMO_SETTINGS;
  const spec = stft(wav.samples, wav.sampleRate, { nFft, hop });
  const s = spectrogram(spec, { log: gamma });
  log(
    `piano-scale.wav: ${wav.duration.toFixed(1)} s at ${wav.sampleRate} Hz, ${notes.length} notes; V = log(1 + |STFT|), ${s.V.rows} bins × ${s.V.cols} frames (nFft ${nFft}, hop ${hop}, Hann)`,
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

  // 2. Unsupervised NMF, one component per distinct pitch.
  const pitches = distinctPitches(notes);
  const unsupervised = await fit('unsupervised', s.V, {
    rank: pitches.length,
    seed: flags.seed,
    maxIter: flags.maxIter,
    normalize: 'max',
    ...backend,
  });
  const templates = estimateTemplatePitches(unsupervised.result.W, s.frequencies);
  const found = new Set(templates.map((t) => t.midi));
  const pitchesFound = pitches.filter((p) => found.has(p)).map(pitchName);
  const pitchesMissed = pitches.filter((p) => !found.has(p)).map(pitchName);
  log('');
  log(
    `Unsupervised NMF, rank ${pitches.length} (one per distinct pitch), seed ${flags.seed}: ${unsupervised.result.iterations} iterations (${unsupervised.result.stopReason}), ${unsupervised.seconds.toFixed(2)} s`,
  );
  const byPitch = [...templates].sort((a, b) => (a.frequency || 0) - (b.frequency || 0));
  const rows = byPitch.map((t) => [String(t.component), t.frequency.toFixed(1), t.name, formatCents(t.cents), t.salience.toFixed(2)]);
  for (const line of table(['template', 'f0 (Hz)', 'pitch', 'cents', 'salience'], rows, ['r', 'r', 'l', 'r', 'r'])) log(`  ${line}`);
  log(
    `  note-list pitches found: ${pitchesFound.length}/${pitches.length} (${pitchesFound.join(' ')})${pitchesMissed.length ? `; missed: ${pitchesMissed.join(' ')}` : ''}`,
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
  const componentPitches = init.components.map((c) => (c.kind === 'pitch' ? c.pitch : null));
  const evaluation = evaluateActivations(informed.result.H, componentPitches, notes, s.times, { threshold });
  log('');
  log(
    `Score-informed NMF, ${init.W.cols} components (a harmonic and an onset template per pitch): ${informed.result.iterations} iterations (${informed.result.stopReason}), ${informed.seconds.toFixed(2)} s`,
  );
  log(
    `  frame-level activations vs note list (active ⇔ H ≥ ${threshold} × the pitch's maximum): P = ${evaluation.precision.toFixed(3)}, R = ${evaluation.recall.toFixed(3)}, F = ${evaluation.fMeasure.toFixed(3)}`,
  );

  // 4. Separation of one pitch.
  const group = init.components.filter((c) => c.pitch === separatePitch).map((c) => c.index);
  const separation = separate(spec, informed.result.W, informed.result.H, [group]);
  const spans = notes.filter((n) => n.pitch === separatePitch).map((n) => [n.onset, n.offset + 0.1] as const);
  const energyInNotes = energyFraction(separation.sources[0]!.signal, wav.sampleRate, spans);
  const mixtureEnergyInNotes = energyFraction(wav.samples, wav.sampleRate, spans);
  log(
    `  separated ${pitchName(separatePitch)}: ${(100 * energyInNotes).toFixed(1)}% of its energy lies within its notes (+0.1 s), against ${(100 * mixtureEnergyInNotes).toFixed(1)}% for the mixture`,
  );

  // 5. Outputs.
  const out = resolve(flags.out);
  await mkdir(out, { recursive: true });
  const outputs: Record<string, string> = {
    separated: join(out, `${pitchName(separatePitch).replace('♯', 's')}.wav`),
    residual: join(out, 'residual.wav'),
    summary: join(out, 'summary.json'),
  };
  await writeOutput(outputs.separated!, encodeWav(separation.sources[0]!.signal, wav.sampleRate));
  await writeOutput(outputs.residual!, encodeWav(separation.residual.signal, wav.sampleRate));
  if (flags.figures) {
    const common = { V: s.V, frequencies: s.frequencies, times: s.times, maxFrequency: displayMaxFrequency } as const;
    const order = byPitch.map((t) => t.component);
    const sorted = permute(unsupervised.result.W, unsupervised.result.H, order);
    outputs.unsupervised = join(out, 'unsupervised-nmf.png');
    await writeOutput(
      outputs.unsupervised,
      renderFactorsFigure({
        ...common,
        W: sorted.W,
        H: sorted.H,
        componentLabels: byPitch.map((t) => t.name),
        componentAxis: 'Estimated pitch of the template',
        title: `Unsupervised NMF of log(1 + |X|), rank ${pitches.length}, seed ${flags.seed} (templates sorted by estimated pitch)`,
      }),
    );
    outputs.init = join(out, 'score-informed-init.png');
    await writeOutput(
      outputs.init,
      renderFactorsFigure({
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
    outputs.informed = join(out, 'score-informed-nmf.png');
    await writeOutput(
      outputs.informed,
      renderFactorsFigure({
        ...common,
        W: informed.result.W,
        H: informed.result.H,
        componentLabels: init.components.map((c) => c.label),
        componentAxis: 'Pitch',
        title: `Score-informed NMF of log(1 + |X|), ${init.W.cols} components`,
      }),
    );
    outputs.evaluation = join(out, 'activations-vs-notes.png');
    await writeOutput(
      outputs.evaluation,
      renderActivationComparison({
        ...evaluation,
        times: s.times,
        labels: evaluation.pitches.map(pitchName),
      }),
    );
    outputs.errors = join(out, 'errors.png');
    await writeOutput(
      outputs.errors,
      renderErrorPlot([
        {
          title: `Unsupervised NMF (rank ${pitches.length})`,
          series: [
            { label: '‖ΔH‖₂ (change of H)', values: unsupervised.result.hChange },
            { label: '‖ΔW‖₂ (change of W)', values: unsupervised.result.wChange },
          ],
          tol: 1e-3,
        },
        {
          title: `Score-informed NMF (${init.W.cols} components)`,
          series: [
            { label: '‖ΔH‖₂ (change of H)', values: informed.result.hChange },
            { label: '‖ΔW‖₂ (change of W)', values: informed.result.wChange },
          ],
          tol: 1e-3,
        },
      ]),
    );
  }

  const info = backendInfo();
  const blas = info.native.loaded
    ? `${info.native.blas.vendor} ${info.native.blas.version}, ${info.native.blas.threads} thread${info.native.blas.threads === 1 ? '' : 's'}`
    : null;
  const seconds = (performance.now() - started) / 1000;
  const summary: DemoSummary = {
    data: { wav: DEMO_WAV, notes: DEMO_NOTES, seconds: wav.duration, sampleRate: wav.sampleRate },
    spectrogram: { nFft, hop, log: gamma, rows: s.V.rows, cols: s.V.cols },
    backend: informed.result.backend,
    blas: informed.result.backend === 'native' ? blas : null,
    unsupervised: {
      rank: pitches.length,
      seed: flags.seed,
      iterations: unsupervised.result.iterations,
      stopReason: unsupervised.result.stopReason,
      seconds: unsupervised.seconds,
      templates,
      pitchesFound,
      pitchesMissed,
    },
    scoreInformed: {
      components: init.W.cols,
      iterations: informed.result.iterations,
      stopReason: informed.result.stopReason,
      seconds: informed.seconds,
      threshold,
      precision: evaluation.precision,
      recall: evaluation.recall,
      fMeasure: evaluation.fMeasure,
    },
    separation: { pitch: pitchName(separatePitch), components: group, energyInNotes, mixtureEnergyInNotes },
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
