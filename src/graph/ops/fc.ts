/**
 * fc (Paddle's layout): x [N, ...] flattened to [N, K], weight [K, M], optional bias [M] ->
 * y [N, M]. Backward reads x and the weight.
 */
import * as ops from '../../backend/ops';
import type { Tensor } from '../../backend/tensor';
import type { OpDef } from '../op_def';
import { fail, inputCount, prod, rankCheck } from './attrs';

export const fc: OpDef = {
  type: 'fc',
  paramRoles: { required: ['weight'], optional: ['bias'] },
  gradParams: ['weight', 'bias'],
  saves: { inputs: [0], outputs: [] },
  inferShape({ node, inputs, params }) {
    inputCount(node, 1);
    const x = rankCheck(node, inputs[0], [2, 3, 4], 'input [N, ...]');
    const w = rankCheck(node, params.weight, 2, 'weight [in, out]');
    const K = prod(x, 1);
    if (w[0] !== K) fail('fc', `weight of shape [${K}, out] (input [${x.join(', ')}])`, `node ${node.id}`, `[${w.join(', ')}] (${node.params.weight})`);
    if (params.bias && (params.bias.length !== 1 || params.bias[0] !== w[1])) fail('fc', `bias of shape [${w[1]}]`, `node ${node.id}`, `[${params.bias.join(', ')}]`);
    return [[x[0], w[1]]];
  },
  forward({ inputs, params }) {
    return [ops.fullyConnected(inputs[0], params.weight, params.bias ?? null)];
  },
  backward({ inputs, params, dOutputs, needInput, needParam }) {
    const dy = dOutputs[0];
    if (!dy) return {};
    const withBias = !!params.bias && needParam('bias');
    const r = ops.fullyConnectedBackward(inputs[0]!, params.weight, dy, { withBias, needInput: needInput(0) });
    const p: Record<string, Tensor> = {};
    if (needParam('weight')) p.weight = r.dw;
    else r.dw.dispose();
    if (r.db) p.bias = r.db;
    return { inputs: [r.dx], params: p };
  },
};
