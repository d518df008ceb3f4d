/**
 * upsample (Paddle's resize_nearest / resize_bilinear): attrs mode 'nearest' | 'bilinear',
 * scale (OH = floor(H * scale)) or out_size [OH, OW], align_corners (corner-aligned sampling,
 * both modes; default false here, while Paddle's resize_nearest and resize_bilinear default to
 * true, so models built after Paddle's layers pass it explicitly). At integer scales the two
 * nearest rules pick the same pixel; they differ for other sizes (e.g. 3 -> 5).
 * Backward needs only shapes.
 */
import * as ops from '../../backend/ops';
import type { UpsampleAttrs } from '../../backend/op/upsample';
import type { Attrs, Node } from '../types';
import type { OpDef } from '../op_def';
import { boolAttr, fail, inputCount, intsAttr, numAttr, rankCheck, strAttr } from './attrs';

function upAttrs(node: Node, attrs: Attrs): UpsampleAttrs {
  const mode = strAttr(node, attrs, 'mode', ['nearest', 'bilinear'] as const, 'nearest');
  const alignCorners = boolAttr(node, attrs, 'align_corners', false);
  if (attrs.out_size !== undefined && attrs.out_size !== null) {
    const [oh, ow] = intsAttr(node, attrs, 'out_size', 2, undefined, 1);
    return { mode, size: [oh, ow], alignCorners };
  }
  const scale = numAttr(node, attrs, 'scale', 2);
  if (scale <= 0) fail('upsample', 'a positive scale', `attribute scale of node ${node.id}`, scale);
  return { mode, scale, alignCorners };
}

export const upsample: OpDef = {
  type: 'upsample',
  saves: { inputs: [], outputs: [] },
  inferShape({ node, attrs, inputs }) {
    inputCount(node, 1);
    const x = rankCheck(node, inputs[0], 4, 'input [N, C, H, W]');
    const a = upAttrs(node, attrs);
    try {
      const g = ops.upsampleGeometry('upsample', x, a);
      return [[x[0], x[1], g.OH, g.OW]];
    } catch (e) {
      return fail('upsample', 'a valid resize', `node ${node.id}`, (e as Error).message);
    }
  },
  forward({ node, attrs, inputs }) {
    return [ops.upsample(inputs[0], upAttrs(node, attrs))];
  },
  backward({ node, attrs, inputShapes, dOutputs, needInput }) {
    const dy = dOutputs[0];
    if (!dy || !needInput(0)) return {};
    return { inputs: [ops.upsampleBackward(dy, inputShapes[0], upAttrs(node, attrs))] };
  },
};
