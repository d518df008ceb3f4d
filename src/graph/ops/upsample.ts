/**
 * upsample (Paddle's resize_nearest / resize_bilinear): attrs mode 'nearest' | 'bilinear',
 * scale (OH = floor(H * scale)) or out_size [OH, OW], align_corners (bilinear only: corner-
 * aligned sampling; for nearest it is ignored, since at integer scales Paddle's corner-aligned
 * nearest picks the same source pixel floor(dst / scale) as the plain rule).
 * Backward needs only shapes.
 */
import * as ops from '../../backend/ops';
import type { UpsampleAttrs } from '../../backend/op/upsample';
import type { Attrs, Node } from '../types';
import type { OpDef } from '../op_def';
import { boolAttr, fail, inputCount, intsAttr, numAttr, rankCheck, strAttr } from './attrs';

function upAttrs(node: Node, attrs: Attrs): UpsampleAttrs {
  const mode = strAttr(node, attrs, 'mode', ['nearest', 'bilinear'] as const, 'nearest');
  const alignCorners = mode === 'bilinear' && boolAttr(node, attrs, 'align_corners', false);
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
