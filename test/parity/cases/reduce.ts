/**
 * Parity cases for reduce_sum (single axes, runs of axes, everything, through mean) and softmax
 * forward/backward along first, middle and last axes at lengths 1, 3, 4, 5, 8, 17 and 1001.
 */
import * as ops from '../../../src/backend/ops';
import type { ParityCase } from '../harness';

const SUMS: Array<{ shape: number[]; axes?: number[] }> = [
  { shape: [17], axes: [0] },
  { shape: [3, 5, 4], axes: [1] },
  { shape: [2, 17, 3, 3], axes: [0, 2, 3] },
  { shape: [4, 8, 5], axes: [2] },
  { shape: [5, 1001], axes: [1] },
  { shape: [2, 3, 4, 5] },
];

const sumCases: ParityCase[] = SUMS.map(({ shape, axes }) => {
  const len = (axes ?? shape.map((_, i) => i)).reduce((n, a) => n * shape[a], 1);
  return {
    name: `reduceSum/mean [${shape.join(',')}] axes ${axes ? `[${axes.join(',')}]` : 'all'}`,
    inputs: { x: shape },
    run: (t) => ({ sum: ops.reduceSum(t.x, axes), mean: ops.mean(t.x, axes, true) }),
    reduce: len,
    kernels: ['reduce_sum', 'binary_forward'],
  };
});

const SOFTMAX: Array<{ shape: number[]; axis: number }> = [
  { shape: [3, 1], axis: -1 },
  { shape: [2, 3], axis: -1 },
  { shape: [4, 4], axis: 0 },
  { shape: [2, 5, 7], axis: 1 },
  { shape: [3, 8], axis: 1 },
  { shape: [2, 17, 3, 3], axis: 1 },
  { shape: [2, 1001], axis: 1 },
];

const softmaxCases: ParityCase[] = SOFTMAX.map(({ shape, axis }) => ({
  name: `softmax [${shape.join(',')}] axis ${axis}`,
  inputs: { x: { shape, dist: 'wide' }, dy: shape },
  run: (t) => {
    const y = ops.softmax(t.x, axis);
    return { y, dx: ops.softmaxBackward(y, t.dy, axis) };
  },
  reduce: shape[axis < 0 ? shape.length + axis : axis],
  kernels: ['softmax_forward', 'softmax_backward'],
}));

export const REDUCE_CASES: ParityCase[] = [...sumCases, ...softmaxCases];
