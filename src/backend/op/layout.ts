/**
 * Ops that move data without arithmetic, along one axis of a tensor viewed as
 * [outer, axis, inner]: gather of chosen indices (the heart of channel pruning: keep these
 * channels) and its scatter-add gradient, concat and split (one channel_copy per piece), and a
 * plain copy.
 */
import type { Backend } from '../backend';
import type { Tensor } from '../tensor';
import { axisArg, commonBackend, empty, fail, formatShapeOf, isInt, launch, packGeometry, pattern, prod, rankArg, shapeArg, shapeValue, show, tensorArg, zeros } from './check';

function indicesArg(op: string, indices: unknown, dim: number): Int32Array {
  if (!(Array.isArray(indices) || indices instanceof Int32Array)) fail(op, 'an array or Int32Array of indices', 'indices', show(indices));
  const out = new Int32Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const v = indices[j];
    if (!isInt(v) || v < 0 || v >= dim) fail(op, `an integer index in [0, ${dim})`, `indices[${j}]`, show(v));
    out[j] = v;
  }
  return out;
}

function axisView(shape: readonly number[], axis: number): { outer: number; inner: number } {
  return { outer: prod(shape.slice(0, axis)), inner: prod(shape.slice(axis + 1)) };
}

/** y = x with only the given indices along axis, in that order (repeats allowed). */
export function gatherAxis(x: Tensor, axis: number, indices: number[] | Int32Array): Tensor {
  const op = 'gatherAxis';
  rankArg(op, 'x', x, [1, 2, 3, 4, 5, 6]);
  const a = axisArg(op, 'axis', axis, x.rank);
  const idx = indicesArg(op, indices, x.shape[a]);
  const be = commonBackend(op, { x });
  const shape = x.shape.map((d, i) => (i === a ? idx.length : d));
  const y = empty(shape, be);
  const { outer, inner } = axisView(x.shape, a);
  if (y.size) launch(op, 'gather_axis', be, [x, idx, y], packGeometry('gather_axis', { outer, axis: x.shape[a], inner, count: idx.length }));
  return y;
}

/** dx (shape xShape, zero elsewhere) of gatherAxis: dx[.., indices[j], ..] += dy[.., j, ..]. */
export function scatterAddAxis(dy: Tensor, axis: number, indices: number[] | Int32Array, xShape: readonly number[]): Tensor {
  const op = 'scatterAddAxis';
  const xs = shapeValue(op, 'xShape', xShape);
  tensorArg(op, 'dy', dy);
  const a = axisArg(op, 'axis', axis, xs.length);
  const idx = indicesArg(op, indices, xs[a]);
  shapeArg(op, 'dy', dy, xs.map((d, i) => (i === a ? idx.length : d)));
  const be = commonBackend(op, { dy });
  const dx = zeros(xs, be);
  const { outer, inner } = axisView(xs, a);
  if (dy.size) launch(op, 'scatter_add_axis', be, [dy, idx, dx], packGeometry('scatter_add_axis', { outer, axis: xs[a], inner, count: idx.length }));
  return dx;
}

function copyRange(op: string, be: Backend<any>, src: Tensor, dst: Tensor, outer: number, inner: number, srcC: number, srcOff: number, dstC: number, dstOff: number, count: number, accumulate = false): void {
  if (!count || !outer || !inner) return;
  launch(op, 'channel_copy', be, [src, dst], packGeometry('channel_copy', { outer, srcC, srcOff, dstC, dstOff, count, inner, accumulate: +accumulate }));
}

/** Joins tensors along axis (default 1, the channels); all other dimensions must agree. */
export function concat(xs: Tensor[], axis = 1): Tensor {
  const op = 'concat';
  if (!Array.isArray(xs) || xs.length === 0) fail(op, 'a non-empty array of tensors', 'xs', show(xs));
  xs.forEach((t, i) => tensorArg(op, `xs[${i}]`, t));
  const first = xs[0];
  const a = axisArg(op, 'axis', axis, first.rank);
  xs.forEach((t, i) => {
    const ok = t.rank === first.rank && t.shape.every((d, k) => k === a || d === first.shape[k]);
    if (!ok) fail(op, `shape ${pattern(first.shape.map((d, k) => (k === a ? undefined : d)))}`, `xs[${i}]`, formatShapeOf(t.shape));
  });
  const be = commonBackend(op, Object.fromEntries(xs.map((t, i) => [`xs[${i}]`, t])));
  const total = xs.reduce((s, t) => s + t.shape[a], 0);
  const y = empty(first.shape.map((d, k) => (k === a ? total : d)), be);
  const { outer, inner } = axisView(first.shape, a);
  let off = 0;
  for (const t of xs) {
    copyRange(op, be, t, y, outer, inner, t.shape[a], 0, total, off, t.shape[a]);
    off += t.shape[a];
  }
  return y;
}

/** Cuts x along axis (default 1) into pieces of the given sizes (summing to that dimension). */
export function split(x: Tensor, sizes: number[], axis = 1): Tensor[] {
  const op = 'split';
  rankArg(op, 'x', x, [1, 2, 3, 4, 5, 6]);
  const a = axisArg(op, 'axis', axis, x.rank);
  const dim = x.shape[a];
  if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((s) => isInt(s) && s >= 0)) {
    fail(op, 'a non-empty array of non-negative integers', 'sizes', show(sizes));
  }
  const sum = sizes.reduce((s, v) => s + v, 0);
  if (sum !== dim) fail(op, `sizes summing to ${dim} (dimension ${a} of x ${formatShapeOf(x.shape)})`, 'sizes', `${show(sizes)} (sum ${sum})`);
  const be = commonBackend(op, { x });
  const { outer, inner } = axisView(x.shape, a);
  let off = 0;
  return sizes.map((s) => {
    const y = empty(x.shape.map((d, k) => (k === a ? s : d)), be);
    copyRange(op, be, x, y, outer, inner, dim, off, s, 0, s);
    off += s;
    return y;
  });
}

/** A copy of x on the same backend (one channel_copy, no trip through JS). */
export function copy(x: Tensor): Tensor {
  const op = 'copy';
  tensorArg(op, 'x', x);
  const be = commonBackend(op, { x });
  const y = empty(x.shape, be);
  copyRange(op, be, x, y, 1, x.size, 1, 0, 1, 0, 1);
  return y;
}

/**
 * dst[.., dstOff + c, ..] = src[.., srcOff + c, ..] (or += with accumulate) for c < count along
 * axis; src and dst agree on every other dimension. In place on dst, which is returned. (Concat's
 * and split's gradients accumulate into existing gradients with it.)
 */
export function channelCopy(
  src: Tensor, srcOff: number, dst: Tensor, dstOff: number, count: number, axis = 1, accumulate = false,
): Tensor {
  const op = 'channelCopy';
  tensorArg(op, 'src', src);
  tensorArg(op, 'dst', dst);
  const a = axisArg(op, 'axis', axis, src.rank);
  const ok = dst.rank === src.rank && dst.shape.every((d, k) => k === a || d === src.shape[k]);
  if (!ok) fail(op, `shape ${pattern(src.shape.map((d, k) => (k === a ? undefined : d)))}`, 'dst', formatShapeOf(dst.shape));
  const range = (name: string, v: unknown, max: number) => {
    if (!isInt(v) || v < 0 || v > max) fail(op, `an integer in [0, ${max}]`, name, show(v));
    return v;
  };
  const n = range('count', count, Math.min(src.shape[a], dst.shape[a]));
  range('srcOff', srcOff, src.shape[a] - n);
  range('dstOff', dstOff, dst.shape[a] - n);
  const be = commonBackend(op, { src, dst });
  const { outer, inner } = axisView(src.shape, a);
  copyRange(op, be, src, dst, outer, inner, src.shape[a], srcOff, dst.shape[a], dstOff, n, accumulate);
  return dst;
}
