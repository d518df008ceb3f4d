/**
 * The one graph of a Faster / Mask R-CNN (C4 form), so that the pruner sees every dependency:
 *
 *   image [N, 3, H, W] -> ResNet stem, res2..res4 (feature_maps 4) -> res4 [N, 1024, H/16, W/16]
 *   res4 -> RPN: conv_rpn -> rpn_cls_logits [N, A, h, w], rpn_bbox_pred [N, 4A, h, w]
 *   res4, rois [R, 4], rois_batch [R] -> roi_align (resolution 14, 1/16) -> [R, 1024, 14, 14]
 *        -> ResNetC5 (res5a..c) -> [R, 2048, 7, 7] -> avg pool -> cls_score [R, C], bbox_pred [R, 4C]
 *   Mask R-CNN: res5 features -> conv5_mask -> mask_fcn_logits [R, C, 14, 14]
 *
 * `rois` (x1, y1, x2, y2 in input pixels) and `rois_batch` (each RoI's image index) are graph
 * inputs; a forward computes them from the RPN's outputs through a lazy feed (executor.ts), so
 * res4 -> RPN and res4 -> roi_align -> res5 are one graph and RoIs get no gradient.
 * The mask head reads the res5 features of the same RoIs as the box head: at training the
 * sampled RoIs (its loss counts the foreground ones), at inference the RoIs given (the model
 * runs the detected boxes through the graph as RoIs to get their masks).
 *
 * Trained from random weights (trainable batch norms: the demo configs), every residual block's
 * last norm scale starts at 0 (zeroResidualScales). With scale 1, each of res5's blocks adds a
 * unit-variance branch to its input, and the pooled res5 features reach a norm of ~180: the fc
 * heads' first steps then move the logits by lr * |x|^2 (tens), the class and mask losses climb
 * from 2.7 / 8.7 to 20-60 and training never recovers. With scale 0 each block starts as its
 * shortcut, the features stay near unit size and the first losses sit near ln(num_classes) and
 * ln 2. Parameters that come from a checkpoint overwrite these starting values.
 */
import { GraphBuilder } from '../graph/builder';
import type { Graph } from '../graph/graph';
import { constant } from '../graph/init';
import type { Dims } from '../graph/types';
import { bboxHead } from './bbox_head';
import { ModelError, type Component } from './common';
import { maskHead } from './mask_head';
import type { RcnnSettings } from './rcnn_settings';
import { resNet } from './resnet';
import { rpnHead } from './rpn_head';

/** The graph's value names the model reads and feeds. */
export interface RcnnValues {
  image: string;
  rois: string;
  roisBatch: string;
  /** [N, 1024, H/16, W/16] */
  res4: string;
  rpnCls: string;
  rpnBbox: string;
  clsScore: string;
  bboxPred: string;
  /** Mask R-CNN only */
  maskLogits?: string;
}

export function buildRcnnGraph(
  s: RcnnSettings,
  parts: { backbone: Component; c5: Component; maskHead?: Component },
  shape: Dims,
  numRois: number,
): { b: GraphBuilder; values: RcnnValues } {
  const fm = parts.backbone.feature_maps;
  const maps = typeof fm === 'number' ? [fm] : fm;
  if (!Array.isArray(maps) || maps.length !== 1 || maps[0] !== 4) {
    throw new ModelError(`ResNet: expected 4 or [4] for feature_maps (an R-CNN C4 reads stage 4), got ${JSON.stringify(fm)}`);
  }
  const b = new GraphBuilder();
  const image = b.input('image', shape);
  const [res4] = resNet(b, image, parts.backbone);
  const rpn = rpnHead(b, res4, s.rpn);
  const rois = b.input('rois', [numRois, 4]);
  const roisBatch = b.input('rois_batch', [numRois]);
  const { resolution, spatialScale, samplingRatio } = s.roi;
  const roiFeat = b.roiAlign(res4, rois, roisBatch, { pooledH: resolution, pooledW: resolution, samplingRatio, spatialScale }, 'roi_align');
  const head = bboxHead(b, roiFeat, parts.c5, s.numClasses);
  const values: RcnnValues = { image, rois, roisBatch, res4, rpnCls: rpn.cls, rpnBbox: rpn.bbox, clsScore: head.clsScore, bboxPred: head.bboxPred };
  b.output(rpn.cls, rpn.bbox, head.clsScore, head.bboxPred);
  if (parts.maskHead) {
    values.maskLogits = maskHead(b, head.res5, parts.maskHead, s.numClasses);
    const side = b.shape(values.maskLogits)[2];
    if (s.maskResolution !== side) {
      throw new ModelError(`MaskHead: expected ${side} (twice the res5 side of RoIAlign resolution ${resolution}) for resolution, got ${s.maskResolution}`);
    }
    b.output(values.maskLogits);
  }
  zeroResidualScales(b.graph);
  return { b, values };
}

/**
 * The last norm scale of each residual block (branch2c of a bottleneck, branch2b of a basic
 * block) starts at 0 when it is trainable; a frozen scale keeps its init (it would stay 0).
 * Returns the parameters changed.
 */
export function zeroResidualScales(graph: Graph): string[] {
  const names = [...graph.params.keys()];
  const has = new Set(names);
  const changed: string[] = [];
  for (const name of names) {
    const m = /^(.*bn\d+[a-z]\d*)_branch2([bc])_scale$/.exec(name);
    if (!m || (m[2] === 'b' && has.has(`${m[1]}_branch2c_scale`))) continue;
    const p = graph.params.get(name)!;
    if (!p.trainable) continue;
    p.init = constant(0);
    changed.push(name);
  }
  return changed;
}
