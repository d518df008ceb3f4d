// The YOLOv3 loss against hand-worked cases (derivations in the comments), the operator's
// corner cases (ignore threshold, label smoothing, gt score, padding, matching against all
// anchors), finite-difference gradients and the three-level sum.
import { yolov3Loss, yolov3LossInto, yolov3LossSum, yolov3LossWithGrad, type Yolov3LossAttrs, type Yolov3LossInputs } from '../../src/train/yolov3_loss';
import { checkGrad } from '../util/gradcheck';
import { randomArray } from '../util/rng';

const LN2 = Math.log(2);
const bce = (x: number, z: number): number => Math.max(x, 0) - x * z + Math.log(1 + Math.exp(-Math.abs(x)));
const sig = (x: number): number => 1 / (1 + Math.exp(-x));

/** A 1x1 map, one anchor of 32 px at stride 32 (input 32), one class: x = [tx, ty, tw, th, obj, cls]. */
function oneCell(x: number[], gt: number[], opts: { score?: number; smooth?: boolean; label?: number } = {}) {
  const inputs: Yolov3LossInputs = {
    x: { data: Float32Array.from(x), shape: [1, 6, 1, 1] },
    gtBox: { data: Float32Array.from(gt), shape: [1, gt.length / 4, 4] },
    gtLabel: { data: Int32Array.from(new Array(gt.length / 4).fill(opts.label ?? 0)), shape: [1, gt.length / 4] },
    gtScore: { data: Float32Array.from(new Array(gt.length / 4).fill(opts.score ?? 1)), shape: [1, gt.length / 4] },
  };
  const attrs: Yolov3LossAttrs = {
    anchors: [32, 32], anchorMask: [0], classNum: 1, ignoreThresh: 0.7, downsampleRatio: 32, useLabelSmooth: opts.smooth ?? false, scaleXY: 1,
  };
  return { inputs, attrs };
}

describe('yolov3Loss: hand-worked cases', () => {
  test('one gt, one anchor, x = 0: 9 ln 2', () => {
    // gt (0.5, 0.5, 0.5, 0.5) on a 1x1 map of input size 32: cell (0, 0), targets
    // tx = ty = 0.5 * 1 - 0 = 0.5, tw = th = ln(0.5 * 32 / 32) = -ln 2, weight 2 - 0.25 = 1.75.
    // bce(0, 0.5) = ln 2 (twice), |0 - (-ln 2)| = ln 2 (twice): box = 1.75 * 4 ln 2 = 7 ln 2.
    // objectness bce(0, 1) = ln 2, class bce(0, 1) = ln 2. Total 9 ln 2 = 6.2383246.
    const { inputs, attrs } = oneCell([0, 0, 0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5]);
    const { loss } = yolov3Loss(inputs, attrs);
    expect(loss).toHaveLength(1);
    expect(loss[0]).toBeCloseTo(9 * LN2, 6);
    expect(loss[0]).toBeCloseTo(6.2383246, 6);
  });

  test('one gt, one anchor, general x (with and without label smoothing)', () => {
    // x = [1, -1, 0.2, -0.3, 2, -0.5]; gt as above.
    // box: 1.75 * [bce(1, .5) + bce(-1, .5) + |0.2 + ln 2| + |-0.3 + ln 2|]
    //    = 1.75 * [0.8132617 + 0.8132617 + 0.8931472 + 0.3931472] = 5.0974311
    // objectness: bce(2, 1) = ln(1 + e^-2) = 0.1269280
    // class, no smoothing: bce(-0.5, 1) = 0.5 + ln(1 + e^-0.5) = 0.9740770 -> total 6.1984361
    // class, smoothing with C = 1: e = min(1/1, 1/40) = 0.025, target 0.975:
    //   bce(-0.5, 0.975) = 0.4875 + 0.4740770 = 0.9615770 -> total 6.1859361
    const x = [1, -1, 0.2, -0.3, 2, -0.5];
    const box = 1.75 * (bce(1, 0.5) + bce(-1, 0.5) + Math.abs(0.2 + LN2) + Math.abs(-0.3 + LN2));
    expect(box).toBeCloseTo(5.0974311, 6);
    const plain = yolov3Loss(oneCell(x, [0.5, 0.5, 0.5, 0.5]).inputs, oneCell(x, [0.5, 0.5, 0.5, 0.5]).attrs).loss[0];
    expect(plain).toBeCloseTo(box + bce(2, 1) + bce(-0.5, 1), 5);
    expect(plain).toBeCloseTo(6.1984361, 5);
    const s = oneCell(x, [0.5, 0.5, 0.5, 0.5], { smooth: true });
    const smooth = yolov3Loss(s.inputs, s.attrs).loss[0];
    expect(smooth).toBeCloseTo(box + bce(2, 1) + bce(-0.5, 0.975), 5);
    expect(smooth).toBeCloseTo(6.1859361, 5);
  });

  test('label smoothing weight is min(1/C, 1/40)', () => {
    // C = 4, smoothing e = min(0.25, 0.025) = 0.025; all logits 0 except class 2 at 1.5.
    // Class part: bce(1.5, 0.975) + 3 bce(0, 0.025) = (1.5 - 1.4625 + ln(1 + e^-1.5)) + 3 ln 2.
    const c = 4;
    const x = new Float32Array(5 + c);
    x[5 + 2] = 1.5;
    const inputs: Yolov3LossInputs = {
      x: { data: x, shape: [1, 5 + c, 1, 1] },
      gtBox: { data: [0.5, 0.5, 0.5, 0.5], shape: [1, 1, 4] },
      gtLabel: { data: [2], shape: [1, 1] },
    };
    const base: Yolov3LossAttrs = { anchors: [32, 32], anchorMask: [0], classNum: c, ignoreThresh: 0.7, downsampleRatio: 32, useLabelSmooth: true };
    const withSmooth = yolov3Loss(inputs, base).loss[0];
    const without = yolov3Loss(inputs, { ...base, useLabelSmooth: false }).loss[0];
    // Box and objectness as in the first case: 7 ln 2 + ln 2.
    expect(withSmooth).toBeCloseTo(8 * LN2 + bce(1.5, 0.975) + 3 * bce(0, 0.025), 6);
    expect(without).toBeCloseTo(8 * LN2 + bce(1.5, 1) + 3 * bce(0, 0), 6);
    // The operator's default is smoothing on.
    const { useLabelSmooth: _, ...noFlag } = base;
    expect(yolov3Loss(inputs, noFlag).loss[0]).toBeCloseTo(withSmooth, 12);
  });

  test('gt_score weighs the box, class and positive objectness terms', () => {
    // x = 0: every term is ln 2; box 7 ln 2, objectness ln 2, class ln 2, all times the score.
    for (const s of [1, 0.5, 0.25]) {
      const { inputs, attrs } = oneCell([0, 0, 0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5], { score: s });
      expect(yolov3Loss(inputs, attrs).loss[0]).toBeCloseTo(9 * LN2 * s, 6);
    }
    // A score at or below 1e-5 leaves the cell a plain negative: objectness bce(0, 0) = ln 2
    // with weight 1, box and class scaled by the score.
    const tiny = 1e-6;
    const { inputs, attrs } = oneCell([0, 0, 0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5], { score: tiny });
    expect(yolov3Loss(inputs, attrs).loss[0]).toBeCloseTo(8 * LN2 * Math.fround(tiny) + LN2, 9);
  });

  test('padding gts (w or h below 1e-6) are skipped everywhere', () => {
    const x = [0.3, -0.2, 0.1, 0.4, -1, 0.7];
    const ref = oneCell(x, [0.5, 0.5, 0.5, 0.5]);
    const padded = oneCell(x, [0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0.4, 0.4, 0, 0.3, 0.4, 0.4, 0.3, 5e-7]);
    expect(yolov3Loss(padded.inputs, padded.attrs).loss[0]).toBeCloseTo(yolov3Loss(ref.inputs, ref.attrs).loss[0], 12);
    // Only padding: the single prediction is plain background, bce(-1, 0) = ln(1 + e^-1).
    const none = oneCell(x, [0, 0, 0, 0, 0.5, 0.5, 0, 0]);
    expect(yolov3Loss(none.inputs, none.attrs).loss[0]).toBeCloseTo(bce(-1, 0), 9);
  });

  test('a label outside [0, C) makes every class a negative, as the operator', () => {
    // x = 0 except class logit 0.8 (as float32); label 3 with C = 1: class term bce(0.8, 0)
    // instead of bce(0.8, 1); the rest is 7 ln 2 (box) + ln 2 (objectness).
    const x = [0, 0, 0, 0, 0, 0.8];
    const v = Math.fround(0.8);
    const { inputs, attrs } = oneCell(x, [0.5, 0.5, 0.5, 0.5], { label: 3 });
    expect(yolov3Loss(inputs, attrs).loss[0]).toBeCloseTo(8 * LN2 + bce(v, 0), 9);
    const inRange = oneCell(x, [0.5, 0.5, 0.5, 0.5], { label: 0 });
    expect(yolov3Loss(inRange.inputs, inRange.attrs).loss[0]).toBeCloseTo(8 * LN2 + bce(v, 1), 9);
  });
});

/** A 2x2 map at stride 16 (input 32), 1 class, anchors and mask as given; x all zeros unless set. */
function grid(anchors: number[], mask: number[], gt: number[], ignoreThresh: number, set: Array<[number, number]> = []) {
  const c = 1;
  const x = new Float64Array(mask.length * (5 + c) * 4);
  for (const [i, v] of set) x[i] = v;
  const inputs: Yolov3LossInputs = {
    x: { data: x, shape: [1, mask.length * (5 + c), 2, 2] },
    gtBox: { data: gt, shape: [1, gt.length / 4, 4] },
    gtLabel: { data: new Array(gt.length / 4).fill(0), shape: [1, gt.length / 4] },
  };
  return { inputs, attrs: { anchors, anchorMask: mask, classNum: c, ignoreThresh, downsampleRatio: 16, useLabelSmooth: false } as Yolov3LossAttrs };
}

describe('yolov3Loss: matching and the ignore mask', () => {
  test('ignore threshold: a background prediction overlapping a gt above it adds nothing', () => {
    // Anchors 16 px and 24 px, both predicted here; gt (0.25, 0.25, 0.5, 0.5) at cell (0, 0)
    // matches anchor 0 exactly (shape IoU 1 vs (0.5*0.5)/(0.75*0.75) = 0.444). With x = 0,
    // anchor 1's prediction at cell (0, 0) is (0.25, 0.25, 0.75, 0.75): IoU with the gt 0.444.
    // Its other cells and anchor 0's other cells do not touch the gt (IoU 0).
    // Threshold 0.5: that prediction is background, bce(0, 0) = ln 2.
    // Threshold 0.4: it is ignored. The difference is exactly ln 2.
    const gt = [0.25, 0.25, 0.5, 0.5];
    const hi = grid([16, 16, 24, 24], [0, 1], gt, 0.5);
    const lo = grid([16, 16, 24, 24], [0, 1], gt, 0.4);
    const lHi = yolov3Loss(hi.inputs, hi.attrs).loss[0];
    const lLo = yolov3Loss(lo.inputs, lo.attrs).loss[0];
    expect(lHi - lLo).toBeCloseTo(LN2, 9);
    // Full derivation at 0.5: positive box 1.75 (bce(0, 0.5)*2 + |ln(0.5*32/16)| * 2)
    // = 1.75 * 2 ln 2 (tw = ln 1 = 0), class ln 2, objectness: 1 positive ln 2 + 7 negatives 7 ln 2.
    expect(lHi).toBeCloseTo(1.75 * 2 * LN2 + LN2 + 8 * LN2, 9);
    // The ignored entry has no gradient; the background one has sigmoid(0) = 0.5.
    const objIdx = 1 * 6 * 4 + 4 * 4 + 0; // anchor 1, entry 4, cell 0
    expect(yolov3LossWithGrad(lo.inputs, lo.attrs).dx[objIdx]).toBe(0);
    expect(yolov3LossWithGrad(hi.inputs, hi.attrs).dx[objIdx]).toBeCloseTo(0.5, 7);
  });

  test('gts are matched against all anchors; one owned by an anchor outside the mask trains only background', () => {
    // Anchors 8 px and 32 px; gt w = h = 0.25 (8 px at input 32) matches anchor 0 (IoU 1).
    // With mask [1] this level never sees it: the loss is 4 background objectness terms, unless
    // ignored; at x = 0 anchor 1's predictions are 32 px boxes covering the whole image: IoU
    // with the gt 0.0625 < 0.7, so 4 ln 2.
    const gt = [0.3, 0.7, 0.25, 0.25];
    const other = grid([8, 8, 32, 32], [1], gt, 0.7);
    expect(yolov3Loss(other.inputs, other.attrs).loss[0]).toBeCloseTo(4 * LN2, 9);
    // With mask [0] it is a positive at cell (floor(0.3*2), floor(0.7*2)) = (0, 1):
    // tx = 0.6, ty = 1.4 - 1 = 0.4, tw = th = ln(0.25*32/8) = 0, weight 2 - 1/16.
    const own = grid([8, 8, 32, 32], [0], gt, 0.7);
    const expected = (2 - 1 / 16) * (bce(0, 0.6) + bce(0, 0.4)) + LN2 /* class */ + 4 * LN2 /* obj */;
    expect(yolov3Loss(own.inputs, own.attrs).loss[0]).toBeCloseTo(expected, 6);
  });

  test('equal shape IoU: the first anchor wins', () => {
    // gt 0.5 x 0.5 against anchors 8 px (0.25: IoU 0.0625/0.25 = 0.25) and 32 px (1.0:
    // IoU 0.25/1 = 0.25): a tie, anchor 0 owns it. Mask [1] therefore sees no positive.
    const gt = [0.25, 0.25, 0.5, 0.5];
    const m1 = grid([8, 8, 32, 32], [1], gt, 1);
    expect(yolov3Loss(m1.inputs, m1.attrs).loss[0]).toBeCloseTo(4 * LN2, 9);
    const m0 = grid([8, 8, 32, 32], [0], gt, 1);
    // positive on anchor 0: tx = ty = 0.5, tw = th = ln(0.5 * 32 / 8) = ln 2; box 1.75 * 4 ln 2,
    // class ln 2, objectness 4 ln 2: 12 ln 2 in all.
    const expected = 1.75 * (2 * LN2 + 2 * LN2) + LN2 + 4 * LN2;
    expect(expected).toBeCloseTo(12 * LN2, 12);
    expect(yolov3Loss(m0.inputs, m0.attrs).loss[0]).toBeCloseTo(expected, 6);
  });

  test('scale_x_y moves the decoded box used by the ignore mask only', () => {
    // One anchor of 16 px on the 2x2 map, gt (0.3, 0.3, 0.5, 0.5) at cell (0, 0); prediction
    // at cell (1, 0) with tx = 0: cx = (1 + 0.5 s - (s - 1)/2) / 2 = 0.75 whatever s, so use
    // tx = 4: sigmoid(4) = 0.98201. s = 1: cx = 0.99101; s = 2: cx = (1 + 1.96403 - 0.5) / 2 = 1.23201.
    // Box w = 0.5: IoU with the gt (x in [0.05, 0.55]) is 0 in both cases (left edges 0.741 and 0.982).
    // Move tx to -4 instead: sigmoid = 0.01799; s = 1: cx = 0.50899, x in [0.259, 0.759],
    // overlap with [0.05, 0.55] = 0.291, y overlap [0, 0.5] vs [0.05, 0.55] = 0.45:
    // IoU = 0.1310 / (0.25 + 0.25 - 0.1310) = 0.355. s = 2: cx = (1 + 0.03598 - 0.5) / 2 = 0.26799,
    // x in [0.018, 0.518]: overlap 0.468, IoU = 0.2106 / 0.2894 = 0.728.
    // With threshold 0.5 the prediction is background at s = 1 and ignored at s = 2.
    const gt = [0.3, 0.3, 0.5, 0.5];
    const objAt = 4 * 4 + 1; // entry 4, cell (row 0, col 1)
    const g1 = grid([16, 16], [0], gt, 0.5, [[1, -4]]);
    const g2 = { inputs: g1.inputs, attrs: { ...g1.attrs, scaleXY: 2 } };
    expect(yolov3LossWithGrad(g1.inputs, g1.attrs).dx[objAt]).toBeCloseTo(0.5, 7);
    expect(yolov3LossWithGrad(g2.inputs, g2.attrs).dx[objAt]).toBe(0);
    // The box target of the positive cell does not depend on s.
    const l1 = yolov3Loss(g1.inputs, g1.attrs).loss[0];
    const l2 = yolov3Loss(g2.inputs, g2.attrs).loss[0];
    expect(l1 - l2).toBeCloseTo(LN2, 9);
  });
});

describe('yolov3Loss: gradients', () => {
  /** Random case: N 2, 3x3 map, 3 anchors of which 2 predicted, 2 classes, 3 gts (one padding). */
  function randomCase(seed: number, smooth: boolean, scaleXY: number) {
    const n = 2, m = 2, c = 2, h = 3, w = 3, b = 3;
    const x = randomArray(n * m * (5 + c) * h * w, seed, -1.5, 1.5);
    const gt = [
      0.31, 0.42, 0.35, 0.30, /**/ 0.8, 0.15, 0.2, 0.25, /**/ 0, 0, 0, 0,
      0.55, 0.52, 0.6, 0.5, /**/ 0.12, 0.88, 0.3, 0.28, /**/ 0.7, 0.7, 0.18, 0.2,
    ];
    const inputs: Yolov3LossInputs = {
      x: { data: x, shape: [n, m * (5 + c), h, w] },
      gtBox: { data: gt, shape: [n, b, 4] },
      gtLabel: { data: [0, 1, 0, 1, 0, 1], shape: [n, b] },
      gtScore: { data: [1, 0.6, 1, 0.8, 1, 0.3], shape: [n, b] },
    };
    const attrs: Yolov3LossAttrs = {
      anchors: [10, 13, 30, 30, 60, 50], anchorMask: [0, 1], classNum: c, ignoreThresh: 0.3,
      downsampleRatio: 32, useLabelSmooth: smooth, scaleXY,
    };
    return { inputs, attrs, x };
  }

  test.each([
    [1, false, 1],
    [2, true, 1.05],
    [3, true, 1],
  ])('finite differences match dx (seed %d, smooth %s, scale_x_y %d)', (seed, smooth, s) => {
    const { inputs, attrs, x } = randomCase(seed, smooth, s);
    const r = [0.7, -1.3];
    const dx = new Float64Array(x.length);
    yolov3LossInto(inputs, attrs, dx, r);
    const f = (): number => {
      const l = yolov3LossInto(inputs, attrs);
      return r[0] * l[0] + r[1] * l[1];
    };
    const { err } = checkGrad('yolov3 loss', f, x, dx, { tol: 1e-6 });
    expect(err).toBeLessThan(1e-6);
    // Both images have positives on this level, so some box entries carry gradient.
    let boxEntries = 0;
    for (let i = 0; i < x.length; i++) {
      const entry = Math.floor(i / 9) % 7;
      if (entry < 4 && dx[i] !== 0) boxEntries++;
    }
    expect(boxEntries).toBeGreaterThan(0);
  });

  test('two gts on one cell and anchor: both terms counted, dx is their exact derivative', () => {
    // 1x1 map, one anchor: gts (0.3, 0.3, 0.5, 0.5) and (0.6, 0.7, 0.5, 0.5) both land on cell
    // (0, 0). Loss = 1.75 [bce(tx, .3) + bce(ty, .3) + bce(tx, .6) + bce(ty, .7)
    //   + 2 |tw + ln 2| + 2 |th + ln 2|] + 2 bce(cls, 1) + bce(obj, 1).
    const x = Float64Array.of(0.4, -0.3, 0.1, -0.2, 0.5, 0.9);
    const inputs: Yolov3LossInputs = {
      x: { data: x, shape: [1, 6, 1, 1] },
      gtBox: { data: [0.3, 0.3, 0.5, 0.5, 0.6, 0.7, 0.5, 0.5], shape: [1, 2, 4] },
      gtLabel: { data: [0, 0], shape: [1, 2] },
    };
    const attrs: Yolov3LossAttrs = { anchors: [32, 32], anchorMask: [0], classNum: 1, ignoreThresh: 0.7, downsampleRatio: 32, useLabelSmooth: false };
    const expected = 1.75 * (bce(0.4, 0.3) + bce(-0.3, 0.3) + bce(0.4, 0.6) + bce(-0.3, 0.7) + 2 * (0.1 + LN2) + 2 * (-0.2 + LN2)) + 2 * bce(0.9, 1) + bce(0.5, 1);
    expect(yolov3Loss(inputs, attrs).loss[0]).toBeCloseTo(expected, 12);
    const dx = new Float64Array(6);
    yolov3LossInto(inputs, attrs, dx);
    // d/dtx = 1.75 (2 sigmoid(0.4) - 0.9), d/dcls = 2 (sigmoid(0.9) - 1)
    expect(dx[0]).toBeCloseTo(1.75 * (2 * sig(0.4) - 0.9), 12);
    expect(dx[5]).toBeCloseTo(2 * (sig(0.9) - 1), 12);
    checkGrad('two gts per cell', () => yolov3LossInto(inputs, attrs)[0], x, dx);
  });

  test('yolov3LossWithGrad returns float32 dx of the plain sum', () => {
    const { inputs, attrs, x } = randomCase(4, true, 1);
    const res = yolov3LossWithGrad(inputs, attrs);
    const ref = new Float64Array(x.length);
    yolov3LossInto(inputs, attrs, ref, [1, 1]);
    expect(res.dx).toBeInstanceOf(Float32Array);
    for (let i = 0; i < x.length; i++) expect(res.dx[i]).toBeCloseTo(ref[i], 6);
    expect(res.loss).toEqual(yolov3Loss(inputs, attrs).loss);
  });
});

describe('yolov3LossSum: three levels as PaddleDetection adds them', () => {
  const anchors = [[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90], [156, 198], [373, 326]];
  const anchorMasks = [[6, 7, 8], [3, 4, 5], [0, 1, 2]];
  const cfg = { anchors, anchorMasks, classNum: 2, ignoreThresh: 0.7, downsample: [32, 16, 8], labelSmooth: true };
  const n = 2, size = 128;
  const gt = {
    gtBox: { data: [0.3, 0.4, 0.1, 0.12, 0.6, 0.5, 0.5, 0.6, 0, 0, 0, 0, 0.5, 0.5, 0.3, 0.2, 0.2, 0.8, 0.9, 0.9, 0.7, 0.2, 0.2, 0.35], shape: [n, 3, 4] },
    gtLabel: { data: [0, 1, 0, 1, 0, 1], shape: [n, 3] },
    gtScore: { data: [1, 1, 1, 0.5, 1, 1], shape: [n, 3] },
  };
  const outputs = [32, 16, 8].map((r, lvl) => {
    const hw = size / r;
    return { data: new Float32Array(randomArray(n * 21 * hw * hw, 10 + lvl, -1, 1)), shape: [n, 21, hw, hw] };
  });

  test('total = sum over levels of the batch mean; dx = per-level gradient with 1/N', () => {
    const res = yolov3LossSum(outputs, gt, cfg);
    let total = 0;
    outputs.forEach((x, lvl) => {
      const attrs: Yolov3LossAttrs = {
        anchors: anchors.flat(), anchorMask: anchorMasks[lvl], classNum: 2, ignoreThresh: 0.7,
        downsampleRatio: cfg.downsample[lvl], useLabelSmooth: true,
      };
      const { loss, dx } = yolov3LossWithGrad({ x, ...gt }, attrs, { lossGrad: [1 / n, 1 / n] });
      expect(res.perImage[lvl]).toEqual(loss);
      expect(res.levels[lvl]).toBeCloseTo((loss[0] + loss[1]) / n, 10);
      expect(res.dx[lvl]).toEqual(dx);
      total += (loss[0] + loss[1]) / n;
    });
    expect(res.total).toBeCloseTo(total, 10);
  });

  test('each valid gt is a positive on exactly one level', () => {
    // Matching is against all 9 anchors, so the x-offset gradient (entry 0) is nonzero at
    // exactly one (level, anchor, cell) per gt: 5 valid gts over the batch (none share a cell).
    const res = yolov3LossSum(outputs, gt, cfg);
    let positives = 0;
    res.dx.forEach((dx, lvl) => {
      const hw = (size / cfg.downsample[lvl]) ** 2;
      for (let i = 0; i < n; i++) {
        for (let a = 0; a < 3; a++) {
          const base = (i * 3 + a) * 7 * hw;
          for (let c = 0; c < hw; c++) if (dx[base + c] !== 0) positives++;
        }
      }
    });
    expect(positives).toBe(5);
  });

  test('bad input names the thing', () => {
    expect(() => yolov3LossSum(outputs, gt, { ...cfg, anchorMasks: [[6, 7, 8]] })).toThrow(/anchorMasks/);
    const bad = [{ data: new Float32Array(10), shape: [n, 20, 1, 1] }];
    expect(() => yolov3LossSum(bad, gt, { ...cfg, anchorMasks: [[0, 1, 2]] })).toThrow(/yolov3Loss: expected shape \[\?, 21, \?, \?\] for x, got \[2, 20, 1, 1\]/);
    const a: Yolov3LossAttrs = { anchors: [10, 13, 16], anchorMask: [0], classNum: 2, ignoreThresh: 0.7, downsampleRatio: 8 };
    expect(() => yolov3Loss({ x: outputs[2], ...gt }, a)).toThrow(/anchors/);
    expect(() => yolov3Loss({ x: outputs[2], ...gt }, { ...a, anchors: [10, 13], anchorMask: [1] })).toThrow(/anchorMask/);
    expect(() => yolov3Loss({ x: outputs[2], gtBox: { data: [0], shape: [n, 3, 4] }, gtLabel: gt.gtLabel }, { ...a, anchors: [10, 13, 16, 30, 33, 23], anchorMask: [0, 1, 2] }))
      .toThrow(/gtBox\.data/);
  });
});
