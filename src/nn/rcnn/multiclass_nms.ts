/**
 * BBoxHead inference, as PaddleDetection's BBoxHead.get_prediction with its MultiClassNMS:
 *   1. rois are divided by im_info's scale (back to original pixels),
 *   2. each roi's per-class deltas [C * 4] are decoded on it with bbox_reg_weights as the
 *      variance (box_coder decode_center_size, axis 1); dw, dh are clamped at log(1000 / 16)
 *      like the proposal decoder's, which box_coder itself does not do: it changes only boxes
 *      over 62 times the roi's size, and keeps exp() finite for an untrained head,
 *   3. boxes are clipped to the original image (im_shape: height, width),
 *   4. per class except background 0: boxes with probability > score_threshold, at most
 *      nms_top_k by score, greedy NMS at nms_threshold (src/nn/nms.ts' suppression, +1
 *      widths, nms_eta), then at most keep_top_k over all classes by score.
 * Output: Detection[] ordered by class then score, classId counting foreground classes from 0
 * (Paddle's label minus one: the index into the dataset's category list that eval uses).
 */
import { modelFail } from '../common';
import { multiclassNms, type Detection } from '../nms';
import type { NmsConfig } from '../yolo_head';
import { clipBoxes, decodeBoxes, type BoxWeights } from './box_coder';

export interface RcnnNmsConfig {
  /** score_threshold, 0.05 */
  scoreThreshold: number;
  /** nms_threshold, 0.5 */
  nmsThreshold: number;
  /** nms_top_k, -1 (no limit) */
  nmsTopK: number;
  /** keep_top_k, 100 */
  keepTopK: number;
  /** nms_eta, 1 */
  nmsEta?: number;
}

/** PaddleDetection's MultiClassNMS defaults for the R-CNN BBoxHead. */
export const RCNN_NMS_DEFAULTS: RcnnNmsConfig = { scoreThreshold: 0.05, nmsThreshold: 0.5, nmsTopK: -1, keepTopK: 100, nmsEta: 1 };

/** Row-wise softmax of logits [N * C] (cls_score to cls_prob). */
export function softmaxRows(logits: ArrayLike<number>, N: number, C: number): Float32Array {
  const out = new Float32Array(N * C);
  for (let i = 0; i < N; i++) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, logits[i * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[i * C + c] - mx);
    for (let c = 0; c < C; c++) out[i * C + c] = Math.exp(logits[i * C + c] - mx) / s;
  }
  return out;
}

/**
 * Multi-class NMS with one box per (roi, class): boxes [R * C * 4], scores [R * C]; class 0
 * is background and skipped. classId in the output is the class minus one.
 */
export function multiclassNmsPerClass(boxes: ArrayLike<number>, scores: ArrayLike<number>, R: number, C: number, cfg: RcnnNmsConfig): Detection[] {
  const perClass: NmsConfig = {
    scoreThreshold: cfg.scoreThreshold,
    nmsThreshold: cfg.nmsThreshold,
    nmsTopK: cfg.nmsTopK,
    keepTopK: -1,
    backgroundLabel: -1,
    normalized: false,
    nmsEta: cfg.nmsEta ?? 1,
  };
  const all: Detection[] = [];
  const cb = new Float32Array(R * 4);
  const cs = new Float32Array(R);
  for (let c = 1; c < C; c++) {
    for (let r = 0; r < R; r++) {
      for (let k = 0; k < 4; k++) cb[r * 4 + k] = boxes[(r * C + c) * 4 + k];
      cs[r] = scores[r * C + c];
    }
    for (const d of multiclassNms(cb, cs, R, 1, perClass)) all.push({ ...d, classId: c - 1 });
  }
  if (cfg.keepTopK > -1 && all.length > cfg.keepTopK) {
    const kept = all.map((d, i) => [d.score, i] as const).sort((p, q) => q[0] - p[0]).slice(0, cfg.keepTopK);
    // back to class order, score order within a class (the order of `all`)
    return kept.map(([, i]) => i).sort((a, b) => a - b).map((i) => all[i]);
  }
  return all;
}

/**
 * One image: rois [R * 4] on the resized image, clsProb [R * C] (softmax), deltas [R * C * 4]
 * (bbox_pred), imInfo [im_h, im_w, scale], imShape [orig_h, orig_w]; C includes background.
 */
export function bboxHeadDetections(rois: ArrayLike<number>, clsProb: ArrayLike<number>, deltas: ArrayLike<number>, R: number, C: number, imInfo: ArrayLike<number>, imShape: ArrayLike<number>, bboxRegWeights: BoxWeights, cfg: RcnnNmsConfig = RCNN_NMS_DEFAULTS): Detection[] {
  if (rois.length < R * 4) modelFail('bboxHeadDetections', `${R * 4} numbers`, 'rois', rois.length);
  if (clsProb.length < R * C) modelFail('bboxHeadDetections', `${R * C} numbers ([R, num_classes])`, 'class probabilities', clsProb.length);
  if (deltas.length < R * C * 4) modelFail('bboxHeadDetections', `${R * C * 4} numbers ([R, 4 * num_classes])`, 'bbox deltas', deltas.length);
  if (!(imInfo[2] > 0)) modelFail('bboxHeadDetections', '[im_h, im_w, scale] with scale > 0', 'im_info', Array.from(imInfo));
  const scale = imInfo[2];
  const priors = new Float32Array(R * 4);
  for (let i = 0; i < R * 4; i++) priors[i] = rois[i] / scale;
  const boxes = decodeBoxes(priors, deltas, R, bboxRegWeights, { classes: C });
  clipBoxes(boxes, R * C, Math.round(imShape[0]), Math.round(imShape[1]));
  return multiclassNmsPerClass(boxes, clsProb, R, C, cfg);
}
