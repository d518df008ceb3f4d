/**
 * roi_align (Paddle's roi_align as PaddleDetection's RoIAlign extractor calls it): inputs
 * x [N, C, H, W], rois [R, 4] (x1, y1, x2, y2 in input-image pixels) and roisBatch [R] (the image
 * of each roi, integer values); attrs pooled_height, pooled_width, sampling_ratio (0: adaptive),
 * spatial_scale. Output [R, C, pooled_height, pooled_width]. Rois and their batch indices are fed
 * at run time, so R may change from one step to the next (the executor takes every shape from
 * the tensors it runs on; only the declared rank and rois' 4 columns are fixed).
 * Gradient to x only (rois are not differentiated, as in Paddle); backward reads rois and
 * roisBatch, not x.
 */
import * as ops from '../../backend/ops';
import type { RoiAlignAttrs } from '../../backend/op/roi_align';
import type { Attrs, Node } from '../types';
import type { OpDef } from '../op_def';
import { fail, inputCount, intAttr, numAttr, rankCheck } from './attrs';

function roiAttrs(node: Node, attrs: Attrs): RoiAlignAttrs {
  const spatialScale = numAttr(node, attrs, 'spatial_scale');
  if (!(spatialScale > 0)) fail('roi_align', 'a positive spatial_scale', `attribute spatial_scale of node ${node.id}`, spatialScale);
  return {
    pooledH: intAttr(node, attrs, 'pooled_height', undefined, 1),
    pooledW: intAttr(node, attrs, 'pooled_width', undefined, 1),
    samplingRatio: intAttr(node, attrs, 'sampling_ratio', 0, 0),
    spatialScale,
  };
}

export const roiAlign: OpDef = {
  type: 'roi_align',
  saves: { inputs: [1, 2], outputs: [] },
  inferShape({ node, attrs, inputs }) {
    inputCount(node, 3);
    const x = rankCheck(node, inputs[0], 4, 'input [N, C, H, W]');
    const rois = rankCheck(node, inputs[1], 2, 'rois [R, 4]');
    if (rois[1] !== 4) fail('roi_align', 'rois of shape [R, 4] (x1, y1, x2, y2)', `input 1 of node ${node.id}`, `[${rois.join(', ')}]`);
    const batch = inputs[2];
    const okBatch = batch && ((batch.length === 1 && batch[0] === rois[0]) || (batch.length === 2 && batch[0] === rois[0] && batch[1] === 1));
    if (!okBatch) fail('roi_align', `roi batch indices of shape [${rois[0]}] (one per roi)`, `input 2 of node ${node.id}`, batch ? `[${batch.join(', ')}]` : 'none');
    const a = roiAttrs(node, attrs);
    return [[rois[0], x[1], a.pooledH, a.pooledW]];
  },
  forward({ node, attrs, inputs }) {
    return [ops.roiAlign(inputs[0], inputs[1], inputs[2], roiAttrs(node, attrs))];
  },
  backward({ node, attrs, inputs, inputShapes, dOutputs, needInput }) {
    const dy = dOutputs[0];
    if (!dy || !needInput(0)) return {};
    return { inputs: [ops.roiAlignBackward(dy, inputs[1]!, inputs[2]!, inputShapes[0], roiAttrs(node, attrs)), null, null] };
  },
};
