/**
 * conv2d: x [N, C, H, W], weight [OC, C/groups, KH, KW], optional bias [OC] -> y [N, OC, OH, OW],
 * OH = floor((H + pt + pb - dh*(KH-1) - 1) / sh) + 1 (likewise OW). Attrs (Paddle's names):
 * strides [sh, sw], paddings [pt, pb, pl, pr], dilations [dh, dw], groups. The output channel
 * count is the weight's axis 0, so pruning a filter is a change of parameter shape only
 * (plus `groups` for depthwise convs, which a pruner updates).
 *
 * Backward reads x (filter gradient) and the weight (input gradient).
 */
import * as ops from '../../backend/ops';
import type { Tensor } from '../../backend/tensor';
import type { Attrs, Dims, Node } from '../types';
import type { FilterCache } from '../../backend/prepared';
import type { BackwardCtx, BackwardResult, ForwardCtx, OpDef } from '../op_def';
import { convOut, fail, inputCount, intAttr, intsAttr, paddingAttr, rankCheck } from './attrs';

export interface ConvAttrs {
  stride: [number, number];
  padding: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

export function convAttrs(node: Node, attrs: Attrs): ConvAttrs {
  const [sh, sw] = intsAttr(node, attrs, 'strides', 2, [1, 1], 1);
  const [dh, dw] = intsAttr(node, attrs, 'dilations', 2, [1, 1], 1);
  return { stride: [sh, sw], padding: paddingAttr(node, attrs), dilation: [dh, dw], groups: intAttr(node, attrs, 'groups', 1, 1) };
}

/**
 * The kept copy of the node's filter (params `weightRole`, `biasRole`) when the run has
 * PreparedWeights (ForwardOptions.prepared), for the op's `cache` argument.
 */
export function keptFilter(ctx: ForwardCtx, weightRole = 'weight', biasRole = 'bias'): FilterCache | null | undefined {
  const { node, params, prepared } = ctx;
  return prepared?.filter(node.params[weightRole], node.params[biasRole], params[weightRole], params[biasRole] ?? null);
}

export const conv2d: OpDef = {
  type: 'conv2d',
  paramRoles: { required: ['weight'], optional: ['bias'] },
  gradParams: ['weight', 'bias'],
  saves: { inputs: [0], outputs: [] },
  inferShape({ node, attrs, inputs, params }) {
    inputCount(node, 1);
    const x = rankCheck(node, inputs[0], 4, 'input [N, C, H, W]');
    const w = rankCheck(node, params.weight, 4, 'weight [OC, C/groups, KH, KW]');
    const a = convAttrs(node, attrs);
    const [OC, CG, KH, KW] = w;
    if (x[1] % a.groups !== 0 || OC % a.groups !== 0) {
      fail('conv2d', `input channels ${x[1]} and filters ${OC} divisible by groups`, `node ${node.id}`, a.groups);
    }
    if (CG * a.groups !== x[1]) {
      fail('conv2d', `an input of ${CG * a.groups} channels (weight ${node.params.weight} is [${w.join(', ')}], groups ${a.groups})`, `node ${node.id}`, `[${x.join(', ')}]`);
    }
    if (params.bias && (params.bias.length !== 1 || params.bias[0] !== OC)) {
      fail('conv2d', `bias of shape [${OC}]`, `node ${node.id}`, `[${params.bias.join(', ')}]`);
    }
    const [pt, pb, pl, pr] = a.padding;
    const OH = convOut(x[2], KH, a.stride[0], pt, pb, a.dilation[0]);
    const OW = convOut(x[3], KW, a.stride[1], pl, pr, a.dilation[1]);
    return [[x[0], OC, OH, OW]];
  },
  forward(ctx) {
    const { node, attrs, inputs, params } = ctx;
    return [ops.conv2d(inputs[0], params.weight, params.bias ?? null, convAttrs(node, attrs), keptFilter(ctx))];
  },
  backward: (ctx) => convBackward(ctx, convAttrs(ctx.node, ctx.attrs), ops.conv2dBackwardInput, ops.conv2dBackwardFilter),
};

/**
 * The backward of a conv-like node (conv2d, conv2d_transpose): the input gradient when asked
 * for, and the weight and bias gradients from one filter-gradient call when either is asked for.
 */
export function convBackward<A>(
  { inputs, inputShapes, params, dOutputs, needInput, needParam }: BackwardCtx,
  a: A,
  backwardInput: (dy: Tensor, w: Tensor, xShape: Dims, a: A) => Tensor,
  backwardFilter: (x: Tensor, dy: Tensor, wShape: Dims, a: A, withBias: boolean) => { dw: Tensor; db: Tensor | null },
): BackwardResult {
  const dy = dOutputs[0];
  if (!dy) return {};
  const out: { inputs: Array<Tensor | null>; params: Record<string, Tensor> } = { inputs: [null], params: {} };
  if (needInput(0)) out.inputs[0] = backwardInput(dy, params.weight, inputShapes[0], a);
  const wantBias = !!params.bias && needParam('bias');
  if (needParam('weight') || wantBias) {
    const { dw, db } = backwardFilter(inputs[0]!, dy, params.weight.shape as Dims, a, wantBias);
    if (needParam('weight')) out.params.weight = dw;
    else dw.dispose();
    if (db) out.params.bias = db;
  }
  return out;
}
