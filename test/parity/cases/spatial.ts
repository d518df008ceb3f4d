/**
 * Parity cases for pooling (max/avg, exclusive or not, global, ceil mode, asymmetric padding)
 * and resizing (nearest and bilinear, with and without corner alignment, up and down), forward
 * and backward, over 1, 3, 4, 8 and 17 channels and odd spatial sizes. Max pooling inputs are
 * distinct, well separated values, so the maximal tap is the same in float32 and float64.
 */
import * as ops from '../../../src/backend/ops';
import type { ParityCase } from '../harness';

const POOLS: Array<{ shape: number[]; attrs: ops.Pool2dAttrs }> = [
  { shape: [1, 1, 6, 6], attrs: { kind: 'max', kernel: 2, stride: 2 } },
  { shape: [2, 3, 7, 9], attrs: { kind: 'max', kernel: 3, stride: 2, padding: 1 } },
  { shape: [1, 17, 5, 5], attrs: { kind: 'max', kernel: 3, stride: 1, padding: 1 } },
  { shape: [3, 4, 7, 7], attrs: { kind: 'max', kernel: 3, stride: 2, ceilMode: true } },
  { shape: [1, 8, 5, 6], attrs: { kind: 'max', kernel: [2, 3], stride: [2, 1], padding: [0, 1, 1, 2] } },
  { shape: [1, 8, 13, 13], attrs: { kind: 'max', kernel: 5, stride: 1, padding: 2 } },
  { shape: [1, 1, 6, 6], attrs: { kind: 'avg', kernel: 2, stride: 2 } },
  { shape: [2, 3, 7, 9], attrs: { kind: 'avg', kernel: 3, stride: 2, padding: 1 } },
  { shape: [2, 3, 7, 9], attrs: { kind: 'avg', kernel: 3, stride: 2, padding: 1, exclusive: false } },
  { shape: [1, 17, 5, 4], attrs: { kind: 'avg', kernel: 3, stride: 2, padding: [1, 0, 0, 1], ceilMode: true } },
  { shape: [3, 4, 7, 5], attrs: { kind: 'avg', global: true } },
  { shape: [2, 17, 3, 3], attrs: { kind: 'max', global: true } },
];

const show = (a: ops.Pool2dAttrs) => JSON.stringify(a).replace(/"/g, '');

const poolCases: ParityCase[] = POOLS.map(({ shape, attrs }) => {
  const g = ops.poolGeometry('case', shape, attrs);
  return {
    name: `pool2d [${shape.join(',')}] ${show(attrs)}`,
    inputs: { x: { shape, dist: attrs.kind === 'max' ? 'distinct' : 'uniform' }, dy: [g.N, g.C, g.OH, g.OW] },
    run: (t) => ({ y: ops.pool2d(t.x, attrs), dx: ops.pool2dBackward(t.x, t.dy, attrs) }),
    reduce: g.KH * g.KW,
    kernels: ['pool2d_forward', 'pool2d_backward'],
  };
});

const RESIZES: Array<{ shape: number[]; attrs: ops.UpsampleAttrs }> = [
  { shape: [1, 3, 13, 13], attrs: { mode: 'nearest', scale: 2 } },
  { shape: [2, 17, 5, 4], attrs: { mode: 'nearest', scale: 3 } },
  { shape: [1, 4, 7, 10], attrs: { mode: 'nearest', size: [10, 7] } },
  { shape: [1, 1, 9, 9], attrs: { mode: 'nearest', size: [4, 5] } },
  { shape: [1, 3, 13, 13], attrs: { mode: 'nearest', scale: 2, alignCorners: true } },
  { shape: [2, 5, 3, 7], attrs: { mode: 'nearest', size: [5, 16], alignCorners: true } },
  { shape: [1, 17, 9, 6], attrs: { mode: 'nearest', size: [4, 13], alignCorners: true } },
  { shape: [1, 3, 5, 7], attrs: { mode: 'bilinear', scale: 2 } },
  { shape: [2, 8, 5, 7], attrs: { mode: 'bilinear', scale: 2, alignCorners: true } },
  { shape: [1, 4, 6, 9], attrs: { mode: 'bilinear', size: [11, 4] } },
  { shape: [1, 17, 9, 6], attrs: { mode: 'bilinear', size: [5, 13], alignCorners: true } },
];

const resizeCases: ParityCase[] = RESIZES.map(({ shape, attrs }) => {
  const g = ops.upsampleGeometry('case', shape, attrs);
  return {
    name: `upsample [${shape.join(',')}] ${JSON.stringify(attrs).replace(/"/g, '')}`,
    inputs: { x: shape, dy: [g.N, g.C, g.OH, g.OW] },
    run: (t) => ({ y: ops.upsample(t.x, attrs), dx: ops.upsampleBackward(t.dy, t.x.shape, attrs) }),
    reduce: { dx: 4 * Math.ceil(g.OH / g.H) * Math.ceil(g.OW / g.W) },
    kernels: ['upsample_forward', 'upsample_backward'],
  };
});

export const SPATIAL_CASES: ParityCase[] = [...poolCases, ...resizeCases];
