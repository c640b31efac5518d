/**
 * Drum templates for NMFD, as libnmfd's 'drums' initialisation makes them (Dittmar & Müller 2016): for each drum
 * class, the magnitude spectrogram of its sample recordings (concatenated) is decomposed by NMFD with one
 * component, and the learned K×T template, unit sum, is that class's initial template. The samples should come
 * from a kit other than the recording's (libnmfd ships its own), or the initialisation is told the answer.
 */
import { nmfdSync, type Matrix } from 'nmfkit';
import { checkCount, rangeError, readList } from 'nmfkit/validation';
import { checkOptions, checkPositive, toSignal, type SignalData } from './signal.js';
import { spectrogram } from './spectrogram.js';
import { stft } from './stft.js';

/** Options of {@link drumTemplates}. */
export interface DrumTemplateOptions {
  /** STFT length of the spectrograms, as of the recording the templates are for. Default 2048. */
  readonly nFft?: number;
  /** Hop size. Default nFft/4. */
  readonly hop?: number;
  /** T, frames of each template. Default 8 (libnmfd's). */
  readonly templateFrames?: number;
  /** NMFD iterations per class. Default 30 (libnmfd's). */
  readonly maxIter?: number;
  /** Seed of the random start of each class's template. Default 0. */
  readonly seed?: number;
  readonly backend?: 'auto' | 'native' | 'wasm';
}

/** One K×T template (unit sum) per entry of `samples`: each a drum class's sample recordings, concatenated. */
export function drumTemplates(samples: readonly SignalData[], sampleRate: number, options?: DrumTemplateOptions): Matrix[] {
  const list = readList('samples', samples, 'an array of signals, one per drum class', 64, (n) => `samples has ${n} classes, more than 64`);
  if (list.length === 0) throw rangeError('NMFKIT_INVALID_VALUE', 'samples must hold at least one signal');
  const signals = list.map((s, i) => toSignal(`samples[${i}]`, s));
  const rate = checkPositive('sampleRate', sampleRate);
  const o = checkOptions('options', options, ['nFft', 'hop', 'templateFrames', 'maxIter', 'seed', 'backend']);
  const nFft = o.nFft === undefined ? 2048 : checkCount('options.nFft', o.nFft);
  const hop = o.hop === undefined ? nFft / 4 : checkCount('options.hop', o.hop);
  return signals.map((signal) => {
    const A = spectrogram(stft(signal, rate, { nFft, hop })).V;
    const fit = nmfdSync(A, {
      rank: 1,
      ...(o.templateFrames === undefined ? {} : { templateFrames: o.templateFrames as number }),
      maxIter: o.maxIter === undefined ? 30 : (o.maxIter as number),
      seed: o.seed === undefined ? 0 : (o.seed as number),
      ...(o.backend === undefined ? {} : { backend: o.backend as 'auto' | 'native' | 'wasm' }),
    });
    return fit.W[0]!;
  });
}
