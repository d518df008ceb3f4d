// A 3x3 layer and the 1x1 layer reading its output in one call (conv_wino_pw_forward): the same
// numbers, bit for bit, as conv2d_act_forward_prepared twice, where the 3x3 layer runs by Winograd
// slivers (narrow layers on CPUs with AVX2 or AVX-512: the 1x1 layer then runs on each sliver's
// outputs in cache) and where it does not (the two kernels one after the other: wide or stride-2
// 3x3 layers, a 1x1 layer with more outputs than the 3x3 layer's); odd sizes,
// partial tiles, null biases, each activation, a 1x1 layer whose K splits into two blocks, any
// number of threads. Bad arguments end in one clear error each, and the process survives them.
import { loadAddon, nativeLoadError } from '../../src/backend/native';
import { firstDiff } from '../util/allclose';
import { randomFloats } from '../util/rng';

const A = loadAddon();
if (!A) console.log(`skipping conv pair tests: ${nativeLoadError()}`);
const d = A ? describe : describe.skip;
const rand = randomFloats;
// the sliver path needs the vector transforms (AVX2 or AVX-512)
const simd = !!A && A.cpuInfo().avx2 && process.env.SLIMPRUNE_WINOGRAD !== 'portable';
if (A && !simd) console.log('conv pair tests: this CPU has no AVX2 (or SLIMPRUNE_WINOGRAD=portable): every pair runs as two kernels, which is what is checked');

/** [N, C, M (the 3x3 layer's outputs), O (the 1x1 layer's), H, W, act3, act1, biases, stride of the 3x3 layer] */
type Pair = [number, number, number, number, number, number, number, number, boolean, number];
function build([N, C, M, O, H, W, act3, act1, bias, st]: Pair, seed: number) {
  const OH = Math.floor((H - 1) / st) + 1, OW = Math.floor((W - 1) / st) + 1;
  const p3 = Int32Array.from([N, C, H, W, M, 3, 3, OH, OW, st, st, 1, 1, 1, 1, 1, act3]);
  const p1 = Int32Array.from([N, M, OH, OW, O, 1, 1, OH, OW, 1, 1, 0, 0, 1, 1, 1, act1]);
  const x = rand(N * C * H * W, seed), w3 = rand(M * C * 9, seed + 1), b3 = bias ? rand(M, seed + 2) : null;
  const w1 = rand(O * M, seed + 3), b1 = bias ? rand(O, seed + 4) : null;
  const y3 = new Float32Array(N * M * OH * OW), ref = new Float32Array(N * O * OH * OW);
  A!.conv2d_act_forward_prepared(A!.newFilterCache(), x, w3, b3, y3, p3, 0.1);
  A!.conv2d_act_forward_prepared(A!.newFilterCache(), y3, w1, b1, ref, p1, 0.2);
  return { p3, p1, x, w3, b3, w1, b1, y3: new Float32Array(y3.length), ref };
}

d('conv_wino_pw_forward', () => {
  const cases: Array<[string, Pair, boolean]> = [
    ["r578's 26 -> 51 -> 26 at 40x40, leaky_relu", [2, 26, 51, 26, 40, 40, 1, 1, true, 1], true],
    ["r578's 77 -> 154 -> 77 at 20x20", [2, 77, 154, 77, 20, 20, 1, 1, true, 1], true],
    ["a detection output after r578's 77 -> 154 (no activation)", [2, 77, 154, 75, 20, 20, 1, -1, true, 1], true],
    ['odd sizes (partial tiles), no biases, relu then relu6', [1, 26, 51, 26, 21, 19, 0, 2, false, 1], true],
    ['three images of 9x7', [3, 30, 40, 36, 9, 7, 1, 1, true, 1], true],
    ['a 1x1 layer whose K (300 + bias) splits into two blocks', [2, 24, 300, 40, 20, 20, 1, 0, true, 1], true],
    ['wide layers (128 -> 256): the two kernels', [2, 128, 256, 128, 40, 40, 1, 1, true, 1], false],
    ['a stride-2 3x3 layer: the two kernels', [2, 26, 51, 26, 40, 40, 1, 1, true, 2], false],
    ['under 24 channels in: the two kernels', [2, 16, 51, 26, 40, 40, 1, 1, true, 1], false],
    ['a 1x1 layer wider than the 3x3 layer (51 -> 75, a detection output): the two kernels', [2, 26, 51, 75, 40, 40, 1, -1, true, 1], false],
  ];
  test.each(cases)('%s', (_what, pair, usable) => {
    const c = build(pair, 11);
    expect(A!.winoPwUsable(c.p3, c.p1)).toBe(usable && simd);
    const threads = A!.getThreads();
    try {
      for (const t of [1, 2, 3]) {
        A!.setThreads(t);
        // fresh caches (the first call packs and transforms) and warm ones (the second)
        const c3 = A!.newFilterCache(), c1 = A!.newFilterCache();
        for (let r = 0; r < 2; r++) {
          const y = new Float32Array(c.ref.length).fill(NaN);
          A!.conv_wino_pw_forward(c3, c1, c.x, c.w3, c.b3, c.y3, c.w1, c.b1, y, c.p3, c.p1, 0.1, 0.2);
          expect([t, r, firstDiff(y, c.ref)]).toEqual([t, r, -1]);
        }
      }
      const y = new Float32Array(c.ref.length).fill(NaN);
      A!.conv_wino_pw_forward(null, null, c.x, c.w3, c.b3, c.y3, c.w1, c.b1, y, c.p3, c.p1, 0.1, 0.2);
      expect(firstDiff(y, c.ref)).toBe(-1);
    } finally {
      A!.setThreads(threads);
    }
  });

  test('an input with an Inf: the two kernels, the same numbers', () => {
    const c = build([2, 26, 51, 26, 40, 40, 1, 1, true, 1], 5);
    const x = Float32Array.from(c.x);
    x[777] = Infinity;
    const y3 = new Float32Array(c.y3.length), ref = new Float32Array(c.ref.length);
    A!.conv2d_act_forward_prepared(A!.newFilterCache(), x, c.w3, c.b3, y3, c.p3, 0.1);
    A!.conv2d_act_forward_prepared(A!.newFilterCache(), y3, c.w1, c.b1, ref, c.p1, 0.2);
    const y = new Float32Array(ref.length);
    A!.conv_wino_pw_forward(A!.newFilterCache(), A!.newFilterCache(), x, c.w3, c.b3, c.y3, c.w1, c.b1, y, c.p3, c.p1, 0.1, 0.2);
    expect(firstDiff(y, ref)).toBe(-1);
  });

  test('bad arguments: one clear error each, nothing written', () => {
    const c = build([1, 26, 51, 26, 20, 20, 1, 1, true, 1], 3);
    const y = new Float32Array(c.ref.length);
    const call = (...a: unknown[]) => () => (A!.conv_wino_pw_forward as (...b: unknown[]) => void)(...a);
    const args = (over: Record<number, unknown> = {}) => {
      const a: unknown[] = [null, null, c.x, c.w3, c.b3, c.y3, c.w1, c.b1, y, c.p3, c.p1, 0.1, 0.2];
      for (const [k, v] of Object.entries(over)) a[Number(k)] = v;
      return a;
    };
    expect(call(...args().slice(0, 12))).toThrow(/^conv_wino_pw_forward: expected 13 arguments \(c3, c1, x, w3, b3, y3, w1, b1, y, p3, p1, alpha3, alpha1\) for the call, got 12$/);
    expect(call(...args({ 1: {} }))).toThrow(/^conv_wino_pw_forward: c1: expected a filter cache \(newFilterCache\(\)\) for cache, got an object$/);
    expect(call(...args({ 2: c.x.subarray(0, 10) }))).toThrow(/^conv_wino_pw_forward \(3x3 layer\): expected at least 10400 elements for x, got 10$/);
    expect(call(...args({ 6: new Float64Array(26 * 51) }))).toThrow(/^conv_wino_pw_forward \(1x1 layer\): expected a Float32Array for w, got a Float64Array of length 1326$/);
    expect(call(...args({ 8: y.subarray(0, 5) }))).toThrow(/^conv_wino_pw_forward \(1x1 layer\): expected at least 10400 elements for y, got 5$/);
    const act = Int32Array.from(c.p1);
    act[16] = 3;
    expect(call(...args({ 10: act }))).toThrow(/^conv_wino_pw_forward \(1x1 layer\): expected an integer in \[-1, 2\] for act/);
    const k3 = Int32Array.from(c.p1);
    k3[5] = k3[6] = 3;
    k3[11] = k3[12] = 1;
    expect(call(...args({ 10: k3, 6: new Float32Array(26 * 51 * 9) }))).toThrow(/^conv_wino_pw_forward: expected a 1x1 layer \(stride 1, no padding, one group\) for p1$/);
    const other = Int32Array.from(c.p1);
    other[1] = 50;  // the 1x1 layer's C is not the 3x3 layer's OC
    expect(call(...args({ 10: other, 6: new Float32Array(26 * 50) }))).toThrow(
      /^conv_wino_pw_forward: expected the 1x1 layer's input \(N, C, H, W\) to be the 3x3 layer's output \(1, 51, 20, 20\), got \(1, 50, 20, 20\)$/);
    expect(y.every((v) => v === 0)).toBe(true);
    const usable = (...a: unknown[]) => () => (A!.winoPwUsable as (...b: unknown[]) => boolean)(...a);
    expect(usable(c.p3)).toThrow(/^winoPwUsable: expected 2 arguments \(p3, p1\), got 1$/);
    expect(usable(c.p3, [1, 2])).toThrow(/^winoPwUsable: expected an Int32Array of 17 geometry integers for p1, got an array of length 2$/);
    const zero = Int32Array.from(c.p3);
    zero[2] = 0;
    expect(A!.winoPwUsable(zero, c.p1)).toBe(false);
  });
});
