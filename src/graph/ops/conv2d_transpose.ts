/**
 * conv2d_transpose (Paddle's layout): x [N, C_in, H, W], weight [C_in, C_out/groups, KH, KW],
 * optional bias [C_out] -> y [N, C_out, OH, OW], OH = (H-1)*sh - pt - pb + dh*(KH-1) + 1 +
 * output_padding_h. Attrs as conv2d plus output_padding [oh, ow]. The output channel count is
 * weight axis 1 times groups.
 */
import * as ops from '../../backend/ops';
import type { Attrs, Node } from '../types';
import type { OpDef } from '../op_def';
import { fail, inputCount, intsAttr, rankCheck } from './attrs';
import { convAttrs, convBackward } from './conv2d';

function transposeAttrs(node: Node, attrs: Attrs) {
  const [oh, ow] = intsAttr(node, attrs, 'output_padding', 2, [0, 0], 0);
  return { ...convAttrs(node, attrs), outputPadding: [oh, ow] as [number, number] };
}

export const conv2dTranspose: OpDef = {
  type: 'conv2d_transpose',
  paramRoles: { required: ['weight'], optional: ['bias'] },
  gradParams: ['weight', 'bias'],
  saves: { inputs: [0], outputs: [] },
  inferShape({ node, attrs, inputs, params }) {
    inputCount(node, 1);
    const x = rankCheck(node, inputs[0], 4, 'input [N, C, H, W]');
    const w = rankCheck(node, params.weight, 4, 'weight [C_in, C_out/groups, KH, KW]');
    const a = transposeAttrs(node, attrs);
    if (w[0] !== x[1]) fail('conv2d_transpose', `an input of ${w[0]} channels (weight ${node.params.weight} is [${w.join(', ')}])`, `node ${node.id}`, `[${x.join(', ')}]`);
    if (x[1] % a.groups !== 0) fail('conv2d_transpose', `input channels ${x[1]} divisible by groups`, `node ${node.id}`, a.groups);
    const OC = w[1] * a.groups;
    if (params.bias && (params.bias.length !== 1 || params.bias[0] !== OC)) fail('conv2d_transpose', `bias of shape [${OC}]`, `node ${node.id}`, `[${params.bias.join(', ')}]`);
    for (let i = 0; i < 2; i++) {
      if (a.outputPadding[i] >= a.stride[i]) fail('conv2d_transpose', 'output_padding smaller than the stride', `node ${node.id}`, a.outputPadding);
    }
    const [pt, pb, pl, pr] = a.padding;
    const OH = (x[2] - 1) * a.stride[0] - pt - pb + a.dilation[0] * (w[2] - 1) + 1 + a.outputPadding[0];
    const OW = (x[3] - 1) * a.stride[1] - pl - pr + a.dilation[1] * (w[3] - 1) + 1 + a.outputPadding[1];
    return [[x[0], OC, OH, OW]];
  },
  forward({ node, attrs, inputs, params }) {
    return [ops.conv2dTranspose(inputs[0], params.weight, params.bias ?? null, transposeAttrs(node, attrs))];
  },
  backward: (ctx) => convBackward(ctx, transposeAttrs(ctx.node, ctx.attrs), ops.conv2dTransposeBackwardInput, ops.conv2dTransposeBackwardFilter),
};
