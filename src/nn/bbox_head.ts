/**
 * R-CNN's box head on RoI features (PaddleDetection's BBoxHead with head ResNetC5, C4 form):
 *   ResNetC5    stage 5 (res5a..res5c, first block stride 2) on the pooled [R, 1024, 14, 14]
 *               features: [R, 2048, 7, 7], the same names as a backbone's stage 5
 *   avg pool    global: [R, 2048, 1, 1]
 *   cls_score   fc, num_classes outputs        weight N(0, 0.01),  bias 0 (no L2 decay)
 *   bbox_pred   fc, 4 * num_classes outputs    weight N(0, 0.001), bias 0 (no L2 decay)
 * Fc weights are [in, out] as Paddle stores them. The res5 output is also what Mask R-CNN's mask
 * head reads.
 */
import type { GraphBuilder } from '../graph/builder';
import { constant } from '../graph/init';
import { ModelError, type Component } from './common';
import { resNetParts, resNetStage } from './resnet';

export interface BBoxHeadOutputs {
  /** [R, 2048, 7, 7]: the RoIs' stage-5 features */
  res5: string;
  /** [R, num_classes] class logits */
  clsScore: string;
  /** [R, 4 * num_classes] per-class box deltas */
  bboxPred: string;
}

/** ResNetC5 on RoI features: PaddleDetection's stage 5 with the backbone's names. */
export function resNetC5(b: GraphBuilder, roiFeat: string, c: Component): string {
  const maps = c.feature_maps ?? [5];
  const list = typeof maps === 'number' ? [maps] : maps;
  if (!Array.isArray(list) || list.length !== 1 || list[0] !== 5) {
    throw new ModelError(`ResNetC5: expected [5] for feature_maps (the head is stage 5), got ${JSON.stringify(maps)}`);
  }
  return resNetStage(b, roiFeat, 5, resNetParts(b, c));
}

export function bboxHead(b: GraphBuilder, roiFeat: string, head: Component, numClasses: number): BBoxHeadOutputs {
  if (head.__type__ !== 'ResNetC5') throw new ModelError(`BBoxHead: expected ResNetC5 for head, got '${head.__type__}'`);
  const res5 = resNetC5(b, roiFeat, head);
  const pooled = b.pool2d(res5, { type: 'avg', global: true, name: 'res5_pool' });
  const bias = { init: constant(0), decay: 'none' as const };
  const clsScore = b.fc(pooled, {
    name: 'cls_score', weightName: 'cls_score_w', biasName: 'cls_score_b', out: numClasses,
    weight: { init: { type: 'normal', mean: 0, std: 0.01 } }, biasParam: bias,
  });
  const bboxPred = b.fc(pooled, {
    name: 'bbox_pred', weightName: 'bbox_pred_w', biasName: 'bbox_pred_b', out: 4 * numClasses,
    weight: { init: { type: 'normal', mean: 0, std: 0.001 } }, biasParam: bias,
  });
  return { res5, clsScore, bboxPred };
}
