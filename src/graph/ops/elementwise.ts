/**
 * elementwise_add / elementwise_sub / elementwise_mul: y = x (op) y', y of x's shape. The
 * second operand broadcasts the Paddle way: its dims are aligned with x's starting at attr
 * `axis` (default -1: right-aligned), and its size-1 dims repeat. The kernels take b as the
 * same shape, one value per "channel" or one scalar, so the general case is viewed as
 * x [outer, mid, inner] against b [mid], where mid is the span of b's non-1 dims (x [N, C, H, W]
 * with b [C] and axis 1, or b [N, C, 1, 1] as in squeeze-excitation, both fit).
 *
 * Backward: add and sub need only shapes; mul reads both operands.
 */
import * as ops from '../../backend/ops';
import type { Tensor } from '../../backend/tensor';
import type { Attrs, Dims, Node } from '../types';
import type { OpDef } from '../op_def';
import { fail, inputCount, intAttr, moveTo, prod } from './attrs';

type Kind = 'add' | 'sub' | 'mul';

/** b's dims placed on x's axes (1 elsewhere), or a failure. */
function alignB(node: Node, attrs: Attrs, xs: Dims, bs: Dims): Dims {
  let axis = intAttr(node, attrs, 'axis', -1);
  // Paddle's rule: trailing size-1 dims of y are ignored when aligning
  let b = [...bs];
  while (b.length > 1 && b[b.length - 1] === 1) b.pop();
  if (bs.length === xs.length) { b = [...bs]; axis = 0; }
  if (axis === -1) axis = xs.length - b.length;
  if (axis < 0 || axis + b.length > xs.length) fail(node.type, `a second operand that fits [${xs.join(', ')}] at axis ${axis}`, `node ${node.id}`, `[${bs.join(', ')}]`);
  const full = xs.map(() => 1);
  b.forEach((d, i) => (full[axis + i] = d));
  full.forEach((d, i) => {
    if (d !== 1 && d !== xs[i]) fail(node.type, `a second operand broadcastable to [${xs.join(', ')}]`, `node ${node.id}`, `[${bs.join(', ')}]`);
  });
  return full;
}

/** [outer, mid, inner] with b covering mid; throws when b's non-1 dims are not one contiguous run equal to x's. */
function view(node: Node, xs: Dims, full: Dims): { outer: number; mid: number; inner: number } {
  const first = full.findIndex((d) => d !== 1);
  if (first < 0) return { outer: 1, mid: 1, inner: prod(xs) };
  let last = first;
  for (let i = first; i < xs.length; i++) if (full[i] !== 1) last = i;
  for (let i = first; i <= last; i++) {
    if (full[i] !== xs[i]) fail(node.type, "a second operand whose non-1 dims are one contiguous run of the first operand's dims", `node ${node.id}`, `[${full.join(', ')}] against [${xs.join(', ')}]`);
  }
  return { outer: prod(xs, 0, first), mid: prod(xs, first, last + 1), inner: prod(xs, last + 1) };
}

function operands(node: Node, attrs: Attrs, a: Tensor, b: Tensor): { a: Tensor; b: Tensor } {
  const full = alignB(node, attrs, a.shape, b.shape);
  const v = view(node, a.shape, full);
  if (b.size === a.size) return { a: a.reshape([a.size]), b: b.reshape([a.size]) };
  if (b.size === 1) return { a: a.reshape([a.size]), b: b.reshape([1]) };
  return { a: a.reshape([v.outer, v.mid, v.inner]), b: b.reshape([v.mid]) };
}

function elementwise(kind: Kind): OpDef {
  const type = `elementwise_${kind}`;
  return {
    type,
    saves: kind === 'mul' ? { inputs: [0, 1], outputs: [] } : { inputs: [], outputs: [] },
    inferShape({ node, attrs, inputs }) {
      inputCount(node, 2);
      const full = alignB(node, attrs, inputs[0], inputs[1]);
      view(node, inputs[0], full);
      return [[...inputs[0]]];
    },
    forward({ node, attrs, inputs }) {
      const { a, b } = operands(node, attrs, inputs[0], inputs[1]);
      return [moveTo(ops[kind](a, b), inputs[0].shape)];
    },
    backward({ node, attrs, inputs, inputShapes, dOutputs, needInput }) {
      const dy = dOutputs[0];
      if (!dy) return {};
      const [as, bs] = inputShapes;
      const full = alignB(node, attrs, as, bs);
      const v = view(node, as, full);
      const bSame = prod(bs) === prod(as);
      if (kind === 'mul') {
        const { a, b } = operands(node, attrs, inputs[0]!, inputs[1]!);
        const r = ops.binaryBackward(a, b, dy.reshape(a.shape), 'mul', { a: needInput(0), b: needInput(1) });
        return { inputs: [r.da ? moveTo(r.da, as) : null, r.db ? moveTo(r.db, bs) : null] };
      }
      const res: Array<Tensor | null> = [null, null];
      if (needInput(0)) res[0] = ops.copy(dy);
      if (needInput(1)) {
        let db: Tensor;
        if (bSame) db = ops.copy(dy);
        else {
          const d3 = dy.reshape([v.outer, v.mid, v.inner]);
          db = ops.reduceSum(d3, [0, 2]);
        }
        if (kind === 'sub') {
          const n = ops.scale(db, -1);
          db.dispose();
          db = n;
        }
        res[1] = moveTo(db, bs);
      }
      return { inputs: res };
    },
  };
}

export const elementwiseOps: OpDef[] = (['add', 'sub', 'mul'] as const).map(elementwise);
