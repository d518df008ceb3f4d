/**
 * Each fused kernel gives, bit for bit, what the chain it replaces gives on the same backend:
 * conv2d then activation, batchNormTrain then activation, activationBackward (given the output,
 * as the graph runs it) then batchNormBackward. The graph's fusion pass relies on this: fusing
 * changes where the work happens, never the numbers.
 */
import type { Backend } from '../../src/backend/backend';
import { referenceBackend } from '../../src/backend/reference';
import * as ops from '../../src/backend/ops';
import { Tensor } from '../../src/backend/tensor';
import { randomArray } from '../util/rng';
import { parityTargets } from './harness';

const ACTS: Array<[ops.FusedActivationName, number]> = [['relu', 0], ['leaky_relu', 0.1], ['relu6', 0]];
const f32 = (n: number, seed: number, lo = -1, hi = 1) => Float32Array.from(randomArray(n, seed, lo, hi));

function backends(): Array<[string, Backend<any> | undefined, string | undefined]> {
  return [['reference', referenceBackend, undefined], ...parityTargets().map((t): [string, Backend<any> | undefined, string | undefined] => [t.name, t.backend, t.reason])];
}

for (const [name, be, reason] of backends()) {
  if (!be) console.log(`parity/fused_chain: skipping backend ${name}: ${reason}`);
  const d = be ? describe : describe.skip;
  d(`fused kernels equal their chains on ${name}`, () => {
    const T = (data: Float32Array, shape: number[]) => Tensor.from(data, shape, be!);
    const same = (a: Tensor, b: Tensor) => expect(Array.from(a.toArray())).toEqual(Array.from(b.toArray()));

    test.each(ACTS)('conv2dAct %s: 3x3 pad 1 with bias, 1x1 without, depthwise', (act, alpha) => {
      for (const [xs, ws, attrs, bias] of [
        [[2, 5, 9, 7], [8, 5, 3, 3], { padding: 1 }, true],
        [[1, 16, 6, 6], [24, 16, 1, 1], {}, false],
        [[2, 8, 7, 7], [8, 1, 3, 3], { groups: 8, padding: 1, stride: 2 }, true],
      ] as Array<[number[], number[], ops.Conv2dAttrs, boolean]>) {
        const x = T(f32(xs.reduce((a, b) => a * b), 1), xs);
        const w = T(f32(ws.reduce((a, b) => a * b), 2, -3, 3), ws);
        const b = bias ? T(f32(ws[0], 3, -2, 2), [ws[0]]) : null;
        const fused = ops.conv2dAct(x, w, b, attrs, act, alpha);
        const z = ops.conv2d(x, w, b, attrs);
        same(fused, ops.activation(z, act, alpha));
      }
    });

    // dwpwAct against conv2dAct twice: the in-place rows (stride 1 on rows of 64+, stride 2; bands
    // of rows that do not divide the map, several bands per image), the padded flat planes (whole
    // images), K-blocks (more than 256 channels), output-channel chunks (few bands, many outputs),
    // other depthwise geometries (the two kernels inside), with and without biases; a map whose
    // standalone 1x1 layer packs its input rows where the fused one reads its band in place.
    test.each(ACTS)('dwpwAct %s equals conv2dAct twice', (act, alpha) => {
      for (const [xs, k, stride, pad, oc2, bias] of [
        [[2, 5, 9, 70], 3, 1, 1, 7, true],
        [[1, 6, 11, 66], 3, 2, 1, 13, false],
        [[3, 4, 20, 33], 3, 2, 1, 5, true],
        [[2, 17, 6, 5], 3, 1, 1, 9, true],
        [[1, 300, 9, 66], 3, 1, 1, 100, true],
        [[1, 24, 4, 64], 3, 1, 1, 130, false],
        [[1, 4, 7, 8], 5, 1, 2, 3, true],
        [[1, 3, 6, 6], 3, 1, 0, 4, true],
        [[1, 64, 48, 48], 3, 1, 1, 37, true],
      ] as Array<[number[], number, number, number, number, boolean]>) {
        const C = xs[1];
        const x = T(f32(xs.reduce((a, b) => a * b), 11, -2, 2), xs);
        const wd = T(f32(C * k * k, 12, -1, 1), [C, 1, k, k]);
        const bd = bias ? T(f32(C, 13, -1, 1), [C]) : null;
        const wp = T(f32(oc2 * C, 14, -0.5, 0.5), [oc2, C, 1, 1]);
        const bp = bias ? T(f32(oc2, 15, -1, 1), [oc2]) : null;
        const attrs: ops.Conv2dAttrs = { groups: C, stride, padding: pad };
        const fused = ops.dwpwAct(x, wd, bd, attrs, act, alpha, wp, bp, act, alpha);
        const mid = ops.conv2dAct(x, wd, bd, attrs, act, alpha);
        same(fused, ops.conv2dAct(mid, wp, bp, {}, act, alpha));
      }
    });

    test.each(ACTS)('batchNormActTrain and batchNormActBackward %s', (act, alpha) => {
      const shape = [2, 17, 5, 6], C = 17, n = 2 * 17 * 30;
      const x = T(f32(n, 4, -2, 5), shape), dy = T(f32(n, 5), shape);
      const scale = T(f32(C, 6, 1, 4), [C]), bias = T(f32(C, 7, 0, 3), [C]);
      const stats = () => [T(f32(C, 8), [C]), T(f32(C, 9, 0.5, 1.5), [C])];
      const [rm1, rv1] = stats(), [rm2, rv2] = stats();
      const fused = ops.batchNormActTrain(x, scale, bias, rm1, rv1, { eps: 1e-5, momentum: 0.9 }, act, alpha);
      const plain = ops.batchNormTrain(x, scale, bias, rm2, rv2, { eps: 1e-5, momentum: 0.9 });
      const y = ops.activation(plain.y, act, alpha);
      same(fused.y, y);
      for (const [a, b] of [[fused.savedMean, plain.savedMean], [fused.savedInvstd, plain.savedInvstd], [rm1, rm2], [rv1, rv2]]) same(a, b);
      if (act === 'relu6') expect(Array.from(y.toArray()).some((v) => v === 6)).toBe(true);
      const g = ops.batchNormActBackward(x, y, dy, scale, fused.savedMean, fused.savedInvstd, act, alpha);
      const dz = ops.activationBackward(y, y, dy, act, alpha);
      const h = ops.batchNormBackward(x, dz, scale, plain.savedMean, plain.savedInvstd);
      same(g.dx, h.dx);
      same(g.dscale, h.dscale);
      same(g.dbias, h.dbias);
    });
  });
}

test('fused ops refuse what they cannot fuse, naming it', () => {
  const x = Tensor.from(new Float32Array(8), [1, 2, 2, 2], referenceBackend);
  const c = Tensor.from(new Float32Array(2), [2], referenceBackend);
  expect(() => ops.batchNormActTrain(x, c, c, c, c, {}, 'sigmoid' as ops.FusedActivationName)).toThrow(
    "batchNormActTrain: expected a fusable activation (one of relu, leaky_relu, relu6) for act, got 'sigmoid'");
  expect(() => ops.batchNormActBackward(x, x, x, c, c, c, 'leaky_relu', -0.1)).toThrow(/expected alpha >= 0 for a fused leaky_relu.* for alpha, got -0\.1/);
  expect(ops.isFusableActivation('leaky_relu', -0.1)).toBe(false);
  expect(ops.isFusableActivation('relu6')).toBe(true);
  expect(ops.isFusableActivation('hardswish')).toBe(false);
});
