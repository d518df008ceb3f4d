/**
 * Elementwise activations, one op type each (Paddle's names): relu, leaky_relu (attr alpha,
 * default 0.02 as Paddle's), relu6, sigmoid, hardswish (x * relu6(x + 3) / 6), hardsigmoid
 * (clip(slope * x + 0.5, 0, 1), attr slope, default 0.2). Output shape = input shape.
 *
 * Backward reads x, except sigmoid, whose derivative y * (1 - y) reads the output; so only one
 * of the two tensors is kept alive for the backward pass.
 */
import * as ops from '../../backend/ops';
import type { ActivationName } from '../../backend/kernels';
import type { Attrs, Node } from '../types';
import type { OpDef } from '../op_def';
import { inputCount, numAttr } from './attrs';

function alphaOf(kind: ActivationName, node: Node, attrs: Attrs): number {
  if (kind === 'leaky_relu') return numAttr(node, attrs, 'alpha', 0.02);
  if (kind === 'hardsigmoid') return numAttr(node, attrs, 'slope', 0.2);
  return 0;
}

/**
 * Whether backward can read the output instead of the input. sigmoid's derivative is a function
 * of y. For relu, relu6 and leaky_relu with alpha >= 0 the derivative only asks where x lies
 * against 0 (and 6), and y lies there exactly when x does (y > 0 iff x > 0; 0 < y < 6 iff
 * 0 < x < 6; NaN stays NaN), so the kernel given y as x takes the same branch for every element:
 * the gradient is bit for bit the same, and the input (typically a batch norm's output) is
 * freed as soon as the activation ran instead of being kept for backward.
 */
function readsOutput(kind: ActivationName, node: Node, attrs: Attrs): boolean {
  if (kind === 'sigmoid' || kind === 'relu' || kind === 'relu6') return true;
  return kind === 'leaky_relu' && alphaOf(kind, node, attrs) >= 0;
}

const FROM_OUTPUT = { inputs: [], outputs: [0] };
const FROM_INPUT = { inputs: [0], outputs: [] };

function activationOp(kind: ActivationName): OpDef {
  return {
    type: kind,
    saves: kind === 'leaky_relu' || kind === 'hardswish' || kind === 'hardsigmoid' ? FROM_INPUT : FROM_OUTPUT,
    savesFor: (node) => (readsOutput(kind, node, node.attrs) ? FROM_OUTPUT : FROM_INPUT),
    inferShape({ node, attrs, inputs }) {
      inputCount(node, 1);
      alphaOf(kind, node, attrs);
      return [[...inputs[0]]];
    },
    forward({ node, attrs, inputs }) {
      return [ops.activation(inputs[0], kind, alphaOf(kind, node, attrs))];
    },
    backward({ node, attrs, inputs, outputs, dOutputs, needInput }) {
      const dy = dOutputs[0];
      if (!dy || !needInput(0)) return {};
      const x = (readsOutput(kind, node, attrs) ? outputs[0] : inputs[0])!;
      return { inputs: [ops.activationBackward(x, x, dy, kind, alphaOf(kind, node, attrs))] };
    },
  };
}

export const activations: OpDef[] = (['relu', 'leaky_relu', 'relu6', 'sigmoid', 'hardswish', 'hardsigmoid'] as const).map(activationOp);
