/**
 * RPN training targets for one image, as Paddle's rpn_target_assign.
 *
 * 1. Straddle filter: with straddle_thresh t >= 0 only anchors with x1 >= -t, y1 >= -t,
 *    x2 < im_w + t, y2 < im_h + t take part (im_w, im_h: im_info's resized size); t < 0 keeps
 *    every anchor.
 * 2. Crowd gts are dropped; the others are scaled by im_info's scale (gts come in original
 *    image pixels, anchors live on the resized image).
 * 3. IoU (pixel-inclusive). An anchor is fg when its best IoU >= positive_overlap, or when it
 *    is (within 1e-5) the best anchor of some gt. fg are sampled down to
 *    floor(batch_size_per_im * fg_fraction) by reservoir sampling (fg_fraction 0: no sampling).
 * 4. bg: best IoU < negative_overlap, sampled down to batch_size_per_im - #fg. An anchor that
 *    is both (a gt's best anchor below negative_overlap) ends up bg, as in Paddle.
 * 5. Outputs fg then bg, each in anchor order; bbox targets encode each fg anchor's best gt
 *    with no weights (the RPN's variance is [1, 1, 1, 1]).
 *
 * Deliberate differences: a gt whose best IoU with every inside anchor is 0 marks no anchor
 * as "its best" (Paddle would then mark every zero-IoU anchor fg); with no usable gt every
 * inside anchor is a bg candidate; Paddle's zero-weight placeholder rows in LocationIndex are
 * left out (they add nothing to the loss, whose normaliser is the sampled-anchor count).
 */
import type { Rng } from '../../data/rng';
import { modelFail } from '../common';
import { encodeBoxes } from './box_coder';
import { bboxOverlaps } from './overlaps';
import { reservoirSample } from './sampling';

export interface RpnTargetConfig {
  /** rpn_batch_size_per_im, 256 */
  batchSizePerIm: number;
  /** rpn_fg_fraction, 0.5 */
  fgFraction: number;
  /** rpn_positive_overlap, 0.7 */
  positiveOverlap: number;
  /** rpn_negative_overlap, 0.3 */
  negativeOverlap: number;
  /** rpn_straddle_thresh, 0 (negative: keep all anchors) */
  straddleThresh: number;
  /** use_random, true */
  useRandom: boolean;
}

export interface RpnTargets {
  /** Sampled anchors, fg then bg (Paddle's ScoreIndex): indices into the anchor list. */
  scoreIndex: Int32Array;
  /** 1 for fg, 0 for bg, aligned with scoreIndex. */
  labels: Int32Array;
  /** The fg anchors (Paddle's LocationIndex), the first fgCount entries of scoreIndex. */
  locationIndex: Int32Array;
  /** [fgCount * 4] encoded targets of the fg anchors. */
  bboxTargets: Float32Array;
  /** [fgCount * 4] all ones: inside and outside weight of the smooth L1. */
  insideWeights: Float32Array;
  /** Index of the matched gt (into the caller's gt list) per fg anchor. */
  matchedGt: Int32Array;
  fgCount: number;
  bgCount: number;
}

/**
 * anchors: [A * 4] on the resized image; gtBoxes: [G * 4] in original image pixels;
 * isCrowd: [G] (non-zero = crowd) or null; imInfo: [im_h, im_w, scale].
 */
export function rpnTargetAssign(anchors: ArrayLike<number>, A: number, gtBoxes: ArrayLike<number>, G: number, isCrowd: ArrayLike<number> | null, imInfo: ArrayLike<number>, cfg: RpnTargetConfig, rng: Rng | null): RpnTargets {
  if (anchors.length < A * 4) modelFail('rpnTargetAssign', `${A * 4} numbers`, 'anchors', anchors.length);
  if (gtBoxes.length < G * 4) modelFail('rpnTargetAssign', `${G * 4} numbers`, 'gt boxes', gtBoxes.length);
  if (imInfo.length < 3 || !(imInfo[2] > 0)) modelFail('rpnTargetAssign', '[im_h, im_w, scale] with scale > 0', 'im_info', Array.from(imInfo));
  if (!Number.isInteger(cfg.batchSizePerIm) || cfg.batchSizePerIm < 1) modelFail('rpnTargetAssign', 'a positive integer', 'rpn_batch_size_per_im', cfg.batchSizePerIm);
  if (!(cfg.fgFraction >= 0 && cfg.fgFraction <= 1)) modelFail('rpnTargetAssign', 'a number in [0, 1]', 'rpn_fg_fraction', cfg.fgFraction);
  const [imH, imW, scale] = [imInfo[0], imInfo[1], imInfo[2]];

  const inside: number[] = [];
  const t = cfg.straddleThresh;
  for (let i = 0; i < A; i++) {
    const o = i * 4;
    if (t < 0 || (anchors[o] >= -t && anchors[o + 1] >= -t && anchors[o + 2] < imW + t && anchors[o + 3] < imH + t)) inside.push(i);
  }
  const gtIds: number[] = [];
  for (let g = 0; g < G; g++) if (!isCrowd || !isCrowd[g]) gtIds.push(g);
  const n = inside.length;
  const m = gtIds.length;
  const ins = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) for (let k = 0; k < 4; k++) ins[i * 4 + k] = anchors[inside[i] * 4 + k];
  const gts = new Float64Array(m * 4);
  for (let j = 0; j < m; j++) for (let k = 0; k < 4; k++) gts[j * 4 + k] = gtBoxes[gtIds[j] * 4 + k] * scale;

  const iou = bboxOverlaps(ins, n, gts, m);
  const best = new Float32Array(n);
  const arg = new Int32Array(n);
  const gtBest = new Float32Array(m);
  for (let i = 0; i < n; i++) {
    let b = m ? iou[i * m] : 0;
    let a = 0;
    for (let j = 0; j < m; j++) {
      const v = iou[i * m + j];
      if (v > b) { b = v; a = j; }
      if (v > gtBest[j]) gtBest[j] = v;
    }
    best[i] = b;
    arg[i] = a;
  }

  const eps = 1e-5;
  let fg: number[] = [];
  for (let i = 0; i < n; i++) {
    let isBestOfGt = false;
    for (let j = 0; j < m && !isBestOfGt; j++) isBestOfGt = gtBest[j] > 0 && Math.abs(iou[i * m + j] - gtBest[j]) < eps;
    if (isBestOfGt || (m > 0 && best[i] >= cfg.positiveOverlap)) fg.push(i);
  }
  // rpn_fg_fraction 0 turns sampling off altogether (every fg and bg candidate kept), as in Paddle
  const sampling = cfg.fgFraction > 0;
  if (sampling) reservoirSample(Math.floor(cfg.fgFraction * cfg.batchSizePerIm), [fg], rng, cfg.useRandom);
  const label = new Int8Array(n).fill(-1);
  for (const i of fg) label[i] = 1;

  const bg: number[] = [];
  for (let i = 0; i < n; i++) if (best[i] < cfg.negativeOverlap) bg.push(i);
  if (sampling) reservoirSample(cfg.batchSizePerIm - fg.length, [bg], rng, cfg.useRandom);
  for (const i of bg) label[i] = 0;

  fg = [];
  const bgKept: number[] = [];
  for (let i = 0; i < n; i++) {
    if (label[i] === 1) fg.push(i);
    else if (label[i] === 0) bgKept.push(i);
  }
  const F = fg.length;
  const B = bgKept.length;
  const scoreIndex = new Int32Array(F + B);
  const labels = new Int32Array(F + B);
  fg.forEach((i, k) => { scoreIndex[k] = inside[i]; labels[k] = 1; });
  bgKept.forEach((i, k) => { scoreIndex[F + k] = inside[i]; });
  const fgAnchors = new Float64Array(F * 4);
  const fgGts = new Float64Array(F * 4);
  const matchedGt = new Int32Array(F);
  for (let k = 0; k < F; k++) {
    const i = fg[k];
    matchedGt[k] = gtIds[arg[i]];
    for (let c = 0; c < 4; c++) {
      fgAnchors[k * 4 + c] = ins[i * 4 + c];
      fgGts[k * 4 + c] = gts[arg[i] * 4 + c];
    }
  }
  const bboxTargets = encodeBoxes(fgAnchors, fgGts, F, null, new Float32Array(F * 4)) as Float32Array;
  return {
    scoreIndex,
    labels,
    locationIndex: scoreIndex.slice(0, F),
    bboxTargets,
    insideWeights: new Float32Array(F * 4).fill(1),
    matchedGt,
    fgCount: F,
    bgCount: B,
  };
}
