/**
 * The seeded random numbers of nmfkit's initialisation, written once here so that a seed gives the same W0 and
 * H0 whichever backend runs the fit (and in any JavaScript runtime).
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Chaotic generator, 128-bit state, passes PractRand), seeded
 * from the integer seed through splitmix32 so that neighbouring seeds give unrelated streams. Each uniform draw
 * combines two 32-bit outputs into a 53-bit float in [0, 1), like numpy's `random_sample`.
 */

const TWO_32 = 0x1_0000_0000;

function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** A stream of U[0,1) doubles determined by an integer seed. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // Split the safe integer into two 32-bit halves that seed different state words, so distinct seeds give
    // distinct states (splitmix32's output step is a bijection), negative seeds included.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_32) >>> 0;
    this.a = splitmix32(lo)[1];
    this.b = splitmix32(hi ^ 0x6a09e667)[1];
    this.c = splitmix32(lo ^ 0xbb67ae85)[1];
    this.d = 1;
    // Warm-up discards the weakly mixed first outputs.
    for (let k = 0; k < 12; k++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A double uniformly distributed on [0, 1) with 53 random bits. */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Fills an array with U[0,1) draws in index order. */
  fill(target: Float64Array): Float64Array {
    for (let k = 0; k < target.length; k++) target[k] = this.nextDouble();
    return target;
  }
}

/**
 * Seeds drawn from the platform's CSPRNG at a time: one call to it costs about as much as planning a small fit, so a
 * batch of fits without a seed takes its seeds from one draw instead of one draw each.
 */
const SEEDS_PER_DRAW = 256;
const seeds = new Uint32Array(SEEDS_PER_DRAW);
let seedsLeft = 0;

/** A fresh seed for a run that did not ask for one: 32 bits from the platform's CSPRNG. */
export function randomSeed(): number {
  if (seedsLeft === 0) {
    globalThis.crypto.getRandomValues(seeds);
    seedsLeft = SEEDS_PER_DRAW;
  }
  seedsLeft--;
  return seeds[seedsLeft]!;
}
