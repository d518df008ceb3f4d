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
 * - dwpw_act (inference only): a depthwise conv2d_act (groups == C == OC) whose output only a
 *   1x1 conv2d_act reads; one kernel (dwpw_act_forward) where the backend prefers it for the
 *   geometry (Backend.prefersFused), else the two conv2d_act kernels: the same numbers either way.
 *   Params weight/bias (depthwise) and weight2/bias2 (1x1); the 1x1 node's attributes are kept
 *   under a `pw_` prefix (`pw_act`, `pw_alpha` its activation).
 * Attributes: the first node's attributes plus `act` (the activation's type) and `alpha`.
 */
import * as ops from '../../backend/ops';
import type { FusedActivationName } from '../../backend/ops';
import { conv2d, convAttrs, convBackward, keptFilter } from '../ops/conv2d';
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
  forward(ctx) {
    const { node, attrs, inputs, params } = ctx;
    const { act, alpha } = actOf(node, attrs);
    return [ops.conv2dAct(inputs[0], params.weight, params.bias ?? null, convAttrs(node, attrs), act, alpha, keptFilter(ctx))];
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

/** The 1x1 node of a dwpw_act node: its attributes (the `pw_` ones) and params, as a conv2d_act node. */
function pointwiseHalf(node: Node, attrs: Attrs): { node: Node; attrs: Attrs } {
  const pw: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) if (k.startsWith('pw_')) pw[k.slice(3)] = v;
  const params: Record<string, string> = { weight: node.params.weight2 };
  if (node.params.bias2) params.bias = node.params.bias2;
  return { node: { ...node, type: 'conv2d_act', attrs: pw, params }, attrs: pw };
}

export const dwpwAct: OpDef = {
  type: 'dwpw_act',
  paramRoles: { required: ['weight', 'weight2'], optional: ['bias', 'bias2'] },
  saves: { inputs: [], outputs: [] },
  inferShape(ctx) {
    const [mid] = conv2d.inferShape(ctx);
    const pw = pointwiseHalf(ctx.node, ctx.attrs);
    return conv2d.inferShape({ ...ctx, ...pw, inputs: [mid], params: { weight: ctx.params.weight2, ...(ctx.params.bias2 ? { bias: ctx.params.bias2 } : {}) } });
  },
  forward(ctx) {
    const { node, attrs, inputs, params, training, backend } = ctx;
    if (training) throw new Error(`dwpw_act: internal error, node ${node.id} fused in training`);
    const { act, alpha } = actOf(node, attrs);
    const pw = pointwiseHalf(node, attrs);
    const { act: act2, alpha: alpha2 } = actOf(pw.node, pw.attrs);
    const dwA = convAttrs(node, attrs), pwA = convAttrs(pw.node, pw.attrs);
    const x = inputs[0], wd = params.weight, wp = params.weight2;
    if (ops.dwpwPrefers(backend, x.shape, wd.shape, dwA, wp.shape, pwA)) {
      return [ops.dwpwAct(x, wd, params.bias ?? null, dwA, act, alpha, wp, params.bias2 ?? null, act2, alpha2)];
    }
    const mid = ops.conv2dAct(x, wd, params.bias ?? null, dwA, act, alpha);
    try {
      return [ops.conv2dAct(mid, wp, params.bias2 ?? null, pwA, act2, alpha2, keptFilter(ctx, 'weight2', 'bias2'))];
    } finally {
      mid.dispose();
    }
  },
};

export const FUSED_OPS: ReadonlyMap<string, OpDef> = new Map([conv2dAct, batchNormAct, dwpwAct].map((d) => [d.type, d]));
