// The native backend starts every tensor's data on a 64-byte cache line (JS typed arrays start 16
// bytes into one, so each 64-byte vector access of a kernel would straddle two lines): storage is a
// view into a slightly longer array, and the kernels give the same bits on it as on any other view.
import { nativeBackend, loadAddon, nativeLoadError } from '../../src/backend/native';
import * as ops from '../../src/backend/ops';
import { Tensor } from '../../src/backend/tensor';
import { randomArray } from '../util/rng';

const addon = loadAddon();
if (!addon) console.log(`skipping native alignment tests: ${nativeLoadError()}`);
const d = addon ? describe : describe.skip;

d('native tensors start on a cache line', () => {
  test('lineOffset is the data address modulo 64, for views too; anything else is a TypeError', () => {
    const a = new Float32Array(64);
    const base = addon!.lineOffset(a);
    expect(base % 4).toBe(0);
    for (const k of [1, 3, 16, 17]) expect(addon!.lineOffset(a.subarray(k))).toBe((base + 4 * k) % 64);
    expect(addon!.lineOffset(new Uint8Array(a.buffer, 5))).toBe((base + 5) % 64);
    expect(() => addon!.lineOffset(3 as unknown as Float32Array)).toThrow(/^lineOffset: expected a typed array for a, got 3$/);
    expect(() => (addon!.lineOffset as unknown as () => number)()).toThrow(/^lineOffset: expected a typed array for a, got nothing$/);
  });

  test('alloc, fromArray and the tensors built on them start on a line and hold exactly their elements', () => {
    for (const n of [16, 17, 100, 4096, 20003]) {
      const s = nativeBackend.alloc(n);
      expect(s.length).toBe(n);
      expect(addon!.lineOffset(s)).toBe(0);
      expect(Array.from(s.subarray(0, 3))).toEqual([0, 0, 0]);
      const v = randomArray(n, n);
      const f = nativeBackend.fromArray(v);
      expect(addon!.lineOffset(f)).toBe(0);
      expect(f).toEqual(Float32Array.from(v));
      const t = Tensor.from(v, [n], nativeBackend);
      expect(addon!.lineOffset(t.storage)).toBe(0);
      const z = Tensor.zeros([n], nativeBackend);
      expect(addon!.lineOffset(z.storage)).toBe(0);
      expect(z.toArray().every((x) => x === 0)).toBe(true);
      t.dispose();
      z.dispose();
    }
    // tiny tensors are plain arrays (nothing to gain)
    expect(nativeBackend.alloc(3).length).toBe(3);
  });

  test('a convolution gives the same bits on line-aligned buffers as on buffers 4, 8 or 12 bytes off', () => {
    const x = Tensor.from(randomArray(2 * 24 * 13 * 13, 1), [2, 24, 13, 13], nativeBackend);
    const w = Tensor.from(randomArray(40 * 24 * 3 * 3, 2), [40, 24, 3, 3], nativeBackend);
    const b = Tensor.from(randomArray(40, 3), [40], nativeBackend);
    const want = ops.conv2d(x, w, b, { padding: 1 });
    for (const off of [1, 2, 3]) {
      const shifted = (t: Tensor) => {
        const a = new Float32Array(t.size + 4).subarray(off, off + t.size);
        a.set(t.storage as Float32Array);
        return new Tensor(t.shape, nativeBackend, a);
      };
      const [xs, ws, bs] = [x, w, b].map(shifted);
      expect(addon!.lineOffset(xs.storage)).not.toBe(0);
      const got = ops.conv2d(xs, ws, bs, { padding: 1 });
      expect(got.toArray()).toEqual(want.toArray());
      [xs, ws, bs, got].forEach((t) => t.dispose());
    }
    [x, w, b, want].forEach((t) => t.dispose());
  });
});
