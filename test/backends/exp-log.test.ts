/**
 * The kernels' own exp, log and power (native/exp-log.h, assembly/exp-log.ts; docs/algorithms.md §2, "Powers"):
 *  - WebAssembly's SIMD lanes give the bits of its scalar code, and native (its auto-vectorised loop) the bits of
 *    WebAssembly, in float64 and float32, over every range below;
 *  - against Math.exp / Math.log (each within an ulp of the truth, so at most 2 ulps apart) in float64, and
 *    against them rounded to float32 in float32 (at most 1 float32 ulp apart);
 *  - the special values: NaN, ±0, ±∞, negative arguments, subnormal arguments and results, overflow;
 *  - x^y against Math.pow within the error the method allows, |y·log x|·2^-52 and a few ulps.
 * The ranges: exp over [−750, 712] (the subnormal results and the overflow included), near 0 and at the
 * thresholds; log over random bit patterns of every positive float (the subnormals included), [0.5, 2], near 1
 * and the powers of 2.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { WasmHeap } from '../../src/backends/wasm-memory.js';
import { compileWasmModule } from '../../src/backends/wasm.js';
import { Random } from '../../src/random.js';
import { backendAvailable } from '../support/helpers.js';

interface TestingExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  expLog_apply(op: number, float32: number, simd: number, x: number, out: number, n: number, y: number): void;
}

interface NativeExpLog {
  expLog(op: Op, dtype: 'float64' | 'float32', x: Float64Array, out: Float64Array, y?: number): void;
}

type Op = 'exp' | 'log' | 'pow';
type Dtype = 'float64' | 'float32';
const OPS: Record<Op, number> = { exp: 0, log: 1, pow: 2 };

let wasm: TestingExports;
let heap: WasmHeap;

beforeAll(() => {
  const bytes = readFileSync(new URL('../../wasm/nmfkit-testing.wasm', import.meta.url));
  wasm = new WebAssembly.Instance(compileWasmModule(bytes), {}).exports as unknown as TestingExports;
  heap = new WasmHeap(wasm.memory, wasm.heapBase());
});

/** The WebAssembly kernels on x: all scalar, or whole vectors on the SIMD path. */
function wasmApply(op: Op, dtype: Dtype, x: Float64Array, simd: boolean, y = 0): Float64Array {
  const at = heap.alloc(x.length * 8, 'x');
  const out = heap.alloc(x.length * 8, 'out');
  new Float64Array(wasm.memory.buffer, at, x.length).set(x);
  wasm.expLog_apply(OPS[op], dtype === 'float32' ? 1 : 0, simd ? 1 : 0, at, out, x.length, y);
  const result = new Float64Array(wasm.memory.buffer, out, x.length).slice();
  heap.free(at);
  heap.free(out);
  return result;
}

const native = backendAvailable('native')
  ? (createRequire(import.meta.url)('node-gyp-build')(fileURLToPath(new URL('../..', import.meta.url))) as NativeExpLog)
  : undefined;

function nativeApply(op: Op, dtype: Dtype, x: Float64Array, y = 0): Float64Array {
  const out = new Float64Array(x.length);
  native!.expLog(op, dtype, x, out, y);
  return out;
}

const random = new Random(20261204);
const uniform = (n: number, low: number, high: number): number[] =>
  Array.from({ length: n }, () => low + (high - low) * random.nextDouble());

/** Random bit patterns of positive finite float64 (every exponent equally likely, the subnormals included). */
function positiveBitPatterns(n: number): number[] {
  const bits = new BigUint64Array(n);
  for (let i = 0; i < n; i++) {
    const hi = BigInt(Math.floor(random.nextDouble() * 0x7fefffff));
    const lo = BigInt(Math.floor(random.nextDouble() * 2 ** 32));
    bits[i] = (hi << 32n) | lo;
  }
  return Array.from(new Float64Array(bits.buffer));
}

const SPECIALS = [0, -0, 1, -1, Infinity, -Infinity, NaN, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308];
const EXP_ARGUMENTS = Float64Array.from([
  ...uniform(40000, -750, 712),
  ...uniform(10000, -1, 1),
  ...uniform(2000, -1e-8, 1e-8),
  ...uniform(2000, -745.2, -708), // subnormal results
  ...uniform(2000, 708, 709.79), // near overflow
  ...uniform(2000, -104, 89), // the float32 range
  709.782712893384,
  709.7827128933841,
  -745.1332191019411,
  -745.1332191019412,
  88.72283,
  88.72284,
  -103.97,
  -87.3365,
  ...SPECIALS,
]);
const LOG_ARGUMENTS = Float64Array.from([
  ...positiveBitPatterns(40000),
  ...uniform(10000, 0.5, 2),
  ...uniform(2000, 1 - 1e-9, 1 + 1e-9),
  ...uniform(2000, 1e-320, 1e-307), // subnormal arguments
  ...uniform(2000, 1e-44, 1e-37), // float32 subnormal arguments
  ...Array.from({ length: 200 }, (_, i) => 2 ** (i - 100)),
  ...SPECIALS,
  -1e-300,
  -5,
]);

/** Distance in units in the last place of `want` (float64, or float32 when `f32`); 0 for equal specials. */
function ulps(got: number, want: number, f32 = false): number {
  if (Number.isNaN(want) || !Number.isFinite(want)) return Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)) ? 0 : Infinity;
  if (got === want) return 0;
  const a = Math.abs(want);
  const ulp = f32
    ? Math.max(2 ** (Math.floor(Math.log2(a || 1e-45)) - 23), 2 ** -149)
    : Math.max(2 ** (Math.floor(Math.log2(a)) - 52), 5e-324);
  return Math.abs(got - want) / ulp;
}

function expectSameBits(got: Float64Array, want: Float64Array, what: string): void {
  const differing: string[] = [];
  for (let i = 0; i < got.length && differing.length < 5; i++) {
    if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) differing.push(`${i}: ${got[i]} vs ${want[i]}`);
  }
  expect(differing, what).toEqual([]);
}

const CASES: [Op, Dtype, Float64Array, number][] = [
  ['exp', 'float64', EXP_ARGUMENTS, 0],
  ['exp', 'float32', EXP_ARGUMENTS, 0],
  ['log', 'float64', LOG_ARGUMENTS, 0],
  ['log', 'float32', LOG_ARGUMENTS, 0],
  ['pow', 'float64', LOG_ARGUMENTS, -0.5],
  ['pow', 'float64', LOG_ARGUMENTS, 0.7],
  ['pow', 'float64', LOG_ARGUMENTS, 2 / 3],
  ['pow', 'float32', LOG_ARGUMENTS, -1.3],
];

describe('exp, log and pow of the kernels', () => {
  it.each(CASES.map(([op, dtype, x, y]) => [op, dtype, y, x] as const))(
    '%s %s (y = %d): WebAssembly SIMD = scalar = native, bit for bit',
    (op, dtype, y, x) => {
      const scalar = wasmApply(op, dtype, x, false, y);
      expectSameBits(wasmApply(op, dtype, x, true, y), scalar, 'SIMD vs scalar');
      if (native) expectSameBits(nativeApply(op, dtype, x, y), scalar, 'native vs WebAssembly');
    },
  );

  // float64: each within an ulp of the truth, so at most 2 apart, and most of them (> 99.9 %) within one: a
  // systematic error would show there first. float32: against the float64 functions rounded to float32.
  it.each([
    ['float64', 2, 0.999],
    ['float32', 1, 1],
  ] as const)('%s exp and log are within %d ulps of Math.exp and Math.log', (dtype, most, share) => {
    const f32 = dtype === 'float32';
    for (const [op, x, f] of [
      ['exp', EXP_ARGUMENTS, Math.exp],
      ['log', LOG_ARGUMENTS, Math.log],
    ] as const) {
      const got = wasmApply(op, dtype, x, true);
      let worst = 0;
      let within1 = 0;
      x.forEach((v, i) => {
        const e = f32 ? ulps(got[i]!, Math.fround(f(Math.fround(v))), true) : ulps(got[i]!, f(v));
        worst = Math.max(worst, e);
        if (e <= 1) within1++;
      });
      expect(worst, op).toBeLessThanOrEqual(most);
      expect(within1 / x.length, op).toBeGreaterThanOrEqual(share);
    }
  });

  it('special values: NaN, ±0, ±∞, negative arguments, overflow and underflow', () => {
    const x = Float64Array.from([NaN, 0, -0, Infinity, -Infinity, -1, 1, 800, -800, 5e-324, 710, -746]);
    for (const dtype of ['float64', 'float32'] as const) {
      const e = wasmApply('exp', dtype, x, true);
      expect(Array.from(e), dtype).toEqual([NaN, 1, 1, Infinity, 0, e[5], e[6], Infinity, 0, 1, Infinity, 0]);
      const l = wasmApply('log', dtype, x, true);
      expect(Array.from(l.slice(0, 7)), dtype).toEqual([NaN, -Infinity, -Infinity, Infinity, NaN, NaN, 0]);
    }
    // The smallest subnormal result and the largest finite one, as exp rounds them.
    expect(wasmApply('exp', 'float64', Float64Array.from([-745.1332191019411, 709.782712893384]), false)).toEqual(
      Float64Array.from([5e-324, Math.exp(709.782712893384)]),
    );
    // log of a subnormal: 2^-1074 exactly.
    expect(wasmApply('log', 'float64', Float64Array.from([5e-324]), true)[0]).toBe(Math.log(5e-324));
  });

  it('x^y within (|y·log x| + 4)·2^-52 relative of Math.pow (overflow alike), and 0^y = 0 (y > 0), +∞ (y < 0)', () => {
    const x = Float64Array.from([
      ...uniform(5000, 1e-6, 1e6),
      ...uniform(2000, 0.5, 2),
      ...positiveBitPatterns(5000).filter((v) => v > 1e-300 && v < 1e300),
    ]);
    for (const y of [-1.5, -0.5, 0.3, 2 / 3, 1.7, 3.25]) {
      const got = wasmApply('pow', 'float64', x, true, y);
      const bad = Array.from(x).filter((v, i) => {
        const want = Math.pow(v, y);
        // Overflow to ∞ alike; a subnormal result has an absolute ulp.
        return !(got[i] === want || Math.abs(got[i]! - want) <= (Math.abs(y * Math.log(v)) + 4) * 2 ** -52 * Math.abs(want) + 1e-323);
      });
      expect(bad.slice(0, 3), `y = ${y}`).toEqual([]);
      expect(Array.from(wasmApply('pow', 'float64', Float64Array.from([0]), true, y)), `0^${y}`).toEqual([y > 0 ? 0 : Infinity]);
    }
  });
});
