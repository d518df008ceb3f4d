// A 1x1 layer reading a channel concatenation of two sources, each resized by nearest-neighbour
// when its size differs (conv2d_concat_forward): the same numbers, bit for bit, as upsample_forward,
// two channel_copy calls and conv2d_act_forward on the concatenation, on the packed path and the
// in-place (few output channels) path, with K-blocks that straddle the two sources, odd sizes,
// both align_corners settings (YOLOv3's 2x nearest upsample doubles each float: its own loop) and
// any number of threads; bad arguments end in a clear error.
import { loadAddon, nativeLoadError } from '../../src/backend/native';
import { firstDiff } from '../util/allclose';
import { randomFloats } from '../util/rng';

const A = loadAddon();
if (!A) console.log(`skipping concatenated-input 1x1 tests: ${nativeLoadError()}`);
const d = A ? describe : describe.skip;
const rand = randomFloats;
d('conv2d_concat_forward', () => {
  // N, OC, H, W, [Ca, Ha, Wa, align], [Cb, Hb, Wb, align], bias, act
  type Src = [number, number, number, number];
  const cases: Array<[string, number, number, number, number, Src, Src, boolean, number]> = [
    ['packed, K-blocks across the sources', 2, 256, 20, 20, [256, 10, 10, 1], [512, 20, 20, 0], true, 1],
    ['in place (3 panels), the second block from the second source where it lies', 2, 26, 40, 40, [128, 20, 20, 1], [256, 40, 40, 0], true, 1],
    ['in place, the first block from the first source where it lies', 1, 20, 12, 12, [300, 12, 12, 0], [40, 6, 6, 0], true, 1],
    ['the second source resized', 1, 75, 6, 6, [40, 6, 6, 0], [24, 3, 3, 0], false, -1],
    ['odd sizes, align_corners', 3, 13, 7, 9, [3, 3, 5, 1], [5, 7, 9, 1], true, 0],
    ['both resized, shrinking', 1, 40, 4, 4, [20, 9, 7, 0], [30, 2, 2, 1], true, 2],
    ["YOLOv3's 2x nearest upsample (align_corners 0), in place", 2, 26, 40, 40, [128, 20, 20, 0], [256, 40, 40, 0], true, 1],
    ["YOLOv3's 2x nearest upsample (align_corners 0), packed, tiles ending mid-row", 1, 77, 38, 38, [256, 19, 19, 0], [512, 38, 38, 0], false, 1],
  ];
  test.each(cases)('%s', (_what, N, OC, H, W, a, b, bias, act) => {
    const [Ca, Ha, Wa, la] = a;
    const [Cb, Hb, Wb, lb] = b;
    const C = Ca + Cb, P = H * W;
    const xa = rand(N * Ca * Ha * Wa, 1), xb = rand(N * Cb * Hb * Wb, 2);
    const w = rand(OC * C, 3), bv = bias ? rand(OC, 4) : null;
    const p = Int32Array.from([N, C, H, W, OC, 1, 1, H, W, 1, 1, 0, 0, 1, 1, 1, act]);
    // the reference: resize, concatenate, convolve
    const cat = new Float32Array(N * C * P);
    [[xa, Ca, Ha, Wa, la, 0], [xb, Cb, Hb, Wb, lb, Ca]].forEach(([x, Cs, Hs, Ws, al, off]) => {
      let src = x as Float32Array;
      if (Hs !== H || Ws !== W) {
        src = new Float32Array(N * (Cs as number) * P);
        A!.kernels.upsample_forward(x as Float32Array, src, Int32Array.from([N, Cs as number, Hs as number, Ws as number, H, W, 0, al as number]));
      }
      A!.kernels.channel_copy(src, cat, Int32Array.from([N, Cs as number, 0, C, off as number, Cs as number, P, 0]));
    });
    const ref = new Float32Array(N * OC * P);
    A!.conv2d_act_forward_prepared(A!.newFilterCache(), cat, w, bv, ref, p, 0.1);
    const q = Int32Array.from([Ca, Ha, Wa, la, Hb, Wb, lb]);
    const threads = A!.getThreads();
    try {
      for (const t of [1, 2, 3]) {
        A!.setThreads(t);
        const cache = A!.newFilterCache();
        for (const c of [null, cache, cache]) {
          const y = new Float32Array(ref.length).fill(NaN);
          A!.conv2d_concat_forward(c, xa, xb, w, bv, y, p, 0.1, q);
          expect(firstDiff(y, ref)).toBe(-1);
        }
      }
    } finally {
      A!.setThreads(threads);
    }
  });

  const f = (n: number) => new Float32Array(n);
  // bad calls on purpose: the addon's own checks, past the TypeScript types
  const B = A as unknown as { conv2d_concat_forward: (...a: unknown[]) => void };
  const p = Int32Array.from([1, 4, 2, 2, 8, 1, 1, 2, 2, 1, 1, 0, 0, 1, 1, 1, -1]);
  const q = Int32Array.from([1, 1, 1, 0, 2, 2, 0]);
  test.each([
    ['too few arguments', () => B.conv2d_concat_forward(null, f(1), f(12), f(32), null, f(32), p, 0), 'TypeError', /^conv2d_concat_forward: expected 9 arguments \(cache, a, b, w, bias, y, p, alpha, q\) for the call, got 8$/],
    ['q of 6 integers', () => A!.conv2d_concat_forward(null, f(1), f(12), f(32), null, f(32), p, 0, q.slice(0, 6)), 'TypeError', /^conv2d_concat_forward: expected an Int32Array of 7 integers .* for q, got an Int32Array of length 6$/],
    ['Ca as large as C', () => A!.conv2d_concat_forward(null, f(4), f(0), f(32), null, f(32), p, 0, Int32Array.from([4, 1, 1, 0, 2, 2, 0])), 'RangeError', /^conv2d_concat_forward: expected an integer in \[1, 3\] for Ca \(q\[0\]\), got 4$/],
    ['a 3x3 layer', () => A!.conv2d_concat_forward(null, f(1), f(12), f(288), null, f(32), Int32Array.from([1, 4, 2, 2, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, -1]), 0, q), 'RangeError', /^conv2d_concat_forward: expected a 1x1 layer \(stride 1, no padding, one group\) for p$/],
    ['b too short', () => A!.conv2d_concat_forward(null, f(1), f(11), f(32), null, f(32), p, 0, q), 'RangeError', /^conv2d_concat_forward: expected at least 12 elements \(N x C x H x W\) for b, got 11$/],
    ['a a plain array', () => B.conv2d_concat_forward(null, [1], f(12), f(32), null, f(32), p, 0, q), 'TypeError', /^conv2d_concat_forward: expected a Float32Array for a, got an array of length 1$/],
    ['y too short', () => A!.conv2d_concat_forward(null, f(1), f(12), f(32), null, f(31), p, 0, q), 'RangeError', /^conv2d_concat_forward: expected at least 32 elements for y, got 31$/],
  ] as const)('refuses %s', (_what, call, err, msg) => {
    let e: unknown = null;
    try {
      call();
    } catch (x) {
      e = x;
    }
    expect((e as Error)?.constructor?.name).toBe(err);
    expect((e as Error).message).toMatch(msg);
  });
});
