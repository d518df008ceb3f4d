/**
 * Matrix products over row-major 2-D tensors, and Paddle's fully connected layer:
 *     gemm:  C = alpha * op(A) op(B) (+ C when accumulating), op = identity or transpose
 *     fc:    y [N, M] = x [N, K] w [K, M] + b [M]   (w stored [in, out] as Paddle's fc;
 *            x of rank > 2 is flattened to [N, K] as fc with num_flatten_dims = 1)
 * Backward passes are gemms with transposes, the bias gradient a column sum.
 */
import type { Backend } from '../backend';
import type { Tensor } from '../tensor';
import {
  attrsArg, boolArg, commonBackend, empty, fail, formatShapeOf, launch, numArg, OpArgumentError, packGeometry, pattern,
  prod, rankArg, shapeArg, tensorArg,
} from './check';
import { sumMiddle } from './reduce';

export interface GemmAttrs {
  transA?: boolean;
  transB?: boolean;
  /** default 1 */
  alpha?: number;
  /** output [M, N]: written (or added to when accumulate) instead of a new tensor */
  c?: Tensor;
  accumulate?: boolean;
}

/** One gemm launch with known sizes; c is [M, N]. */
export function gemmRaw(op: string, be: Backend<any>, a: Tensor, b: Tensor, c: Tensor, transA: boolean, transB: boolean, M: number, N: number, K: number, alpha = 1, accumulate = false): void {
  const p = packGeometry('gemm', { transA: +transA, transB: +transB, M, N, K, accumulate: +accumulate });
  launch(op, 'gemm', be, [a, b, c], p, [alpha]);
}

/** C = alpha * op(a) op(b) (+ c when accumulate). Returns c when given, else a new [M, N] tensor. */
export function gemm(a: Tensor, b: Tensor, attrsIn?: GemmAttrs): Tensor {
  const op = 'gemm';
  const attrs = attrsArg(op, attrsIn);
  rankArg(op, 'a', a, 2);
  rankArg(op, 'b', b, 2);
  const tA = boolArg(op, 'transA', attrs.transA, false);
  const tB = boolArg(op, 'transB', attrs.transB, false);
  const alpha = numArg(op, 'alpha', attrs.alpha, 1);
  const acc = boolArg(op, 'accumulate', attrs.accumulate, false);
  const [M, K] = tA ? [a.shape[1], a.shape[0]] : a.shape;
  const [KB, N] = tB ? [b.shape[1], b.shape[0]] : b.shape;
  if (KB !== K) {
    const want = tB ? `[N, K] = ${pattern([undefined, K])}` : `[K, N] = ${pattern([K, undefined])}`;
    throw new OpArgumentError(`${op}: expected b of shape ${want}, got ${formatShapeOf(b.shape)}`);
  }
  if (acc && attrs.c === undefined) fail(op, 'a tensor c to accumulate into', 'c', 'undefined');
  if (attrs.c !== undefined) shapeArg(op, 'c', attrs.c, [M, N]);
  const be = commonBackend(op, { a, b, c: attrs.c });
  const c = attrs.c ?? empty([M, N], be);
  gemmRaw(op, be, a, b, c, tA, tB, M, N, K, alpha, acc);
  return c;
}

/** op(a) op(b) as a new tensor. */
export function matmul(a: Tensor, b: Tensor, attrs: { transA?: boolean; transB?: boolean } = {}): Tensor {
  return gemm(a, b, { transA: attrs.transA, transB: attrs.transB });
}

/** Gradients of y = op(a) op(b) given dy [M, N]: da in a's shape, db in b's. */
export function matmulBackward(a: Tensor, b: Tensor, dy: Tensor, attrs: { transA?: boolean; transB?: boolean } = {}): { da: Tensor; db: Tensor } {
  const op = 'matmulBackward';
  rankArg(op, 'a', a, 2);
  rankArg(op, 'b', b, 2);
  const tA = boolArg(op, 'transA', attrs.transA, false);
  const tB = boolArg(op, 'transB', attrs.transB, false);
  const [M, K] = tA ? [a.shape[1], a.shape[0]] : a.shape;
  const [KB, N] = tB ? [b.shape[1], b.shape[0]] : b.shape;
  if (KB !== K) {
    const want = tB ? `[N, K] = ${pattern([undefined, K])}` : `[K, N] = ${pattern([K, undefined])}`;
    throw new OpArgumentError(`${op}: expected b of shape ${want}, got ${formatShapeOf(b.shape)}`);
  }
  shapeArg(op, 'dy', dy, [M, N]);
  const be = commonBackend(op, { a, b, dy });
  const da = empty(a.shape, be);
  const db = empty(b.shape, be);
  // da: [M, K] = dy op(B)^T, or [K, M] = op(B) dy^T when a is transposed
  if (!tA) gemmRaw(op, be, dy, b, da, false, !tB, M, K, N);
  else gemmRaw(op, be, b, dy, da, tB, true, K, M, N);
  // db: [K, N] = op(A)^T dy, or [N, K] = dy^T op(A) when b is transposed
  if (!tB) gemmRaw(op, be, a, dy, db, !tA, false, K, N, M);
  else gemmRaw(op, be, dy, a, db, true, tA, N, K, M);
  return { da, db };
}

function fcShapes(op: string, x: Tensor, w: Tensor): { N: number; K: number; M: number } {
  rankArg(op, 'x', x, [2, 3, 4, 5], 'input');
  rankArg(op, 'w', w, 2);
  const N = x.shape[0];
  const K = prod(x.shape.slice(1));
  if (w.shape[0] !== K) {
    throw new OpArgumentError(`${op}: expected w of shape [in, out] = ${pattern([K, undefined])}, got ${formatShapeOf(w.shape)}`);
  }
  return { N, K, M: w.shape[1] };
}

/** Paddle's fc: y [N, M] = x [N, K] w [K, M] + b [M] (x of higher rank flattened after axis 0). */
export function fullyConnected(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const op = 'fullyConnected';
  const { N, K, M } = fcShapes(op, x, w);
  if (b !== null && b !== undefined) shapeArg(op, 'b', b, [M]);
  const be = commonBackend(op, { x, w, b });
  const y = empty([N, M], be);
  gemmRaw(op, be, x, w, y, false, false, N, M, K);
  if (!b) return y;
  const out = empty([N, M], be);
  try {
    launch(op, 'binary_forward', be, [y, b, out], packGeometry('binary_forward', { outer: N, C: M, inner: 1, op: 0, bmode: 1 }));
  } finally {
    y.dispose();
  }
  return out;
}

/** Gradients of fullyConnected given dy [N, M]: dx (x's shape, unless needInput is false), dw [K, M], db [M] when withBias. */
export function fullyConnectedBackward(
  x: Tensor, w: Tensor, dy: Tensor, opts: { withBias?: boolean; needInput?: boolean } = {},
): { dx: Tensor | null; dw: Tensor; db: Tensor | null } {
  const op = 'fullyConnectedBackward';
  const { N, K, M } = fcShapes(op, x, w);
  tensorArg(op, 'dy', dy);
  shapeArg(op, 'dy', dy, [N, M]);
  const withBias = boolArg(op, 'withBias', opts.withBias, true);
  const needInput = boolArg(op, 'needInput', opts.needInput, true);
  const be = commonBackend(op, { x, w, dy });
  let dx: Tensor | null = null;
  if (needInput) {
    dx = empty(x.shape, be);
    gemmRaw(op, be, dy, w, dx, false, true, N, K, M);
  }
  const dw = empty(w.shape, be);
  gemmRaw(op, be, x, dy, dw, true, false, K, M, N);
  const db = withBias ? sumMiddle(op, be, dy, 1, N, M, [M]) : null;
  return { dx, dw, db };
}
