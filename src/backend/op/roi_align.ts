/**
 * RoIAlign (PaddleDetection's roi_align as its RoIAlign roi extractor uses it: not the
 * half-pixel "aligned" variant): each roi (x1, y1, x2, y2 in input-image pixels) of image
 * batch[r] is scaled by spatialScale onto x's grid and pooled into pooledH x pooledW bins, each
 * the mean of bilinear samples (samplingRatio per bin axis, or ceil(roi size / bins) when 0).
 * The exact sampling and border rules are in src/backend/kernels.ts (roi_align_forward).
 *
 * The roi batch indices may come as an Int32Array, a number array or a tensor of integer values
 * (a graph input); rois and x share one backend. Rois are read once here to refuse non-finite
 * coordinates, which have no sampling grid.
 */
import { ROI_MAX_SAMPLING_RATIO } from '../kernels';
import { MAX_DIM } from '../limits';
import { Tensor } from '../tensor';
import { attrsArg, commonBackend, empty, fail, formatShapeOf, isInt, launch, packGeometry, rankArg, shapeValue, show, tensorArg, zeros } from './check';

export interface RoiAlignAttrs {
  /** output bins per roi, rows and columns (PaddleDetection's resolution) */
  pooledH: number;
  pooledW: number;
  /** samples per bin along each axis; 0 (the default): ceil(roi_h / pooledH) x ceil(roi_w / pooledW) */
  samplingRatio?: number;
  /** input-image pixels to x's grid (1/16 for a stride-16 feature map) */
  spatialScale: number;
}

/** Roi batch indices: one image index per roi. */
export type RoiBatch = Int32Array | number[] | Tensor;

function attrsOf(op: string, a: RoiAlignAttrs | undefined): { PH: number; PW: number; sr: number; scale: number } {
  const attrs = attrsArg(op, a);
  const dim = (name: string, v: unknown, min: number) => {
    if (!isInt(v) || v < min || v > MAX_DIM) fail(op, `an integer in [${min}, ${MAX_DIM}]`, name, show(v));
    return v;
  };
  const PH = dim('pooledH', attrs.pooledH, 1), PW = dim('pooledW', attrs.pooledW, 1);
  const sr = attrs.samplingRatio ?? 0;
  if (!isInt(sr) || sr < 0 || sr > ROI_MAX_SAMPLING_RATIO) fail(op, `an integer in [0, ${ROI_MAX_SAMPLING_RATIO}] (0: adaptive)`, 'samplingRatio', show(sr));
  const s = attrs.spatialScale;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) fail(op, 'a positive finite number', 'spatialScale', show(s));
  // the kernels take it as a float32: round it here so that every backend (the float64 reference too) uses the same value
  return { PH, PW, sr, scale: Math.fround(s) };
}

function roisArg(op: string, rois: unknown, scale: number): Tensor {
  const t = rankArg(op, 'rois', rois, 2, 'tensor [R, 4]');
  if (t.shape[1] !== 4) fail(op, 'shape [R, 4] (x1, y1, x2, y2)', 'rois', formatShapeOf(t.shape));
  const v = t.toArray();
  for (let i = 0; i < v.length; i++) {
    if (!(Math.abs(v[i] * scale) <= MAX_DIM)) {
      fail(op, `finite roi coordinates within ${MAX_DIM} map pixels once scaled by spatialScale`, `rois[${Math.floor(i / 4)}][${i % 4}]`, String(v[i]));
    }
  }
  return t;
}

function batchArg(op: string, batch: unknown, R: number, N: number): Int32Array {
  let vals: ArrayLike<number>;
  let what: string;
  if (batch instanceof Tensor) {
    const ok = batch.size === R && (batch.rank === 1 || (batch.rank === 2 && batch.shape[1] === 1));
    if (!ok) fail(op, `a tensor of shape [${R}] (one image index per roi)`, 'roisBatch', formatShapeOf(batch.shape));
    vals = batch.toArray();
    what = 'tensor';
  } else if (Array.isArray(batch) || batch instanceof Int32Array) {
    if (batch.length !== R) fail(op, `${R} image indices (one per roi)`, 'roisBatch', `${batch.length}`);
    vals = batch;
    what = 'array';
  } else {
    return fail(op, 'an Int32Array, an array or a tensor of image indices', 'roisBatch', show(batch));
  }
  const out = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    const v = vals[r];
    if (!isInt(v) || v < 0 || v >= N) fail(op, `an image index in [0, ${N})`, `roisBatch[${r}] (${what})`, String(v));
    out[r] = v;
  }
  return out;
}

/** The kernel geometry for x of shape xShape and R rois. */
export function roiAlignGeometry(op: string, xShape: readonly number[], R: number, attrs: RoiAlignAttrs): Record<string, number> {
  const a = attrsOf(op, attrs);
  const [N, C, H, W] = xShape;
  if (N < 1 || H < 1 || W < 1) fail(op, 'a feature map with N, H, W >= 1', 'x', formatShapeOf(xShape));
  return { N, C, H, W, R, PH: a.PH, PW: a.PW, sampling_ratio: a.sr };
}

/** y [R, C, pooledH, pooledW]: the RoIAlign features of every roi. */
export function roiAlign(x: Tensor, rois: Tensor, roisBatch: RoiBatch, attrs: RoiAlignAttrs): Tensor {
  const op = 'roiAlign';
  rankArg(op, 'x', x, 4, 'input [N, C, H, W]');
  const a = attrsOf(op, attrs);
  const r = roisArg(op, rois, a.scale);
  const g = roiAlignGeometry(op, x.shape, r.shape[0], attrs);
  const batch = batchArg(op, roisBatch, g.R, g.N);
  const be = commonBackend(op, { x, rois: r });
  const y = empty([g.R, g.C, g.PH, g.PW], be);
  if (y.size) launch(op, 'roi_align_forward', be, [x, r, batch, y], packGeometry('roi_align_forward', g), [a.scale]);
  return y;
}

/** dx (shape xShape) of roiAlign given dy [R, C, pooledH, pooledW]; rois get no gradient. */
export function roiAlignBackward(dy: Tensor, rois: Tensor, roisBatch: RoiBatch, xShape: readonly number[], attrs: RoiAlignAttrs): Tensor {
  const op = 'roiAlignBackward';
  const xs = shapeValue(op, 'xShape', xShape, 4);
  const a = attrsOf(op, attrs);
  const r = roisArg(op, rois, a.scale);
  const g = roiAlignGeometry(op, xs, r.shape[0], attrs);
  const batch = batchArg(op, roisBatch, g.R, g.N);
  tensorArg(op, 'dy', dy);
  if (dy.rank !== 4 || dy.shape[0] !== g.R || dy.shape[1] !== g.C || dy.shape[2] !== g.PH || dy.shape[3] !== g.PW) {
    fail(op, `shape [${g.R}, ${g.C}, ${g.PH}, ${g.PW}]`, 'dy', formatShapeOf(dy.shape));
  }
  const be = commonBackend(op, { dy, rois: r });
  const dx = zeros(xs, be);
  if (dy.size && dx.size) launch(op, 'roi_align_backward', be, [dy, r, batch, dx], packGeometry('roi_align_backward', g), [a.scale]);
  return dx;
}
