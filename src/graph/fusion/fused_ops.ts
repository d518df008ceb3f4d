/**
 * The op definitions of fused nodes, which only the fusion pass (fuse.ts) makes and only the
 * executor runs; they are not op types a model can be built from.
 *
 * - conv2d_act: conv2d (weight, optional bias) then relu / leaky_relu (alpha >= 0) / relu6, one
 *   kernel (conv2d_act_forward). Backward: the activation's gradient from the output y, then
 *   conv2d's backward; it reads x and y (the pre-activation tensor never exists).
 * - batch_norm_act: training batch norm (batch statistics) then the same activations, one kernel
 *   each way (batch_norm_act_train_forward, batch_norm_act_backward). Backward reads x (the
 *   batch norm's input) and y (the activation's output), as the unfused pair does.
 * Attributes: the first node's attributes plus `act` (the activation's type) and `alpha`.
 */
import * as ops from '../../backend/ops';
import type { FusedActivationName } from '../../backend/ops';
import { conv2d, convAttrs, convBackward } from '../ops/conv2d';
import { batchNorm, batchStatGrads, keepBatchStats } from '../ops/batch_norm';
import { fail, numAttr } from '../ops/attrs';
import type { OpDef } from '../op_def';
import type { Attrs, Node } from '../types';

function actOf(node: Node, attrs: Attrs): { act: FusedActivationName; alpha: number } {
  const act = attrs.act;
  if (typeof act !== 'string' || !ops.isFusableActivation(act, numAttr(node, attrs, 'alpha', 0))) {
    fail(node.type, 'a fusable activation (relu, leaky_relu with alpha >= 0, relu6)', `attr act of node ${node.id}`, act);
  }
  return { act, alpha: numAttr(node, attrs, 'alpha', 0) };
}

const READS_X_AND_Y = { inputs: [0], outputs: [0] };

export const conv2dAct: OpDef = {
  type: 'conv2d_act',
  paramRoles: conv2d.paramRoles,
  gradParams: conv2d.gradParams,
  saves: READS_X_AND_Y,
  inferShape: (ctx) => conv2d.inferShape(ctx),
  forward({ node, attrs, inputs, params }) {
    const { act, alpha } = actOf(node, attrs);
    return [ops.conv2dAct(inputs[0], params.weight, params.bias ?? null, convAttrs(node, attrs), act, alpha)];
  },
  backward(ctx) {
    const dy = ctx.dOutputs[0];
    if (!dy) return {};
    const { act, alpha } = actOf(ctx.node, ctx.attrs);
    const y = ctx.outputs[0]!;
    const dz = ops.activationBackward(y, y, dy, act, alpha);
    try {
      return convBackward({ ...ctx, dOutputs: [dz] }, convAttrs(ctx.node, ctx.attrs), ops.conv2dBackwardInput, ops.conv2dBackwardFilter);
    } finally {
      dz.dispose();
    }
  },
};

export const batchNormAct: OpDef = {
  type: 'batch_norm_act',
  paramRoles: batchNorm.paramRoles,
  gradParams: batchNorm.gradParams,
  saves: READS_X_AND_Y,
  inferShape: (ctx) => batchNorm.inferShape(ctx),
  forward({ node, attrs, inputs, params, training, recording, save }) {
    if (!training) throw new Error(`batch_norm_act: internal error, node ${node.id} fused outside training`);
    const { act, alpha } = actOf(node, attrs);
    const eps = numAttr(node, attrs, 'epsilon', 1e-5), momentum = numAttr(node, attrs, 'momentum', 0.9);
    const r = ops.batchNormActTrain(inputs[0], params.scale, params.offset, params.mean, params.variance, { eps, momentum }, act, alpha);
    return [keepBatchStats(r, recording, save)];
  },
  backward({ node, attrs, inputs, outputs, params, saved, dOutputs, needInput, needParam }) {
    const dy = dOutputs[0];
    if (!dy) return {};
    const { act, alpha } = actOf(node, attrs);
    const r = ops.batchNormActBackward(inputs[0]!, outputs[0]!, dy, params.scale, saved.mean, saved.invstd, act, alpha);
    return batchStatGrads(r, needInput, needParam);
  },
};

export const FUSED_OPS: ReadonlyMap<string, OpDef> = new Map([conv2dAct, batchNormAct].map((d) => [d.type, d]));
