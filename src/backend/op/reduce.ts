/**
 * Sums and means over axes, softmax along one axis, and the per-channel sum used for bias
 * gradients. reduce_sum works on x viewed as [outer, len, inner]; a set of axes is reduced one
 * contiguous run at a time, from the last run to the first, so each kernel call stays a plain
 * strided sum.
 */
import type { Backend } from '../backend';
import { Tensor } from '../tensor';
import { axisArg, boolArg, commonBackend, empty, fail, launch, packGeometry, prod, rankArg, shapeArg, show, tensorArg, formatShapeOf } from './check';

/** y[o, i] = sum_l x[o, l, i]: one reduce_sum launch on a tensor viewed as [outer, len, inner]. */
export function sumMiddle(op: string, be: Backend<any>, x: Tensor, outer: number, len: number, inner: number, outShape: number[]): Tensor {
  const y = empty(outShape, be);
  launch(op, 'reduce_sum', be, [x, y], packGeometry('reduce_sum', { outer, len, inner }));
  return y;
}

/** Sum of t (viewed as [N, C, inner]) over N and inner: shape [C]. Used for bias gradients. */
export function sumPerChannel(op: string, be: Backend<any>, t: Tensor, N: number, C: number, inner: number): Tensor {
  if (inner === 1) return sumMiddle(op, be, t, 1, N, C, [C]);
  const partial = sumMiddle(op, be, t, N * C, inner, 1, [N, C]);
  try {
    return sumMiddle(op, be, partial, 1, N, C, [C]);
  } finally {
    partial.dispose();
  }
}

function axesArg(op: string, axes: unknown, rank: number): number[] {
  const list = axes === undefined ? [...Array(rank).keys()] : typeof axes === 'number' ? [axes] : axes;
  if (!Array.isArray(list)) fail(op, 'an axis or an array of axes', 'axes', show(axes));
  const out = list.map((a, i) => axisArg(op, `axes[${i}]`, a, rank));
  if (new Set(out).size !== out.length) fail(op, 'distinct axes', 'axes', show(axes));
  return out.sort((a, b) => a - b);
}

/** Sum over the given axes (all when omitted). keepDims keeps them as 1; a full reduction without keepDims gives [1]. */
export function reduceSum(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const op = 'reduceSum';
  tensorArg(op, 'x', x);
  const keep = boolArg(op, 'keepDims', keepDims, false);
  const ax = axesArg(op, axes, x.rank);
  const be = commonBackend(op, { x });
  const outShape = keep ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
  const finalShape = outShape.length ? outShape : [1];
  // contiguous runs of axes, last first
  const runs: Array<[number, number]> = [];
  for (const a of ax) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a) last[1] = a + 1;
    else runs.push([a, a + 1]);
  }
  if (!runs.length) return sumMiddle(op, be, x, x.size, 1, 1, finalShape);
  let cur = x;
  let shape = [...x.shape];
  for (let r = runs.length - 1; r >= 0; r--) {
    const [s, e] = runs[r];
    const next = [...shape.slice(0, s), ...shape.slice(e)];
    const y = sumMiddle(op, be, cur, prod(shape.slice(0, s)), prod(shape.slice(s, e)), prod(shape.slice(e)), r === 0 ? finalShape : next);
    if (cur !== x) cur.dispose();
    cur = y;
    shape = next;
  }
  return cur;
}

/** Mean over the given axes (all when omitted). */
export function mean(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const op = 'mean';
  tensorArg(op, 'x', x);
  const ax = axesArg(op, axes, x.rank);
  const count = prod(ax.map((a) => x.shape[a]));
  if (count === 0) fail(op, 'a non-empty tensor along the reduced axes', 'x', formatShapeOf(x.shape));
  const s = reduceSum(x, ax, keepDims);
  const k = Tensor.full([1], 1 / count, x.backend);
  try {
    const y = empty(s.shape, x.backend);
    launch(op, 'binary_forward', x.backend, [s, k, y], packGeometry('binary_forward', { outer: 1, C: 1, inner: s.size, op: 2, bmode: 2 }));
    return y;
  } finally {
    k.dispose();
    s.dispose();
  }
}

function middleView(shape: readonly number[], axis: number): { outer: number; len: number; inner: number } {
  return { outer: prod(shape.slice(0, axis)), len: shape[axis], inner: prod(shape.slice(axis + 1)) };
}

/** Softmax along one axis (default the last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const op = 'softmax';
  rankArg(op, 'x', x, [1, 2, 3, 4, 5, 6]);
  const a = axisArg(op, 'axis', axis, x.rank);
  const be = commonBackend(op, { x });
  const y = empty(x.shape, be);
  launch(op, 'softmax_forward', be, [x, y], packGeometry('softmax_forward', middleView(x.shape, a)));
  return y;
}

/** dx of softmax from its output y and dy. */
export function softmaxBackward(y: Tensor, dy: Tensor, axis = -1): Tensor {
  const op = 'softmaxBackward';
  rankArg(op, 'y', y, [1, 2, 3, 4, 5, 6]);
  shapeArg(op, 'dy', dy, y.shape);
  const a = axisArg(op, 'axis', axis, y.rank);
  const be = commonBackend(op, { y, dy });
  const dx = empty(y.shape, be);
  launch(op, 'softmax_backward', be, [y, dy, dx], packGeometry('softmax_backward', middleView(y.shape, a)));
  return dx;
}
