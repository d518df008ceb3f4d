/**
 * Multi-class non-maximum suppression, as Paddle's multiclass_nms (nms_eta adaptive threshold
 * included). Per class other than background_label: candidates with score > score_threshold,
 * sorted by score (stable), at most nms_top_k, then greedy suppression of any box whose IoU
 * with a kept one exceeds the (adaptive) threshold. Then at most keep_top_k detections over
 * all classes (highest scores). Output order: by class, then score descending (Paddle's).
 * IoU with normalized false counts pixels inclusively (width = x2 - x1 + 1).
 */
import type { NmsConfig } from './yolo_head';

export interface Detection {
  classId: number;
  score: number;
  /** [x1, y1, x2, y2] */
  box: [number, number, number, number];
}

function area(b: ArrayLike<number>, o: number, norm: number): number {
  if (b[o + 2] < b[o] || b[o + 3] < b[o + 1]) return 0;
  return (b[o + 2] - b[o] + norm) * (b[o + 3] - b[o + 1] + norm);
}

/** Paddle's JaccardOverlap of boxes i and j of a flat [M * 4] array. */
export function iou(boxes: ArrayLike<number>, i: number, j: number, normalized = false): number {
  const a = i * 4, b = j * 4;
  if (boxes[b] > boxes[a + 2] || boxes[b + 2] < boxes[a] || boxes[b + 1] > boxes[a + 3] || boxes[b + 3] < boxes[a + 1]) return 0;
  const norm = normalized ? 0 : 1;
  const iw = Math.min(boxes[a + 2], boxes[b + 2]) - Math.max(boxes[a], boxes[b]) + norm;
  const ih = Math.min(boxes[a + 3], boxes[b + 3]) - Math.max(boxes[a + 1], boxes[b + 1]) + norm;
  const inter = iw * ih;
  return inter / (area(boxes, a, norm) + area(boxes, b, norm) - inter);
}

/**
 * boxes: [M * 4]; scores: [M * C] (box-major, as yolo_box writes them). Returns the kept
 * detections of one image.
 */
export function multiclassNms(boxes: ArrayLike<number>, scores: ArrayLike<number>, M: number, C: number, cfg: NmsConfig): Detection[] {
  const perClass = new Map<number, number[]>();
  let total = 0;
  for (let c = 0; c < C; c++) {
    if (c === cfg.backgroundLabel) continue;
    let cand: Array<[number, number]> = [];
    for (let i = 0; i < M; i++) {
      const s = scores[i * C + c];
      if (s > cfg.scoreThreshold) cand.push([s, i]);
    }
    cand.sort((p, q) => q[0] - p[0]); // Array.prototype.sort is stable
    if (cfg.nmsTopK > -1 && cfg.nmsTopK < cand.length) cand = cand.slice(0, cfg.nmsTopK);
    const kept: number[] = [];
    let thr = cfg.nmsThreshold;
    for (const [, idx] of cand) {
      let keep = true;
      for (const k of kept) {
        if (iou(boxes, idx, k, cfg.normalized) > thr) {
          keep = false;
          break;
        }
      }
      if (keep) {
        kept.push(idx);
        if (cfg.nmsEta < 1 && thr > 0.5) thr *= cfg.nmsEta;
      }
    }
    if (kept.length) perClass.set(c, kept);
    total += kept.length;
  }
  let selected = perClass;
  if (cfg.keepTopK > -1 && total > cfg.keepTopK) {
    const all: Array<[number, number, number]> = [];
    for (const [c, idx] of perClass) for (const i of idx) all.push([scores[i * C + c], c, i]);
    all.sort((p, q) => q[0] - p[0]);
    selected = new Map();
    for (const [, c, i] of all.slice(0, cfg.keepTopK)) {
      if (!selected.has(c)) selected.set(c, []);
      selected.get(c)!.push(i);
    }
  }
  const out: Detection[] = [];
  for (const c of [...selected.keys()].sort((a, b) => a - b)) {
    for (const i of selected.get(c)!) {
      out.push({ classId: c, score: scores[i * C + c], box: [boxes[i * 4], boxes[i * 4 + 1], boxes[i * 4 + 2], boxes[i * 4 + 3]] });
    }
  }
  return out;
}
