/**
 * The online solver's promises beyond scikit-learn's numbers (test/online/sklearn-minibatch.test.ts), on both
 * entries: a chunk of the wrong height or a bad option is a coded error naming it and leaves the model as it was;
 * a CSR chunk is the dense one; a saved model continues exactly where it stopped; partialFit after fit continues
 * fit's statistics; nmfStream pulls one chunk at a time, closes its source when left early, rejects a failing
 * source with its error as `cause` and an abort with an AbortError, the model in both cases as after the last
 * complete chunk; and the chunks it has passed are not kept (memory bounded by one chunk and the factors).
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ENTRIES } from '../hostile/entries.js';
import { catchError } from '../hostile/hostile-values.js';
import { randomMatrix, relativeError } from '../support/helpers.js';

const K = 10;
const R = 3;
/** Chunk i of a stream: K×b, positive, from its seed. */
const chunkOf = (i: number, b = 8) => randomMatrix(K, b, 100 + i);
const CHUNKS = [0, 1, 2, 3].map((i) => chunkOf(i));
const BASE = { rank: R, seed: 3, solver: 'minibatch', maxIter: 20 } as const;
const codeOf = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

/** A dense K×b matrix as CSR (its zeros left out). */
function csrOf(m: { rows: number; cols: number; data: ArrayLike<number> }) {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const x = m.data[i * m.cols + j]!;
      if (x !== 0) {
        indices.push(j);
        data.push(x);
      }
    }
    indptr.push(indices.length);
  }
  return { format: 'csr', rows: m.rows, cols: m.cols, indptr, indices, data } as const;
}

describe.each(ENTRIES)('$name entry', (entry) => {
  const { NMF, nmfStream } = entry;

  it('a chunk of another height is a RangeError naming it, and the model is unchanged', () => {
    const model = new NMF(BASE).partialFit(CHUNKS[0]!);
    const before = model.toJSON();
    const error = catchError(() => model.partialFit(randomMatrix(K + 1, 4, 1)));
    expect(error).toBeInstanceOf(RangeError);
    expect(codeOf(error)).toBe('NMFKIT_INVALID_VALUE');
    expect((error as Error).message).toMatch(/^chunk must have 10 rows/);
    expect(model.toJSON()).toEqual(before);
  });

  it.each([
    [{ batchSize: 0 }, /^options\.batchSize must be an integer/, RangeError],
    [{ forgetFactor: 1.5 }, /^options\.forgetFactor must be in \[0, 1\]/, RangeError],
    [{ freshRestarts: 1 }, /^options\.freshRestarts must be true or false/, TypeError],
    [{ freshRestartsMaxIter: -1 }, /^options\.freshRestartsMaxIter must be an integer/, RangeError],
    [{ maxNoImprovement: 'x' }, /^options\.maxNoImprovement must be a number/, TypeError],
    [{ loss: 'is', eps: 1e-9 }, /^options\.loss must be β in \[1, 2\]/, RangeError],
    [{ l1W: 0.1 }, /^options\.l1W is not supported/, RangeError],
    [{ dtype: 'float32' }, /^options\.dtype must be 'float64'/, RangeError],
    [{ restarts: 2 }, /^options\.restarts is not supported/, RangeError],
  ])('solver minibatch with %o is refused naming the option', (extra, message, kind) => {
    const error = catchError(() => new NMF({ ...BASE, ...extra } as never));
    expect(error).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
  });

  /** A dense K×b matrix with every third entry zero, so that its CSR form leaves a third out. */
  const withZeros = (m: { rows: number; cols: number; data: Float64Array }) => ({
    ...m,
    data: Float64Array.from(m.data, (x, k) => (k % 3 === 0 ? 0 : x)),
  });

  it.each(['euclidean', 'kl', 1.5] as const)(
    'with loss %s, CSR input gives the fit, partialFit, costs and transform of the dense input with the same entries',
    (loss) => {
      const options = { ...BASE, loss, batchSize: 8, maxIter: 5, tol: 0 };
      const V = withZeros(randomMatrix(K, 24, 7));
      const fromDense = new NMF(options);
      const fromCsr = new NMF(options);
      const Hdense = fromDense.fitTransform(V);
      const Hcsr = fromCsr.fitTransform(csrOf(V));
      expect(relativeError(fromCsr.components.data, fromDense.components.data)).toBeLessThan(1e-12);
      expect(relativeError(Hcsr.data, Hdense.data)).toBeLessThan(1e-12);
      expect(Math.abs(fromCsr.objective / fromDense.objective - 1)).toBeLessThan(1e-12);
      for (const chunk of CHUNKS.map(withZeros)) {
        fromDense.partialFit(chunk);
        fromCsr.partialFit(csrOf(chunk));
        expect(relativeError(fromCsr.components.data, fromDense.components.data)).toBeLessThan(1e-12);
        expect(Math.abs(fromCsr.objective / fromDense.objective - 1)).toBeLessThan(1e-12);
      }
      const probe = withZeros(chunkOf(9, 5));
      expect(relativeError(fromCsr.transform(csrOf(probe)).data, fromDense.transform(probe).data)).toBeLessThan(1e-12);
      // A first partialFit of a CSR chunk starts from the same initial factors as the dense one.
      const first = new NMF(options).partialFit(csrOf(CHUNKS[0]!));
      expect(relativeError(first.components.data, new NMF(options).partialFit(CHUNKS[0]!).components.data)).toBeLessThan(1e-12);
    },
  );

  it('a saved model continues exactly where it stopped, in this entry and the other one', () => {
    const whole = new NMF(BASE);
    for (const chunk of CHUNKS) whole.partialFit(chunk);
    const first = new NMF(BASE).partialFit(CHUNKS[0]!).partialFit(CHUNKS[1]!);
    for (const other of ENTRIES) {
      const loaded = other.NMF.fromJSON(JSON.stringify(first));
      loaded.partialFit(CHUNKS[2]!).partialFit(CHUNKS[3]!);
      const got = loaded.components.data;
      const expected = whole.components.data;
      // The other entry runs another backend: equal to rounding.
      expect(Math.max(...Array.from(got, (x, k) => Math.abs(x - expected[k]!)))).toBeLessThan(other === entry ? 1e-300 : 1e-9);
    }
  });

  it("partialFit after fit continues fit's statistics, and transform solves against the dictionary", () => {
    const V = randomMatrix(K, 40, 9);
    const model = new NMF({ ...BASE, batchSize: 16 }).fit(V);
    const saved = model.toJSON();
    expect(saved.online).not.toBeNull();
    expect(saved.online!.rho).toBeCloseTo(0.7 ** (16 / 40), 15);
    model.partialFit(CHUNKS[0]!);
    expect(model.toJSON().online!.samples).toBe(saved.online!.samples + CHUNKS[0]!.cols);
    const H = model.transform(CHUNKS[1]!);
    expect([H.rows, H.cols]).toEqual([R, CHUNKS[1]!.cols]);
  });

  it('nmfStream pulls one chunk at a time and closes a source it leaves early', async () => {
    let produced = 0;
    let closed = false;
    function* source() {
      try {
        for (const chunk of CHUNKS) {
          produced++;
          yield chunk;
        }
      } finally {
        closed = true;
      }
    }
    for await (const progress of nmfStream(source(), BASE)) {
      expect(produced).toBe(progress.chunk + 1);
      expect(progress.samples).toBe(8 * (progress.chunk + 1));
      if (progress.chunk === 1) break;
    }
    expect(closed).toBe(true);
    expect(produced).toBe(2);
  });

  it('a failing source rejects with its error as cause, the model as after the last complete chunk', async () => {
    const failure = new Error('disk gone');
    async function* source() {
      yield CHUNKS[0]!;
      yield CHUNKS[1]!;
      throw failure;
    }
    let model: unknown;
    const error = await (async () => {
      try {
        for await (const progress of nmfStream(source(), BASE)) model = progress.model;
      } catch (e) {
        return e;
      }
    })();
    expect(codeOf(error)).toBe('NMFKIT_SOURCE');
    expect((error as Error).cause).toBe(failure);
    const expected = new NMF(BASE).partialFit(CHUNKS[0]!).partialFit(CHUNKS[1]!);
    expect((model as typeof expected).components).toEqual(expected.components);
  });

  it('an abort rejects with an AbortError, the model as after the last complete chunk; partialFitAsync leaves it unchanged', async () => {
    const controller = new AbortController();
    let model: unknown;
    const error = await (async () => {
      try {
        const stream = nmfStream(CHUNKS, { ...BASE, signal: controller.signal, onChunk: () => controller.abort(new Error('enough')) });
        for await (const progress of stream) model = progress.model;
      } catch (e) {
        return e;
      }
    })();
    expect((error as Error).name).toBe('AbortError');
    expect(codeOf(error)).toBe('NMFKIT_ABORTED');
    const expected = new NMF(BASE).partialFit(CHUNKS[0]!);
    expect((model as typeof expected).components).toEqual(expected.components);

    const before = expected.toJSON();
    const aborted = AbortSignal.abort();
    await expect(expected.partialFitAsync(CHUNKS[1]!, { signal: aborted })).rejects.toMatchObject({ name: 'AbortError' });
    expect(expected.toJSON()).toEqual(before);
  });

  it('nmfStream keeps no chunk it has passed: memory is bounded by one chunk and the factors', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const alive = new Set<WeakRef<object>>();
    const total = 60;
    async function* source() {
      for (let i = 0; i < total; i++) {
        const chunk = chunkOf(i, 16);
        alive.add(new WeakRef(chunk.data));
        yield chunk;
      }
    }
    let seen = 0;
    for await (const progress of nmfStream(source(), BASE)) {
      seen = progress.samples;
      // The model's state is K×R whatever the samples seen.
      const online = progress.model.toJSON().online!;
      expect([online.A.length, online.B.length]).toEqual([K * R, K * R]);
    }
    expect(seen).toBe(total * 16);
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    const kept = [...alive].filter((ref) => ref.deref() !== undefined).length;
    // Only the last chunk may still be referenced (by the finished generator's frame); not one per sample seen.
    expect(kept).toBeLessThanOrEqual(1);
  });
});
