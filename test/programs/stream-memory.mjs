// nmfStream's memory over a long stream, for test/soak/stream-memory.test.ts: streams `bytes` of generated float32
// columns (4 bytes an entry) through the built package's nmfStream on `backend`, in chunks of K×b, each a fresh
// Float32Array the generator does not keep, and prints one line `stream-memory: {…}` of JSON: the bytes streamed,
// the resident memory (sampled after every chunk and by a timer; the kernel's peak, maxRSS), the time, and how well
// the model learned.
//
// Usage: node stream-memory.mjs <native|wasm> <bytes> [<JSON of { rows, cols, rank, freshRestartsMaxIter, seed }>]
// (defaults 256, 1024, 4, 5, 1).
//
// The source is low-rank: V = W*·H* + noise, W* (K×R) fixed by the seed, each chunk's H* (R×b) and noise drawn
// afresh, so a model of rank R has something to learn. After the stream, one more chunk is drawn (with its H*
// kept) and three costs per sample (½‖V − X‖²_F / b) are reported on it: of the true factors W*·H* (the noise
// floor), of the mean-column model (every column the chunk's mean column), and of the learned dictionary with
// the activations its transform finds.
import { backendInfo, nmfStream } from '../../dist/index.js';
import { Random } from '../../dist/random.js';

const MiB = 2 ** 20;
const [backend, bytesArgument, overrides] = process.argv.slice(2);
const bytes = Number(bytesArgument);
if (!['native', 'wasm'].includes(backend) || !(bytes > 0)) {
  console.error('usage: node stream-memory.mjs <native|wasm> <bytes> [<JSON settings>]');
  process.exit(2);
}
const {
  rows: K,
  cols: b,
  rank: R,
  freshRestartsMaxIter,
  seed,
} = {
  rows: 256,
  cols: 1024,
  rank: 4,
  // scikit-learn's default; chunks of 1024 columns give the dictionary an update per MiB.
  freshRestartsMaxIter: 30,
  seed: 1,
  ...JSON.parse(overrides ?? '{}'),
};
const info = backendInfo();
if (!info[backend].loaded) {
  console.error(`stream-memory: the ${backend} backend did not load: ${info[backend].reason}`);
  process.exit(1);
}

// The package's seeded generator (32 random bits a draw are plenty here, and quicker than its 53-bit doubles).
const generator = new Random(seed);
const random = () => generator.nextUint32() / 2 ** 32;

// W*: each component mostly on its own band of rows (R overlapping bumps), so the factors are well separated.
const trueW = new Float64Array(K * R);
for (let k = 0; k < K; k++) {
  for (let r = 0; r < R; r++) {
    const centre = ((r + 0.5) * K) / R;
    trueW[k * R + r] = Math.exp(-(((k - centre) / (K / R / 2)) ** 2)) + 0.05 * random();
  }
}
const NOISE = 0.05;

/** One K×b chunk as float32: H* sparse and nonnegative, noise uniform in ±NOISE, V clipped at 0. */
function draw(keepH = false) {
  const H = new Float64Array(R * b);
  for (let i = 0; i < H.length; i++) H[i] = random() < 0.3 ? 0 : random();
  const data = new Float32Array(K * b);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < b; j++) {
      let x = (2 * random() - 1) * NOISE;
      for (let r = 0; r < R; r++) x += trueW[k * R + r] * H[r * b + j];
      data[k * b + j] = x > 0 ? x : 0;
    }
  }
  return keepH ? { V: { rows: K, cols: b, data }, H } : { rows: K, cols: b, data };
}

const chunks = Math.ceil(bytes / (4 * K * b));
/** The source: `chunks` chunks, generated as they are pulled; nothing of a chunk stays here once it is handed out. */
function* source() {
  for (let c = 0; c < chunks; c++) yield draw();
}

/** ½‖V − W·H‖²_F per column; W K×R and H R×b row-major (Float64Array or number[]). */
function costOf(V, W, H, rank) {
  let sum = 0;
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < b; j++) {
      let x = 0;
      for (let r = 0; r < rank; r++) x += W[k * rank + r] * H[r * b + j];
      const d = V.data[k * b + j] - x;
      sum += d * d;
    }
  }
  return sum / 2 / b;
}

// Resident memory, sampled by a timer (when the thread is free) and after every chunk, its peak kept per phase:
// the warm-up (the first eighth of the chunks, over which V8's heap and the allocators settle on their sizes), then
// the rest in two halves; and the median of the samples after a chunk over each quarter of the rest, which a one-off
// spike does not move (a leak raises every quarter's; a one-time step of a heap's size, one). maxRSS is the kernel's
// peak over the process.
const rss = () => process.memoryUsage.rss();
const maxRss = () => process.resourceUsage().maxRSS * 1024;
const peaks = [0, 0, 0];
let phase = 0;
const sample = () => (peaks[phase] = Math.max(peaks[phase], rss()));
const sampler = setInterval(sample, 10);

const beforeStream = rss();
const started = performance.now();
const warmUp = Math.max(2, Math.ceil(chunks / 8));
const half = Math.floor((warmUp + chunks) / 2);
const costs = [];
const afterChunk = new Float64Array(chunks);
let afterWarmUp;
let maxRssAtHalf;
let model;
let samples = 0;
for await (const progress of nmfStream(source(), { rank: R, backend, seed, freshRestartsMaxIter })) {
  sample();
  afterChunk[progress.chunk] = rss();
  costs.push(progress.cost);
  if (progress.chunk === warmUp - 1) {
    afterWarmUp = rss();
    phase = 1;
  }
  if (progress.chunk === half - 1) {
    maxRssAtHalf = maxRss();
    phase = 2;
  }
  ({ model, samples } = progress);
}
const streamSeconds = (performance.now() - started) / 1000;
clearInterval(sampler);
const median = (list) => list.sort()[list.length >> 1];
const quarter = (q) =>
  afterChunk.slice(warmUp + Math.floor(((chunks - warmUp) * q) / 4), warmUp + Math.floor(((chunks - warmUp) * (q + 1)) / 4));

// Fit quality on a chunk the model has not seen.
const { V, H: trueH } = draw(true);
const mean = new Float64Array(K);
for (let k = 0; k < K; k++) {
  let s = 0;
  for (let j = 0; j < b; j++) s += V.data[k * b + j];
  mean[k] = s / b;
}
const W = model.components.data;
const H = model.transform(V).data;

console.log(
  `stream-memory: ${JSON.stringify({
    backend,
    rows: K,
    cols: b,
    rank: R,
    freshRestartsMaxIter,
    chunks,
    warmUpChunks: warmUp,
    samples,
    bytes: chunks * K * b * 4,
    seconds: streamSeconds,
    rssMiB: {
      beforeStream: beforeStream / MiB,
      afterWarmUp: afterWarmUp / MiB,
      peakWarmUp: peaks[0] / MiB,
      peakFirstHalf: peaks[1] / MiB,
      peakSecondHalf: peaks[2] / MiB,
      medianQuarters: [0, 1, 2, 3].map((q) => median(quarter(q)) / MiB),
      maxRssAtHalf: maxRssAtHalf / MiB,
      maxRss: maxRss() / MiB,
    },
    cost: {
      firstChunk: costs[0],
      lastChunks: costs.slice(-4),
      trueFactors: costOf(V, trueW, trueH, R),
      meanColumn: costOf(V, mean, new Float64Array(b).fill(1), 1),
      learned: costOf(V, W, H, R),
    },
  })}`,
);
