/**
 * Seeded random numbers for the data pipeline. Every random decision (shuffle order, mixup
 * partner, each transform's draws, RandomShape's size) comes from a stream named by integer
 * keys, e.g. `streamFor(seed, STREAM.sample, epoch, index)`, so a batch depends only on the
 * seed and its own position and never on which thread or in which order it was built.
 *
 * Generator: sfc32 (small fast counting generator, 128-bit state), seeded by hashing the keys
 * with a splitmix32-style integer mixer. Draw helpers follow numpy's conventions (randint's
 * exclusive upper bound, beta through two gamma variates) because the transforms are
 * specified in numpy terms.
 */

const { imul, log, sqrt, cos, PI, floor } = Math;

/** Names of the independent streams (the first key after the seed). */
export const STREAM = { shuffle: 1, sample: 2, mixup: 3, batch: 4 } as const;

function mix32(x: number): number {
  x = (x + 0x9e3779b9) >>> 0;
  x = imul(x ^ (x >>> 16), 0x85ebca6b);
  x = imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A 32-bit hash of a list of integers (order matters). */
export function hashKeys(keys: readonly number[]): number {
  let h = 0x12345678;
  for (const k of keys) {
    // Split into two 32-bit halves so seeds beyond 2^32 still matter.
    const lo = k >>> 0;
    const hi = Math.floor(k / 4294967296) >>> 0;
    h = mix32(h ^ lo);
    h = mix32(h ^ hi);
  }
  return h;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => (s = mix32(s + 0x6d2b79f5));
    // State kept as int32 (| 0) so V8 stores small integers, not boxed doubles.
    this.a = next() | 0;
    this.b = next() | 0;
    this.c = next() | 0;
    this.d = next() | 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 random bits (cheaper, for pixel noise). */
  random32(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992;
  }

  /** numpy.random.uniform(lo, hi): [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }

  /** numpy.random.randint(lo, hi): an integer in [lo, hi); hi must exceed lo. */
  randint(lo: number, hi: number): number {
    if (!(hi > lo)) throw new RangeError(`randint: expected high > low, got low ${lo}, high ${hi}`);
    return lo + floor(this.random() * (hi - lo));
  }

  /** One element of a non-empty list, uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('choice: expected a non-empty list');
    return items[this.randint(0, items.length)];
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randint(0, i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** A shuffled copy. */
  permutation<T>(items: readonly T[]): T[] {
    return this.shuffle(items.slice());
  }

  /** Standard normal (Box-Muller, the spare value kept). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = this.random();
    while (u === 0) u = this.random();
    const r = sqrt(-2 * log(u));
    const th = 2 * PI * this.random();
    this.spareNormal = r * Math.sin(th);
    return r * cos(th);
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang; shape < 1 through the boost u^(1/shape). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`gamma: expected shape > 0, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.random() || Number.MIN_VALUE, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.random();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (log(u) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
    }
  }

  /** numpy.random.beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }
}

/** The stream named by (seed, ...keys). */
export function streamFor(seed: number, ...keys: number[]): Rng {
  return new Rng(hashKeys([seed, ...keys]));
}
