/**
 * split along attr axis (default 1) into `sections` (sizes, summing to the axis) or `num`
 * equal parts. Backward concatenates the outputs' gradients (zeros where none flowed).
 */
import * as ops from '../../backend/ops';
import { Tensor } from '../../backend/tensor';
import type { Attrs, Dims, Node } from '../types';
import type { OpDef } from '../op_def';
import { axisOf, fail, inputCount, intAttr } from './attrs';

function sections(node: Node, attrs: Attrs, x: Dims): { axis: number; sizes: number[] } {
  const axis = axisOf(node, intAttr(node, attrs, 'axis', 1), x.length);
  const dim = x[axis];
  const s = attrs.sections;
  if (Array.isArray(s) && s.length) {
    if (!s.every((v) => Number.isInteger(v) && v >= 1) || s.reduce((p, v) => p + v, 0) !== dim) {
      fail('split', `positive sections summing to ${dim}`, `attribute sections of node ${node.id}`, s);
    }
    return { axis, sizes: [...s] };
  }
  const num = intAttr(node, attrs, 'num', node.outputs.length, 1);
  if (dim % num !== 0) fail('split', `a part count dividing ${dim}`, `attribute num of node ${node.id}`, num);
  return { axis, sizes: new Array(num).fill(dim / num) };
}

export const split: OpDef = {
  type: 'split',
  saves: { inputs: [], outputs: [] },
  inferShape({ node, attrs, inputs }) {
    inputCount(node, 1);
    const { axis, sizes } = sections(node, attrs, inputs[0]);
    return sizes.map((s) => inputs[0].map((d, k) => (k === axis ? s : d)));
  },
  forward({ node, attrs, inputs }) {
    const { axis, sizes } = sections(node, attrs, inputs[0].shape);
    return ops.split(inputs[0], sizes, axis);
  },
  backward({ node, attrs, inputShapes, outputShapes, dOutputs, needInput, backend }) {
    if (!needInput(0) || dOutputs.every((d) => !d)) return {};
    const { axis } = sections(node, attrs, inputShapes[0]);
    const zeros: Tensor[] = [];
    const parts = dOutputs.map((d, i) => d ?? (zeros[zeros.length] = Tensor.zeros(outputShapes[i], backend)));
    try {
      return { inputs: [ops.concat(parts, axis)] };
    } finally {
      zeros.forEach((z) => z.dispose());
    }
  },
};
