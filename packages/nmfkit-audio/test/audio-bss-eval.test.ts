/**
 * BSS-Eval v3 (bssEvalSources) and SI-SDR against an independent numpy implementation: the fixtures of
 * test/fixtures/bss-eval/ (scripts/bss_eval_reference.py: synthetic signals, and excerpts of the piano recording
 * and its rendered C5 stem with mask estimates), each value to 0.01 dB, the permutation exactly. Then properties
 * that need no reference: invariances, orderings and the edge cases.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bssEvalSources, decodeWav, siSdr } from '../src/index.js';

const FIXTURES = new URL('./fixtures/bss-eval/', import.meta.url);

interface Case {
  readonly name: string;
  readonly references: string;
  readonly estimates: string;
  readonly sources: number;
  readonly samples: number;
  readonly sdr: (number | null)[];
  readonly sir: (number | null)[];
  readonly sar: (number | null)[];
  readonly siSdr: (number | null)[];
  readonly permutation: number[];
}

const { cases } = JSON.parse(readFileSync(new URL('cases.json', FIXTURES), 'utf8')) as { cases: Case[] };

/** The channels of a float32 WAV fixture, one signal per source. */
function channels(file: string, count: number): Float64Array[] {
  const bytes = readFileSync(new URL(file, FIXTURES));
  return Array.from({ length: count }, (_, c) => decodeWav(bytes, { channel: c }).samples);
}

const dB = (v: number | null): number => (v === null ? Infinity : v);

describe('bssEvalSources and siSdr match the numpy reference (scripts/bss_eval_reference.py) to 0.01 dB', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const refs = channels(c.references, c.sources);
    const ests = channels(c.estimates, c.sources);
    expect(refs[0]!.length).toBe(c.samples);
    const got = bssEvalSources(refs, ests);
    expect(got.permutation).toEqual(c.permutation);
    for (const key of ['sdr', 'sir', 'sar'] as const) {
      c[key].forEach((expected, j) => {
        if (expected === null) expect(got[key][j]).toBe(Infinity);
        else expect(Math.abs(got[key][j]! - expected), `${key}[${j}]: ${got[key][j]} vs ${expected}`).toBeLessThan(0.01);
      });
    }
    c.siSdr.forEach((expected, j) => {
      expect(Math.abs(siSdr(refs[j]!, ests[c.permutation[j]!]!) - dB(expected))).toBeLessThan(0.01);
    });
  });
});

describe('bssEvalSources: properties', () => {
  const n = 2000;
  /** Uniform noise in [−0.5, 0.5) from a linear congruential generator: broadband, so G is well conditioned. */
  const random = (seed: number): Float64Array => {
    let x = seed;
    return Float64Array.from({ length: n }, () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return x / 2 ** 32 - 0.5;
    });
  };
  // Silent over its last 32 samples, so a delayed copy of it fits inside the signals' length.
  const tone = random(1).map((v, t) => (t < n - 32 ? v * Math.exp(-t / 900) : 0));
  const noise = random(2).map((v) => 0.3 * v);
  const artifact = random(3);

  it('scores do not change when an estimate is scaled; SDR = SIR = SAR = ∞-like for a perfect estimate', () => {
    const ests = [
      tone.map((v, t) => v + 0.1 * noise[t]! + 0.01 * artifact[t]!),
      noise.map((v, t) => v + 0.2 * tone[t]! + 0.02 * artifact[t]!),
    ];
    const a = bssEvalSources([tone, noise], ests, { filterLength: 64 });
    const b = bssEvalSources([tone, noise], [ests[0]!.map((v) => 3 * v), ests[1]!.map((v) => -0.5 * v)], { filterLength: 64 });
    for (const key of ['sdr', 'sir', 'sar'] as const) for (let j = 0; j < 2; j++) expect(b[key][j]).toBeCloseTo(a[key][j]!, 6);
    const perfect = bssEvalSources([tone, noise], [tone, noise], { filterLength: 32 });
    for (const v of [...perfect.sdr, ...perfect.sir, ...perfect.sar]) expect(v).toBeGreaterThan(100);
  });

  it('a filtered target (within the taps) is no distortion; SDR ≤ min(SIR, SAR)', () => {
    const filtered = tone.map((v, t) => 0.8 * v + 0.3 * (tone[t - 5] ?? 0));
    const r = bssEvalSources([tone, noise], [filtered.map((v, t) => v + 0.05 * noise[t]!), noise], { filterLength: 16 });
    expect(r.sar[0]).toBeGreaterThan(100);
    for (let j = 0; j < 2; j++) expect(r.sdr[j]!).toBeLessThanOrEqual(Math.min(r.sir[j]!, r.sar[j]!) + 1e-9);
  });

  it('permutation: false keeps the order; true finds the swap', () => {
    const swapped = bssEvalSources([tone, noise], [noise, tone], { filterLength: 8 });
    expect(swapped.permutation).toEqual([1, 0]);
    const kept = bssEvalSources([tone, noise], [noise, tone], { filterLength: 8, permutation: false });
    expect(kept.permutation).toEqual([0, 1]);
    expect(kept.sir[0]!).toBeLessThan(0);
  });

  it('edge cases: silent signals, unequal lengths, too many unknowns, linearly dependent references', () => {
    expect(() => bssEvalSources([tone, new Float64Array(n)], [tone, noise])).toThrow(/^references\[1\] is silent/);
    expect(() => bssEvalSources([tone, noise], [tone, new Float64Array(n)])).toThrow(/^estimates\[1\] is silent/);
    expect(() => bssEvalSources([tone], [tone.subarray(1)])).toThrow(/^estimates\[0\] has 1999 samples/);
    expect(() => bssEvalSources([tone, noise], [tone])).toThrow(/^estimates must have one signal per reference \(2\), got 1/);
    expect(() => bssEvalSources([tone], [tone], { filterLength: 4000 })).toThrow(/^options\.filterLength × the number of sources/);
    const twice = bssEvalSources([tone, tone.map((v) => 2 * v)], [tone, noise], { filterLength: 4 });
    expect(twice.sdr.every((v) => !Number.isNaN(v))).toBe(true);
  });
});

describe('siSdr', () => {
  it('is the energy ratio of the scaled reference to the rest; −∞ for silence; scale-invariant', () => {
    const s = [1, 0, -1, 0.5];
    const e = [1, 0.1, -1, 0.5];
    const alpha = (1 + 1 + 0.25) / (1 + 1 + 0.25);
    const expected = 10 * Math.log10((alpha ** 2 * 2.25) / 0.01);
    expect(siSdr(s, e)).toBeCloseTo(expected, 10);
    expect(
      siSdr(
        s,
        e.map((v) => 5 * v),
      ),
    ).toBeCloseTo(expected, 10);
    expect(siSdr(s, [0, 0, 0, 0])).toBe(-Infinity);
    expect(siSdr(s, s)).toBe(Infinity);
    expect(() => siSdr([0, 0], [1, 1])).toThrow(/^reference is silent/);
    expect(() => siSdr([1, 0], [1])).toThrow(/^estimate has 1 samples/);
  });
});
