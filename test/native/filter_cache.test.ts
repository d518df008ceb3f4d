/**
 * Kept filter copies (src/backend/prepared.ts, native FilterCache): a convolution through a cache
 * gives the bits of the same convolution without one, on its first call (which fills the cache)
 * and on the later ones (which read it), on every path of conv_forward_gemm (Winograd with U
 * shared, or by groups of output channels without a cache against the cache's shared U, flat, batched im2col, pointwise, strided im2col, groups,
 * the stem, depthwise); a cache used with another filter is rebuilt, not misread; bad handles
 * and arguments are errors, never a crash; the executor keeps caches only in inference.
 */
import { loadAddon, nativeBackend, nativeLoadError } from '../../src/backend/native';
import { PreparedWeights } from '../../src/backend/prepared';
import { referenceBackend } from '../../src/backend/reference';
import * as ops from '../../src/backend/ops';
import { Tensor } from '../../src/backend/tensor';
import { forward } from '../../src/graph/executor';
import { Graph } from '../../src/graph/graph';
import { randomArray } from '../util/rng';

const addon = loadAddon();
if (!addon) console.log(`native/filter_cache: skipping, ${nativeLoadError()}`);
const d = addon ? describe : describe.skip;

const f32 = (n: number, seed: number, lo = -1, hi = 1) => Float32Array.from(randomArray(n, seed, lo, hi));
const T = (data: Float32Array, shape: number[]) => Tensor.from(data, shape, nativeBackend);
const bits = (t: Tensor) => Array.from(new Uint32Array(Float32Array.from(t.toArray()).buffer));

// [x shape, w shape, attrs, bias]: the paths of conv_forward_gemm
const CASES: Array<[string, number[], number[], ops.Conv2dAttrs, boolean]> = [
  ['winograd, U shared', [2, 64, 10, 10], [72, 64, 3, 3], { padding: 1 }, true],
  ['winograd, U over 8 MiB (by groups uncached, shared cached)', [1, 384, 6, 6], [400, 384, 3, 3], { padding: 1 }, true],
  ['flat 3x3 (narrow: no winograd)', [2, 16, 13, 11], [24, 16, 3, 3], { padding: 1 }, true],
  ['flat 3x3 stride 2', [1, 32, 20, 20], [40, 32, 3, 3], { padding: 1, stride: 2 }, false],
  ['batched im2col (4x4 map)', [3, 20, 4, 4], [30, 20, 3, 3], { padding: 1 }, true],
  ['pointwise', [2, 48, 10, 10], [100, 48, 1, 1], {}, true],
  ['5x5 dilated im2col', [1, 8, 17, 19], [12, 8, 5, 5], { padding: 4, dilation: 2 }, false],
  ['groups 4', [2, 16, 9, 9], [32, 4, 3, 3], { padding: 1, groups: 4 }, true],
  ['stem 3 -> 8, stride 2', [2, 3, 33, 31], [8, 3, 3, 3], { padding: 1, stride: 2 }, true],
  ['depthwise (reads w as it is)', [2, 16, 12, 12], [16, 1, 3, 3], { padding: 1, groups: 16 }, true],
];

d('filter caches (native)', () => {
  test.each(CASES)('%s: cached calls give the uncached bits, first and later calls', (_name, xs, ws, attrs, withBias) => {
    const x = T(f32(xs.reduce((a, b) => a * b), 1, -2, 2), xs);
    const w = T(f32(ws.reduce((a, b) => a * b), 2, -0.5, 0.5), ws);
    const b = withBias ? T(f32(ws[0], 3), [ws[0]]) : null;
    const prepared = new PreparedWeights();
    const cache = prepared.filter('w', withBias ? 'b' : undefined, w, b);
    expect(cache).not.toBeNull();
    for (const [act, alpha] of [['relu', 0], ['leaky_relu', 0.1], ['relu6', 0]] as const) {
      const plain = ops.conv2dAct(x, w, b, attrs, act, alpha);
      for (let call = 0; call < 2; call++) expect(bits(ops.conv2dAct(x, w, b, attrs, act, alpha, cache))).toEqual(bits(plain));
    }
    const plain = ops.conv2d(x, w, b, attrs);
    expect(bits(ops.conv2d(x, w, b, attrs, cache))).toEqual(bits(plain));
    // another input size through the same cache (the filter's copies do not depend on it)
    const x2 = T(f32(xs[0] * xs[1] * (xs[2] + 3) * (xs[3] + 2), 4), [xs[0], xs[1], xs[2] + 3, xs[3] + 2]);
    expect(bits(ops.conv2d(x2, w, b, attrs, cache))).toEqual(bits(ops.conv2d(x2, w, b, attrs)));
    prepared.dispose();
  });

  test('the numbers are the reference convolution\'s (float32 tolerance)', () => {
    const xs = [1, 64, 8, 8], ws = [64, 64, 3, 3];
    const xd = f32(64 * 64, 5), wd = f32(64 * 64 * 9, 6, -0.2, 0.2);
    const prepared = new PreparedWeights();
    const w = T(wd, ws);
    const got = ops.conv2d(T(xd, xs), w, null, { padding: 1 }, prepared.filter('w', undefined, w, null)).toArray();
    const want = ops.conv2d(Tensor.from(xd, xs, referenceBackend), Tensor.from(wd, ws, referenceBackend), null, { padding: 1 }).toArray();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThan(1e-4);
  });

  test('a cache handed another filter (address or shape) is rebuilt, not misread', () => {
    const a = addon!;
    const cache = a.newFilterCache();
    const x = f32(2 * 64 * 9 * 9, 7);
    const p = (oc: number, act: number) => Int32Array.from([2, 64, 9, 9, oc, 3, 3, 9, 9, 1, 1, 1, 1, 1, 1, 1, act]);
    const run = (w: Float32Array, oc: number, withCache: boolean) => {
      const y = new Float32Array(2 * oc * 81);
      if (withCache) a.conv2d_act_forward_prepared(cache, x, w, null, y, p(oc, -1), 0);
      else a.kernels.conv2d_forward(x, w, null, y, p(oc, -1).subarray(0, 16));
      return Array.from(y);
    };
    const w1 = f32(64 * 64 * 9, 8), w2 = f32(64 * 64 * 9, 9), w3 = f32(80 * 64 * 9, 10);
    expect(run(w1, 64, true)).toEqual(run(w1, 64, false));
    expect(run(w2, 64, true)).toEqual(run(w2, 64, false));
    expect(run(w3, 80, true)).toEqual(run(w3, 80, false));
    a.freeFilterCache(cache);
    expect(run(w1, 64, true)).toEqual(run(w1, 64, false));  // emptied, then filled again
  });

  test('a filter the Winograd transform cannot take (Inf) runs the direct path, also from the cache', () => {
    const xs = [1, 64, 6, 6], ws = [64, 64, 3, 3];
    const wd = f32(64 * 64 * 9, 11);
    wd[100] = Infinity;
    const x = T(f32(64 * 36, 12), xs), w = T(wd, ws);
    const prepared = new PreparedWeights();
    const cache = prepared.filter('w', undefined, w, null);
    const plain = bits(ops.conv2d(x, w, null, { padding: 1 }));
    expect(bits(ops.conv2d(x, w, null, { padding: 1 }, cache))).toEqual(plain);
    expect(bits(ops.conv2d(x, w, null, { padding: 1 }, cache))).toEqual(plain);
    prepared.dispose();
  });

  test('bad handles and arguments are errors', () => {
    const a = addon!;
    const x = new Float32Array(16), w = new Float32Array(9), y = new Float32Array(16);
    const p = [1, 1, 4, 4, 1, 3, 3, 4, 4, 1, 1, 1, 1, 1, 1, 1, -1];
    expect(() => a.conv2d_act_forward_prepared({} as object, x, w, null, y, Int32Array.from(p), 0)).toThrow(
      'conv2d_act_forward_prepared: expected a filter cache (newFilterCache()) for cache, got an object');
    expect(() => (a.conv2d_act_forward_prepared as (...v: unknown[]) => void)()).toThrow(/expected 7 arguments/);
    expect(() => (a.conv2d_act_forward_prepared as (...v: unknown[]) => void)({}, x, w, null, y, Int32Array.from(p))).toThrow(
      'conv2d_act_forward_prepared: expected 7 arguments (cache, x, w, b, y, p, alpha) for the call, got 6');
    const c = a.newFilterCache();
    expect(() => a.conv2d_act_forward_prepared(c, x, w, null, y, Int32Array.from([...p.slice(0, 16), 3]), 0)).toThrow(
      /expected an integer in \[-1, 2\] for act/);
    expect(() => a.conv2d_act_forward_prepared(c, x, w.subarray(0, 8), null, y, Int32Array.from(p), 0)).toThrow(
      /expected at least 9 elements for w, got 8/);
    expect(() => a.freeFilterCache(42 as unknown as object)).toThrow(/expected a filter cache/);
    a.conv2d_act_forward_prepared(c, x, w, null, y, Int32Array.from(p), 0);
  });
});

d('PreparedWeights in the executor', () => {
  const graph = () => {
    const g = new Graph();
    g.addInput('x', [1, 64, 8, 8]);
    const param = (name: string, shape: number[]) => g.addParam({ name, shape, init: { type: 'constant', value: 0 }, trainable: true, decay: 'weight' });
    param('w1', [64, 64, 3, 3]);
    param('b1', [64]);
    param('w2', [10, 64, 1, 1]);
    g.addNode({ id: 'c1', type: 'conv2d', inputs: ['x'], outputs: ['h'], params: { weight: 'w1', bias: 'b1' }, attrs: { paddings: [1, 1, 1, 1] } });
    g.addNode({ id: 'a1', type: 'relu', inputs: ['h'], outputs: ['r'], params: {}, attrs: {} });
    g.addNode({ id: 'c2', type: 'conv2d', inputs: ['r'], outputs: ['y'], params: { weight: 'w2' }, attrs: {} });
    g.outputs.push('y');
    for (const [name, n, seed] of [['w1', 64 * 64 * 9, 21], ['b1', 64, 22], ['w2', 640, 23]] as const) {
      g.param(name).tensor = Tensor.from(f32(n, seed, -0.1, 0.1), g.param(name).shape, nativeBackend);
    }
    return g;
  };
  const x = () => T(f32(64 * 64, 24), [1, 64, 8, 8]);

  test('prepared forward equals the plain one, call after call, and follows a replaced parameter', () => {
    const g = graph();
    const input = x();
    const prepared = new PreparedWeights();
    const plain = bits(forward(g, { x: input }).outputs.y);
    for (let i = 0; i < 2; i++) expect(bits(forward(g, { x: input }, { prepared }).outputs.y)).toEqual(plain);
    expect(prepared.size).toBe(2);
    g.param('w1').tensor = Tensor.from(f32(64 * 64 * 9, 25, -0.1, 0.1), [64, 64, 3, 3], nativeBackend);
    const replaced = bits(forward(g, { x: input }).outputs.y);
    expect(replaced).not.toEqual(plain);
    expect(bits(forward(g, { x: input }, { prepared }).outputs.y)).toEqual(replaced);
    prepared.dispose();
    expect(bits(forward(g, { x: input }, { prepared }).outputs.y)).toEqual(replaced);
  });

  test('refused in training and with gradients', () => {
    const g = graph();
    const prepared = new PreparedWeights();
    expect(() => forward(g, { x: x() }, { training: true, prepared })).toThrow(/expected training: false and grad: false with prepared weights/);
    expect(() => forward(g, { x: x() }, { grad: true, prepared })).toThrow(/got training: false, grad: true/);
  });

  test('a backend without caches ignores them', () => {
    const prepared = new PreparedWeights();
    const w = Tensor.from(f32(9, 26), [1, 1, 3, 3], referenceBackend);
    expect(prepared.filter('w', undefined, w, null)).toBeNull();
    expect(prepared.size).toBe(0);
  });
});
