/**
 * The YOLOv3 loss of one output level, computed the way Paddle's `yolov3_loss` operator does,
 * and the sum over the three levels the way PaddleDetection's YOLOv3Loss adds them.
 *
 * For image i of x [N, M*(5+C), H, W] (M = anchorMask.length, entries per anchor: tx, ty, tw,
 * th, objectness, C class logits), with input_size = downsampleRatio * H:
 *
 * - Ground truths are gtBox [N, B, 4] normalised (cx, cy, w, h); a box with w or h below 1e-6
 *   is padding and takes no part anywhere.
 * - Ignore mask: every prediction's decoded box (cx = (l + sigmoid(tx) * s - (s - 1) / 2) / H
 *   with s = scaleXY, w = exp(tw) * anchor_w / input_size, ...) is compared with every valid
 *   gt; when its best IoU exceeds ignoreThresh its objectness is not trained as background.
 *   scaleXY enters only here: the box targets below are the plain ones.
 * - Matching: each gt is compared by shape alone (both centred at 0) with ALL anchors; the best
 *   (first on ties) owns it. Only when that anchor is in anchorMask does the gt produce a
 *   target, at cell (gi, gj) = (floor(cx W), floor(cy H)).
 * - A matched gt with score s_g (gtScore, 1 when absent; mixup passes its weights) adds
 *   (2 - w h) s_g [bce(tx, cx H - gi) + bce(ty, cy H - gj) + |tw - log(w in / aw)| + |th - log(h in / ah)|]
 *   plus s_g * sum_c bce(cls_c, c == label ? pos : neg), with pos = 1, neg = 0, or with label
 *   smoothing pos = 1 - e, neg = e where e = min(1 / C, 1 / 40). A label outside [0, C) makes
 *   every class a negative, as the operator's comparison does.
 * - Objectness: a cell/anchor owned by a gt has target 1 weighted by its score (when the score
 *   is above 1e-5); an ignored one adds nothing; every other one adds bce(obj, 0).
 *
 * Both the x offset and the y offset are scaled by H (the operator's single grid size); the
 * feature maps YOLOv3 produces are square. Where the operator would index outside the map (a
 * gt centre at exactly 1 or outside [0, 1)), the cell is clamped into it.
 *
 * The gradient is the exact derivative of this loss. It differs from Paddle's backward kernel
 * in one corner: when two gts land on the same cell and anchor, Paddle's kernel keeps only the
 * last gt's box/class gradient while the loss counts both; here both are added. The L1 terms
 * take the subgradient -1 at a tie, as Paddle does.
 *
 * Everything is computed in float64 from the float32 (or float64) inputs, with no allocation
 * per element: one pass for the ignore mask, one per gt, one for objectness.
 */

export type NumArray = Float32Array | Float64Array | Int32Array | number[];

/** A plain tensor: data in row-major order and its shape. */
export interface TensorData<T extends NumArray = NumArray> {
  data: T;
  shape: number[];
}

export interface Yolov3LossInputs {
  /** [N, M*(5+C), H, W] raw head output */
  x: TensorData;
  /** [N, B, 4] normalised cx, cy, w, h; w or h <= 0 marks padding */
  gtBox: TensorData;
  /** [N, B] class ids */
  gtLabel: TensorData;
  /** [N, B] per-gt weights (mixup); all 1 when absent */
  gtScore?: TensorData;
}

export interface Yolov3LossAttrs {
  /** all anchors of the model as [w0, h0, w1, h1, ...] in input pixels */
  anchors: number[];
  /** indices (into the anchor pairs) of the anchors this level predicts */
  anchorMask: number[];
  classNum: number;
  ignoreThresh: number;
  downsampleRatio: number;
  /** default true, as the operator */
  useLabelSmooth?: boolean;
  /** default 1 */
  scaleXY?: number;
}

export class Yolov3LossError extends Error {
  override name = 'Yolov3LossError';
}

function fail(what: string, expected: string, got: string): never {
  throw new Yolov3LossError(`yolov3Loss: expected ${expected} for ${what}, got ${got}`);
}

function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function checkTensor(what: string, t: TensorData | undefined, shape: Array<number | null>): number[] {
  if (!t || typeof t !== 'object' || !t.data || !Array.isArray(t.shape)) fail(what, 'a tensor {data, shape}', show(t));
  const s = t.shape;
  const want = `shape [${shape.map((d) => (d === null ? '?' : d)).join(', ')}]`;
  if (s.length !== shape.length || s.some((d, i) => !Number.isInteger(d) || d < 0 || (shape[i] !== null && d !== shape[i]))) {
    fail(what, want, `[${s.join(', ')}]`);
  }
  let n = 1;
  for (const d of s) n *= d;
  if (t.data.length !== n) fail(`${what}.data`, `${n} values (shape [${s.join(', ')}])`, `${t.data.length}`);
  return s;
}

/** Validated geometry of one call. */
interface Geometry {
  n: number; h: number; w: number; b: number;
  maskNum: number; anchorNum: number; classNum: number;
  inputSize: number; stride: number; anStride: number;
  labelPos: number; labelNeg: number;
  scale: number; bias: number; ignoreThresh: number;
}

function geometry(inputs: Yolov3LossInputs, attrs: Yolov3LossAttrs): Geometry {
  if (!inputs || typeof inputs !== 'object') fail('inputs', 'an object {x, gtBox, gtLabel, gtScore?}', show(inputs));
  if (!attrs || typeof attrs !== 'object') fail('attrs', 'an object {anchors, anchorMask, classNum, ...}', show(attrs));
  const { anchors, anchorMask, classNum, ignoreThresh, downsampleRatio } = attrs;
  if (!Array.isArray(anchors) || anchors.length === 0 || anchors.length % 2 !== 0 || anchors.some((a) => !(typeof a === 'number' && a > 0 && Number.isFinite(a)))) {
    fail('anchors', 'a non-empty list of positive [w, h] pairs', show(anchors));
  }
  const anchorNum = anchors.length / 2;
  if (!Number.isInteger(classNum) || classNum < 1) fail('classNum', 'an integer >= 1', show(classNum));
  if (!Array.isArray(anchorMask) || anchorMask.length === 0 || anchorMask.some((m) => !Number.isInteger(m) || m < 0 || m >= anchorNum)) {
    fail('anchorMask', `a non-empty list of anchor indices in [0, ${anchorNum})`, show(anchorMask));
  }
  if (typeof ignoreThresh !== 'number' || !Number.isFinite(ignoreThresh)) fail('ignoreThresh', 'a finite number', show(ignoreThresh));
  if (!Number.isInteger(downsampleRatio) || downsampleRatio < 1) fail('downsampleRatio', 'an integer >= 1', show(downsampleRatio));
  const scale = attrs.scaleXY ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) fail('scaleXY', 'a positive number', show(attrs.scaleXY));
  const smooth = attrs.useLabelSmooth ?? true;
  if (typeof smooth !== 'boolean') fail('useLabelSmooth', 'a boolean', show(smooth));

  const maskNum = anchorMask.length;
  const xs = checkTensor('x', inputs.x, [null, maskNum * (5 + classNum), null, null]);
  const [n, , h, w] = xs;
  const gs = checkTensor('gtBox', inputs.gtBox, [n, null, 4]);
  const b = gs[1];
  checkTensor('gtLabel', inputs.gtLabel, [n, b]);
  if (inputs.gtScore !== undefined) checkTensor('gtScore', inputs.gtScore, [n, b]);

  // Label smoothing weight: the operator caps it at 1/40 so that many-class sets keep a
  // clearly positive target.
  const eps = smooth ? Math.min(1 / classNum, 1 / 40) : 0;
  return {
    n, h, w, b, maskNum, anchorNum, classNum,
    inputSize: downsampleRatio * h, stride: h * w, anStride: (5 + classNum) * h * w,
    labelPos: 1 - eps, labelNeg: eps,
    scale, bias: -0.5 * (scale - 1), ignoreThresh,
  };
}

/** bce with logits: max(x, 0) - x z + log(1 + exp(-|x|)), stable for any x */
function bce(x: number, z: number): number {
  return (x > 0 ? x : 0) - x * z + Math.log1p(Math.exp(-Math.abs(x)));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Overlap length of two 1-D segments given by centre and width (negative when disjoint). */
function overlap(c1: number, w1: number, c2: number, w2: number): number {
  const left = Math.max(c1 - w1 / 2, c2 - w2 / 2);
  const right = Math.min(c1 + w1 / 2, c2 + w2 / 2);
  return right - left;
}

/** IoU of two centre-size boxes, as the operator: no intersection when either side is negative. */
function iouCxcywh(x1: number, y1: number, w1: number, h1: number, x2: number, y2: number, w2: number, h2: number): number {
  const ow = overlap(x1, w1, x2, w2);
  const oh = overlap(y1, h1, y2, h2);
  const inter = ow < 0 || oh < 0 ? 0 : ow * oh;
  return inter / (w1 * h1 + w2 * h2 - inter);
}

/** Cell index of a normalised centre: the operator's truncation, kept inside the map. */
function cellOf(c: number, size: number): number {
  const v = Math.trunc(c * size);
  return v < 0 ? 0 : v >= size ? size - 1 : v;
}

/**
 * The loss per image; when dx is given, also writes d(sum_i lossGrad[i] * loss[i]) / dx into
 * it (dx has x's size and is overwritten). The public functions below wrap this one.
 */
export function yolov3LossInto(
  inputs: Yolov3LossInputs,
  attrs: Yolov3LossAttrs,
  dx: Float32Array | Float64Array | null = null,
  lossGrad: ArrayLike<number> | null = null,
): number[] {
  const g = geometry(inputs, attrs);
  const { n, h, w, b, maskNum, anchorNum, classNum, inputSize, stride, anStride } = g;
  const x = inputs.x.data;
  const box = inputs.gtBox.data;
  const label = inputs.gtLabel.data;
  const score = inputs.gtScore?.data;
  const anchors = attrs.anchors;
  const mask = attrs.anchorMask;
  if (dx) {
    if (dx.length !== x.length) fail('dx', `${x.length} elements (as x)`, `${dx.length}`);
    if (lossGrad && lossGrad.length !== n) fail('lossGrad', `${n} values (one per image)`, `${lossGrad.length}`);
    dx.fill(0);
  }

  const loss = new Array<number>(n).fill(0);
  // Objectness target per (anchor, cell) of one image: 0 background, -1 ignored, > 0 gt score.
  const obj = new Float64Array(maskNum * stride);
  // Anchor index -> position in anchorMask (-1 when this level does not predict it).
  const maskIndex = new Int32Array(anchorNum).fill(-1);
  for (let j = mask.length - 1; j >= 0; j--) maskIndex[mask[j]] = j;
  const valid = new Int32Array(b);

  for (let i = 0; i < n; i++) {
    const g4 = i * b * 4;
    let nValid = 0;
    for (let t = 0; t < b; t++) {
      if (!(box[g4 + t * 4 + 2] < 1e-6) && !(box[g4 + t * 4 + 3] < 1e-6)) valid[nValid++] = t;
    }
    obj.fill(0);
    const xi = i * maskNum * anStride;

    // 1. ignore mask: predictions already overlapping some gt well are not background.
    if (nValid > 0) {
      for (let j = 0; j < maskNum; j++) {
        const aw = anchors[2 * mask[j]] / inputSize;
        const ah = anchors[2 * mask[j] + 1] / inputSize;
        const base = xi + j * anStride;
        for (let k = 0; k < h; k++) {
          for (let l = 0; l < w; l++) {
            const p = base + k * w + l;
            const px = (l + sigmoid(x[p]) * g.scale + g.bias) / h;
            const py = (k + sigmoid(x[p + stride]) * g.scale + g.bias) / h;
            const pw = Math.exp(x[p + 2 * stride]) * aw;
            const ph = Math.exp(x[p + 3 * stride]) * ah;
            let best = 0;
            for (let v = 0; v < nValid; v++) {
              const q = g4 + valid[v] * 4;
              const iou = iouCxcywh(px, py, pw, ph, box[q], box[q + 1], box[q + 2], box[q + 3]);
              if (iou > best) best = iou;
            }
            if (best > g.ignoreThresh) obj[j * stride + k * w + l] = -1;
          }
        }
      }
    }

    // 2. each gt: best anchor by shape over all anchors; box and class terms when it is ours.
    const up = dx ? (lossGrad ? lossGrad[i] : 1) : 0;
    for (let v = 0; v < nValid; v++) {
      const t = valid[v];
      const q = g4 + t * 4;
      const gx = box[q], gy = box[q + 1], gw = box[q + 2], gh = box[q + 3];
      let bestIou = 0;
      let bestN = 0;
      for (let a = 0; a < anchorNum; a++) {
        const iou = iouCxcywh(0, 0, anchors[2 * a] / inputSize, anchors[2 * a + 1] / inputSize, 0, 0, gw, gh);
        if (iou > bestIou) {
          bestIou = iou;
          bestN = a;
        }
      }
      const j = maskIndex[bestN];
      if (j < 0) continue;
      const s = score ? score[i * b + t] : 1;
      const gi = cellOf(gx, w);
      const gj = cellOf(gy, h);
      const cell = gj * w + gi;
      const p = xi + j * anStride + cell;
      const tx = gx * h - gi;
      const ty = gy * h - gj;
      const tw = Math.log((gw * inputSize) / anchors[2 * bestN]);
      const th = Math.log((gh * inputSize) / anchors[2 * bestN + 1]);
      const wgt = (2 - gw * gh) * s;
      const vx = x[p], vy = x[p + stride], vw = x[p + 2 * stride], vh = x[p + 3 * stride];
      loss[i] += (bce(vx, tx) + bce(vy, ty) + Math.abs(tw - vw) + Math.abs(th - vh)) * wgt;
      obj[j * stride + cell] = s;
      const lab = label[i * b + t];
      const pc = p + 5 * stride;
      for (let c = 0; c < classNum; c++) {
        const z = c === lab ? g.labelPos : g.labelNeg;
        loss[i] += bce(x[pc + c * stride], z) * s;
      }
      if (dx) {
        const k = wgt * up;
        dx[p] += (sigmoid(vx) - tx) * k;
        dx[p + stride] += (sigmoid(vy) - ty) * k;
        dx[p + 2 * stride] += (vw > tw ? 1 : -1) * k;
        dx[p + 3 * stride] += (vh > th ? 1 : -1) * k;
        for (let c = 0; c < classNum; c++) {
          const z = c === lab ? g.labelPos : g.labelNeg;
          dx[pc + c * stride] += (sigmoid(x[pc + c * stride]) - z) * s * up;
        }
      }
    }

    // 3. objectness over every anchor and cell.
    for (let j = 0; j < maskNum; j++) {
      const base = xi + j * anStride + 4 * stride;
      const om = j * stride;
      for (let c = 0; c < stride; c++) {
        const o = obj[om + c];
        const v = x[base + c];
        if (o > 1e-5) {
          loss[i] += bce(v, 1) * o;
          if (dx) dx[base + c] = (sigmoid(v) - 1) * o * up;
        } else if (o > -0.5) {
          loss[i] += bce(v, 0);
          if (dx) dx[base + c] = sigmoid(v) * up;
        }
      }
    }
  }
  return loss;
}

/** The loss per image, as Paddle's yolov3_loss operator returns it. */
export function yolov3Loss(inputs: Yolov3LossInputs, attrs: Yolov3LossAttrs): { loss: number[] } {
  return { loss: yolov3LossInto(inputs, attrs) };
}

/**
 * The loss per image and dx = d(sum_i lossGrad[i] * loss[i]) / dx in x's shape; lossGrad
 * defaults to all ones (the gradient of the plain sum).
 */
export function yolov3LossWithGrad(
  inputs: Yolov3LossInputs,
  attrs: Yolov3LossAttrs,
  opts: { lossGrad?: ArrayLike<number> } = {},
): { loss: number[]; dx: Float32Array } {
  const dx = new Float32Array(inputs?.x?.data?.length ?? 0);
  const loss = yolov3LossInto(inputs, attrs, dx, opts.lossGrad ?? null);
  return { loss, dx };
}

/** The YOLOv3 head's loss settings, in PaddleDetection's terms (YOLOv3Head + YOLOv3Loss). */
export interface Yolov3LossSumConfig {
  /** [[w, h], ...] or flat [w0, h0, w1, h1, ...] */
  anchors: number[][] | number[];
  /** per output level, deepest first, e.g. [[6, 7, 8], [3, 4, 5], [0, 1, 2]] */
  anchorMasks: number[][];
  classNum: number;
  ignoreThresh: number;
  /** per output level, e.g. [32, 16, 8] */
  downsample: number[];
  labelSmooth: boolean;
  /** one value or one per level; default 1 */
  scaleXY?: number | number[];
}

export interface Yolov3LossSumResult {
  /** sum over levels of the batch mean of the per-image loss */
  total: number;
  /** each level's batch mean */
  levels: number[];
  /** per-image losses of each level */
  perImage: number[][];
  /** d total / d output, one per level, in each output's shape */
  dx: Float32Array[];
}

/**
 * PaddleDetection's YOLOv3Loss (use_fine_grained_loss false): the operator on each output
 * with that level's anchor mask, downsample ratio and scale_x_y, each reduced to its mean
 * over the batch, the means added. The gradient of the total is returned per output.
 */
export function yolov3LossSum(
  outputs: TensorData[],
  gt: { gtBox: TensorData; gtLabel: TensorData; gtScore?: TensorData },
  cfg: Yolov3LossSumConfig,
): Yolov3LossSumResult {
  if (!Array.isArray(outputs) || outputs.length === 0) fail('outputs', 'a non-empty list of head outputs', show(outputs));
  if (!cfg || !Array.isArray(cfg.anchorMasks) || cfg.anchorMasks.length !== outputs.length) {
    fail('anchorMasks', `one mask per output (${outputs.length})`, show(cfg?.anchorMasks));
  }
  if (!Array.isArray(cfg.downsample) || cfg.downsample.length < outputs.length) {
    fail('downsample', `one ratio per output (${outputs.length})`, show(cfg.downsample));
  }
  const scales = cfg.scaleXY ?? 1;
  if (Array.isArray(scales) && scales.length < outputs.length) fail('scaleXY', `one value per output (${outputs.length})`, show(scales));
  const anchors = (cfg.anchors as Array<number | number[]>).flatMap((a) => a);
  const result: Yolov3LossSumResult = { total: 0, levels: [], perImage: [], dx: [] };
  outputs.forEach((x, lvl) => {
    const n = x?.shape?.[0] ?? 0;
    const dx = new Float32Array(x?.data?.length ?? 0);
    const loss = yolov3LossInto(
      { x, gtBox: gt.gtBox, gtLabel: gt.gtLabel, gtScore: gt.gtScore },
      {
        anchors, anchorMask: cfg.anchorMasks[lvl], classNum: cfg.classNum, ignoreThresh: cfg.ignoreThresh,
        downsampleRatio: cfg.downsample[lvl], useLabelSmooth: cfg.labelSmooth,
        scaleXY: Array.isArray(scales) ? scales[lvl] : scales,
      },
      dx,
      new Array<number>(n).fill(n > 0 ? 1 / n : 0),
    );
    let sum = 0;
    for (const v of loss) sum += v;
    const mean = n > 0 ? sum / n : 0;
    result.levels.push(mean);
    result.perImage.push(loss);
    result.dx.push(dx);
    result.total += mean;
  });
  return result;
}
