/**
 * batch_norm over channel axis 1 of x [N, C, ...]: params scale, offset [C] (trainable) and
 * mean, variance [C] (running statistics, never trained). Attrs: epsilon (1e-5), momentum (0.9,
 * Paddle's: running = running * momentum + batch * (1 - momentum)), use_global_stats (false).
 *
 * Train mode: batch statistics, running stats updated in place; backward through the batch
 * statistics. Eval mode, or use_global_stats (frozen norms): y = x * a + b with
 * a = scale / sqrt(variance + eps), b = offset - mean * a, whose backward is affine:
 * dx = dy * a, dscale = (sum dy*x - mean * sum dy) / sqrt(variance + eps), doffset = sum dy.
 */
import * as ops from '../../backend/ops';
import { Tensor } from '../../backend/tensor';
import type { Attrs, Node } from '../types';
import type { BackwardCtx, BackwardResult, ForwardCtx, OpDef } from '../op_def';
import { boolAttr, fail, inputCount, numAttr, rankCheck } from './attrs';

function bnAttrs(node: Node, attrs: Attrs) {
  return {
    epsilon: numAttr(node, attrs, 'epsilon', 1e-5),
    momentum: numAttr(node, attrs, 'momentum', 0.9),
    useGlobal: boolAttr(node, attrs, 'use_global_stats', false),
  };
}

/** Per-channel a = scale / sqrt(var + eps) and b = offset - mean * a, on the host (C numbers). */
function foldStats(scale: Tensor, offset: Tensor, mean: Tensor, variance: Tensor, eps: number) {
  const s = scale.toArray(), o = offset.toArray(), m = mean.toArray(), v = variance.toArray();
  const C = s.length;
  const a = new Float64Array(C), b = new Float64Array(C), inv = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    inv[c] = 1 / Math.sqrt(v[c] + eps);
    a[c] = s[c] * inv[c];
    b[c] = o[c] - m[c] * a[c];
  }
  return { a, b, inv, m };
}

/**
 * The batch statistics of a training forward (batch_norm, and the fused batch_norm_act): saved
 * for the backward when the step records, freed otherwise. Returns y.
 */
export function keepBatchStats(r: { y: Tensor; savedMean: Tensor; savedInvstd: Tensor }, recording: boolean, save: ForwardCtx['save']): Tensor {
  if (recording) {
    save('mean', r.savedMean);
    save('invstd', r.savedInvstd);
  } else {
    r.savedMean.dispose();
    r.savedInvstd.dispose();
  }
  return r.y;
}

/** The gradients of a batch-statistics backward that the step asked for; the others are freed. */
export function batchStatGrads(
  r: { dx: Tensor; dscale: Tensor; dbias: Tensor },
  needInput: BackwardCtx['needInput'],
  needParam: BackwardCtx['needParam'],
): BackwardResult {
  const res = { inputs: [needInput(0) ? r.dx : null], params: {} as Record<string, Tensor> };
  if (!needInput(0)) r.dx.dispose();
  if (needParam('scale')) res.params.scale = r.dscale;
  else r.dscale.dispose();
  if (needParam('offset')) res.params.offset = r.dbias;
  else r.dbias.dispose();
  return res;
}

export const batchNorm: OpDef = {
  type: 'batch_norm',
  paramRoles: { required: ['scale', 'offset', 'mean', 'variance'] },
  gradParams: ['scale', 'offset'],
  saves: { inputs: [0], outputs: [] },
  inferShape({ node, inputs, params, attrs }) {
    inputCount(node, 1);
    bnAttrs(node, attrs);
    const x = rankCheck(node, inputs[0], [2, 3, 4], 'input [N, C, ...]');
    for (const role of ['scale', 'offset', 'mean', 'variance']) {
      const p = params[role];
      if (p.length !== 1 || p[0] !== x[1]) fail('batch_norm', `${role} of shape [${x[1]}] (input channels)`, `node ${node.id}`, `[${p.join(', ')}] (${node.params[role]})`);
    }
    return [[...x]];
  },
  forward({ node, attrs, inputs, params, training, recording, save, backend }) {
    const { epsilon, momentum, useGlobal } = bnAttrs(node, attrs);
    const x = inputs[0];
    if (training && !useGlobal) {
      const r = ops.batchNormTrain(x, params.scale, params.offset, params.mean, params.variance, { eps: epsilon, momentum });
      return [keepBatchStats(r, recording, save)];
    }
    if (!training) return [ops.batchNormInfer(x, params.scale, params.offset, params.mean, params.variance, { eps: epsilon })];
    // frozen statistics in training: an affine map whose coefficients backward recomputes
    const { a, b } = foldStats(params.scale, params.offset, params.mean, params.variance, epsilon);
    const ta = Tensor.from(a, [a.length], backend), tb = Tensor.from(b, [b.length], backend);
    try {
      return [ops.affineChannel(x, ta, tb)];
    } finally {
      ta.dispose();
      tb.dispose();
    }
  },
  backward({ node, attrs, inputs, params, saved, dOutputs, needInput, needParam, backend }) {
    const dy = dOutputs[0];
    if (!dy) return {};
    const x = inputs[0]!;
    const { epsilon, useGlobal } = bnAttrs(node, attrs);
    if (saved.mean && !useGlobal) {
      return batchStatGrads(ops.batchNormBackward(x, dy, params.scale, saved.mean, saved.invstd), needInput, needParam);
    }
    const { a, inv, m } = foldStats(params.scale, params.offset, params.mean, params.variance, epsilon);
    const ta = Tensor.from(a, [a.length], backend);
    try {
      const wantP = needParam('scale') || needParam('offset');
      const r = ops.affineChannelBackward(x, dy, ta, { dx: needInput(0), dscale: wantP, dbias: wantP });
      const res = { inputs: [r.dx ?? null], params: {} as Record<string, Tensor> };
      if (wantP && r.dscale && r.dbias) {
        const sxy = r.dscale.toArray(), sy = r.dbias.toArray();
        const ds = new Float64Array(a.length);
        for (let c = 0; c < a.length; c++) ds[c] = (sxy[c] - m[c] * sy[c]) * inv[c];
        r.dscale.dispose();
        if (needParam('scale')) res.params.scale = Tensor.from(ds, [a.length], backend);
        if (needParam('offset')) res.params.offset = r.dbias;
        else r.dbias.dispose();
      }
      return res;
    } finally {
      ta.dispose();
    }
  },
};
