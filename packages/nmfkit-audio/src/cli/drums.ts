/**
 * `nmfkit drums`: NMFD against plain NMF on the shipped drum pattern (examples/data/drums.*, PROVENANCE.md), scored
 * against the rendered stems. The setup is libnmfd's drum-separation demo, scaled to 22 050 Hz:
 *
 * 1. V = |STFT| of the mix (nFft 1024, hop 256, Hann: libnmfd's 2048 / 512 at 44.1 kHz).
 * 2. NMFD: three templates of T = 8 frames, initialised as libnmfd's 'drums' strategy (drumTemplates: NMFD with one
 *    component on single hits of each drum from another kit of the soundfont), activations all ones, 30 iterations.
 * 3. Plain NMF, the same rank 3 with the same divergence (KL), random start, to convergence (tol 1e-4, at most 1000
 *    iterations): the unsupervised baseline.
 * 4. Each model's components become α-Wiener masks (α = 1, libnmfd's demo) on the mix's STFT; the masked STFTs are
 *    inverted. The same masks from the stems' own magnitudes (the oracle Wiener mask) are the reference point.
 * 5. BSS-Eval v3 (bssEvalSources, 512 taps) scores each drum against its stem; estimates are matched to drums by
 *    the permutation of largest mean SIR, for every method alike (NMFD's templates keep their drum in practice;
 *    `permutation` in the summary says so).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nmf, nmfd, wienerMasks, type Matrix, type MatrixInput } from 'nmfkit';
import { bssEvalSources, siSdr } from '../audio/bss-eval.js';
import { drumTemplates } from '../audio/drums.js';
import { spectrogram } from '../audio/spectrogram.js';
import { inverse, stft, type Stft } from '../audio/stft.js';
import { readWav } from '../node.js';
import { DEMO_DATA } from './demo.js';
import { CancelledError, InputError, isAbort } from './errors.js';
import { writeOutput } from './output.js';
import { table } from './table.js';

export const DRUMS = ['kick', 'snare', 'hihat'] as const;
export const DRUM_SETTINGS = { nFft: 1024, hop: 256, templateFrames: 8, nmfdIterations: 30, alpha: 1, nmfTol: 1e-4, nmfMaxIter: 1000 };

export interface DrumsFlags {
  readonly out: string;
  /** Seed of plain NMF's random start (NMFD's start is the templates). */
  readonly seed: number;
  readonly backend?: 'auto' | 'native' | 'wasm';
}

export interface DrumScores {
  readonly method: string;
  /** Per drum, in DRUMS order, dB. */
  readonly sdr: number[];
  readonly sir: number[];
  readonly sar: number[];
  readonly siSdr: number[];
  /** The component (estimate) matched to each drum. */
  readonly permutation: number[];
}

export interface DrumsSummary {
  readonly input: {
    readonly mix: string;
    readonly stems: string[];
    readonly samples: string[];
    readonly seconds: number;
    readonly sampleRate: number;
  };
  readonly settings: typeof DRUM_SETTINGS & { readonly seed: number };
  readonly nmfd: { readonly iterations: number; readonly objective: number; readonly seconds: number; readonly backend: string };
  readonly nmf: { readonly iterations: number; readonly stopReason: string; readonly objective: number; readonly seconds: number };
  readonly scores: readonly DrumScores[];
  /** NMFD's SDR minus NMF's, per drum (dB). */
  readonly sdrGain: number[];
}

/** The masked STFTs, inverted: one signal per estimate. */
function separateWith(spec: Stft, estimates: readonly MatrixInput[], alpha: number): Float64Array[] {
  return wienerMasks(estimates, alpha).map((m) => {
    const re = spec.re.map((x, i) => x * m.data[i]!);
    const im = spec.im.map((x, i) => x * m.data[i]!);
    return inverse(spec, re, im, spec.length);
  });
}

function scoresOf(method: string, references: readonly Float64Array[], estimates: readonly Float64Array[]): DrumScores {
  const s = bssEvalSources(references, estimates);
  return { method, ...s, siSdr: references.map((r, j) => siSdr(r, estimates[s.permutation[j]!]!)) };
}

async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isAbort(error)) throw new CancelledError('cancelled: the fit was interrupted', { cause: error });
    throw error;
  }
}

/** Runs the drum demo, printing its report through `log`; writes summary.json into flags.out. */
export async function drums(flags: DrumsFlags, signal: AbortSignal, log: (line: string) => void): Promise<DrumsSummary> {
  const { nFft, hop, templateFrames, nmfdIterations, alpha, nmfTol, nmfMaxIter } = DRUM_SETTINGS;
  const path = (file: string): string => join(DEMO_DATA, file);
  const read = async (file: string): Promise<Float64Array> => {
    try {
      return (await readWav(path(file))).samples;
    } catch (error) {
      throw new InputError(`the drum demo's data is missing or unreadable (${path(file)}): ${(error as Error).message}`, { cause: error });
    }
  };
  const mixWav = await readWav(path('drums.wav'));
  const stems = await Promise.all(DRUMS.map((d) => read(`drums.${d}.wav`)));
  const samples = await Promise.all(DRUMS.map((d) => read(`drums.samples.${d}.wav`)));
  const rate = mixWav.sampleRate;
  const spec = stft(mixWav.samples, rate, { nFft, hop });
  const V = spectrogram(spec).V;
  const backend = flags.backend === undefined ? {} : { backend: flags.backend };
  log(
    `drums.wav: ${(mixWav.samples.length / rate).toFixed(2)} s at ${rate} Hz; V = |STFT|, ${V.rows} bins × ${V.cols} frames (nFft ${nFft}, hop ${hop}, Hann)`,
  );

  let t0 = performance.now();
  const templates = drumTemplates(samples, rate, { nFft, hop, templateFrames, ...backend });
  const convolutive = await guarded(() => nmfd(V, { W: templates, maxIter: nmfdIterations, signal, ...backend }));
  const nmfdSeconds = (performance.now() - t0) / 1000;
  log(
    `NMFD: ${DRUMS.length} templates × ${templateFrames} frames from the sample hits (libnmfd 'drums'), ${convolutive.iterations} iterations, ${nmfdSeconds.toFixed(2)} s`,
  );
  t0 = performance.now();
  const plain = await guarded(() =>
    nmf(V, { rank: DRUMS.length, loss: 'kl', seed: flags.seed, tol: nmfTol, stop: 'objective', maxIter: nmfMaxIter, signal, ...backend }),
  );
  const nmfSeconds = (performance.now() - t0) / 1000;
  log(
    `NMF (KL, rank ${DRUMS.length}, seed ${flags.seed}): ${plain.iterations} iterations (${plain.stopReason}), ${nmfSeconds.toFixed(2)} s`,
  );

  const components = (reconstruct: (r: number) => Matrix): Matrix[] => DRUMS.map((_, r) => reconstruct(r));
  const oracle = stems.map((s) => spectrogram(stft(s, rate, { nFft, hop })).V);
  const scores = [
    scoresOf(
      'NMFD, drum templates',
      stems,
      separateWith(
        spec,
        components((r) => convolutive.reconstruct(r)),
        alpha,
      ),
    ),
    scoresOf(
      'NMF, unsupervised',
      stems,
      separateWith(
        spec,
        components((r) => plain.reconstruct(r)),
        alpha,
      ),
    ),
    scoresOf('oracle Wiener mask', stems, separateWith(spec, oracle, alpha)),
  ];
  const sdrGain = DRUMS.map((_, j) => scores[0]!.sdr[j]! - scores[1]!.sdr[j]!);

  log('');
  log(`Separation against the rendered stems (BSS-Eval v3, dB; α-Wiener masks, α = ${alpha}):`);
  const rows = scores.flatMap((s) =>
    DRUMS.map((d, j) => [
      s.method,
      d,
      s.sdr[j]!.toFixed(1),
      s.sir[j]!.toFixed(1),
      s.sar[j]!.toFixed(1),
      s.siSdr[j]!.toFixed(1),
      String(s.permutation[j]),
    ]),
  );
  for (const line of table(['method', 'drum', 'SDR', 'SIR', 'SAR', 'SI-SDR', 'component'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r']))
    log(`  ${line}`);
  log(`  NMFD − NMF, SDR: ${DRUMS.map((d, j) => `${d} ${sdrGain[j]! >= 0 ? '+' : ''}${sdrGain[j]!.toFixed(1)} dB`).join(', ')}`);

  const summary: DrumsSummary = {
    input: {
      mix: 'drums.wav',
      stems: DRUMS.map((d) => `drums.${d}.wav`),
      samples: DRUMS.map((d) => `drums.samples.${d}.wav`),
      seconds: mixWav.samples.length / rate,
      sampleRate: rate,
    },
    settings: { ...DRUM_SETTINGS, seed: flags.seed },
    nmfd: { iterations: convolutive.iterations, objective: convolutive.objective, seconds: nmfdSeconds, backend: convolutive.backend },
    nmf: { iterations: plain.iterations, stopReason: plain.stopReason, objective: plain.objective, seconds: nmfSeconds },
    scores,
    sdrGain,
  };
  await mkdir(flags.out, { recursive: true });
  await writeOutput(join(flags.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  log('');
  log(`wrote ${join(flags.out, 'summary.json')}`);
  return summary;
}
