/**
 * Writes the seed corpora of the JavaScript fuzz targets (fuzz/corpus/{csv,json,npy,mtx,wav}/seed-*): small files of
 * every form each reader takes — and a few it refuses — so that mutation starts from every branch of the parsers.
 * WAV seeds are encoded by wavefile itself (every bit depth and codec nmfkit-audio decodes, mono and stereo,
 * WAVE_FORMAT_EXTENSIBLE), .npy seeds by npyjs and by hand (Fortran order, 1-D and 3-D, other dtypes).
 *   node fuzz/js/make-seeds.mjs
 * It replaces the files it writes (seed-*), leaving findings (regress-*) alone.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';
import { dump } from 'npyjs';

const corpus = fileURLToPath(new URL('../corpus/', import.meta.url));
const text = (s) => new TextEncoder().encode(s);

const csv = {
  'plain.csv': '1,2,3\n4,5,6\n',
  'crlf-comment.csv': '# V\r\n0.5,1e-3\r\n\r\n2,3\r\n',
  'quoted.csv': '"1","2"\n" 3 ",4\n',
  'tabs.tsv': '1\t2\t3\n4\t5\t6\n',
  'one.csv': '7',
  'header.csv': 'a,b\n1,2\n',
  'ragged.csv': '1,2\n3\n',
  'not-finite.csv': '1,NaN\n1e999,2\n',
  'wide.csv': `${Array.from({ length: 40 }, (_, i) => i / 8).join(',')}\n`,
};
const mtx = {
  'real.mtx': '%%MatrixMarket matrix coordinate real general\n% c\n2 3 3\n1 1 0.5\n2 1 1e-3\n1 3 2\n',
  'pattern.mtx': '%%MatrixMarket matrix coordinate pattern general\n3 2 2\n2 1\n3 2\n',
  'integer-rows.mtx': '%%MatrixMarket matrix coordinate integer general\n2 2 3\n1 1 4\n1 2 5\n2 2 6\n',
  'unsorted.mtx': '%%MatrixMarket matrix coordinate real general\n2 2 2\n1 2 1\n1 1 1\n',
  'truncated.mtx': '%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n',
  'array.mtx': '%%MatrixMarket matrix array real general\n2 1\n1\n2\n',
};
const json = {
  'rows.json': '[[1,2,3],[4,5,6]]',
  'shaped.json': '{"rows":2,"cols":2,"data":[1,0.5,0,3]}',
  'ragged.json': '[[1,2],[3]]',
  'shape-mismatch.json': '{"rows":3,"cols":2,"data":[1,2]}',
  'strings.json': '[["1",2]]',
  'nested.json': '[[[1]]]',
  'huge-number.json': '[[1e999,1]]',
  'empty.json': '[]',
};
const npyHeader = (header, version = 1) => {
  let h = header;
  const prefix = version === 1 ? 10 : 12;
  h += ' '.repeat((64 - ((prefix + h.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(prefix + h.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, h.length, true);
  else view.setUint32(8, h.length, true);
  out.set(text(h), prefix);
  return out;
};
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const f64 = (...xs) => new Uint8Array(Float64Array.from(xs).buffer);
const npy = {
  'f8.npy': new Uint8Array(dump(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3])),
  'f4.npy': new Uint8Array(dump(Float32Array.from([0.5, 1, 2, 4]), [2, 2])),
  'fortran.npy': concat(npyHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }"), f64(1, 4, 2, 5, 3, 6)),
  'version2.npy': concat(npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", 2), f64(1, 2)),
  '1d.npy': concat(npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"), f64(1, 2, 3)),
  '3d.npy': concat(npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2), }"), f64(1, 2)),
  'big-endian.npy': concat(npyHeader("{'descr': '>f8', 'fortran_order': False, 'shape': (1, 1), }"), f64(1)),
  'int.npy': concat(npyHeader("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }"), new Uint8Array(8)),
  'short-data.npy': concat(npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"), f64(1)),
  'nan.npy': concat(npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }"), f64(NaN, Infinity)),
};

const { WaveFile } = wavefile;
const tone = (n, scale) => Array.from({ length: n }, (_, i) => Math.round(Math.sin(i / 3) * scale));
function wav(channels, rate, depth, samples, convert) {
  const w = new WaveFile();
  w.fromScratch(channels, rate, depth, samples);
  if (convert) convert(w);
  return w.toBuffer();
}
const floats = Array.from({ length: 24 }, (_, i) => Math.sin(i / 3) / 2);
const wavs = {
  'pcm8.wav': wav(
    1,
    8000,
    '8',
    tone(24, 100).map((x) => x + 128),
  ),
  'pcm16.wav': wav(1, 8000, '16', tone(24, 20000)),
  'pcm24.wav': wav(1, 8000, '24', tone(24, 2 ** 22)),
  'pcm32.wav': wav(1, 8000, '32', tone(24, 2 ** 30)),
  'float32.wav': wav(1, 8000, '32f', floats),
  'float64.wav': wav(1, 8000, '64', floats),
  'stereo16.wav': wav(2, 44100, '16', [tone(12, 1000), tone(12, 3000)]),
  'alaw.wav': wav(1, 8000, '16', tone(24, 20000), (w) => w.toALaw()),
  'mulaw.wav': wav(1, 8000, '16', tone(24, 20000), (w) => w.toMuLaw()),
  'adpcm.wav': wav(1, 8000, '16', tone(1010, 20000), (w) => w.toIMAADPCM()),
  'extensible.wav': (() => {
    const bytes = wav(3, 8000, '16', [tone(8, 1000), tone(8, 2000), tone(8, 3000)]);
    return bytes; // wavefile writes WAVE_FORMAT_EXTENSIBLE for more than two channels
  })(),
  'not-riff.wav': text('RIFX\x24\x00\x00\x00WAVEfmt '),
};

const seeds = {
  csv: Object.fromEntries(Object.entries(csv).map(([k, v]) => [k, text(v)])),
  mtx: Object.fromEntries(Object.entries(mtx).map(([k, v]) => [k, text(v)])),
  json: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, text(v)])),
  npy,
  wav: wavs,
};
for (const [target, files] of Object.entries(seeds)) {
  const dir = `${corpus}${target}/`;
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) if (old.startsWith('seed-')) rmSync(dir + old);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(`${dir}seed-${name}`, bytes);
  console.log(`${target}: ${Object.keys(files).length} seeds (${Object.values(files).reduce((n, b) => n + b.length, 0)} bytes)`);
}
