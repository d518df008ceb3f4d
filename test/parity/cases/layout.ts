/**
 * Parity cases for the data-movement kernels: gather_axis / scatter_add_axis on every axis with
 * repeated indices, channel_copy through concat, split and channelCopy (with accumulation).
 */
import * as ops from '../../../src/backend/ops';
import type { ParityCase } from '../harness';

const GATHERS: Array<{ shape: number[]; axis: number; idx: number[] }> = [
  { shape: [17, 3], axis: 0, idx: [16, 0, 5, 5] },
  { shape: [2, 17, 3, 3], axis: 1, idx: [0, 2, 4, 16, 9] },
  { shape: [1, 8, 5, 5], axis: 1, idx: [7] },
  { shape: [3, 4, 5, 7], axis: 2, idx: [4, 0, 1, 1, 3] },
  { shape: [2, 3, 4, 5], axis: 3, idx: [2, 2, 2] },
  { shape: [8, 3, 3, 3], axis: 0, idx: [1, 3, 5, 7, 0] },
];

const gatherCases: ParityCase[] = GATHERS.map(({ shape, axis, idx }) => ({
  name: `gatherAxis [${shape.join(',')}] axis ${axis} idx [${idx.join(',')}]`,
  inputs: { x: shape, dy: shape.map((d, i) => (i === axis ? idx.length : d)) },
  run: (t) => ({ y: ops.gatherAxis(t.x, axis, idx), dx: ops.scatterAddAxis(t.dy, axis, idx, t.x.shape) }),
  reduce: idx.length,
  kernels: ['gather_axis', 'scatter_add_axis'],
}));

const CONCATS: Array<{ shapes: number[][]; axis: number }> = [
  { shapes: [[2, 3, 5, 5], [2, 1, 5, 5], [2, 17, 5, 5]], axis: 1 },
  { shapes: [[1, 8, 3, 3], [1, 8, 3, 3]], axis: 1 },
  { shapes: [[3, 4], [5, 4]], axis: 0 },
  { shapes: [[2, 3, 4, 5], [2, 3, 4, 1], [2, 3, 4, 3]], axis: 3 },
];

const concatCases: ParityCase[] = CONCATS.map(({ shapes, axis }) => {
  const inputs: Record<string, number[]> = {};
  shapes.forEach((s, i) => (inputs[`x${i}`] = s));
  const total = shapes.reduce((s, x) => s + x[axis], 0);
  const full = shapes[0].map((d, i) => (i === axis ? total : d));
  inputs.acc = shapes[0];
  return {
    name: `concat/split/channelCopy ${shapes.map((s) => `[${s.join(',')}]`).join(' ')} axis ${axis}`,
    inputs: { ...inputs, z: full },
    run: (t) => {
      const xs = shapes.map((_, i) => t[`x${i}`]);
      const y = ops.concat(xs, axis);
      const parts = ops.split(t.z, shapes.map((s) => s[axis]), axis);
      // accumulate the first channels of z into acc (in place)
      ops.channelCopy(t.z, 0, t.acc, 0, shapes[0][axis], axis, true);
      return { y, acc: t.acc, ...Object.fromEntries(parts.map((p, i) => [`part${i}`, p])) };
    },
    kernels: ['channel_copy'],
  };
});

export const LAYOUT_CASES: ParityCase[] = [...gatherCases, ...concatCases];
