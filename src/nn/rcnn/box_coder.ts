/**
 * Center-size box coding as Paddle's box_coder / BoxToDelta with box_normalized false: boxes
 * are pixel-inclusive, so a box [x1, y1, x2, y2] is x2 - x1 + 1 wide and its centre is
 * x1 + 0.5 * width.
 *
 * encode (prior p, target g, weights w):
 *   dx = (gcx - pcx) / pw / w0,  dy = (gcy - pcy) / ph / w1,
 *   dw = log(gw / pw) / w2,      dh = log(gh / ph) / w3
 * decode (prior p, delta d, variance v), the inverse:
 *   cx = v0 * dx * pw + pcx,  w = exp(min(v2 * dw, clamp)) * pw,  (same for y / h)
 *   box = [cx - w/2, cy - h/2, cx + w/2 - 1, cy + h/2 - 1]
 * The clamp (log(1000 / 16) as in Paddle's proposal decoder) keeps exp() finite for wild
 * deltas early in training; the RPN uses variance [1, 1, 1, 1] and the BBoxHead
 * bbox_reg_weights [0.1, 0.1, 0.2, 0.2] for both the encoding weights and the variance.
 */
import { modelFail } from '../common';

export type BoxWeights = readonly [number, number, number, number];

/** log(1000 / 16): the largest log-scale step a decoded box may take. */
export const BBOX_CLIP = Math.log(1000 / 16);

export type BoxArray = Float32Array | Float64Array;

/**
 * priors, targets: [n * 4]; weights: 4 numbers or null (none). Returns deltas [n * 4].
 */
export function encodeBoxes(priors: ArrayLike<number>, targets: ArrayLike<number>, n: number, weights: BoxWeights | null = null, out?: BoxArray): BoxArray {
  const d = out ?? new Float32Array(n * 4);
  const w = weights ?? [1, 1, 1, 1];
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    const pw = priors[o + 2] - priors[o] + 1;
    const ph = priors[o + 3] - priors[o + 1] + 1;
    const pcx = priors[o] + 0.5 * pw;
    const pcy = priors[o + 1] + 0.5 * ph;
    const gw = targets[o + 2] - targets[o] + 1;
    const gh = targets[o + 3] - targets[o + 1] + 1;
    const gcx = targets[o] + 0.5 * gw;
    const gcy = targets[o + 1] + 0.5 * gh;
    d[o] = (gcx - pcx) / pw / w[0];
    d[o + 1] = (gcy - pcy) / ph / w[1];
    d[o + 2] = Math.log(gw / pw) / w[2];
    d[o + 3] = Math.log(gh / ph) / w[3];
  }
  return d;
}

export interface DecodeOptions {
  /** Deltas per prior: deltas is [n, classes * 4] and the output too (BBoxHead: num_classes). */
  classes?: number;
  /** Upper bound on v2 * dw and v3 * dh; Infinity turns it off. */
  clamp?: number;
}

/**
 * priors: [n * 4]; deltas: [n * classes * 4]; variances: 4 numbers shared by all priors, or
 * [n * 4] one row per prior (as anchorGenerator returns them). Returns boxes [n * classes * 4].
 */
export function decodeBoxes(priors: ArrayLike<number>, deltas: ArrayLike<number>, n: number, variances: ArrayLike<number>, opts: DecodeOptions = {}, out?: BoxArray): BoxArray {
  const classes = opts.classes ?? 1;
  const clamp = opts.clamp ?? BBOX_CLIP;
  if (variances.length !== 4 && variances.length !== n * 4) {
    modelFail('decodeBoxes', `4 or ${n * 4} numbers (one row per prior)`, 'variances', variances.length);
  }
  if (deltas.length < n * classes * 4) modelFail('decodeBoxes', `${n * classes * 4} numbers`, 'deltas', deltas.length);
  const shared = variances.length === 4;
  const b = out ?? new Float32Array(n * classes * 4);
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    const v = shared ? 0 : o;
    const pw = priors[o + 2] - priors[o] + 1;
    const ph = priors[o + 3] - priors[o + 1] + 1;
    const pcx = priors[o] + 0.5 * pw;
    const pcy = priors[o + 1] + 0.5 * ph;
    for (let c = 0; c < classes; c++) {
      const q = (i * classes + c) * 4;
      const cx = variances[v] * deltas[q] * pw + pcx;
      const cy = variances[v + 1] * deltas[q + 1] * ph + pcy;
      const w = Math.exp(Math.min(variances[v + 2] * deltas[q + 2], clamp)) * pw;
      const h = Math.exp(Math.min(variances[v + 3] * deltas[q + 3], clamp)) * ph;
      b[q] = cx - w / 2;
      b[q + 1] = cy - h / 2;
      b[q + 2] = cx + w / 2 - 1;
      b[q + 3] = cy + h / 2 - 1;
    }
  }
  return b;
}

/**
 * Clips boxes [m * 4] in place to an image of imH x imW pixels: x into [0, imW - 1], y into
 * [0, imH - 1] (Paddle's box_clip / ClipTiledBoxes with pixel offset).
 */
export function clipBoxes(boxes: BoxArray, m: number, imH: number, imW: number): BoxArray {
  const xm = imW - 1;
  const ym = imH - 1;
  for (let i = 0; i < m * 4; i += 4) {
    boxes[i] = Math.max(Math.min(boxes[i], xm), 0);
    boxes[i + 1] = Math.max(Math.min(boxes[i + 1], ym), 0);
    boxes[i + 2] = Math.max(Math.min(boxes[i + 2], xm), 0);
    boxes[i + 3] = Math.max(Math.min(boxes[i + 3], ym), 0);
  }
  return boxes;
}
