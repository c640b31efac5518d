/**
 * The exports of 'nmfkit-audio' and 'nmfkit-audio/node' (src/audio/, src/node.ts) held to the fit's hostile-input
 * contract (./export-cases.ts): every argument and option refused with an error naming it, what a getter or proxy
 * trap throws turned into a TypeError naming what could not be read, each property read once, nothing modified;
 * then hostile values particular to audio (bytes, signals, STFT objects, notes, numbers that would never finish).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as entry from '../../src/index.js';
import * as node from '../../src/node.js';
import { describeExportCases, ones, type ExportCase } from './export-cases.js';
import { boom, MS, revokedProxy, throwingProxy } from '../../../../test/hostile/hostile-values.js';

/** The exports of 'nmfkit-audio' and 'nmfkit-audio/node'. */
const audio = { ...entry, ...node };

const scratch = mkdtempSync(join(tmpdir(), 'nmfkit-hostile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const WAV_PATH = join(scratch, 'in.wav');
const NOTES_PATH = join(scratch, 'notes.json');
const MIDI_PATH = new URL('../../examples/data/piano-scale.mid', import.meta.url).pathname;
const midiBytes = (): Uint8Array => new Uint8Array(readFileSync(MIDI_PATH));
const OUT_PATH = join(scratch, 'out.wav');
writeFileSync(WAV_PATH, audio.encodeWav([0, 0.5, -0.5, 0.25], 8000));
writeFileSync(NOTES_PATH, JSON.stringify([{ pitch: 69, onset: 0, offset: 0.5 }]));

const samples = (): number[] => Array.from({ length: 64 }, (_, i) => Math.sin(i / 3) / 2);
/** 9 bins × 17 frames. */
const spec = (): entry.Stft => audio.stft(samples(), 8000, { nFft: 16, hop: 4 });
const notes = (): entry.NoteEvent[] => [
  { pitch: 69, onset: 0, offset: 0.5 },
  { pitch: 57, onset: 0.2, offset: 0.6 },
];
const axis = (n: number, step: number): number[] => Array.from({ length: n }, (_, i) => i * step);

const CASES: Record<string, ExportCase> = {
  decodeWav: { args: () => [audio.encodeWav([0, 0.5], 8000), {}], params: ['bytes', 'options'], options: { index: 1, keys: ['channel'] } },
  encodeWav: { args: () => [samples(), 8000, {}], params: ['samples', 'sampleRate', 'options'], options: { index: 2, keys: ['bitDepth'] } },
  readWav: {
    args: () => [WAV_PATH, {}],
    params: ['path', 'options'],
    async: true,
    options: { index: 1, keys: ['channel'] },
    valid: { path: ['a string'] },
  },
  writeWav: {
    args: () => [OUT_PATH, samples(), 8000, {}],
    params: ['path', 'samples', 'sampleRate', 'options'],
    async: true,
    options: { index: 3, keys: ['bitDepth'] },
    valid: { path: ['a string'] },
  },
  windowFunction: { args: () => ['hann', 8], params: ['name', 'length'] },
  stft: {
    args: () => [samples(), 8000, { nFft: 16, hop: 4 }],
    params: ['signal', 'sampleRate', 'options'],
    options: { index: 2, keys: ['nFft', 'hop', 'window', 'center'] },
    valid: { 'options.center': ['true'] },
  },
  istft: { args: () => [spec(), {}], params: ['spec', 'options'], options: { index: 1, keys: ['length'] } },
  spectrogram: {
    args: () => [spec(), { log: 1 }],
    params: ['spec', 'options'],
    options: { index: 1, keys: ['kind', 'log', 'minFrequency', 'maxFrequency'] },
  },
  checkNotes: { args: () => ['notes', notes()], params: ['name', 'notes'], valid: { name: ['a string'] } },
  distinctPitches: { args: () => [notes()], params: ['notes'] },
  hzToMidi: { args: () => [440, 440], params: ['frequency', 'tuning'] },
  midiToHz: { args: () => [69, 440], params: ['pitch', 'tuning'] },
  pitchName: { args: () => [60], params: ['pitch'] },
  pianoRoll: { args: () => [notes(), [57, 69], axis(8, 0.1)], params: ['notes', 'pitches', 'times'] },
  readNotes: { args: () => [NOTES_PATH], params: ['path'], async: true, valid: { path: ['a string'] } },
  decodeMidi: {
    args: () => [midiBytes(), {}],
    params: ['bytes', 'options'],
    options: { index: 1, keys: ['drums'] },
    valid: { 'options.drums': ['true'] },
  },
  readMidi: {
    args: () => [MIDI_PATH, {}],
    params: ['path', 'options'],
    async: true,
    options: { index: 1, keys: ['drums'] },
    valid: { path: ['a string'], 'options.drums': ['true'] },
  },
  harmonicTemplate: { args: () => [axis(40, 50), 220, 0.05, () => undefined], params: ['frequencies', 'f0', 'tolerance', 'set'] },
  scoreInformedInit: {
    args: () => [notes(), { frequencies: axis(40, 50), times: axis(8, 0.1) }, {}],
    params: ['notes', 'axes', 'options'],
    options: { index: 2, keys: ['pitches', 'pitchTolerance', 'noteTolerance', 'onsets', 'onsetTolerance', 'onsetLevel', 'tuning'] },
    valid: { 'options.onsets': ['true'] },
  },
  separate: {
    args: () => [spec(), ones(9, 2), ones(2, 17), [[0]], {}],
    params: ['spec', 'W', 'H', 'groups', 'options'],
    options: { index: 4, keys: ['alpha', 'eps', 'masks'] },
    valid: { 'options.masks': ['true'] },
  },
  drumTemplates: {
    args: () => [[new Float64Array(2048).map((_, i) => Math.sin(i / 3))], 22050, { nFft: 256, hop: 64, templateFrames: 2, maxIter: 2 }],
    params: ['samples', 'sampleRate', 'options'],
    options: { index: 2, keys: ['nFft', 'hop', 'templateFrames', 'maxIter', 'seed', 'backend'] },
  },
  pitchedTemplates: {
    args: () => [[60, 64], 22050, 256, { templateFrames: 2, harmonics: 3, toleranceDown: 0.5, toleranceUp: 0.5 }],
    params: ['pitches', 'sampleRate', 'nFft', 'options'],
    options: { index: 3, keys: ['templateFrames', 'harmonics', 'toleranceDown', 'toleranceUp'] },
  },
  pitchedActivations: {
    args: () => [[{ pitch: 60, onset: 0.1, offset: 0.3 }], 20, 0.02, { tolerance: 0.01 }],
    params: ['notes', 'frames', 'timeResolution', 'options'],
    options: { index: 3, keys: ['tolerance'] },
  },
  drumActivations: {
    args: () => [[{ drum: 1, time: 0.1 }], 2, 20, 0.02, { decay: 0.5 }],
    params: ['hits', 'drums', 'frames', 'timeResolution', 'options'],
    options: { index: 4, keys: ['decay'] },
  },
  softMasks: {
    args: () => [ones(9, 2), ones(2, 17), [[0], [1]], {}],
    params: ['W', 'H', 'groups', 'options'],
    options: { index: 3, keys: ['alpha', 'eps'] },
  },
  estimateTemplatePitches: {
    args: () => [ones(40, 2), axis(40, 50), { resolution: 50 }],
    params: ['W', 'frequencies', 'options'],
    options: {
      index: 2,
      keys: ['minPitch', 'maxPitch', 'resolution', 'harmonics', 'lobe', 'spread', 'refineHarmonics', 'tuning', 'minSalience'],
    },
  },
  activationNotes: {
    args: () => [ones(2, 8), [69, null], axis(8, 0.1), {}],
    params: ['H', 'componentPitches', 'times', 'options'],
    options: { index: 3, keys: ['threshold', 'minDuration'] },
  },
  evaluateNotes: {
    args: () => [notes(), notes(), {}],
    params: ['estimated', 'reference', 'options'],
    options: { index: 2, keys: ['onsetTolerance'] },
  },
  bssEvalSources: {
    args: () => [
      [samples(), samples().map((v, i) => v * i)],
      [samples().map((v) => -v), samples().map((v, i) => v + i)],
      { filterLength: 4 },
    ],
    params: ['references', 'estimates', 'options'],
    options: { index: 2, keys: ['filterLength', 'permutation'] },
    valid: { 'options.permutation': ['true'] },
  },
  siSdr: {
    args: () => [
      [1, 0, -1, 0.5],
      [1, 0.1, -1, 0.5],
    ],
    params: ['reference', 'estimate'],
  },
  evaluateActivations: {
    args: () => [ones(2, 8), [69, null], notes(), axis(8, 0.1), {}],
    params: ['H', 'componentPitches', 'notes', 'times', 'options'],
    options: { index: 4, keys: ['threshold'] },
  },
};

describeExportCases('audio exports: every argument, every hostile value', audio, CASES);

describe('audio exports: specific hostile values', () => {
  const fails = async (f: () => unknown, message: RegExp, kind: typeof TypeError | typeof RangeError = TypeError): Promise<void> => {
    let error: unknown;
    try {
      await f();
    } catch (e) {
      error = e;
    }
    expect(error, String(message)).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
  };

  it('bytes: typed arrays by their internal type, detached buffers, Buffers', async () => {
    const wav = audio.encodeWav([0, 0.5], 8000);
    expect(audio.decodeWav(Buffer.from(wav)).samples.length).toBe(2);
    expect(audio.decodeWav((wav.buffer as ArrayBuffer).slice(wav.byteOffset, wav.byteOffset + wav.byteLength)).samples.length).toBe(2);
    await fails(() => audio.decodeWav(new Proxy(wav, {}) as never), /^bytes must be a Uint8Array/);
    await fails(
      () => audio.decodeWav(Object.setPrototypeOf(new Int8Array(wav), Uint8Array.prototype) as never),
      /^bytes must be a Uint8Array.*got a Int8Array/,
    );
    const detached = wav.slice();
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    await fails(() => audio.decodeWav(detached), /^bytes is a Uint8Array whose buffer has been detached/);
    const buffer = wav.slice().buffer;
    structuredClone(buffer, { transfer: [buffer] });
    await fails(() => audio.decodeWav(buffer), /^bytes is an ArrayBuffer that has been detached/);
    await fails(() => audio.decodeWav(wav, { channel: 'left' } as never), /^options\.channel must be 'mix' or a channel index/);
    // readWav checks its options before it touches the file system.
    await fails(() => audio.readWav('/nonexistent/x.wav', { channels: 1 } as never), /^unknown option options\.channels/);
  });

  it('signals and axes: entries that throw, holes, huge sparse arrays, proxies of typed arrays', async () => {
    const getter = samples();
    Object.defineProperty(getter, 2, { get: boom('entry') });
    await fails(() => audio.stft(getter, 8000, { nFft: 16 }), /^signal\[2\] could not be read: Error: hostile entry/);
    await fails(() => audio.stft([0, , 1] as number[], 8000, { nFft: 4 }), /^signal\[1\] must be a number, got undefined/); // eslint-disable-line no-sparse-arrays
    await fails(() => audio.stft(new Proxy(new Float64Array(64), {}), 8000), /^signal must be a Float64Array, Float32Array or number\[\]/);
    await fails(
      () => audio.stft(samples(), 8000, { nFft: 16, window: throwingProxy(new Array(16).fill(1)) }),
      /^options\.window\.length could not be read/,
    );
    const started = performance.now();
    await fails(() => audio.encodeWav(new Array(2 ** 31 - 1), 8000), /^samples\[0\] must be a number, got undefined|^samples is too large/);
    await fails(
      () => audio.scoreInformedInit(notes(), { frequencies: new Array(2 ** 30), times: [0] }),
      /^axes\.frequencies\[0\] must be a number|^axes\.frequencies is too large/,
    );
    expect(performance.now() - started).toBeLessThan(1000 * MS);
    await fails(
      () => audio.scoreInformedInit(notes(), Object.defineProperty({ times: [0] }, 'frequencies', { get: boom('axis') }) as never),
      /^axes\.frequencies could not be read: Error: hostile axis/,
    );
    await fails(() => audio.estimateTemplatePitches(ones(3, 1), [0, 20, 10]), /^frequencies must be strictly increasing/, RangeError);
    // A whole Spectrogram is a valid `axes`: only its two axes are read.
    const s = audio.spectrogram(audio.stft(samples(), 8000, { nFft: 64, hop: 16 }));
    expect(audio.scoreInformedInit(notes(), s).W.rows).toBe(s.V.rows);
  });

  it('STFT objects: fields that throw, arrays that are not what stft() returns, detached arrays', async () => {
    const good = spec();
    await fails(
      () => audio.istft(Object.defineProperty({ ...good }, 're', { get: boom('re'), enumerable: true })),
      /^spec\.re could not be read: Error: hostile re/,
    );
    await fails(() => audio.istft({ ...good, re: new Proxy(good.re, {}) }), /^spec\.re must be a Float64Array/);
    await fails(() => audio.istft({ ...good, im: Array.from(good.im) as never }), /^spec\.im must be a Float64Array/);
    const detached = good.re.slice();
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    await fails(() => audio.istft({ ...good, re: detached }), /^spec\.re is a Float64Array whose buffer has been detached/);
    await fails(() => audio.spectrogram({ ...good, frequencies: [1, 2] as never }), /^spec\.frequencies must be a Float64Array/);
    await fails(() => audio.istft(good, { length: 2 ** 31 }), /^options\.length must be an integer in \[0, 2\^31 - 1\]/, RangeError);
    // A window whose iterator is the caller's: not used.
    const window = good.window.slice();
    Object.defineProperty(window, Symbol.iterator, { get: boom('iterator') });
    expect(audio.istft({ ...good, window }).length).toBe(64);
  });

  it('notes, pitches, groups and component pitches: entries that throw or are not what they should be', async () => {
    const onset = Object.defineProperty({ pitch: 60, offset: 1 }, 'onset', { get: boom('onset'), enumerable: true });
    await fails(() => audio.distinctPitches([onset] as never), /^notes\[0\]\.onset could not be read: Error: hostile onset/);
    await fails(() => audio.checkNotes('score', [revokedProxy()]), /^score\[0\]\.pitch could not be read/);
    await fails(
      () => audio.checkNotes('score', [{ pitch: 60, onset: 0, offset: 1, velocity: '64' }]),
      /^score\[0\]\.velocity must be a number/,
    );
    await fails(() => audio.pianoRoll(notes(), [60, 60], [0]), /^pitches\[1\] = 60 repeats an earlier pitch/, RangeError);
    await fails(
      () => audio.scoreInformedInit(notes(), { frequencies: axis(40, 50), times: [0] }, { pitches: new Array(2 ** 30) }),
      /^options\.pitches has 1073741824 entries/,
      RangeError,
    );
    const group = [0, 1];
    Object.defineProperty(group, 1, { get: boom('member') });
    await fails(() => audio.softMasks(ones(9, 2), ones(2, 17), [group]), /^groups\[0\]\[1\] could not be read: Error: hostile member/);
    await fails(() => audio.softMasks(ones(9, 2), ones(2, 17), [throwingProxy([0])]), /^groups\[0\]\.length could not be read/);
    await fails(
      () => audio.softMasks(ones(9, 2), ones(2, 17), new Array(2 ** 30)),
      /^groups has 1073741824 groups, more than W's 2 components/,
      RangeError,
    );
    await fails(
      () =>
        audio.softMasks(
          { rows: 100000, cols: 1, data: new Float64Array(100000) },
          { rows: 1, cols: 100000, data: new Float64Array(100000) },
          [[0]],
        ),
      /^the masks \(rows of W × columns of H\) is too large/,
      RangeError,
    );
    const pitches = [69, null];
    Object.defineProperty(pitches, 1, { get: boom('pitch') });
    await fails(
      () => audio.evaluateActivations(ones(2, 8), pitches, notes(), axis(8, 0.1)),
      /^componentPitches\[1\] could not be read: Error: hostile pitch/,
    );
    await fails(
      () => audio.evaluateActivations(ones(2, 8), [69, '57'] as never, notes(), axis(8, 0.1)),
      /^componentPitches\[1\] must be a MIDI pitch or null/,
    );
  });

  it('numbers that would never finish: a tolerance of 1, a fundamental of 1e-300, a million harmonics', async () => {
    const started = performance.now();
    await fails(() => audio.harmonicTemplate(axis(40, 50), 220, 1, () => undefined), /^tolerance must be in \[0, 0\.5\]/, RangeError);
    await fails(
      () => audio.harmonicTemplate(axis(40, 50), 1e-300, 0.05, () => undefined),
      /^frequencies up to 1950 Hz and f0 = 1e-300 Hz span .* harmonics/,
      RangeError,
    );
    await fails(
      () => audio.scoreInformedInit(notes(), { frequencies: [0, 1e300], times: [0] }),
      /^axes\.frequencies up to 1e\+300 Hz/,
      RangeError,
    );
    await fails(
      () => audio.estimateTemplatePitches(ones(40, 1), axis(40, 50), { harmonics: 2 ** 31 - 1 }),
      /^options\.harmonics must be at most 1000/,
      RangeError,
    );
    expect(performance.now() - started).toBeLessThan(1000 * MS);
    // What the caller's own callback throws is its own.
    const own = new Error('the caller’s own');
    expect(() =>
      audio.harmonicTemplate(axis(40, 50), 220, 0.05, () => {
        throw own;
      }),
    ).toThrow(own);
  });

  it('pitch arithmetic refuses what has no pitch', async () => {
    await fails(() => audio.hzToMidi(0), /^frequency must be a finite number > 0, got 0/, RangeError);
    await fails(() => audio.pitchName(NaN), /^pitch must be a finite number, got NaN/, RangeError);
    await fails(() => audio.midiToHz(69, -440), /^tuning must be a finite number > 0/, RangeError);
    await fails(() => audio.windowFunction('kaiser' as never, 8), /^name must be one of 'hann'/, RangeError);
  });
});
