/**
 * Analysis windows for the STFT. All are periodic ("DFT-even") windows, as scipy's `get_window` and librosa
 * use for spectral analysis: w[n] = f(2πn / N) for n = 0 … N−1.
 */
import { checkChoice, checkCount, checkedLength } from 'nmfkit/validation';

/** The windows {@link windowFunction} knows. */
export type WindowName = 'hann' | 'hamming' | 'blackman' | 'rectangular';

export const WINDOW_NAMES: readonly WindowName[] = ['hann', 'hamming', 'blackman', 'rectangular'];

/** A periodic window of the given length as a fresh Float64Array. */
export function windowFunction(name: WindowName, length: number): Float64Array {
  checkChoice('name', name, WINDOW_NAMES);
  const w = new Float64Array(checkedLength('length', checkCount('length', length, true)));
  for (let n = 0; n < length; n++) {
    const phase = (2 * Math.PI * n) / length;
    switch (name) {
      case 'hann':
        w[n] = 0.5 - 0.5 * Math.cos(phase);
        break;
      case 'hamming':
        w[n] = 0.54 - 0.46 * Math.cos(phase);
        break;
      case 'blackman':
        w[n] = 0.42 - 0.5 * Math.cos(phase) + 0.08 * Math.cos(2 * phase);
        break;
      case 'rectangular':
        w[n] = 1;
        break;
    }
  }
  return w;
}
