/**
 * affine_channel: y = x * scale[c] + bias[c] over x [N, C, ...] (a frozen batch norm, as the
 * ResNet backbones of R-CNN configs use it). Params scale, bias [C]; no running statistics.
 */
import * as ops from '../../backend/ops';
import type { Tensor } from '../../backend/tensor';
import type { OpDef } from '../op_def';
import { fail, inputCount, rankCheck } from './attrs';

export const affineChannel: OpDef = {
  type: 'affine_channel',
  paramRoles: { required: ['scale', 'bias'] },
  gradParams: ['scale', 'bias'],
  saves: { inputs: [0], outputs: [] },
  inferShape({ node, inputs, params }) {
    inputCount(node, 1);
    const x = rankCheck(node, inputs[0], [2, 3, 4], 'input [N, C, ...]');
    for (const role of ['scale', 'bias']) {
      const p = params[role];
      if (p.length !== 1 || p[0] !== x[1]) fail('affine_channel', `${role} of shape [${x[1]}] (input channels)`, `node ${node.id}`, `[${p.join(', ')}] (${node.params[role]})`);
    }
    return [[...x]];
  },
  forward({ inputs, params }) {
    return [ops.affineChannel(inputs[0], params.scale, params.bias)];
  },
  backward({ inputs, params, dOutputs, needInput, needParam }) {
    const dy = dOutputs[0];
    if (!dy) return {};
    const r = ops.affineChannelBackward(inputs[0]!, dy, params.scale, { dx: needInput(0), dscale: needParam('scale'), dbias: needParam('bias') });
    const p: Record<string, Tensor> = {};
    if (r.dscale) p.scale = r.dscale;
    if (r.dbias) p.bias = r.dbias;
    return { inputs: [r.dx ?? null], params: p };
  },
};
