// A consumer of nmfkit-audio beside nmfkit (test/packaging/packaging.test.ts): `node audio.mjs` factorizes the
// spectrogram of a 440 Hz tone read back from WAV bytes and reports the template's pitch, and renders a figure.
import { nmf } from 'nmfkit';
import { decodeWav, encodeWav, estimateTemplatePitches, spectrogram, stft } from 'nmfkit-audio';
import { renderFactorsFigure } from 'nmfkit-audio/figures';

const sampleRate = 8000;
const tone = Float64Array.from({ length: sampleRate }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / sampleRate));
const wav = decodeWav(encodeWav(tone, sampleRate, { bitDepth: '32f' }));
const S = spectrogram(stft(wav.samples, wav.sampleRate, { nFft: 1024, hop: 256 }));
const fit = await nmf(S.V, { rank: 1, seed: 1, maxIter: 200 });
const [pitch] = estimateTemplatePitches(fit.W, S.frequencies);
const png = renderFactorsFigure({ W: fit.W, H: fit.H, frequencies: S.frequencies, times: S.times, width: 400, height: 300 });
console.log(
  JSON.stringify({ name: pitch.name, frequency: pitch.frequency, pngBytes: png.length, pngSignature: Array.from(png.subarray(1, 4)) }),
);
