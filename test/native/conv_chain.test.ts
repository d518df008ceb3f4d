// A stem layer and the depthwise -> 1x1 pairs after it in one pass over bands of rows
// (conv_chain_forward): the same numbers, bit for bit, as conv2d_act_forward followed by
// dwpw_act_forward per pair, for one to three pairs, stride 1 and 2 depthwise layers, odd sizes,
// null biases, each activation and any number of threads; a geometry the band path does not take
// runs the kernels one after the other (the same numbers again); bad arguments end in one clear
// error each, and the process survives them.
import { loadAddon, nativeLoadError } from '../../src/backend/native';
import { firstDiff } from '../util/allclose';
import { randomFloats } from '../util/rng';

const A = loadAddon();
if (!A) console.log(`skipping conv chain tests: ${nativeLoadError()}`);
const d = A ? describe : describe.skip;
const rand = randomFloats;
const out = (i: number, k: number, s: number) => Math.floor((i + 2 - k) / s) + 1;

/** pair: [stride of the depthwise layer, output channels of the 1x1 layer, act, act2, biases] */
type Pair = [number, number, number, number, boolean];
interface Chain {
  N: number; C: number; H: number; W: number; OC: number; act: number; bias: boolean; pairs: Pair[];
}
/** the chain's p, w and f, and its reference output (the kernels one after the other) */
function build(c: Chain, seed: number) {
  const sh = out(c.H, 3, 2), sw = out(c.W, 3, 2);
  const ps = [c.N, c.C, c.H, c.W, c.OC, 3, 3, sh, sw, 2, 2, 1, 1, 1, 1, 1, c.act];
  const ws = rand(c.OC * c.C * 9, seed), bs = c.bias ? rand(c.OC, seed + 1) : null;
  const x = rand(c.N * c.C * c.H * c.W, seed + 2);
  let cur = new Float32Array(c.N * c.OC * sh * sw);
  A!.conv2d_act_forward_prepared(A!.newFilterCache(), x, ws, bs, cur, Int32Array.from(ps), 0.1);
  const p = [...ps];
  const w: Array<Float32Array | null> = [ws, bs];
  const f = [0.1];
  let [C, H, W] = [c.OC, sh, sw];
  c.pairs.forEach(([st, OC2, act, act2, bias], l) => {
    const OH = out(H, 3, st), OW = out(W, 3, st);
    const q = [c.N, C, H, W, C, 3, 3, OH, OW, st, st, 1, 1, 1, 1, C, act, OC2, act2];
    const wd = rand(C * 9, seed + 10 * l + 3), bd = bias ? rand(C, seed + 10 * l + 4) : null;
    const wp = rand(OC2 * C, seed + 10 * l + 5), bp = bias ? rand(OC2, seed + 10 * l + 6) : null;
    const y = new Float32Array(c.N * OC2 * OH * OW);
    A!.kernels.dwpw_act_forward(cur, wd, bd, wp, bp, y, Int32Array.from(q), 0.2, 0.05);
    p.push(...q);
    w.push(wd, bd, wp, bp);
    f.push(0.2, 0.05);
    cur = y;
    [C, H, W] = [OC2, OH, OW];
  });
  return { x, p: Int32Array.from(p), w, f: Float32Array.from(f), ref: cur };
}

d('conv_chain_forward', () => {
  const cases: Array<[string, Chain, boolean]> = [
    ["MobileNetV1's front at 320 (stride 1 then 2)", { N: 2, C: 3, H: 320, W: 320, OC: 32, act: 0, bias: true, pairs: [[1, 64, 0, 0, true], [2, 128, 0, 0, true]] }, true],
    ['one pair, odd sizes, leaky_relu', { N: 1, C: 3, H: 171, W: 133, OC: 16, act: 1, bias: true, pairs: [[1, 24, 1, 2, true]] }, true],
    ['three pairs, no biases, no stem activation, a K-split 1x1 layer', { N: 3, C: 4, H: 150, W: 141, OC: 8, act: -1, bias: false, pairs: [[1, 300, 1, 0, false], [2, 40, 2, 0, false], [2, 12, 0, 1, true]] }, true],
    ['two channels in, relu6, stride 2 first', { N: 1, C: 2, H: 257, W: 260, OC: 24, act: 2, bias: true, pairs: [[2, 32, 2, 2, true], [1, 16, 0, 0, false]] }, true],
    ['rows under 64 at stride 1: the kernels one after the other', { N: 2, C: 3, H: 60, W: 90, OC: 8, act: 0, bias: true, pairs: [[1, 16, 0, 0, true]] }, false],
    ['five channels in: the kernels one after the other', { N: 1, C: 5, H: 200, W: 200, OC: 8, act: 0, bias: true, pairs: [[1, 16, 0, 0, true]] }, false],
  ];
  test.each(cases)('%s', (_what, c, usable) => {
    const { x, p, w, f, ref } = build(c, 7);
    expect(A!.convChainUsable(p)).toBe(usable);
    const threads = A!.getThreads();
    try {
      for (const t of [1, 2, 3]) {
        A!.setThreads(t);
        const y = new Float32Array(ref.length).fill(NaN);
        A!.conv_chain_forward(x, y, w, p, f);
        expect(firstDiff(y, ref)).toBe(-1);
      }
    } finally {
      A!.setThreads(threads);
    }
  });

  test('bad arguments: one clear error each, nothing written', () => {
    const { x, p, w, f, ref } = build({ N: 1, C: 3, H: 160, W: 160, OC: 8, act: 0, bias: true, pairs: [[1, 16, 0, 0, true]] }, 3);
    const y = new Float32Array(ref.length);
    const call = (...a: unknown[]) => () => (A!.conv_chain_forward as (...b: unknown[]) => void)(...a);
    expect(call(x, y, w, p)).toThrow(/expected 5 arguments \(x, y, w, p, f\) for the call, got 4/);
    expect(call(x, y, w, p.subarray(0, 30), f)).toThrow(/expected an Int32Array of 17 \+ 19k integers .* for p, got an Int32Array of length 30/);
    expect(call(x, y, w, p, Float32Array.of(0.1))).toThrow(/expected a Float32Array of 3 alphas for f, got a Float32Array of length 1/);
    expect(call(x, y, w.slice(0, 5), p, f)).toThrow(/expected an array of 6 weights .* for w, got an array of length 5/);
    expect(call(x, y, [w[0], w[1], w[2], w[3], new Float64Array(5), w[5]], p, f)).toThrow(/expected a Float32Array for wp of pair 0 \(w\[4\]\), got a Float64Array of length 5/);
    expect(call(x, y, [w[0], w[1], w[2], w[3], w[4], new Float32Array(3)], p, f)).toThrow(/expected at least 16 elements for bp of pair 0 \(w\[5\]\), got 3/);
    expect(call(x.subarray(0, 10), y, w, p, f)).toThrow(/expected at least 76800 elements for x, got 10/);
    expect(call(x, y.subarray(0, 10), w, p, f)).toThrow(/expected at least 102400 elements for y, got 10/);
    const q = Int32Array.from(p);
    q[17 + 1] = q[17 + 4] = q[17 + 15] = 9;  // the pair's C is not the stem's OC
    expect(call(x, y, w, q, f)).toThrow(/expected pair 0's input \(N, C, H, W\) to be the previous layer's output \(1, 8, 80, 80\), got \(1, 9, 80, 80\)/);
    const r = Int32Array.from(p);
    r[17 + 4] = 4;  // not a depthwise layer
    expect(call(x, y, w, r, f)).toThrow(/pair 0: expected a depthwise layer \(G == C == OC\)/);
    const s = Int32Array.from(p);
    s[16] = 7;  // the stem's act
    expect(call(x, y, w, s, f)).toThrow(/expected an integer in \[-1, 2\] for the stem's act \(p\[16\]\), got 7/);
    expect(y.every((v) => v === 0)).toBe(true);
    expect(() => (A!.convChainUsable as (...a: unknown[]) => boolean)(f)).toThrow(/convChainUsable: expected one Int32Array/);
    const zero = Int32Array.from(p);
    zero[2] = 0;
    expect(A!.convChainUsable(zero)).toBe(false);
  });
});
