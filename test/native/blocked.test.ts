// Convolutions on channel-blocked maps (native/conv2d_blocked.h): every output equals what
// conv2d_act_forward gives it on NCHW maps, bit for bit, for 1x1 layers (K-blocks that split a
// channel block, positions that are not a multiple of the 12-position tile, one image or several,
// with and without bias and activation, a kept filter) and 3x3 depthwise layers (stride 1 and 2,
// odd sizes, maps of one position, NCHW or blocked input); and what a machine cannot run is
// refused with a reason, never run.
import { loadAddon, nativeLoadError } from '../../src/backend/native';
import { firstDiff } from '../util/allclose';
import { randomFloats } from '../util/rng';

const A = loadAddon();
const PW = (N: number, C: number, OC: number, H: number, W: number, act: number) => Int32Array.from([N, C, H, W, OC, 1, 1, H, W, 1, 1, 0, 0, 1, 1, 1, act]);
const why = !A ? nativeLoadError() : A.blockedProblem(PW(1, 16, 32, 1, 1, -1), 3);
if (why) console.log(`skipping channel-blocked convolution tests: ${why}`);
const d = why ? describe.skip : describe;

const rand = randomFloats;
/** NCHW [N, C, P] as blocked [N, C/16, P, 16] */
function toBlocked(a: Float32Array, N: number, C: number, P: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) out[((n * (C / 16) + (c >> 4)) * P + p) * 16 + (c & 15)] = a[(n * C + c) * P + p];
  return out;
}
function fromBlocked(a: Float32Array, N: number, C: number, P: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) out[(n * C + c) * P + p] = a[((n * (C / 16) + (c >> 4)) * P + p) * 16 + (c & 15)];
  return out;
}
/** index of the first element that differs (NaN equal to NaN), -1 when none */
d('1x1 layers on blocked maps', () => {
  const cases: Array<[number, number, number, number, number, boolean, number]> = [
    // N, C, OC, H, W, bias, act
    [2, 16, 32, 5, 5, true, 0], // split by images
    [2, 32, 32, 12, 12, true, 0],
    [1, 64, 64, 9, 9, false, 0], // one image split by positions
    [1, 48, 64, 7, 3, false, -1], // split by output channels (OC > N * P)
    [3, 128, 96, 4, 4, true, 1],
    [1, 528, 64, 3, 3, true, 0], // K = 529 in three blocks whose edges split channel blocks
    [2, 256, 512, 10, 10, true, 0], // several 48-position blocks, tiles of 12 and a tail of 4
    [1, 512, 1024, 1, 1, true, 2],
  ];
  test.each(cases)('N %i, C %i -> %i at %ix%i (bias %s, act %i)', (N, C, OC, H, W, bias, act) => {
    const P = H * W;
    const x = rand(N * C * P, C + OC);
    const w = rand(OC * C, 7 + C);
    const b = bias ? rand(OC, 11) : null;
    const p = PW(N, C, OC, H, W, act);
    const ref = new Float32Array(N * OC * P);
    A!.conv2d_act_forward_prepared(A!.newFilterCache(), x, w, b, ref, p, 0.1);
    const xb = toBlocked(x, N, C, P);
    const threads = A!.getThreads();
    for (const [t, layout] of [[1, 1], [2, 3], [3, 1], [threads, 3]]) {
      A!.setThreads(t);
      const cache = A!.newFilterCache();
      for (let round = 0; round < 2; round++) { // the second call with the cache uses the kept filter
        const y = new Float32Array(N * OC * P).fill(NaN);
        A!.conv2d_act_forward_blocked(round ? cache : null, xb, w, b, y, p, 0.1, layout);
        expect(firstDiff(layout === 3 ? fromBlocked(y, N, OC, P) : y, ref)).toBe(-1);
        if (!round) A!.conv2d_act_forward_blocked(cache, xb, w, b, y.fill(NaN), p, 0.1, layout);
      }
      A!.freeFilterCache(cache);
    }
    A!.setThreads(threads);
  });
});

d('3x3 depthwise layers on blocked maps', () => {
  const cases: Array<[number, number, number, number, number, boolean, number]> = [
    // N, C, H, W, stride, bias, act
    [2, 16, 7, 5, 1, true, 0],
    [1, 32, 20, 20, 1, true, 0],
    // stride 1 in runs of 8 outputs and a shorter last run (1 to 7), rows of 2 to 38
    [1, 16, 10, 10, 1, true, 1],
    [2, 32, 19, 19, 1, false, 0],
    [1, 16, 38, 38, 1, true, 2],
    [1, 16, 3, 17, 1, true, -1],
    [1, 16, 4, 8, 1, true, 0],
    [2, 16, 2, 9, 1, false, 1],
    [1, 16, 5, 15, 1, true, 0],
    [1, 16, 1, 1, 1, false, -1],
    [2, 48, 9, 11, 2, true, 1],
    [1, 32, 40, 40, 2, true, 0],
    [1, 16, 2, 3, 2, false, 2],
  ];
  test.each(cases)('N %i, C %i at %ix%i, stride %i (bias %s, act %i)', (N, C, H, W, S, bias, act) => {
    const OH = Math.floor((H + 2 - 3) / S) + 1, OW = Math.floor((W + 2 - 3) / S) + 1;
    const x = rand(N * C * H * W, H * W + C);
    // some exact zeros in the input: a tap outside the image adds w * 0 at stride 1 and nothing at stride 2
    for (let i = 0; i < x.length; i += 7) x[i] = 0;
    const w = rand(C * 9, 3 + C);
    const b = bias ? rand(C, 5) : null;
    const p = Int32Array.from([N, C, H, W, C, 3, 3, OH, OW, S, S, 1, 1, 1, 1, C, act]);
    const ref = new Float32Array(N * C * OH * OW);
    A!.conv2d_act_forward_prepared(A!.newFilterCache(), x, w, b, ref, p, 0.1);
    // thread counts above the images: a blocked input is split by bands of output rows
    const threads = A!.getThreads();
    for (const t of [1, 2, 3, 5]) {
      A!.setThreads(t);
      for (const layout of [2, 3]) {
        const y = new Float32Array(ref.length).fill(NaN);
        A!.conv2d_act_forward_blocked(null, layout === 3 ? toBlocked(x, N, C, H * W) : x, w, b, y, p, 0.1, layout);
        expect(firstDiff(fromBlocked(y, N, C, OH * OW), ref)).toBe(-1);
      }
    }
    A!.setThreads(threads);
  });
});

d('blocked convolutions: what they refuse', () => {
  const f = (n: number) => new Float32Array(n);
  const dw = Int32Array.from([1, 16, 4, 4, 16, 3, 3, 4, 4, 1, 1, 1, 1, 1, 1, 16, -1]);
  test.each([
    ['a 1x1 layer with NCHW input', PW(1, 16, 32, 2, 2, -1), 2, /a 1x1 layer's x blocked/],
    ['a 1x1 layer with 48 output channels', PW(1, 16, 48, 2, 2, -1), 3, /output channels OC a multiple of 32/],
    ['20 input channels', PW(1, 20, 32, 2, 2, -1), 3, /input channels C a multiple of 16/],
    ['a depthwise layer with NCHW output', dw, 1, /a depthwise layer's y blocked/],
    ['a 5x5 depthwise layer', Int32Array.from([1, 16, 4, 4, 16, 5, 5, 4, 4, 1, 1, 2, 2, 1, 1, 16, -1]), 3, /3x3 taps, dilation 1, padding 1/],
    ['a 3x3 dense layer', Int32Array.from([1, 16, 4, 4, 32, 3, 3, 4, 4, 1, 1, 1, 1, 1, 1, 1, -1]), 3, /a 1x1 layer \(stride 1, no padding, one group\) or a 3x3 depthwise layer/],
  ] as const)('%s', (_what, p, layout, msg) => {
    expect(A!.blockedProblem(p, layout)).toMatch(msg);
    const [N, C, H, W, OC, KH, KW, OH, OW] = p;
    expect(() => A!.conv2d_act_forward_blocked(null, f(N * C * H * W), f(OC * KH * KW * (C / p[15])), null, f(N * OC * OH * OW), p, 0, layout))
      .toThrow(new RegExp(`^conv2d_act_forward_blocked: expected .*${msg.source}`));
  });
});
