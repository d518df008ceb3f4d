/**
 * RPN proposals, as Paddle's generate_proposals, image by image:
 *   1. the pre_nms_top_n highest scores (all when <= 0 or more than there are),
 *   2. decode their deltas on their anchors with the anchors' variances (dw/dh clamped at
 *      log(1000 / 16)),
 *   3. clip to the resized image (im_info's height and width, pixel-inclusive),
 *   4. drop boxes whose sides, measured in original-image pixels ((x2 - x1) / scale + 1),
 *      are below max(min_size, 1), or whose centre lies beyond the image,
 *   5. greedy NMS at nms_thresh (IoU with +1 widths, adaptive by eta when eta < 1) in score
 *      order, keeping at most post_nms_top_n (nms_thresh <= 0: no NMS and no cap, as Paddle).
 * An image left with no box yields one all-zero box with score 0, as Paddle does, so every
 * image has at least one roi.
 *
 * Scores are the objectness probabilities (sigmoid of rpn_cls_logits); ties keep anchor
 * order.
 */
import { modelFail } from '../common';
import { iou } from '../nms';
import { BBOX_CLIP, clipBoxes, decodeBoxes } from './box_coder';
import { anchorMajor } from './rpn_layout';

export interface ProposalConfig {
  preNmsTopN: number;
  postNmsTopN: number;
  nmsThresh: number;
  minSize: number;
  /** Adaptive NMS factor, 1 (off) in PaddleDetection's R-CNN configs. */
  eta?: number;
}

export interface Proposals {
  /** [R * 4] on the resized images */
  rois: Float32Array;
  /** [R] objectness probability of each roi */
  scores: Float32Array;
  /** [R] image of each roi within the batch */
  imageIndex: Int32Array;
  /** [N] rois per image (they are stored image after image) */
  counts: Int32Array;
}

/** One image: scores [K], deltas [K * 4], anchors/variances [K * 4] all in anchor order. */
export function proposalsForImage(scores: ArrayLike<number>, deltas: ArrayLike<number>, anchors: ArrayLike<number>, variances: ArrayLike<number>, K: number, imInfo: ArrayLike<number>, cfg: ProposalConfig): { rois: Float32Array; scores: Float32Array } {
  const order = Array.from({ length: K }, (_, i) => i);
  order.sort((p, q) => scores[q] - scores[p]); // stable: ties in anchor order
  const top = cfg.preNmsTopN > 0 && cfg.preNmsTopN < K ? cfg.preNmsTopN : K;
  const selAnchors = new Float32Array(top * 4);
  const selDeltas = new Float32Array(top * 4);
  const selVar = variances.length === 4 ? variances : new Float32Array(top * 4);
  for (let k = 0; k < top; k++) {
    const i = order[k];
    for (let c = 0; c < 4; c++) {
      selAnchors[k * 4 + c] = anchors[i * 4 + c];
      selDeltas[k * 4 + c] = deltas[i * 4 + c];
      if (selVar !== variances) (selVar as Float32Array)[k * 4 + c] = variances[i * 4 + c];
    }
  }
  const boxes = decodeBoxes(selAnchors, selDeltas, top, selVar, { clamp: BBOX_CLIP }) as Float32Array;
  const [imH, imW, scale] = [imInfo[0], imInfo[1], imInfo[2]];
  clipBoxes(boxes, top, imH, imW);

  const minSize = Math.max(cfg.minSize, 1);
  const keep: number[] = [];
  for (let k = 0; k < top; k++) {
    const o = k * 4;
    const ws = (boxes[o + 2] - boxes[o]) / scale + 1;
    const hs = (boxes[o + 3] - boxes[o + 1]) / scale + 1;
    const cx = boxes[o] + (boxes[o + 2] - boxes[o] + 1) / 2;
    const cy = boxes[o + 1] + (boxes[o + 3] - boxes[o + 1] + 1) / 2;
    if (ws >= minSize && hs >= minSize && cx <= imW && cy <= imH) keep.push(k);
  }
  if (keep.length === 0) return { rois: new Float32Array(4), scores: new Float32Array(1) };

  let kept: number[];
  if (cfg.nmsThresh <= 0) {
    kept = keep;
  } else {
    // keep is already in descending score order (stable), as NMS wants it.
    const cap = cfg.postNmsTopN > 0 ? cfg.postNmsTopN : Infinity;
    const eta = cfg.eta ?? 1;
    let thr = cfg.nmsThresh;
    kept = [];
    for (const k of keep) {
      if (kept.length >= cap) break; // later boxes could only be appended after the cap
      let ok = true;
      for (const j of kept) {
        if (iou(boxes, k, j, false) > thr) {
          ok = false;
          break;
        }
      }
      if (ok) {
        kept.push(k);
        if (eta < 1 && thr > 0.5) thr *= eta;
      }
    }
  }
  const rois = new Float32Array(kept.length * 4);
  const out = new Float32Array(kept.length);
  kept.forEach((k, r) => {
    rois.set(boxes.subarray(k * 4, k * 4 + 4), r * 4);
    out[r] = scores[order[k]];
  });
  return { rois, scores: out };
}

/**
 * A batch straight from the RPN head: scores [N, A, H, W] (probabilities), deltas
 * [N, 4A, H, W], imInfo [N * 3] (im_h, im_w, scale per image), anchors [H * W * A * 4] and
 * variances (4 numbers or [H * W * A * 4]) from anchorGenerator.
 */
export function generateProposals(scores: ArrayLike<number>, deltas: ArrayLike<number>, imInfo: ArrayLike<number>, anchors: ArrayLike<number>, variances: ArrayLike<number>, N: number, A: number, H: number, W: number, cfg: ProposalConfig): Proposals {
  const K = H * W * A;
  if (scores.length !== N * K) modelFail('generateProposals', `${N * K} numbers ([N, A, H, W])`, 'scores', scores.length);
  if (deltas.length !== N * K * 4) modelFail('generateProposals', `${N * K * 4} numbers ([N, 4A, H, W])`, 'bbox deltas', deltas.length);
  if (anchors.length !== K * 4) modelFail('generateProposals', `${K * 4} numbers ([H, W, A, 4])`, 'anchors', anchors.length);
  if (imInfo.length !== N * 3) modelFail('generateProposals', `${N * 3} numbers ([N, 3])`, 'im_info', imInfo.length);
  const parts: Array<{ rois: Float32Array; scores: Float32Array }> = [];
  for (let n = 0; n < N; n++) {
    const s = anchorMajor(sliceOf(scores, n * K, K), A, H, W, 1);
    const d = anchorMajor(sliceOf(deltas, n * K * 4, K * 4), A, H, W, 4);
    parts.push(proposalsForImage(s, d, anchors, variances, K, sliceOf(imInfo, n * 3, 3), cfg));
  }
  const R = parts.reduce((t, p) => t + p.scores.length, 0);
  const out: Proposals = { rois: new Float32Array(R * 4), scores: new Float32Array(R), imageIndex: new Int32Array(R), counts: new Int32Array(N) };
  let r = 0;
  parts.forEach((p, n) => {
    out.rois.set(p.rois, r * 4);
    out.scores.set(p.scores, r);
    out.imageIndex.fill(n, r, r + p.scores.length);
    out.counts[n] = p.scores.length;
    r += p.scores.length;
  });
  return out;
}

function sliceOf(a: ArrayLike<number>, start: number, len: number): ArrayLike<number> {
  if (ArrayBuffer.isView(a)) return (a as unknown as Float32Array).subarray(start, start + len);
  return Array.prototype.slice.call(a, start, start + len) as number[];
}
