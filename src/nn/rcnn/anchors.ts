/**
 * Anchor generation for the RPN, as Paddle's anchor_generator.
 *
 * For a feature map H x W with stride (sw, sh), position (h, w) has its centre at
 *   cx = w * sw + offset * (sw - 1),  cy = h * sh + offset * (sh - 1)
 * and A = ratios x sizes anchors, ratios in the outer loop and sizes in the inner one. For
 * ratio r and size s: base_w = round(sqrt(sw * sh / r)), base_h = round(base_w * r), the anchor
 * is (s / sw) * base_w wide and (s / sh) * base_h high, and its corners are
 * centre -/+ 0.5 * (extent - 1) (pixel-inclusive boxes, so the width counts x2 - x1 + 1).
 *
 * Output: anchors [H * W * A, 4] (x1, y1, x2, y2), index (h * W + w) * A + a, the row order of
 * Paddle's [H, W, A, 4] tensor; variances [H * W * A, 4], the configured variance repeated.
 */
import { modelFail } from '../common';

export interface AnchorConfig {
  /** anchor_sizes: side of the square anchor in input pixels, e.g. [32, 64, 128, 256, 512]. */
  anchorSizes: readonly number[];
  /** aspect_ratios: height / width, e.g. [0.5, 1, 2]. */
  aspectRatios: readonly number[];
  /** stride: [stride_w, stride_h] in input pixels. */
  stride: readonly [number, number];
  /** variance: the four box-coder variances, e.g. [1, 1, 1, 1] for the RPN. */
  variance: readonly [number, number, number, number];
  /** offset of the centre within a cell, 0.5 in Paddle. */
  offset?: number;
}

export interface Anchors {
  /** [count * 4] */
  anchors: Float32Array;
  /** [count * 4] */
  variances: Float32Array;
  /** H * W * perPosition */
  count: number;
  /** A = aspectRatios.length * anchorSizes.length */
  perPosition: number;
}

function positiveList(name: string, v: readonly number[]): void {
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !(x > 0) || !Number.isFinite(x))) {
    modelFail('anchorGenerator', 'a non-empty list of positive numbers', name, v);
  }
}

export function anchorGenerator(H: number, W: number, cfg: AnchorConfig): Anchors {
  if (!Number.isInteger(H) || H < 1) modelFail('anchorGenerator', 'a positive integer', 'feature height', H);
  if (!Number.isInteger(W) || W < 1) modelFail('anchorGenerator', 'a positive integer', 'feature width', W);
  positiveList('anchor_sizes', cfg.anchorSizes);
  positiveList('aspect_ratios', cfg.aspectRatios);
  positiveList('stride', cfg.stride);
  if (cfg.stride.length !== 2) modelFail('anchorGenerator', 'two numbers [stride_w, stride_h]', 'stride', cfg.stride);
  if (!Array.isArray(cfg.variance) || cfg.variance.length !== 4 || cfg.variance.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    modelFail('anchorGenerator', 'four numbers', 'variance', cfg.variance);
  }
  const offset = cfg.offset ?? 0.5;
  const [sw, sh] = cfg.stride;
  // The per-position extents do not depend on the position: compute them once.
  const ext: number[] = [];
  for (const r of cfg.aspectRatios) {
    for (const s of cfg.anchorSizes) {
      const baseW = Math.round(Math.sqrt((sw * sh) / r));
      const baseH = Math.round(baseW * r);
      ext.push((s / sw) * baseW, (s / sh) * baseH);
    }
  }
  const A = ext.length / 2;
  const count = H * W * A;
  const anchors = new Float32Array(count * 4);
  const variances = new Float32Array(count * 4);
  let o = 0;
  for (let h = 0; h < H; h++) {
    const cy = h * sh + offset * (sh - 1);
    for (let w = 0; w < W; w++) {
      const cx = w * sw + offset * (sw - 1);
      for (let a = 0; a < A; a++) {
        const hw = 0.5 * (ext[2 * a] - 1);
        const hh = 0.5 * (ext[2 * a + 1] - 1);
        anchors[o] = cx - hw;
        anchors[o + 1] = cy - hh;
        anchors[o + 2] = cx + hw;
        anchors[o + 3] = cy + hh;
        variances.set(cfg.variance, o);
        o += 4;
      }
    }
  }
  return { anchors, variances, count, perPosition: A };
}
