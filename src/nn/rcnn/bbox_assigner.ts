/**
 * Second-stage training rois for one image, as Paddle's generate_proposal_labels
 * (PaddleDetection's BBoxAssigner).
 *
 * 1. The rpn rois are scaled back to original-image pixels (divided by im_info's scale) and
 *    the gt boxes are put in front of them, so every gt is also a candidate roi.
 * 2. IoU (pixel-inclusive) of every candidate with every gt. A candidate is fg when its best
 *    IoU >= fg_thresh (matched to the first gt reaching that best within 1e-5), bg when the
 *    best lies in [bg_thresh_lo, bg_thresh_hi). A crowd gt's own row is neither (its best is
 *    taken as -1); crowd gts still count as columns, as in Paddle.
 * 3. fg sampled down to floor(batch_size_per_im * fg_fraction), bg to batch_size_per_im - #fg,
 *    by reservoir sampling (seeded).
 * 4. Output rois (fg then bg) back on the resized image (times scale); labels = the matched
 *    gt's class for fg, 0 for bg; regression targets encode the matched gt with
 *    bbox_reg_weights (dividing), written into the 4 columns of the roi's class in a
 *    [S, 4 * class_nums] row (class_agnostic: columns 4..7 of [S, 8]), with inside and
 *    outside weights 1 there and 0 elsewhere.
 *
 * With no gt at all, every roi whose best IoU (0) falls in the bg range is a bg candidate.
 */
import type { Rng } from '../../data/rng';
import { modelFail } from '../common';
import { encodeBoxes, type BoxWeights } from './box_coder';
import { bboxOverlaps } from './overlaps';
import { reservoirSample } from './sampling';

export interface BBoxAssignerConfig {
  /** batch_size_per_im, 512 */
  batchSizePerIm: number;
  /** fg_fraction, 0.25 */
  fgFraction: number;
  /** fg_thresh, 0.5 */
  fgThresh: number;
  /** bg_thresh_hi, 0.5 */
  bgThreshHi: number;
  /** bg_thresh_lo, 0.0 */
  bgThreshLo: number;
  /** bbox_reg_weights, [0.1, 0.1, 0.2, 0.2] */
  bboxRegWeights: BoxWeights;
  /** num_classes including background (81 for COCO) */
  classNums: number;
  /** use_random, true */
  useRandom: boolean;
  /** class-agnostic regression (2 box slots, targets in slot 1); false in the R50 configs */
  classAgnostic?: boolean;
}

export interface SampledRois {
  /** [S * 4] on the resized image, fg first */
  rois: Float32Array;
  /** [S] class per roi, 0 = background */
  labels: Int32Array;
  /** [S * 4 * slots] slots = class_nums (or 2 when class-agnostic) */
  bboxTargets: Float32Array;
  bboxInsideWeights: Float32Array;
  bboxOutsideWeights: Float32Array;
  /** [S] index of the matched gt for fg rois, -1 for bg */
  matchedGt: Int32Array;
  count: number;
  fgCount: number;
}

/**
 * rpnRois: [R * 4] on the resized image; gtBoxes: [G * 4] in original pixels; gtClasses: [G]
 * in 1..class_nums-1; isCrowd: [G] or null; imInfo: [im_h, im_w, scale].
 */
export function generateProposalLabels(rpnRois: ArrayLike<number>, R: number, gtBoxes: ArrayLike<number>, gtClasses: ArrayLike<number>, isCrowd: ArrayLike<number> | null, G: number, imInfo: ArrayLike<number>, cfg: BBoxAssignerConfig, rng: Rng | null): SampledRois {
  if (rpnRois.length < R * 4) modelFail('generateProposalLabels', `${R * 4} numbers`, 'rpn rois', rpnRois.length);
  if (gtBoxes.length < G * 4) modelFail('generateProposalLabels', `${G * 4} numbers`, 'gt boxes', gtBoxes.length);
  if (imInfo.length < 3 || !(imInfo[2] > 0)) modelFail('generateProposalLabels', '[im_h, im_w, scale] with scale > 0', 'im_info', Array.from(imInfo));
  if (!Number.isInteger(cfg.classNums) || cfg.classNums < 2) modelFail('generateProposalLabels', 'an integer >= 2 (background included)', 'num_classes', cfg.classNums);
  if (!Number.isInteger(cfg.batchSizePerIm) || cfg.batchSizePerIm < 1) modelFail('generateProposalLabels', 'a positive integer', 'batch_size_per_im', cfg.batchSizePerIm);
  for (let g = 0; g < G; g++) {
    const c = gtClasses[g];
    if (!Number.isInteger(c) || c < 1 || c >= cfg.classNums) modelFail('generateProposalLabels', `a class in 1..${cfg.classNums - 1}`, `gt class ${g}`, c);
  }
  const scale = imInfo[2];
  const M = G + R;
  const boxes = new Float64Array(M * 4);
  for (let i = 0; i < G * 4; i++) boxes[i] = gtBoxes[i];
  for (let i = 0; i < R * 4; i++) boxes[G * 4 + i] = rpnRois[i] / scale;
  const iou = bboxOverlaps(boxes, M, gtBoxes, G);

  const eps = 1e-5;
  const fg: number[] = [];
  const fgGt: number[] = [];
  const bg: number[] = [];
  for (let i = 0; i < M; i++) {
    let best = 0;
    for (let j = 0; j < G; j++) best = j === 0 ? iou[i * G] : Math.max(best, iou[i * G + j]);
    if (i < G && isCrowd && isCrowd[i]) best = -1;
    if (G > 0 && best >= cfg.fgThresh) {
      for (let j = 0; j < G; j++) {
        if (Math.abs(best - iou[i * G + j]) < eps) {
          fg.push(i);
          fgGt.push(j);
          break;
        }
      }
    } else if (best >= cfg.bgThreshLo && best < cfg.bgThreshHi) {
      bg.push(i);
    }
  }
  const fgWanted = Math.min(Math.floor(cfg.batchSizePerIm * cfg.fgFraction), fg.length);
  reservoirSample(fgWanted, [fg, fgGt], rng, cfg.useRandom);
  reservoirSample(Math.min(cfg.batchSizePerIm - fg.length, bg.length), [bg], rng, cfg.useRandom);

  const F = fg.length;
  const S = F + bg.length;
  const sampled = new Float64Array(S * 4);
  [...fg, ...bg].forEach((i, k) => { for (let c = 0; c < 4; c++) sampled[k * 4 + c] = boxes[i * 4 + c]; });
  const matchedBoxes = new Float64Array(F * 4);
  fgGt.forEach((j, k) => { for (let c = 0; c < 4; c++) matchedBoxes[k * 4 + c] = gtBoxes[j * 4 + c]; });
  const single = encodeBoxes(sampled, matchedBoxes, F, cfg.bboxRegWeights, new Float64Array(F * 4));

  const slots = cfg.classAgnostic ? 2 : cfg.classNums;
  const width = 4 * slots;
  const out: SampledRois = {
    rois: new Float32Array(S * 4),
    labels: new Int32Array(S),
    bboxTargets: new Float32Array(S * width),
    bboxInsideWeights: new Float32Array(S * width),
    bboxOutsideWeights: new Float32Array(S * width),
    matchedGt: new Int32Array(S).fill(-1),
    count: S,
    fgCount: F,
  };
  for (let k = 0; k < S * 4; k++) out.rois[k] = sampled[k] * scale;
  for (let k = 0; k < F; k++) {
    const label = gtClasses[fgGt[k]];
    out.labels[k] = label;
    out.matchedGt[k] = fgGt[k];
    const dst = k * width + 4 * (cfg.classAgnostic ? 1 : label);
    for (let c = 0; c < 4; c++) {
      out.bboxTargets[dst + c] = single[k * 4 + c];
      out.bboxInsideWeights[dst + c] = 1;
      out.bboxOutsideWeights[dst + c] = 1;
    }
  }
  return out;
}
