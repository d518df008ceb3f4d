/**
 * Shape-only ops: flatten (attr axis, default 1: [N, C, H, W] -> [N, C*H*W]) and reshape
 * (attr shape, Paddle's rules: 0 copies the input dim at that index, one -1 is inferred).
 * Forward and backward copy the data (one channel_copy) rather than alias it, so that every
 * value owns its storage and the executor can free each one independently.
 */
import * as ops from '../../backend/ops';
import type { Attrs, Dims, Node } from '../types';
import type { OpDef } from '../op_def';
import { fail, inputCount, intAttr, moveTo, prod } from './attrs';

function flattenShape(node: Node, attrs: Attrs, x: Dims): Dims {
  const axis = intAttr(node, attrs, 'axis', 1, 0);
  if (axis > x.length) fail('flatten', `an axis in [0, ${x.length}]`, `attribute axis of node ${node.id}`, axis);
  return [prod(x, 0, axis), prod(x, axis)];
}

function reshapeShape(node: Node, attrs: Attrs, x: Dims): Dims {
  const s = attrs.shape;
  if (!Array.isArray(s) || !s.length || !s.every((d) => Number.isInteger(d) && d >= -1)) {
    fail('reshape', 'a list of integers >= -1', `attribute shape of node ${node.id}`, s);
  }
  const out = s.map((d, i) => {
    if (d !== 0) return d;
    if (i >= x.length) fail('reshape', `0 only at an index below the input rank ${x.length}`, `attribute shape of node ${node.id}`, s);
    return x[i];
  });
  const unknown = out.filter((d) => d === -1).length;
  if (unknown > 1) fail('reshape', 'at most one -1', `attribute shape of node ${node.id}`, s);
  const known = prod(out.filter((d) => d !== -1));
  const total = prod(x);
  if (unknown) {
    if (known === 0 || total % known !== 0) fail('reshape', `a shape whose known dims divide ${total}`, `attribute shape of node ${node.id}`, s);
    return out.map((d) => (d === -1 ? total / known : d));
  }
  if (known !== total) fail('reshape', `a shape of ${total} elements (input [${x.join(', ')}])`, `attribute shape of node ${node.id}`, s);
  return out;
}

function shapeOp(type: string, shapeFn: (node: Node, attrs: Attrs, x: Dims) => Dims): OpDef {
  return {
    type,
    saves: { inputs: [], outputs: [] },
    inferShape({ node, attrs, inputs }) {
      inputCount(node, 1);
      return [shapeFn(node, attrs, inputs[0])];
    },
    forward({ node, attrs, inputs }) {
      return [moveTo(ops.copy(inputs[0]), shapeFn(node, attrs, inputs[0].shape))];
    },
    backward({ inputShapes, dOutputs, needInput }) {
      const dy = dOutputs[0];
      if (!dy || !needInput(0)) return {};
      return { inputs: [moveTo(ops.copy(dy), inputShapes[0])] };
    },
  };
}

export const flatten = shapeOp('flatten', flattenShape);
export const reshape = shapeOp('reshape', reshapeShape);
