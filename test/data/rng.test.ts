/** The seeded generator: streams fixed by their keys, numpy-style draws in range. */
import { Rng, streamFor, hashKeys, STREAM } from '../../src/data/rng';

test('a stream is fixed by (seed, keys); other keys give other streams', () => {
  const a = streamFor(1, STREAM.sample, 0, 3);
  const b = streamFor(1, STREAM.sample, 0, 3);
  const draws = (r: Rng) => Array.from({ length: 5 }, () => r.u32());
  const da = draws(a);
  expect(draws(b)).toEqual(da);
  expect(draws(streamFor(1, STREAM.sample, 0, 4))).not.toEqual(da);
  expect(draws(streamFor(2, STREAM.sample, 0, 3))).not.toEqual(da);
  expect(hashKeys([1, 2])).not.toBe(hashKeys([2, 1]));
  expect(hashKeys([2 ** 32 + 5])).not.toBe(hashKeys([5]));
});

test('draws stay in range and look uniform', () => {
  const r = new Rng(42);
  const counts = new Array<number>(5).fill(0);
  let sum = 0;
  for (let i = 0; i < 5000; i++) {
    const u = r.random();
    expect(u >= 0 && u < 1).toBe(true);
    sum += u;
    const k = r.randint(2, 7);
    expect(Number.isInteger(k) && k >= 2 && k < 7).toBe(true);
    counts[k - 2]++;
    const v = r.uniform(-3, -1);
    expect(v >= -3 && v < -1).toBe(true);
  }
  expect(sum / 5000).toBeCloseTo(0.5, 1);
  for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  expect(() => r.randint(3, 3)).toThrow(/expected high > low/);
});

test('shuffle is a permutation; normal has mean 0 and variance 1', () => {
  const r = new Rng(9);
  const p = r.permutation([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect([...p].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(p).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < 6000; i++) {
    const z = r.normal();
    s += z;
    s2 += z * z;
  }
  expect(s / 6000).toBeCloseTo(0, 1);
  expect(s2 / 6000).toBeCloseTo(1, 1);
});
