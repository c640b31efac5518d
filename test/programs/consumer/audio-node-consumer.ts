// A Node consumer of nmfkit-audio's installed declarations beside nmfkit's (nodenext), type-checked by
// test/packaging/packaging.test.ts; never run.
import { nmf, type Matrix } from 'nmfkit';
import { checkCount, toMatrix } from 'nmfkit/validation';
import { spectrogram, stft, type DecodedWav, type Stft } from 'nmfkit-audio';
import { readNotes, readWav, writeWav } from 'nmfkit-audio/node';
import { renderFactorsFigure } from 'nmfkit-audio/figures';

const wav: DecodedWav = await readWav('in.wav', { channel: 'mix' });
const X: Stft = stft(wav.samples, wav.sampleRate, { nFft: 2048, hop: checkCount('hop', 512) });
const S = spectrogram(X, { log: 1 });
const V: Matrix = toMatrix('V', S.V);
const fit = await nmf(V, { rank: (await readNotes('notes.json')).length });
const png: Uint8Array = renderFactorsFigure({ W: fit.W, H: fit.H });
await writeWav('out.wav', wav.samples, wav.sampleRate, { bitDepth: '24' });
// @ts-expect-error the file functions are nmfkit-audio/node's
import('nmfkit-audio').then((m) => m.readWav);
export { png };
