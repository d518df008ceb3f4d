/**
 * Elementwise add / sub / mul, y = a (op) b with y of a's shape. b is either a's shape, one
 * value per channel of a ([C] or [1, C, 1, 1] against NCHW, [C] against [N, C]: a is viewed as
 * [N, C, inner]) or a single value ([1]). The gradient of a broadcast b is summed over the
 * broadcast dimensions by the kernel.
 */
import { BINOP, BMODE } from '../kernels';
import { Tensor } from '../tensor';
import { boolArg, commonBackend, empty, fail, formatShapeOf, launch, packGeometry, prod, sameShape, shapeArg, show, tensorArg } from './check';

export type BinaryOp = keyof typeof BINOP;

/** The kernel view [outer, C, inner] and broadcast mode of a (op) b; throws when b does not fit a. */
export function binaryGeometry(op: string, a: Tensor, b: Tensor): Record<string, number> {
  tensorArg(op, 'a', a);
  tensorArg(op, 'b', b);
  if (sameShape(a.shape, b.shape)) return { outer: 1, C: 1, inner: a.size, bmode: BMODE.same };
  if (b.size === 1 && b.shape.every((d) => d === 1)) return { outer: 1, C: 1, inner: a.size, bmode: BMODE.scalar };
  if (a.rank >= 2) {
    const C = a.shape[1];
    const perChannel = (b.rank === 1 && b.shape[0] === C) || (b.rank === a.rank && b.shape.every((d, i) => d === (i === 1 ? C : 1)));
    if (perChannel) return { outer: a.shape[0], C, inner: prod(a.shape.slice(2)), bmode: BMODE.channel };
  }
  const chan = a.rank >= 2 ? `, per channel [${a.shape[1]}]${a.rank > 2 ? ` or ${formatShapeOf(a.shape.map((d, i) => (i === 1 ? d : 1)))}` : ''}` : '';
  fail(op, `the shape of a ${formatShapeOf(a.shape)}${chan}, or [1]`, 'b', formatShapeOf(b.shape));
}

function binary(kind: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const op = kind;
  const g = binaryGeometry(op, a, b);
  const be = commonBackend(op, { a, b });
  const y = empty(a.shape, be);
  if (a.size) launch(op, 'binary_forward', be, [a, b, y], packGeometry('binary_forward', { ...g, op: BINOP[kind] }));
  return y;
}

export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, b);

/** Gradients of a (op) b given dy (a's shape): da like a, db like b (reduced). Skip either with need.a / need.b = false. */
export function binaryBackward(
  a: Tensor, b: Tensor, dy: Tensor, kind: BinaryOp, need: { a?: boolean; b?: boolean } = {},
): { da: Tensor | null; db: Tensor | null } {
  const op = 'binaryBackward';
  if (typeof kind !== 'string' || !(kind in BINOP)) fail(op, `one of ${Object.keys(BINOP).join(', ')}`, 'kind', show(kind));
  const g = binaryGeometry(op, a, b);
  shapeArg(op, 'dy', dy, a.shape);
  const be = commonBackend(op, { a, b, dy });
  const da = boolArg(op, 'need.a', need.a, true) ? empty(a.shape, be) : null;
  const db = boolArg(op, 'need.b', need.b, true) ? empty(b.shape, be) : null;
  if (!da && !db) return { da, db };
  if (a.size === 0) {
    if (db) be.fill(db.storage, db.size, 0);
    return { da, db };
  }
  launch(op, 'binary_backward', be, [a, b, dy, da, db], packGeometry('binary_backward', { ...g, op: BINOP[kind] }));
  return { da, db };
}

/** y = x * s for a number s. */
export function scale(x: Tensor, s: number): Tensor {
  const op = 'scale';
  tensorArg(op, 'x', x);
  if (typeof s !== 'number' || !Number.isFinite(s)) fail(op, 'a finite number', 's', show(s));
  const be = commonBackend(op, { x });
  const k = Tensor.from([s], [1], be);
  try {
    const y = empty(x.shape, be);
    if (x.size) launch(op, 'binary_forward', be, [x, k, y], packGeometry('binary_forward', { outer: 1, C: 1, inner: x.size, op: BINOP.mul, bmode: BMODE.scalar }));
    return y;
  } finally {
    k.dispose();
  }
}
