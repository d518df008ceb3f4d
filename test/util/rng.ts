/**
 * Seeded random numbers for tests: the same seed gives the same stream on every machine, so a
 * failing case can be replayed. The generator is a 32-bit counter passed through an integer
 * mixing function (multiply, xor-shift rounds); plenty for test data, not for cryptography.
 */
// Bound once: global lookups are slow inside vm contexts (the test environment).
const { floor, imul, min, trunc } = Math;

/** A stream of uniform numbers in [-1, 1), fixed by `seed` (any integer). */
export function rng(seed: number): () => number {
  let state = (trunc(seed) ^ 0x5bd1e995) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = imul(z ^ (z >>> 16), 0x21f0aaad);
    z = imul(z ^ (z >>> 15), 0x735a2d97);
    z = (z ^ (z >>> 15)) >>> 0;
    return (z / 4294967296) * 2 - 1;
  };
}

/** n uniform float32 numbers in [-1, 1), fixed by `seed`. */
export function randomFloats(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r());
}

/** n uniform numbers in [lo, hi) (default [-1, 1)), fixed by `seed`. */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + ((r() + 1) / 2) * (hi - lo);
  return out;
}

/** n distinct, well separated values in random order (for max pooling without ties). */
export function distinctArray(n: number, seed: number, gap = 0.05): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (i - n / 2) * gap;
  for (let i = n - 1; i > 0; i--) {
    const j = floor(((r() + 1) / 2) * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** Random integers in [0, k), fixed by `seed`. */
export function randomInts(n: number, k: number, seed: number): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = min(k - 1, floor(((r() + 1) / 2) * k));
  return out;
}
