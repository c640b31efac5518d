/**
 * The file readers the JavaScript fuzzer drives (fuzz/js/engine.mjs), each with its oracle: what the reader may do
 * with any bytes. A reader must return a valid result or throw a TypeError or RangeError whose message names the
 * file — never another kind of error, never a result that is not one (a matrix whose shape and data disagree, a
 * NaN or an infinity read from a file, a signal longer than its bytes can hold), and never hang or take memory out
 * of proportion to the file (engine.mjs and run.mjs measure those).
 *
 * Targets: csv (each input read as CSV and as TSV), json, npy — `readMatrixFile` of the nmfkit command
 * (packages/nmfkit-audio/src/cli/matrix-io.ts) —, mtx — the Matrix Market chunk reader of `factorize --online`
 * (src/cli/stream/mtx-chunks.ts), samples in columns and in rows — and wav, `readWav` of nmfkit-audio/node
 * (src/audio/wav.ts).
 * Each has a dictionary of tokens for the mutator and a generator of well-formed files (fast-check arbitraries)
 * beside the seed corpus in fuzz/corpus/<target>/.
 */
import fc from 'fast-check';

const dist = new URL('../../packages/nmfkit-audio/dist/', import.meta.url);
const { readMatrixFile } = await import(new URL('cli/matrix-io.js', dist).href);
const { readWav } = await import(new URL('node.js', dist).href);
const { openChunks } = await import(new URL('cli/stream/open-chunks.js', dist).href);

/** What is wrong with an error a reader threw for the file at `path`, or undefined. */
function errorProblem(error, path) {
  if (!(error instanceof TypeError || error instanceof RangeError)) {
    const name = error instanceof Error ? error.constructor.name : typeof error;
    return `threw ${name} (not a TypeError or RangeError): ${error instanceof Error ? error.message : String(error)}`;
  }
  if (!error.message.includes(path)) return `${error.constructor.name} does not name the file: ${error.message}`;
  return undefined;
}

/** What is wrong with a matrix read from `size` bytes, or undefined. */
function matrixProblem(matrix, size) {
  const { rows, cols, data } = matrix;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) return `shape ${rows}×${cols}`;
  if (!(data instanceof Float64Array)) return 'data is not a Float64Array';
  if (data.length !== rows * cols) return `${data.length} entries for ${rows}×${cols}`;
  // Every entry takes at least one byte of the file.
  if (data.length > size) return `${data.length} entries from ${size} bytes`;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) return `entry ${k} (row ${Math.floor(k / cols)}, column ${k % cols}) is ${data[k]}`;
  }
  return undefined;
}

async function readMatrix(path, size, format) {
  let file;
  try {
    file = await readMatrixFile(path, format);
  } catch (error) {
    const problem = errorProblem(error, path);
    return problem && `${format}: ${problem}`;
  }
  const problem = matrixProblem(file.matrix, size);
  return problem && `${format}: ${problem}`;
}

/** What is wrong with the CSR chunks of a Matrix Market file of `size` bytes, or undefined. */
async function mtxProblem(path, size, samples) {
  let total = 0;
  let entries = 0;
  try {
    const source = await openChunks(path, 'mtx', { samples });
    // A size line may declare far more samples than the entries fill (legitimately: empty columns); the chunks
    // past the entries are read up to a bound in proportion to the file, not to the declared size.
    let chunks = 0;
    for await (const chunk of source.chunks(3)) {
      if (++chunks > size + 8) return undefined;
      const { format, rows, cols, indptr, indices, data } = chunk;
      if (format !== 'csr' || rows !== source.features || cols < 1 || cols > 3) return `${samples}: chunk ${format} ${rows}×${cols}`;
      if (indptr.length !== rows + 1 || indptr[0] !== 0 || indptr[rows] !== data.length || indices.length !== data.length)
        return `${samples}: indptr ${Array.from(indptr)} for ${data.length} entries`;
      for (let i = 0; i < rows; i++) {
        if (indptr[i + 1] < indptr[i]) return `${samples}: indptr decreases at row ${i}`;
        for (let e = indptr[i]; e < indptr[i + 1]; e++) {
          if (!(indices[e] >= 0 && indices[e] < cols) || (e > indptr[i] && indices[e] <= indices[e - 1]))
            return `${samples}: row ${i} has columns ${Array.from(indices.subarray(indptr[i], indptr[i + 1]))}`;
          if (!(Number.isFinite(data[e]) && data[e] >= 0)) return `${samples}: entry ${data[e]}`;
        }
      }
      total += cols;
      entries += data.length;
    }
    if (total !== source.samples) return `${samples}: ${total} samples in chunks, ${source.samples} in the size line`;
  } catch (error) {
    const problem = errorProblem(error, path);
    return problem && `${samples}: ${problem}`;
  }
  // Every entry is a line of at least four bytes ("1 1\n").
  if (entries > size / 4) return `${samples}: ${entries} entries from ${size} bytes`;
  return undefined;
}

const NUMBER_TEXTS = ['0', '1', '-1', '-0', '0.5', '.5', '5.', '+1', '1e3', '1e309', '-1e309', '1e-400', 'NaN', 'Infinity'];
NUMBER_TEXTS.push('0x1F', '0b11', '1_000', '9007199254740993', '4.9e-324', '1.7976931348623157e308', '', ' ', '1 2', '١');

const csvNumber = fc.oneof(
  fc.constantFrom(...NUMBER_TEXTS),
  fc.double().map(String),
  fc.integer({ min: 0, max: 1000 }).map(String),
  fc.string({ maxLength: 6 }),
);

/** Text files: CSV/TSV rows of number-like fields. */
const csvFile = fc
  .record({
    rows: fc.array(fc.array(csvNumber, { minLength: 1, maxLength: 6 }), { minLength: 0, maxLength: 8 }),
    delimiter: fc.constantFrom(',', '\t', ';', ' '),
    newline: fc.constantFrom('\n', '\r\n', '\r'),
    comment: fc.boolean(),
    quote: fc.boolean(),
  })
  .map(({ rows, delimiter, newline, comment, quote }) => {
    const lines = rows.map((row) => row.map((field) => (quote ? `"${field}"` : field)).join(delimiter));
    if (comment) lines.unshift('# a comment');
    return new TextEncoder().encode(lines.join(newline));
  });

const jsonNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e308, 5e-324, 2 ** 31, 2 ** 53 + 1));
const jsonEntry = fc.oneof({ weight: 8, arbitrary: jsonNumber }, fc.constantFrom(null, true, '1', [], {}));
const JSON_NUMBER_TEXTS = ['1e999', '-1e999', '1e-999', '-0', '2147483648', '4294967296', '9007199254740993', '0.1e1'];

/** JSON files: either form of the reader, with shapes that may lie, and numbers JSON.stringify cannot write. */
const jsonFile = fc
  .oneof(
    fc.array(fc.array(jsonEntry, { maxLength: 5 }), { maxLength: 6 }).map((rows) => JSON.stringify(rows)),
    fc
      .record({
        rows: fc.oneof(fc.nat(8), jsonEntry),
        cols: fc.oneof(fc.nat(8), jsonEntry),
        data: fc.array(jsonEntry, { maxLength: 40 }),
      })
      .map((o) => JSON.stringify(o)),
    fc.json({ depthSize: 'small' }),
  )
  .chain((text) =>
    fc.tuple(fc.nat(), fc.constantFrom(...JSON_NUMBER_TEXTS), fc.boolean()).map(([at, number, replace]) => {
      if (!replace) return text;
      let k = 0;
      // The (at mod 8)-th number of the text becomes one JSON can hold but JSON.stringify never writes.
      return text.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, (m) => (k++ === at % 8 ? number : m));
    }),
  )
  .map((text) => new TextEncoder().encode(text));

const NPY_DESCRS = [
  '<f8',
  '<f4',
  '>f8',
  '>f4',
  '|f8',
  '=f8',
  '<i4',
  '<i8',
  '|u1',
  '|i1',
  '<i2',
  '<u2',
  '<u4',
  '<u8',
  '>i8',
  '<c16',
  '<f2',
  'f8',
  'O',
  '<U3',
];
const DIMENSIONS = [0, 1, 2, 3, 7, 255, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, -1];

/** .npy files: a version 1/2/3 header with any descr, order and shape, and data of any length. */
const npyFile = fc
  .record({
    version: fc.constantFrom(1, 2, 3),
    descr: fc.constantFrom(...NPY_DESCRS),
    fortran: fc.constantFrom('False', 'True', '0', 'false'),
    shape: fc.array(fc.oneof(fc.nat(6), fc.constantFrom(...DIMENSIONS)), { maxLength: 3 }),
    extra: fc.constantFrom('', " 'x': 1,", ' '),
    data: fc.uint8Array({ maxLength: 256 }),
    headerLengthDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: -16, max: 16 })),
  })
  .map(({ version, descr, fortran, shape, extra, data, headerLengthDelta }) => {
    const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    let header = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${tuple},${extra} }`;
    const prefix = version === 1 ? 10 : 12;
    header += ' '.repeat((64 - ((prefix + header.length + 1) % 64)) % 64) + '\n';
    const headerBytes = new TextEncoder().encode(header);
    const out = new Uint8Array(prefix + headerBytes.length + data.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
    const view = new DataView(out.buffer);
    const length = Math.max(0, headerBytes.length + headerLengthDelta);
    if (version === 1) view.setUint16(8, length & 0xffff, true);
    else view.setUint32(8, length, true);
    out.set(headerBytes, prefix);
    out.set(data, prefix + headerBytes.length);
    return out;
  });

const MTX_FIELDS = ['real', 'integer', 'pattern', 'complex', 'REAL'];
const MTX_SYMMETRIES = ['general', 'symmetric', 'General'];

/** Matrix Market files: a banner of any field, a size line that may lie, entries in any order. */
const mtxFile = fc
  .record({
    field: fc.constantFrom(...MTX_FIELDS),
    symmetry: fc.constantFrom(...MTX_SYMMETRIES),
    rows: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, 2 ** 31, 2 ** 53)),
    cols: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(0, 2 ** 31)),
    entries: fc.array(fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 }), csvNumber), { maxLength: 20 }),
    nnzDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: -3, max: 3 })),
    sorted: fc.boolean(),
    comment: fc.boolean(),
  })
  .map(({ field, symmetry, rows, cols, entries, nnzDelta, sorted, comment }) => {
    const list = sorted ? [...entries].sort((a, b) => a[1] - b[1]) : entries;
    const lines = list.map(([i, j, v]) => (field === 'pattern' ? `${i} ${j}` : `${i} ${j} ${v}`));
    const head = [`%%MatrixMarket matrix coordinate ${field} ${symmetry}`, ...(comment ? ['% a comment'] : [])];
    return new TextEncoder().encode([...head, `${rows} ${cols} ${Math.max(0, list.length + nnzDelta)}`, ...lines].join('\n') + '\n');
  });

const FORMAT_CODES = [1, 3, 6, 7, 0x11, 0xfffe, 0, 2, 0x55, 0xffff];
const BIT_DEPTHS = [4, 8, 16, 24, 32, 64, 0, 1, 12, 20, 48, 65535];

/** WAV files: RIFF, a fmt chunk of any format code, channels, rate and depth, a data chunk, sizes that may lie. */
const wavFile = fc
  .record({
    riff: fc.constantFrom('RIFF', 'RIFX', 'RF64'),
    format: fc.constantFrom(...FORMAT_CODES),
    channels: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, 255, 65535)),
    sampleRate: fc.oneof(fc.constantFrom(8000, 44100, 0, 1, 0xffffffff), fc.nat()),
    bits: fc.constantFrom(...BIT_DEPTHS),
    blockAlign: fc.option(fc.nat(0xffff)),
    subformat: fc.constantFrom(...FORMAT_CODES),
    fmtExtra: fc.uint8Array({ maxLength: 4 }),
    extraChunk: fc.option(
      fc.record({ id: fc.constantFrom('LIST', 'fact', 'cue ', 'smpl', 'junk', 'bext'), body: fc.uint8Array({ maxLength: 24 }) }),
    ),
    data: fc.uint8Array({ maxLength: 512 }),
    dataSizeDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: -64, max: 64 }), fc.constant(0x7fffffff)),
  })
  .map((w) => {
    const channels = w.channels;
    const blockAlign = w.blockAlign ?? Math.max(1, Math.ceil((channels * w.bits) / 8));
    const extensible = w.format === 0xfffe;
    const fmt = new Uint8Array(extensible ? 40 : 16 + w.fmtExtra.length);
    const f = new DataView(fmt.buffer);
    f.setUint16(0, w.format, true);
    f.setUint16(2, channels & 0xffff, true);
    f.setUint32(4, w.sampleRate >>> 0, true);
    f.setUint32(8, (w.sampleRate * blockAlign) >>> 0, true);
    f.setUint16(12, blockAlign & 0xffff, true);
    f.setUint16(14, w.bits, true);
    if (extensible) {
      f.setUint16(16, 22, true);
      f.setUint16(18, w.bits, true);
      f.setUint32(20, 0, true);
      f.setUint16(24, w.subformat, true);
      fmt.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
    } else fmt.set(w.fmtExtra, 16);
    const chunks = [['fmt ', fmt]];
    if (w.extraChunk) chunks.push([w.extraChunk.id, w.extraChunk.body]);
    chunks.push(['data', w.data]);
    const size = chunks.reduce((n, [, body]) => n + 8 + body.length + (body.length % 2), 12);
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    const ascii = (at, text) => out.set(new TextEncoder().encode(text), at);
    ascii(0, w.riff);
    view.setUint32(4, size - 8, true);
    ascii(8, 'WAVE');
    let at = 12;
    for (const [id, body] of chunks) {
      ascii(at, id);
      const delta = id === 'data' ? w.dataSizeDelta : 0;
      view.setUint32(at + 4, Math.max(0, body.length + delta) >>> 0, true);
      out.set(body, at + 8);
      at += 8 + body.length + (body.length % 2);
    }
    return out;
  });

export const TARGETS = {
  csv: {
    ext: '.csv',
    text: true,
    dictionary: [
      ',',
      '\t',
      '\n',
      '\r\n',
      '\r',
      '"',
      '""',
      '#',
      ' ',
      ';',
      '\\',
      '\ufeff',
      '\u00a0',
      '\0',
      '"a\nb"',
      '1,2\n',
      ...NUMBER_TEXTS,
    ],
    generate: csvFile,
    // The same bytes as CSV and as TSV: the two share a parser, with another delimiter.
    check: async (path, bytes) => (await readMatrix(path, bytes.length, 'csv')) ?? (await readMatrix(path, bytes.length, 'tsv')),
  },
  json: {
    ext: '.json',
    text: true,
    dictionary: [
      '[',
      ']',
      '{',
      '}',
      ',',
      ':',
      '"rows"',
      '"cols"',
      '"data"',
      'null',
      'true',
      '"1"',
      '[]',
      '{}',
      '[[1,2],[3,4]]',
      '"__proto__"',
    ].concat(JSON_NUMBER_TEXTS, ['\ufeff', ' ', '\n']),
    generate: jsonFile,
    check: (path, bytes) => readMatrix(path, bytes.length, 'json'),
  },
  npy: {
    ext: '.npy',
    text: false,
    dictionary: [
      '\x93NUMPY',
      '\x01\x00',
      '\x02\x00',
      '\x03\x00',
      "'descr'",
      "'fortran_order'",
      "'shape'",
      'True',
      'False',
      '(',
      ')',
      ',',
      '()',
    ].concat(
      NPY_DESCRS.map((d) => `'${d}'`),
      DIMENSIONS.map(String),
      [' ', '\n', '{', '}', ':'],
    ),
    generate: npyFile,
    check: (path, bytes) => readMatrix(path, bytes.length, 'npy'),
  },
  mtx: {
    ext: '.mtx',
    text: true,
    dictionary: [
      '%%MatrixMarket',
      'matrix',
      'coordinate',
      'array',
      'real',
      'integer',
      'pattern',
      'general',
      '%',
      '\n',
      '\r\n',
      ' ',
      '\t',
      ...NUMBER_TEXTS,
    ],
    generate: mtxFile,
    check: async (path, bytes) => (await mtxProblem(path, bytes.length, 'columns')) ?? (await mtxProblem(path, bytes.length, 'rows')),
  },
  wav: {
    ext: '.wav',
    text: false,
    dictionary: ['RIFF', 'RIFX', 'RF64', 'WAVE', 'fmt ', 'data', 'fact', 'LIST', 'INFO', 'cue ', 'smpl', 'bext', 'ds64', 'junk', 'iXML'],
    generate: wavFile,
    check: async (path, bytes) => {
      let wav;
      try {
        wav = await readWav(path);
      } catch (error) {
        return errorProblem(error, path);
      }
      const { sampleRate, samples, channels, duration } = wav;
      if (!(Number.isFinite(sampleRate) && sampleRate > 0)) return `sample rate ${sampleRate}`;
      if (!Number.isInteger(channels) || channels < 1) return `${channels} channels`;
      if (!(samples instanceof Float64Array)) return 'samples are not a Float64Array';
      // The densest coding, 4-bit IMA ADPCM, holds two samples a byte.
      if (samples.length > 2 * bytes.length) return `${samples.length} samples from ${bytes.length} bytes`;
      if (duration !== samples.length / sampleRate) return `duration ${duration} for ${samples.length} samples at ${sampleRate} Hz`;
      for (let i = 0; i < samples.length; i++) if (!Number.isFinite(samples[i])) return `sample ${i} is ${samples[i]}`;
      return undefined;
    },
  },
};

// A target that fails on purpose, by its input's first byte, for the supervisor's own test
// (test/reliability/fuzz-supervisor.test.ts): 'H' hangs, 'M' fills memory, 'C' aborts the process, 'O' breaks the
// oracle, anything else passes. Present only with NMFKIT_FUZZ_SELFTEST=1.
if (process.env.NMFKIT_FUZZ_SELFTEST === '1') {
  TARGETS.selftest = {
    ext: '.bin',
    text: false,
    dictionary: ['H', 'M', 'C', 'O'],
    generate: fc.uint8Array({ maxLength: 4 }),
    check: async (path, bytes) => {
      const mode = String.fromCharCode(bytes[0] ?? 0);
      if (mode === 'H') for (;;);
      if (mode === 'M') {
        const hold = [];
        for (let i = 0; i < 64; i++) hold.push(Buffer.alloc(64 * 2 ** 20, 1)); // 4 GiB: run.mjs kills it long before
        return hold.length ? undefined : 'unreachable';
      }
      if (mode === 'C') process.abort();
      if (mode === 'O') return `the oracle failed on purpose for ${path}`;
      return undefined;
    },
  };
}
