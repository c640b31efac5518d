/**
 * Soft masks and separation on random factors: the masks are W_g·H_g ⊘ (W·H + eps) for α = 1 and the α-Wiener
 * ratios otherwise, lie in [0, 1] and sum to 1 with the residual's; the separated signals add up to the mixture;
 * arguments are validated and not modified.
 */
import { describe, expect, it } from 'vitest';
import { separate, softMasks, stft } from '../src/index.js';

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function matrix(rows: number, cols: number, seed: number): { rows: number; cols: number; data: Float64Array } {
  const next = random(seed);
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, next) };
}

const eps = 2 ** -23;

describe('softMasks', () => {
  const W = matrix(6, 4, 1);
  const H = matrix(4, 5, 2);

  function model(components: number[], alpha = 1): Float64Array {
    const out = new Float64Array(30);
    for (let k = 0; k < 6; k++) {
      for (let n = 0; n < 5; n++) {
        let s = 0;
        for (const r of components) s += W.data[k * 4 + r]! * H.data[r * 5 + n]!;
        out[k * 5 + n] = s ** alpha;
      }
    }
    return out;
  }

  it('is W_g·H_g ⊘ (W·H + eps) for α = 1, with the residual taking the rest', () => {
    const { masks, residual } = softMasks(W, H, [[0, 2], [3]]);
    const all = model([0, 1, 2, 3]);
    const g0 = model([0, 2]);
    const g1 = model([3]);
    for (let i = 0; i < 30; i++) {
      expect(masks[0]!.data[i]).toBeCloseTo(g0[i]! / (all[i]! + eps), 14);
      expect(masks[1]!.data[i]).toBeCloseTo(g1[i]! / (all[i]! + eps), 14);
      expect(masks[0]!.data[i]! + masks[1]!.data[i]! + residual.data[i]!).toBeCloseTo(1, 14);
      expect(residual.data[i]).toBeGreaterThanOrEqual(0);
    }
  });

  it('applies the α-Wiener exponent over the groups and the rest', () => {
    const { masks } = softMasks(W, H, [[0], [1, 2]], { alpha: 2 });
    const parts = [model([0], 2), model([1, 2], 2), model([3], 2)];
    for (let i = 0; i < 30; i++) {
      const total = parts[0]![i]! + parts[1]![i]! + parts[2]![i]! + eps;
      expect(masks[0]!.data[i]).toBeCloseTo(parts[0]![i]! / total, 14);
      expect(masks[1]!.data[i]).toBeCloseTo(parts[1]![i]! / total, 14);
    }
  });

  it('validates groups and options', () => {
    expect(() => softMasks(W, H, [[0, 1], [1]])).toThrow(/groups\[1\]\[0\]: component 1 is already in groups\[0\]/);
    expect(() => softMasks(W, H, [[4]])).toThrow(/groups\[0\]\[0\] must be an integer in \[0, 3\] \(W has 4 columns\), got 4/);
    expect(() => softMasks(W, H, [])).toThrow(/groups must be a non-empty array/);
    expect(() => softMasks(W, H, [[0]], { alpha: 0 })).toThrow(/options.alpha must be a finite number > 0, got 0/);
    expect(() => softMasks(W, matrix(3, 5, 3), [[0]])).toThrow(/H must have one row per column of W \(4\), got 3×5/);
  });
});

describe('separate', () => {
  it('splits a mixture into signals that add up to it, without modifying the inputs', () => {
    const next = random(9);
    const x = Float64Array.from({ length: 4000 }, () => 2 * next() - 1);
    const spec = stft(x, 8000, { nFft: 256, hop: 64 });
    const W = matrix(spec.bins, 3, 4);
    const H = matrix(3, spec.frames, 5);
    const copies = [spec.re.slice(), W.data.slice(), H.data.slice()];
    const result = separate(spec, W, H, [[0], [2]], { masks: true });
    expect(result.sources.map((s) => s.components)).toEqual([[0], [2]]);
    expect(result.residual.components).toEqual([1]);
    expect(result.sources[0]!.mask!.rows).toBe(spec.bins);
    const sum = new Float64Array(x.length);
    for (const s of [...result.sources, result.residual]) s.signal.forEach((v, i) => (sum[i] = sum[i]! + v));
    let err = 0;
    sum.forEach((v, i) => (err = Math.max(err, Math.abs(v - x[i]!))));
    expect(err).toBeLessThan(1e-12);
    expect([spec.re, W.data, H.data]).toEqual(copies);
  });

  it('needs templates over every STFT bin and activations for every frame', () => {
    const spec = stft(new Float64Array(1000), 8000, { nFft: 128, hop: 32 });
    expect(() => separate(spec, matrix(10, 2, 1), matrix(2, spec.frames, 2), [[0]])).toThrow(/W has 10 rows but spec has 65 bins/);
    expect(() => separate(spec, matrix(65, 2, 1), matrix(2, 7, 2), [[0]])).toThrow(/H has 7 columns but spec has \d+ frames/);
  });
});
