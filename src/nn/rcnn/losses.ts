/**
 * The R-CNN losses with their gradients, each normalised as PaddleDetection's heads do:
 *
 *   RPN objectness   sigmoid CE over the sampled anchors, mean over them
 *                    (sigmoid_cross_entropy_with_logits + reduce_mean)
 *   RPN box          smooth L1, sigma 3, inside = outside = the fg weights, summed and divided
 *                    by the number of sampled anchors (fg + bg)
 *   BBoxHead class   softmax CE with integer labels, mean over rois
 *   BBoxHead box     smooth L1, sigma 1, class-specific inside/outside weights, summed per roi
 *                    and averaged over rois
 *   Mask             per-class sigmoid CE, targets -1 ignored, mean over the others
 *                    (ignore_index -1, normalize true, then reduce_sum)
 *
 * Paddle's smooth_l1: d = (x - y) * inside; per element 0.5 * sigma^2 * d^2 when
 * |d| < 1 / sigma^2, |d| - 0.5 / sigma^2 otherwise; times outside.
 *
 * Every function computes in float64 and writes d loss / d input into `grad` (allocated as
 * Float32Array when not given; pass a Float64Array for exact checks).
 */
import { modelFail } from '../common';

export type GradArray = Float32Array | Float64Array;
export interface LossResult<G extends GradArray = GradArray> {
  loss: number;
  grad: G;
}

function gradBuffer<G extends GradArray>(n: number, grad?: G): G {
  if (grad) {
    if (grad.length < n) modelFail('loss', `a gradient buffer of ${n} numbers`, 'grad', grad.length);
    return grad;
  }
  return new Float32Array(n) as G;
}

/** Softmax CE: logits [N * C], labels [N] in 0..C-1; loss = mean over N rows. */
export function softmaxCrossEntropy<G extends GradArray = Float32Array>(logits: ArrayLike<number>, labels: ArrayLike<number>, N: number, C: number, grad?: G): LossResult<G> {
  const g = gradBuffer(N * C, grad);
  if (N === 0) return { loss: 0, grad: g };
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= C) modelFail('softmaxCrossEntropy', `a label in 0..${C - 1}`, `label ${i}`, y);
    const o = i * C;
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, logits[o + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[o + c] - mx);
    const lse = mx + Math.log(s);
    loss += lse - logits[o + y];
    for (let c = 0; c < C; c++) g[o + c] = (Math.exp(logits[o + c] - lse) - (c === y ? 1 : 0)) / N;
  }
  return { loss: loss / N, grad: g };
}

/**
 * Smooth L1 over n elements: sum of Paddle's smooth_l1 terms divided by `normalizer`.
 * inside / outside: [n] weights or null (all ones).
 */
export function smoothL1<G extends GradArray = Float32Array>(pred: ArrayLike<number>, target: ArrayLike<number>, inside: ArrayLike<number> | null, outside: ArrayLike<number> | null, n: number, sigma: number, normalizer: number, grad?: G): LossResult<G> {
  const g = gradBuffer(n, grad);
  if (!(normalizer > 0)) {
    g.fill(0, 0, n);
    return { loss: 0, grad: g };
  }
  const s2 = sigma * sigma;
  const knee = 1 / s2;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const wi = inside ? inside[i] : 1;
    const wo = outside ? outside[i] : 1;
    const d = (pred[i] - target[i]) * wi;
    const ad = Math.abs(d);
    let val: number, dd: number;
    if (ad < knee) {
      val = 0.5 * s2 * d * d;
      dd = s2 * d;
    } else {
      val = ad - 0.5 / s2;
      dd = Math.sign(d);
    }
    loss += val * wo;
    g[i] = (wo * wi * dd) / normalizer;
  }
  return { loss: loss / normalizer, grad: g };
}

export interface SigmoidCeOptions {
  /** Entries whose label equals this are ignored (no loss, zero gradient). */
  ignoreIndex?: number;
  /** 'all': divide by n (reduce_mean); 'valid': divide by the non-ignored count. */
  normalize: 'all' | 'valid';
}

/** Sigmoid CE: logits, labels [n] (0/1, or ignoreIndex); max(x,0) - x*z + log(1 + e^-|x|). */
export function sigmoidCrossEntropy<G extends GradArray = Float32Array>(logits: ArrayLike<number>, labels: ArrayLike<number>, n: number, opts: SigmoidCeOptions, grad?: G): LossResult<G> {
  const g = gradBuffer(n, grad);
  const ign = opts.ignoreIndex;
  let valid = 0;
  if (opts.normalize === 'valid') {
    for (let i = 0; i < n; i++) if (labels[i] !== ign) valid++;
  } else {
    valid = n;
  }
  if (valid === 0) {
    g.fill(0, 0, n);
    return { loss: 0, grad: g };
  }
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const z = labels[i];
    if (z === ign) {
      g[i] = 0;
      continue;
    }
    const x = logits[i];
    loss += Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x)));
    const p = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    g[i] = (p - z) / valid;
  }
  return { loss: loss / valid, grad: g };
}

/** RPN objectness: logits and 0/1 labels of the S sampled anchors; mean over S. */
export function rpnClsLoss<G extends GradArray = Float32Array>(logits: ArrayLike<number>, labels: ArrayLike<number>, S: number, grad?: G): LossResult<G> {
  return sigmoidCrossEntropy(logits, labels, S, { normalize: 'all' }, grad);
}

/**
 * RPN box: deltas and targets of the F fg anchors ([F * 4]), inside weights [F * 4] used as
 * both weights, sigma 3, divided by the S sampled anchors.
 */
export function rpnBoxLoss<G extends GradArray = Float32Array>(deltas: ArrayLike<number>, targets: ArrayLike<number>, insideWeights: ArrayLike<number> | null, F: number, S: number, grad?: G): LossResult<G> {
  return smoothL1(deltas, targets, insideWeights, insideWeights, F * 4, 3, S, grad);
}

/** BBoxHead class: cls_score [N * C], labels [N]; mean over N. */
export function bboxClsLoss<G extends GradArray = Float32Array>(logits: ArrayLike<number>, labels: ArrayLike<number>, N: number, C: number, grad?: G): LossResult<G> {
  return softmaxCrossEntropy(logits, labels, N, C, grad);
}

/** BBoxHead box: bbox_pred [N * 4C] with the assigner's targets and weights, sigma 1, / N. */
export function bboxBoxLoss<G extends GradArray = Float32Array>(pred: ArrayLike<number>, targets: ArrayLike<number>, inside: ArrayLike<number>, outside: ArrayLike<number>, N: number, C: number, grad?: G): LossResult<G> {
  return smoothL1(pred, targets, inside, outside, N * 4 * C, 1, N, grad);
}

/** Mask: logits [P * C * M * M] against generateMaskLabels' maskInt32; -1 ignored. */
export function maskLoss<G extends GradArray = Float32Array>(logits: ArrayLike<number>, maskInt32: ArrayLike<number>, n: number, grad?: G): LossResult<G> {
  return sigmoidCrossEntropy(logits, maskInt32, n, { ignoreIndex: -1, normalize: 'valid' }, grad);
}
