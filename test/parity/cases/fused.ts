/**
 * Parity cases for the fused kernels: conv2d_act_forward (with and without bias, 3x3, 1x1,
 * depthwise, grouped, stride 2), batch_norm_act_train_forward (with its running-stat update) and
 * batch_norm_act_backward, over relu, leaky_relu and relu6 and 1, 3, 4, 5, 8 and 17 channels, and
 * dwpw_act_forward (in-place rows at both strides, flat planes, two K-blocks, a 5x5 layer).
 * The backward cases take y as an input ('wide': values on both sides of 0 and 6), so every
 * backend selects on identical values.
 */
import * as ops from '../../../src/backend/ops';
import type { ParityCase } from '../harness';

const ACTS: Array<[ops.FusedActivationName, number]> = [['relu', 0], ['leaky_relu', 0.1], ['relu6', 0]];

const CONVS: Array<{ name: string; x: number[]; w: number[]; attrs: ops.Conv2dAttrs; bias: boolean }> = [
  { name: '3->4 3x3 pad1 batch2', x: [2, 3, 7, 9], w: [4, 3, 3, 3], attrs: { padding: 1 }, bias: true },
  { name: '8->17 1x1', x: [1, 8, 5, 6], w: [17, 8, 1, 1], attrs: {}, bias: true },
  { name: '5->8 3x3 stride2 no bias', x: [1, 5, 9, 8], w: [8, 5, 3, 3], attrs: { stride: 2, padding: 1 }, bias: false },
  { name: 'depthwise 17 3x3 pad1', x: [2, 17, 6, 5], w: [17, 1, 3, 3], attrs: { groups: 17, padding: 1 }, bias: true },
  { name: 'depthwise 4 3x3 pad1 2x66 (direct rows)', x: [1, 4, 2, 66], w: [4, 1, 3, 3], attrs: { groups: 4, padding: 1 }, bias: true },
  { name: 'depthwise 3 3x3 stride2 pad1 5x37 (direct rows)', x: [1, 3, 5, 37], w: [3, 1, 3, 3], attrs: { groups: 3, stride: 2, padding: 1 }, bias: true },
  { name: 'depthwise 5 3x3 pad1 4x21 (flat rows, activation in registers)', x: [2, 5, 4, 21], w: [5, 1, 3, 3], attrs: { groups: 5, padding: 1 }, bias: true },
  { name: 'depthwise 5 3x3 pad1 4x21 asymmetric (flat rows, activation in registers)', x: [2, 5, 4, 21], w: [5, 1, 3, 3], attrs: { groups: 5, padding: [1, 0, 1, 0] }, bias: true },
  { name: 'depthwise 6 3x3 pad1 11x11 (masked run, activation in registers)', x: [2, 6, 11, 11], w: [6, 1, 3, 3], attrs: { groups: 6, padding: 1 }, bias: true },
  { name: 'stem 3->6 3x3 stride2 pad1 64x65', x: [1, 3, 64, 65], w: [6, 3, 3, 3], attrs: { stride: 2, padding: 1 }, bias: true },
  { name: '8->17 3x3 pad1 9x11 batch2 (activation in the GEMM microkernel)', x: [2, 8, 9, 11], w: [17, 8, 3, 3], attrs: { padding: 1 }, bias: true },
  { name: '4->6 groups2 3x3', x: [1, 4, 6, 7], w: [6, 2, 3, 3], attrs: { groups: 2, padding: 1 }, bias: false },
  { name: '64->96 3x3 5x5 batch1 (channel split)', x: [1, 64, 5, 5], w: [96, 64, 3, 3], attrs: { padding: 1 }, bias: true },
  { name: '96->64 1x1 6x6 batch1 (channel split)', x: [1, 96, 6, 6], w: [64, 96, 1, 1], attrs: {}, bias: false },
];

const convCases: ParityCase[] = CONVS.flatMap((c) => ACTS.map(([act, alpha]): ParityCase => ({
  name: `conv2dAct ${act} ${c.name}`,
  // 'wide' weights push outputs past 6 so relu6's upper clamp is exercised
  inputs: { x: c.x, w: { shape: c.w, dist: 'wide' }, ...(c.bias ? { b: { shape: [c.w[0]], dist: 'wide' } } : {}) },
  run: (t) => ({ y: ops.conv2dAct(t.x, t.w, t.b ?? null, c.attrs, act, alpha) }),
  reduce: c.w[1] * c.w[2] * c.w[3] * 8,
  kernels: ['conv2d_act_forward'],
})));

const SHAPES: number[][] = [[4, 1], [2, 3, 5, 5], [3, 4, 3, 7], [1, 5, 9, 9], [2, 8, 4, 3], [2, 17, 3, 3]];
const nhw = (s: number[]) => s[0] * s.slice(2).reduce((a, b) => a * b, 1);

const bnCases: ParityCase[] = SHAPES.flatMap((s) => ACTS.map(([act, alpha]): ParityCase => {
  const C = s[1];
  return {
    name: `batchNormAct ${act} x=[${s.join(',')}]`,
    inputs: {
      x: s, y: { shape: s, dist: 'wide' }, dy: s, scale: { shape: [C], dist: 'wide' }, bias: [C], rmean: [C], rvar: { shape: [C], dist: 'positive' },
    },
    run: (t) => {
      const f = ops.batchNormActTrain(t.x, t.scale, t.bias, t.rmean, t.rvar, { eps: 1e-5, momentum: 0.9 }, act, alpha);
      const sm = ops.copy(f.savedMean), si = ops.copy(f.savedInvstd);
      const g = ops.batchNormActBackward(t.x, t.y, t.dy, t.scale, sm, si, act, alpha);
      return { y: f.y, savedMean: f.savedMean, savedInvstd: f.savedInvstd, runningMean: t.rmean, runningVar: t.rvar, dx: g.dx, dscale: g.dscale, dbias: g.dbias };
    },
    reduce: nhw(s) * 8,
    kernels: ['batch_norm_act_train_forward', 'batch_norm_act_backward'],
  };
}));

// dwpw_act_forward: the depthwise layer's geometry [x shape, kernel, stride, padding], the 1x1
// layer's output channels, biases
const DWPW: Array<{ name: string; x: number[]; k: number; stride: number; pad: number; oc2: number; bias: boolean }> = [
  { name: 'rows, stride 1, 3 bands', x: [1, 5, 9, 66], k: 3, stride: 1, pad: 1, oc2: 7, bias: true },
  { name: 'rows, stride 2, batch 2', x: [2, 3, 9, 37], k: 3, stride: 2, pad: 1, oc2: 13, bias: false },
  { name: 'flat planes', x: [2, 17, 6, 5], k: 3, stride: 1, pad: 1, oc2: 9, bias: true },
  { name: 'masked runs 10x10', x: [2, 20, 10, 10], k: 3, stride: 1, pad: 1, oc2: 14, bias: true },
  { name: 'two K-blocks, channel chunks', x: [1, 260, 3, 64], k: 3, stride: 1, pad: 1, oc2: 100, bias: true },
  { name: '5x5 (two kernels inside)', x: [1, 4, 7, 8], k: 5, stride: 1, pad: 2, oc2: 3, bias: true },
];

const dwpwCases: ParityCase[] = DWPW.flatMap((c) => ACTS.map(([act, alpha]): ParityCase => {
  const C = c.x[1];
  return {
    name: `dwpwAct ${act} ${c.name}`,
    inputs: {
      x: c.x, wd: { shape: [C, 1, c.k, c.k], dist: 'wide' }, wp: { shape: [c.oc2, C, 1, 1], dist: 'wide' },
      ...(c.bias ? { bd: { shape: [C], dist: 'wide' }, bp: { shape: [c.oc2], dist: 'wide' } } : {}),
    },
    run: (t) => ({ y: ops.dwpwAct(t.x, t.wd, t.bd ?? null, { groups: C, stride: c.stride, padding: c.pad }, act, alpha, t.wp, t.bp ?? null, act, alpha) }),
    reduce: (c.k * c.k + C) * 16,
    kernels: ['dwpw_act_forward'],
  };
}));

export const FUSED_CASES: ParityCase[] = [...convCases, ...bnCases, ...dwpwCases];
