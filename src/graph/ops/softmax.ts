/**
 * softmax along attr axis (default -1), and reduce_sum / mean over all elements (shape [1]),
 * which close a graph into a scalar loss. softmax's backward reads its output.
 */
import * as ops from '../../backend/ops';
import { Tensor } from '../../backend/tensor';
import type { OpDef } from '../op_def';
import { axisOf, inputCount, intAttr, prod } from './attrs';

export const softmax: OpDef = {
  type: 'softmax',
  saves: { inputs: [], outputs: [0] },
  inferShape({ node, attrs, inputs }) {
    inputCount(node, 1);
    axisOf(node, intAttr(node, attrs, 'axis', -1), inputs[0].length);
    return [[...inputs[0]]];
  },
  forward({ node, attrs, inputs }) {
    return [ops.softmax(inputs[0], axisOf(node, intAttr(node, attrs, 'axis', -1), inputs[0].rank))];
  },
  backward({ node, attrs, outputs, dOutputs, needInput }) {
    const dy = dOutputs[0];
    if (!dy || !needInput(0)) return {};
    const y = outputs[0]!;
    return { inputs: [ops.softmaxBackward(y, dy, axisOf(node, intAttr(node, attrs, 'axis', -1), y.rank))] };
  },
};

function reduceAll(type: 'reduce_sum' | 'mean'): OpDef {
  return {
    type,
    saves: { inputs: [], outputs: [] },
    inferShape({ node }) {
      inputCount(node, 1);
      return [[1]];
    },
    forward({ inputs }) {
      return [type === 'mean' ? ops.mean(inputs[0]) : ops.reduceSum(inputs[0])];
    },
    backward({ inputShapes, dOutputs, needInput, backend }) {
      const dy = dOutputs[0];
      if (!dy || !needInput(0)) return {};
      const n = prod(inputShapes[0]);
      const g = dy.toArray()[0] * (type === 'mean' ? 1 / n : 1);
      return { inputs: [Tensor.full(inputShapes[0], g, backend)] };
    },
  };
}

export const reduceSum = reduceAll('reduce_sum');
export const mean = reduceAll('mean');
