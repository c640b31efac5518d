/**
 * Inputs and outputs, on both entries (test/hostile/entries.ts) and every backend, in nmfSync, nmf and nmfBatch:
 * integer typed arrays and typed-array rows as matrix data, ml-matrix's Matrix (and objects of its shape) as V, W, H
 * and mask, the rank inferred from the factors given, Float32Array factors for dtype 'float32', results that are
 * plain data (structuredClone, postMessage) with `reconstruct` beside them — as a non-enumerable method and as the
 * standalone export, from some components too — and the refusal of an all-zero initial factor.
 */
import { Matrix as MlMatrix } from 'ml-matrix';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { BatchOutcome, NmfOptions, NmfResult } from '../../src/index.js';
import { ENTRIES } from '../hostile/entries.js';
import { catchError, coded, outcome } from '../hostile/hostile-values.js';

const ROWS = [
  [1, 2, 3, 4],
  [4, 0, 6, 1],
  [7, 8, 0, 2],
];
const K = 3;
const N = 4;
const flat = ROWS.flat();

type Fit = (v: unknown, o: object) => Promise<NmfResult>;

describe.each(ENTRIES)('$name entry', (entry) => {
  const backends = entry.backends.filter((b) => entry.available(b));
  const fits: [string, Fit][] = [
    ['nmfSync', async (v, o) => entry.nmfSync(v as never, o as never)],
    ['nmf', (v, o) => entry.nmf(v as never, o as never)],
    ['nmfBatch', async (v, o) => (await entry.nmfBatch([v] as never, o as never))[0]!],
  ];
  const reconstruct = (entry.exports as { reconstruct: (result: unknown, components?: unknown) => { data: Float64Array } }).reconstruct;
  const cases = backends.flatMap((backend) => fits.map(([name, fit]) => [`${name} on ${backend}`, backend, fit] as const));
  const options = (backend: string, more: object = {}): NmfOptions =>
    ({ rank: 2, maxIter: 20, tol: 0, seed: 3, backend, ...more }) as NmfOptions;
  /** The error of a fit; nmfBatch's (`matrices[0]: …`, of the same class and code) is checked and its cause returned. */
  const error = async (f: () => Promise<unknown>): Promise<unknown> => {
    const e = await outcome(f, true);
    if (!(e instanceof Error) || !e.message.startsWith('matrices[0]: ')) return e;
    coded(e, e.message);
    expect(e.constructor).toBe((e.cause as Error).constructor);
    expect((e as { code?: unknown }).code).toBe((e.cause as { code?: unknown }).code);
    return e.cause;
  };

  describe('integer typed arrays and typed-array rows', () => {
    it.each(cases)('%s: are read as their numbers, as V, W, H and mask', async (_name, backend, fit) => {
      const expected = await fit(ROWS, options(backend));
      for (const Type of [Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array, Int8Array, Int16Array, Int32Array]) {
        const typed = Type.from(flat);
        const got = await fit({ rows: K, cols: N, data: typed }, options(backend));
        expect(Array.from(got.W.data), Type.name).toEqual(Array.from(expected.W.data));
        const rows = await fit(
          ROWS.map((row) => Type.from(row)),
          options(backend),
        );
        expect(Array.from(rows.H.data), `rows of ${Type.name}`).toEqual(Array.from(expected.H.data));
      }
      for (const rows of [
        ROWS.map((r) => Float64Array.from(r)),
        ROWS.map((r) => Float32Array.from(r)),
        [Int8Array.from(ROWS[0]!), ROWS[1]!, Float64Array.from(ROWS[2]!)],
      ]) {
        expect(Array.from((await fit(rows, options(backend))).W.data)).toEqual(Array.from(expected.W.data));
      }
      // Given factors and a mask of integers.
      const W0 = { rows: K, cols: 2, data: Uint8Array.of(1, 2, 3, 1, 2, 3) };
      const H0 = [Uint16Array.of(1, 1, 2, 2), Int32Array.of(2, 1, 1, 2)];
      const mask = { rows: K, cols: N, data: Uint8Array.of(1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1) };
      const plain = await fit(ROWS, {
        ...options(backend),
        W: [
          [1, 2],
          [3, 1],
          [2, 3],
        ],
        H: [
          [1, 1, 2, 2],
          [2, 1, 1, 2],
        ],
        mask: Array.from(mask.data)
          .map(Number)
          .reduce<number[][]>((m, x, k) => (k % N ? m[m.length - 1]!.push(x) : m.push([x]), m), []),
      });
      const integers = await fit(ROWS, { ...options(backend), W: W0, H: H0, mask });
      expect(Array.from(integers.W.data)).toEqual(Array.from(plain.W.data));
    });

    it.each(cases)('%s: negative integers and BigInt arrays are refused as before', async (_name, backend, fit) => {
      const negative = await error(() => fit({ rows: K, cols: N, data: Int8Array.from(flat).fill(-1, 5, 6) }, options(backend)));
      expect(negative).toBeInstanceOf(RangeError);
      expect((negative as Error).message).toMatch(/V must be finite and ≥ 0, but V\.data\[5\] \(row 1, column 1\) is -1$/);
      coded(negative, 'negative');
      const row = await error(() => fit([ROWS[0], Int16Array.of(1, -2, 3, 4), ROWS[2]], options(backend)));
      expect((row as Error).message).toMatch(/V\[1\]\[1\] \(row 1, column 1\) is -2$/);
      const big = await error(() => fit({ rows: K, cols: N, data: new BigInt64Array(12) }, options(backend)));
      expect(big).toBeInstanceOf(TypeError);
      coded(big, 'BigInt');
      const ragged = await error(() => fit([Float64Array.of(1, 2), Float64Array.of(1)], options(backend)));
      expect((ragged as Error).message).toMatch(/^V is ragged: V\[1\] has 1 entries, V\[0\] has 2/);
    });
  });

  describe('ml-matrix Matrix objects', () => {
    it.each(cases)('%s: are accepted as V, W, H and mask, as objects with getRow only, and as their data', async (_name, backend, fit) => {
      const expected = await fit(ROWS, options(backend));
      const V = new MlMatrix(ROWS);
      expect(Array.from((await fit(V, options(backend))).W.data)).toEqual(Array.from(expected.W.data));
      expect(Array.from((await fit((V as unknown as { data: Float64Array[] }).data, options(backend))).W.data)).toEqual(
        Array.from(expected.W.data),
      );
      const byRow = { rows: K, columns: N, getRow: (i: number) => ROWS[i]! };
      expect(Array.from((await fit(byRow, options(backend))).H.data)).toEqual(Array.from(expected.H.data));
      const W0 = [
        [1, 2],
        [3, 1],
        [2, 3],
      ];
      const H0 = [
        [1, 1, 2, 2],
        [2, 1, 1, 2],
      ];
      const mask = [
        [1, 1, 0, 1],
        [1, 1, 1, 1],
        [0, 1, 1, 1],
      ];
      const plain = await fit(ROWS, { ...options(backend), W: W0, H: H0, mask });
      const ml = await fit(ROWS, { ...options(backend), W: new MlMatrix(W0), H: new MlMatrix(H0), mask: new MlMatrix(mask) });
      expect(Array.from(ml.W.data)).toEqual(Array.from(plain.W.data));
      expect(Array.from(ml.H.data)).toEqual(Array.from(plain.H.data));
    });

    it.each(cases)(
      '%s: their methods are the caller’s code: a throw is a TypeError naming the call; what they return is checked',
      async (_name, backend, fit) => {
        const thrower = Object.assign(new MlMatrix(ROWS), {
          to2DArray: () => {
            throw new Error('hostile to2DArray');
          },
        });
        const thrown = await error(() => fit(thrower, options(backend)));
        expect(thrown).toBeInstanceOf(TypeError);
        expect((thrown as Error).message).toBe('V.to2DArray() threw: Error: hostile to2DArray');
        coded(thrown, 'to2DArray throws');
        const getRow = {
          rows: 2,
          columns: 2,
          getRow: (i: number) =>
            i === 1
              ? (() => {
                  throw new RangeError('row 1');
                })()
              : [1, 2],
        };
        const rowThrown = await error(() => fit(ROWS, { ...options(backend), rank: 2, W: undefined, H: getRow }));
        expect((rowThrown as Error).message).toMatch(/^options\.H must be 2×4|^options\.H\.getRow\(1\) threw: RangeError: row 1/);
        const wrong = [
          [{ rows: K, columns: N, to2DArray: () => 'rows' }, TypeError, /^V\.to2DArray\(\) must return an array of rows, got "rows"/],
          [
            {
              rows: K,
              columns: N,
              to2DArray: () => [
                [1, 2, 3, 4],
                [1, 2, 3, 4],
              ],
            },
            RangeError,
            /^V\.to2DArray\(\) must be 3×4 \(V\.rows × V\.columns\), got 2×4/,
          ],
          [
            {
              rows: K,
              columns: N,
              to2DArray: () => [
                [1, 2, 3, 4],
                [1, -2, 3, 4],
                [1, 2, 3, 4],
              ],
            },
            RangeError,
            /V\.to2DArray\(\)\[1\]\[1\] \(row 1, column 1\) is -2$/,
          ],
          [
            {
              rows: K,
              columns: N,
              to2DArray: () => [
                [1, 2, 3, 4],
                [1, 2, 3],
                [1, 2, 3, 4],
              ],
            },
            RangeError,
            /is ragged/,
          ],
          [
            { rows: K, columns: N, getRow: (i: number) => (i === 2 ? [1, 2, NaN, 4] : ROWS[i]) },
            RangeError,
            /V\.getRow\(2\)\[2\] \(row 2, column 2\) is NaN$/,
          ],
          [{ rows: K, columns: N, getRow: () => 'x' }, TypeError, /^V\.getRow\(0\) must be an array of numbers/],
          [{ rows: -1, columns: N, getRow: () => [] }, RangeError, /^V\.rows must be an integer/],
          [{ rows: K, columns: N }, TypeError, /^V has columns but is not a matrix/],
        ] as const;
        for (const [V, kind, message] of wrong) {
          const e = await error(() => fit(V, options(backend)));
          expect(e, String(message)).toBeInstanceOf(kind);
          expect((e as Error).message).toMatch(message);
          coded(e, String(message));
        }
      },
    );

    it('a polluted Object.prototype does not make an object a matrix', () => {
      Object.defineProperty(Object.prototype, 'columns', { value: 4, configurable: true });
      try {
        const e = catchError(() => entry.nmfSync({ rows: 3 } as never, { rank: 1 }));
        expect((e as Error).message).toMatch(/^V\.cols must be a number, got undefined/);
      } finally {
        delete (Object.prototype as { columns?: unknown }).columns;
      }
    });
  });

  describe('the rank inferred from the factors given', () => {
    it.each(cases)('%s: from W’s columns or H’s rows; both must agree; a given rank keeps its rule', async (_name, backend, fit) => {
      const W0 = [
        [1, 2, 1],
        [3, 1, 1],
        [2, 3, 1],
      ];
      const H0 = [
        [1, 1, 2, 2],
        [2, 1, 1, 2],
        [1, 1, 1, 1],
      ];
      const base = { maxIter: 5, seed: 1, backend };
      const fromW = await fit(ROWS, { ...base, W: W0 });
      expect([fromW.W.cols, fromW.H.rows]).toEqual([3, 3]);
      expect(Array.from(fromW.W.data)).toEqual(Array.from((await fit(ROWS, { ...base, rank: 3, W: W0 })).W.data));
      const fromH = await fit(ROWS, { ...base, H: new MlMatrix(H0) });
      expect(fromH.W.cols).toBe(3);
      expect((await fit(ROWS, { ...base, W: W0, H: H0 })).seed).toBeNull();
      const disagree = await error(() => fit(ROWS, { ...base, W: W0, H: H0.slice(0, 2) }));
      expect(disagree).toBeInstanceOf(RangeError);
      expect((disagree as Error).message).toMatch(
        /^options\.W \(3×3\) and options\.H \(2×4\) disagree on the rank: options\.W has 3 columns, options\.H has 2 rows/,
      );
      coded(disagree, 'disagree');
      const wrongRows = await error(() => fit(ROWS, { ...base, W: W0.slice(0, 2) }));
      expect((wrongRows as Error).message).toMatch(/^options\.W must have 3 rows \(the rows of V/);
      const wrongCols = await error(() => fit(ROWS, { ...base, H: [[1, 2]] }));
      expect((wrongCols as Error).message).toMatch(/^options\.H must have 4 columns \(the columns of V/);
      const given = await error(() => fit(ROWS, { ...base, rank: 2, W: W0 }));
      expect((given as Error).message).toMatch(/^options\.W must be 3×2 \(rows of V × rank\), got 3×3/);
      const none = await error(() => fit(ROWS, base));
      expect((none as Error).message).toMatch(/^options\.rank must be a number, got undefined/);
    });
  });

  describe('dtype float32 returns Float32Array factors', () => {
    it.each(cases)('%s: W and H are Float32Array for float32, Float64Array for float64; the rest float64', async (_name, backend, fit) => {
      for (const more of [{}, { normalize: 'l2' }, { restarts: 2 }, { init: 'nndsvda' }, { solver: 'hals' }, { loss: 'kl' }]) {
        const f32 = await fit(ROWS, options(backend, { dtype: 'float32', ...more }));
        const f64 = await fit(ROWS, options(backend, more));
        expect(f32.W.data, JSON.stringify(more)).toBeInstanceOf(Float32Array);
        expect(f32.H.data).toBeInstanceOf(Float32Array);
        expect(f64.W.data).toBeInstanceOf(Float64Array);
        expect(f64.H.data).toBeInstanceOf(Float64Array);
        expect(f32.hChange).toBeInstanceOf(Float64Array);
        expect(f32.reconstruct().data).toBeInstanceOf(Float64Array);
        for (let k = 0; k < f64.W.data.length; k++) expect(f32.W.data[k]).toBeCloseTo(f64.W.data[k]!, 3);
        // Values as computed: the float32 result is exactly representable (no widening artefacts to undo).
        expect(Array.from(f32.W.data).every((x) => Math.fround(x) === x)).toBe(true);
      }
    });

    it('the types say which', () => {
      expectTypeOf(entry.nmfSync(ROWS, { rank: 2, dtype: 'float32' }).W.data).toEqualTypeOf<Float32Array>();
      expectTypeOf(entry.nmfSync(ROWS, { rank: 2 }).W.data).toEqualTypeOf<Float64Array>();
      expectTypeOf(entry.nmfSync(ROWS, { rank: 2, dtype: 'float64' }).H.data).toEqualTypeOf<Float64Array>();
      const any: NmfOptions = { rank: 2 };
      expectTypeOf(entry.nmfSync(ROWS, any).W.data).toEqualTypeOf<Float64Array | Float32Array>();
      expectTypeOf(entry.nmf(ROWS, { rank: 2, dtype: 'float32' })).resolves.toEqualTypeOf<NmfResult<Float32Array>>();
      expectTypeOf(entry.nmfBatch([ROWS], { rank: 2, dtype: 'float32' })).resolves.toEqualTypeOf<NmfResult<Float32Array>[]>();
      expectTypeOf(entry.nmfBatch([ROWS], { rank: 2, settle: true })).resolves.toEqualTypeOf<BatchOutcome<Float64Array>[]>();
      // Option names are still checked: a typo is a type error.
      // @ts-expect-error maxiter is not an option
      catchError(() => entry.nmfSync(ROWS, { rank: 2, maxiter: 3 }));
    });
  });

  describe('results are plain data, with reconstruct beside them', () => {
    it.each(cases)(
      '%s: structuredClone and postMessage copy the data; the method survives on the original',
      async (_name, backend, fit) => {
        for (const dtype of ['float64', 'float32'] as const) {
          const result = await fit(
            ROWS,
            options(backend, {
              dtype,
              mask: [
                [1, 1, 0, 1],
                [1, 1, 1, 1],
                [1, 1, 1, 1],
              ],
            }),
          );
          expect(Object.keys(result)).not.toContain('reconstruct');
          const clone = structuredClone(result);
          expect(clone).toEqual({ ...result });
          expect('reconstruct' in clone).toBe(false);
          const posted = await new Promise<unknown>((resolve) => {
            const channel = new MessageChannel();
            channel.port2.onmessage = (event) => {
              resolve(event.data);
              channel.port1.close();
              channel.port2.close();
            };
            channel.port1.postMessage(result);
          });
          expect(posted).toEqual(clone);
          expect(JSON.parse(JSON.stringify({ ...result, W: null, H: null })).reconstruct).toBeUndefined();
          const full = result.reconstruct();
          expect(Array.from(reconstruct(clone).data)).toEqual(Array.from(full.data));
          expect(Array.from(reconstruct(result).data)).toEqual(Array.from(full.data));
          // The method works detached from the result too.
          const { reconstruct: method } = result;
          expect(Array.from(method().data)).toEqual(Array.from(full.data));
        }
      },
    );

    it.each(cases)('%s: reconstruct(components) is the reconstruction from those components only', async (_name, backend, fit) => {
      const result = await fit(ROWS, options(backend, { rank: 3 }));
      const { W, H } = result;
      const part = (rs: number[]): number[] =>
        Array.from({ length: K * N }, (_, k) => rs.reduce((s, r) => s + W.data[Math.floor(k / N) * 3 + r]! * H.data[r * N + (k % N)]!, 0));
      const close = (a: ArrayLike<number>, b: number[]): void => {
        for (let k = 0; k < b.length; k++) expect(a[k]).toBeCloseTo(b[k]!, 10);
      };
      for (const components of [[0], [2], [0, 2], [2, 1, 0]]) {
        close(result.reconstruct(components).data, part(components));
        close(reconstruct(structuredClone(result), components).data, part(components));
      }
      close(result.reconstruct(1).data, part([1]));
      close(result.reconstruct([]).data, part([]));
      expect(Array.from(result.reconstruct([0, 1, 2]).data)).toEqual(Array.from(result.reconstruct().data));
      for (const [components, kind, message] of [
        [[3], RangeError, /^components\[0\] must be a component index, an integer in \[0, rank − 1 = 2\], got 3/],
        [[0, 0], RangeError, /^components\[1\] = 0 is listed twice/],
        [[0.5], RangeError, /^components\[0\] must be a component index/],
        [-1, RangeError, /^components must be a component index/],
        [['0'], TypeError, /^components\[0\] must be a number, got "0"/],
        ['0', TypeError, /^components must be a component index or an array of them, got "0"/],
        [[0, 1, 2, 0], RangeError, /^components has 4 entries, more than the rank 3: each component may be listed once/],
      ] as const) {
        for (const call of [() => result.reconstruct(components as never), () => reconstruct(result, components)]) {
          const e = catchError(call);
          expect(e, String(message)).toBeInstanceOf(kind);
          expect((e as Error).message).toMatch(message);
          coded(e, String(message));
        }
      }
      const bad = catchError(() => reconstruct({ W: result.W, H: { rows: 2, cols: N, data: new Float64Array(2 * N) } }));
      expect((bad as Error).message).toMatch(/^result\.H must have as many rows as result\.W has columns \(the rank, 3\), got 2×4/);
      expect((catchError(() => reconstruct(null)) as Error).message).toMatch(/^result must be a result of nmfkit/);
    });
  });

  describe('an all-zero initial factor', () => {
    const zerosW = { rows: K, cols: 2, data: new Float64Array(K * 2) };
    const zerosH = new MlMatrix(2, N);
    it.each(cases)('%s: is a RangeError naming it while V has a nonzero entry, for every solver and loss', async (_name, backend, fit) => {
      for (const more of [{}, { solver: 'hals' }, { loss: 'kl' }, { updateW: false }, { init: 'nndsvd' }]) {
        for (const [factor, name] of [
          [{ W: zerosW }, 'options.W'],
          [{ H: zerosH }, 'options.H'],
          [{ W: zerosW, H: zerosH }, 'options.W'],
          [
            {
              W: [
                [1, 0],
                [0, 0],
                [0, 0],
              ],
              H: zerosH,
            },
            'options.H',
          ],
        ] as const) {
          const e = await error(() => fit(ROWS, { ...options(backend), ...more, ...factor }));
          expect(e, `${name} ${JSON.stringify(more)}`).toBeInstanceOf(RangeError);
          expect((e as Error).message).toMatch(new RegExp(`^${name.replace('.', '\\.')} is all zero while V has a nonzero entry`));
          coded(e, name);
        }
      }
      // V = 0: W = H = 0 is the exact solution, accepted.
      const zero = await fit(
        [
          [0, 0, 0, 0],
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ],
        { ...options(backend), W: zerosW, H: zerosH },
      );
      expect(Array.from(zero.reconstruct().data).every((x) => x === 0)).toBe(true);
      // A factor with one positive entry is accepted.
      expect(
        (
          await fit(ROWS, {
            ...options(backend),
            W: [
              [0, 0],
              [0, 1e-300],
              [0, 0],
            ],
          })
        ).iterations,
      ).toBe(20);
    });

    it.each(backends)('on %s: no initialisation makes an all-zero factor for a nonzero V, down to subnormal entries', (backend) => {
      for (const V of [
        [
          [5e-324, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
        ],
        [
          [1e-310, 0],
          [0, 0],
        ],
        [[0, 0, 3]],
        [
          [2.5e-200, 1e-300],
          [0, 1e-320],
        ],
      ]) {
        for (const init of ['random', 'random-scaled', 'nndsvd', 'nndsvda', 'nndsvdar'] as const) {
          const r = entry.nmfSync(V, { rank: 1, maxIter: 0, init, backend, seed: 2 });
          expect(
            r.W.data.some((x) => x > 0),
            `W, ${init}, ${JSON.stringify(V)}`,
          ).toBe(true);
          expect(
            r.H.data.some((x) => x > 0),
            `H, ${init}, ${JSON.stringify(V)}`,
          ).toBe(true);
        }
      }
    });
  });
});
