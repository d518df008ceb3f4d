// The shared test utilities (test/util) must be able to fail: a check that cannot fail proves nothing.
import { allclose, expectClose } from '../util/allclose';
import { checkGrad, gradError, numericGrad } from '../util/gradcheck';
import { distinctArray, randomArray, randomInts, rng } from '../util/rng';

describe('rng', () => {
  test('deterministic per seed, uniform in [-1, 1)', () => {
    const a = randomArray(1000, 5), b = randomArray(1000, 5), c = randomArray(1000, 6);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThan(1);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    const r = rng(5);
    expect(r()).toBe(a[0]);
  });

  test('ranges, distinct values and integers', () => {
    const a = randomArray(100, 1, 2, 3);
    expect(a.every((v) => v >= 2 && v < 3)).toBe(true);
    const d = Array.from(distinctArray(50, 2)).sort((x, y) => x - y);
    for (let i = 1; i < d.length; i++) expect(d[i] - d[i - 1]).toBeCloseTo(0.05, 12);
    const k = randomInts(200, 4, 3);
    expect(k.every((v) => v >= 0 && v < 4)).toBe(true);
    expect(new Set(k).size).toBe(4);
  });
});

describe('allclose / expectClose', () => {
  test('tolerances, NaN and length mismatch', () => {
    expect(allclose([1, 2], [1, 2.1], { atol: 0.2, rtol: 0 }).ok).toBe(true);
    const r = allclose([1, 2, 3], [1, 2.5, 3.1], { atol: 0.2, rtol: 0 });
    expect(r).toEqual({ ok: false, maxErr: 0.5, at: 1 });
    expect(allclose([NaN], [NaN]).ok).toBe(false);
    expect(allclose([1, NaN], [1, 2]).ok).toBe(false);
    expect(allclose([Infinity, -1], [Infinity, -1]).ok).toBe(true);
    expect(allclose([Infinity], [-Infinity]).ok).toBe(false);
    expect(allclose([1], [1, 2]).ok).toBe(false);
    expect(() => expectClose([1, 2], [1, 3], 1e-3)).toThrow(/at \[1\] got 2, expected 3/);
    expect(() => expectClose([1, 2], [1, 2 + 1e-9], 1e-6)).not.toThrow();
  });
});

describe('gradcheck', () => {
  test('numeric gradient of a cubic, and a wrong gradient is caught', () => {
    const x = Float64Array.of(0.5, -1.5, 2);
    const f = () => x[0] ** 3 + 2 * x[1] * x[2];
    const g = numericGrad(f, x);
    const exact = [3 * 0.25, 2 * 2, 2 * -1.5];
    expect(gradError(exact, g)).toBeLessThan(1e-9);
    expect(Array.from(x)).toEqual([0.5, -1.5, 2]); // restored
    expect(() => checkGrad('cubic', f, x, exact)).not.toThrow();
    expect(() => checkGrad('cubic', f, x, [0.75, 4, -3.01])).toThrow(/cubic: gradient mismatch/);
    expect(() => checkGrad('flat', () => 1, x, [0, 0, 0])).toThrow(/identically zero/);
  });
});
