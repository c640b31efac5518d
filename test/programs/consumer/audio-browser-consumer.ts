// A browser consumer of nmfkit-audio's main entry (bundler resolution, DOM, no Node types): its declarations need
// nothing of Node's. Type-checked by test/packaging/packaging.test.ts; never run.
import { nmf, type NmfResult } from 'nmfkit';
import { describe } from 'nmfkit/validation';
import { decodeWav, encodeWav, separate, spectrogram, stft } from 'nmfkit-audio';

const bytes: Uint8Array = encodeWav(new Float32Array(1024), 8000);
const wav = decodeWav(bytes.buffer as ArrayBuffer);
const X = stft(wav.samples, wav.sampleRate, { nFft: 256 });
const fit: NmfResult = await nmf(spectrogram(X).V, { rank: 2 });
const { sources } = separate(X, fit.W, fit.H, [[0], [1]]);
const label: string = describe(sources);
export { label };
