/**
 * COCO bbox evaluation on hand-worked cases. Each case derives its expected figures in the
 * comments from COCOeval's rules: 10 IoU thresholds .50:.05:.95, 101 recall points 0:.01:1,
 * precision envelope, AP = mean over thresholds and recall points (and categories) of the
 * values > -1. Boxes are [x, y, w, h].
 */
import { cocoEval, cocoBoxIou, CocoEvalError, IOU_THRESHOLDS, RECALL_POINTS, type CocoGt, type CocoDetection } from '../../src/eval/coco_eval';

const img = (id: number) => ({ id, width: 640, height: 640 });
let annId = 0;
const ann = (image_id: number, category_id: number, bbox: number[], o: { area?: number; iscrowd?: number } = {}) => ({
  id: ++annId, image_id, category_id, bbox, area: o.area ?? bbox[2] * bbox[3], iscrowd: o.iscrowd ?? 0,
});
const det = (image_id: number, category_id: number, bbox: number[], score: number): CocoDetection => ({ image_id, category_id, bbox, score });
const cats = [{ id: 1, name: 'digit' }];

// stats order: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl
function expectStats(got: number[], want: number[]): void {
  expect(got).toHaveLength(12);
  want.forEach((w, i) => expect([i, got[i]]).toEqual([i, expect.closeTo(w, 12)]));
}

describe('cocoEval settings', () => {
  test('thresholds and recall points as numpy.linspace builds them', () => {
    expect(IOU_THRESHOLDS).toHaveLength(10);
    expect(IOU_THRESHOLDS[0]).toBe(0.5);
    expect(IOU_THRESHOLDS[5]).toBe(0.75); // found by equality for AP75
    expect(IOU_THRESHOLDS[9]).toBe(0.95);
    expect(RECALL_POINTS).toHaveLength(101);
    expect(RECALL_POINTS[100]).toBe(1);
  });

  test('box IoU: plain, touching, crowd (intersection over the detection area)', () => {
    expect(cocoBoxIou([0, 0, 10, 10], [5, 0, 10, 10], false)).toBeCloseTo(50 / 150, 15);
    expect(cocoBoxIou([0, 0, 10, 10], [10, 0, 10, 10], false)).toBe(0);
    expect(cocoBoxIou([25, 5, 10, 10], [20, 0, 40, 40], true)).toBe(1);
    expect(cocoBoxIou([25, 5, 10, 10], [20, 0, 40, 40], false)).toBeCloseTo(100 / 1600, 15);
  });
});

describe('cocoEval hand-worked cases', () => {
  test('one perfect detection', () => {
    // gt area 100 (small). IoU 1 passes every threshold: rc = [1], pr = [1] -> precision 1 at
    // all 101 recall points -> AP = AP50 = AP75 = APs = 1, every recall 1. In medium and large
    // the gt is outside the range (ignored) and the detection, matched to it, is ignored too:
    // no counted gt -> -1.
    const gt: CocoGt = { images: [img(1)], annotations: [ann(1, 1, [0, 0, 10, 10])], categories: cats };
    const r = cocoEval(gt, [det(1, 1, [0, 0, 10, 10], 0.9)], { iouType: 'bbox' });
    expectStats(r.stats, [1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1]);
    // precision is tp / (tp + fp + 2^-52): 1 / (1 + 2^-52) rounds just below 1
    const c = expect.closeTo(1, 12);
    expect(r.perCategory).toEqual([{ id: 1, name: 'digit', ap: c, ap50: c, ap75: c, ar100: 1 }]);
  });

  test('a duplicate: a looser box scored higher than the exact one', () => {
    // gt [0,0,10,10]; A [0,0,10,7.5] score .9 has IoU 75/100 = 0.75 (exact in binary);
    // B [0,0,10,10] score .8 has IoU 1.
    // t in .50..0.75 (6 thresholds, IoU >= t counts, so t = .75 matches): A TP, B duplicate FP:
    //   rc = [1, 1], pr = [1, .5]; every recall point reads index 0 -> AP_t = 1.
    // t in .80..0.95 (4): A FP, B TP: rc = [0, 1], pr = [0, .5] -> envelope [.5, .5] -> AP_t = .5.
    // AP = (6 * 1 + 4 * .5) / 10 = .8; AP50 = AP75 = 1; APs = .8 (area 100).
    // AR1 keeps only A: recall 1 for 6 thresholds, 0 for 4 -> .6; AR10 = AR100 = ARs = 1.
    const gt: CocoGt = { images: [img(1)], annotations: [ann(1, 1, [0, 0, 10, 10])], categories: cats };
    const r = cocoEval(gt, [det(1, 1, [0, 0, 10, 10], 0.8), det(1, 1, [0, 0, 10, 7.5], 0.9)], { iouType: 'bbox' });
    expectStats(r.stats, [0.8, 1, 1, 0.8, -1, -1, 0.6, 1, 1, 1, -1, -1]);
  });

  test('a crowd region: detections inside it are ignored, crowd gts never count', () => {
    // gts: G [0,0,10,10] (area 100) and crowd C [20,0,40,40] (area 1600, iscrowd).
    // D3 [30,30,20,20] score .95: against C, intersection 20 x 10 = 200 over its own area 400 = .5
    // D1 [0,0,10,10] score .9: IoU 1 with G
    // D2 [25,5,10,10] score .8: inside C, 100 / 100 = 1 (plain IoU would be 100/1600: an FP)
    // Counted gts: 1 (C is ignored). Score order D3, D1, D2.
    // t = .5: D3 matches C (ignored), D1 TP, D2 matches C again (crowds can be matched again,
    //   ignored): tp = [0, 1, 1], fp = [0, 0, 0] -> rc = [0, 1, 1], pr = [0, 1, 1] -> envelope 1 -> AP 1.
    // t > .5: D3 FP, D1 TP, D2 ignored: tp = [0, 1, 1], fp = [1, 1, 1], pr = [0, .5, .5] -> AP .5.
    // AP = (1 + 9 * .5) / 10 = .55, AP50 = 1, AP75 = .5. All boxes but C are small: APs = .55;
    // medium: G outside, C ignored -> no counted gt -> -1; large -1.
    // AR1 keeps D3 only (never a TP) -> 0; AR10 = AR100 = ARs = 1.
    const gt: CocoGt = {
      images: [img(1)],
      annotations: [ann(1, 1, [0, 0, 10, 10]), ann(1, 1, [20, 0, 40, 40], { iscrowd: 1 })],
      categories: cats,
    };
    const dets = [det(1, 1, [0, 0, 10, 10], 0.9), det(1, 1, [25, 5, 10, 10], 0.8), det(1, 1, [30, 30, 20, 20], 0.95)];
    const r = cocoEval(gt, dets, { iouType: 'bbox' });
    expectStats(r.stats, [0.55, 1, 0.5, 0.55, -1, -1, 0, 1, 1, 1, -1, -1]);
  });

  test('area ranges come from the area field, not the box', () => {
    // gts: S area 100 (small), M area 2500 (medium), L1 box 100x100 area 10000 (large),
    // L2 box 100x100 but area 5000 (medium by its field, a segment smaller than its box).
    // Detections exact on S (.9), M (.8), L1 (.7); L2 missed.
    // all: 4 counted, three TPs: rc = [.25, .5, .75], pr = 1 -> recall points 0...75 (76 of 101)
    //   read 1, the rest 0 -> AP = 76/101 at every threshold; AR100 = .75; AR1 (S only) = .25.
    // small: only S counts; the M and L1 detections match ignored gts and are ignored -> APs = 1.
    // medium: M and L2 count; S and L1 detections ignored: rc = [0, .5, .5], pr = [0, 1, 1]
    //   -> envelope 1 up to recall .5: 51 of 101 points -> APm = 51/101, ARm = .5.
    // large: L1 counts (L2's 5000 is not large) -> APl = 1, ARl = 1.
    const gt: CocoGt = {
      images: [img(1)],
      annotations: [ann(1, 1, [0, 0, 10, 10]), ann(1, 1, [50, 0, 50, 50]), ann(1, 1, [0, 200, 100, 100]), ann(1, 1, [200, 200, 100, 100], { area: 5000 })],
      categories: cats,
    };
    const dets = [det(1, 1, [0, 0, 10, 10], 0.9), det(1, 1, [50, 0, 50, 50], 0.8), det(1, 1, [0, 200, 100, 100], 0.7)];
    const r = cocoEval(gt, dets, { iouType: 'bbox' });
    expectStats(r.stats, [76 / 101, 76 / 101, 76 / 101, 1, 51 / 101, 1, 0.25, 0.75, 0.75, 1, 0.5, 1]);
  });

  test('an empty category is -1 and left out of the means, even with false positives', () => {
    // category 1: one perfect detection -> AP 1. Category 2 has no gt: with no detection its
    // images are skipped; with one it still has no counted gt -> -1 either way, so the means
    // over categories are those of category 1 alone.
    const gt: CocoGt = {
      images: [img(1), img(2)],
      annotations: [ann(1, 1, [0, 0, 10, 10])],
      categories: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }],
    };
    for (const extra of [[], [det(2, 2, [0, 0, 50, 50], 0.99)]]) {
      const r = cocoEval(gt, [det(1, 1, [0, 0, 10, 10], 0.9), ...extra], { iouType: 'bbox' });
      expectStats(r.stats, [1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1]);
      expect(r.perCategory[1]).toEqual({ id: 2, name: 'two', ap: -1, ap50: -1, ap75: -1, ar100: -1 });
    }
  });

  test('equal scores across images keep image id order, not result order', () => {
    // image 1 has no gt and an FP; image 2 a gt and its TP; both score .5, the TP listed first.
    // Pooled in image order: FP, TP -> rc = [0, 1], pr = [0, .5] -> envelope .5 -> AP = .5.
    // (Result order would give TP, FP -> AP 1.)
    const gt: CocoGt = { images: [img(2), img(1)], annotations: [ann(2, 1, [0, 0, 10, 10])], categories: cats };
    const r = cocoEval(gt, [det(2, 1, [0, 0, 10, 10], 0.5), det(1, 1, [0, 0, 10, 10], 0.5)], { iouType: 'bbox' });
    expect(r.stats[0]).toBeCloseTo(0.5, 12);
    expect(r.stats[1]).toBeCloseTo(0.5, 12);
  });

  test('maxDets: only the best 100 detections of an image count', () => {
    // one gt; 100 misses scored .9 and the hit scored .1 is the 101st: cut -> AP 0, AR100 0.
    // With 99 misses the hit is kept: rc reaches 1 at the 100th record, pr = 1/100 -> AP .01.
    const gt: CocoGt = { images: [img(1)], annotations: [ann(1, 1, [500, 500, 10, 10])], categories: cats };
    const misses = (n: number) => Array.from({ length: n }, (_, i) => det(1, 1, [i, 0, 5, 5], 0.9));
    const hit = det(1, 1, [500, 500, 10, 10], 0.1);
    const cut = cocoEval(gt, [...misses(100), hit], { iouType: 'bbox' });
    expect(cut.stats[0]).toBe(0);
    expect(cut.stats[8]).toBe(0);
    const kept = cocoEval(gt, [...misses(99), hit], { iouType: 'bbox' });
    expect(kept.stats[0]).toBeCloseTo(0.01, 12);
    expect(kept.stats[8]).toBe(1);
    expect(kept.stats[7]).toBe(0); // AR10: the hit is not among the best 10
  });
});

describe('cocoEval errors', () => {
  const gt: CocoGt = { images: [img(1)], annotations: [ann(1, 1, [0, 0, 10, 10])], categories: cats };
  test('a detection on an image not in gt', () => {
    expect(() => cocoEval(gt, [det(7, 1, [0, 0, 1, 1], 1)], { iouType: 'bbox' })).toThrow(/image_id 7 for detection 0 \(not in gt.images\)/);
  });
  test('a malformed box, score or area', () => {
    expect(() => cocoEval(gt, [det(1, 1, [0, 0, 1], 1)], { iouType: 'bbox' })).toThrow(CocoEvalError);
    expect(() => cocoEval(gt, [det(1, 1, [0, 0, 1, 1], NaN)], { iouType: 'bbox' })).toThrow(/finite score for detection 0/);
    const noArea = { ...gt, annotations: [{ ...gt.annotations[0], area: undefined as unknown as number }] };
    expect(() => cocoEval(noArea, [], { iouType: 'bbox' })).toThrow(/finite area for annotation/);
  });
  test('another iouType', () => {
    expect(() => cocoEval(gt, [], { iouType: 'keypoints' as 'bbox' })).toThrow(/iouType 'bbox' or 'segm'/);
  });
});
