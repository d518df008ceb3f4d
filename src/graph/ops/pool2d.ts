/**
 * pool2d (Paddle's attrs): pooling_type 'max' | 'avg', ksize [kh, kw], strides [sh, sw]
 * (default 1), paddings [pt, pb, pl, pr], global_pooling, ceil_mode, exclusive (default true:
 * averages count in-bounds taps only). OH = floor((H + pt + pb - kh) / sh) + 1, ceil with
 * ceil_mode (the last window must still start inside the input or its top padding).
 * Backward reads x (max pooling routes each gradient to the first maximal tap).
 */
import * as ops from '../../backend/ops';
import type { Pool2dAttrs } from '../../backend/op/pool';
import type { Attrs, Node } from '../types';
import type { OpDef } from '../op_def';
import { boolAttr, fail, inputCount, intsAttr, paddingAttr, rankCheck, strAttr } from './attrs';

function poolAttrs(node: Node, attrs: Attrs): Pool2dAttrs {
  const kind = strAttr(node, attrs, 'pooling_type', ['max', 'avg'] as const, 'max');
  const global = boolAttr(node, attrs, 'global_pooling', false);
  const exclusive = boolAttr(node, attrs, 'exclusive', true);
  if (global) return { kind, global, exclusive };
  const [kh, kw] = intsAttr(node, attrs, 'ksize', 2, undefined, 1);
  const [sh, sw] = intsAttr(node, attrs, 'strides', 2, [1, 1], 1);
  return { kind, kernel: [kh, kw], stride: [sh, sw], padding: paddingAttr(node, attrs), exclusive, ceilMode: boolAttr(node, attrs, 'ceil_mode', false) };
}

export const pool2d: OpDef = {
  type: 'pool2d',
  saves: { inputs: [0], outputs: [] },
  inferShape({ node, attrs, inputs }) {
    inputCount(node, 1);
    const x = rankCheck(node, inputs[0], 4, 'input [N, C, H, W]');
    const a = poolAttrs(node, attrs);
    try {
      const g = ops.poolGeometry('pool2d', x, a);
      return [[x[0], x[1], g.OH, g.OW]];
    } catch (e) {
      return fail('pool2d', 'a valid pooling geometry', `node ${node.id}`, (e as Error).message);
    }
  },
  forward({ node, attrs, inputs }) {
    return [ops.pool2d(inputs[0], poolAttrs(node, attrs))];
  },
  backward({ node, attrs, inputs, dOutputs, needInput }) {
    const dy = dOutputs[0];
    if (!dy || !needInput(0)) return {};
    return { inputs: [ops.pool2dBackward(inputs[0]!, dy, poolAttrs(node, attrs))] };
  },
};
