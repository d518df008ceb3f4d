// VOC mAP against a hand-worked two-class example (plus a class with no gt), for both map
// types, difficult handling, the +1 pixel convention, matching order and bad input.
import { vocMap, VocMapAccumulator, type VocImage } from '../../src/eval/voc_map';

/*
 * Image A gts: class 0: G1 [0,0,9,9], G2 [20,20,29,29]; class 1: G3 [0,0,19,19] (difficult),
 *              G4 [40,40,59,59].
 * Image B gts: class 0: G5 [0,0,9,9].
 * Detections, in the order given:
 *   A: d1 (0, .90) [0,0,9,9]      IoU 1 with G1                     -> TP
 *      d2 (0, .80) [0,0,9,9]      G1 again                          -> FP
 *      d3 (0, .60) [20,20,29,38]  G2: +1 pixels 10*10 / (10*19) = .526 -> TP
 *                                 (normalised: 9*9 / (9*18) = .5, not > .5 -> FP)
 *      d4 (1, .70) [0,0,19,19]    G3, difficult                     -> dropped
 *      d5 (1, .50) [40,40,59,59]  G4                                -> TP
 *      d6 (2, .95) [0,0,5,5]      no class-2 gt anywhere            -> class 2 left out
 *   B: d7 (0, .85) [100,100,110,110] no overlap                     -> FP
 *      d8 (0, .30) [0,0,9,10]     G5: 100 / 110 = .909               -> TP
 *      d9 (1, .65) [0,0,9,9]      no class-1 gt in B                -> FP
 *
 * Class 0, 3 gts, by score: .90 TP, .85 FP, .80 FP, .60 TP, .30 TP
 *   precision 1, 1/2, 1/3, 1/2, 3/5; recall 1/3, 1/3, 1/3, 2/3, 1
 *   11-point: recall >= t for t in {1.0 .. 0.4} (7 points) best precision .6;
 *             t in {.3, .2, .1, 0} (4 points) 1.  AP = (7 * .6 + 4) / 11 = 8.2 / 11 = .745454
 *   integral: 1 * 1/3 + .5 * 1/3 + .6 * 1/3 = .7
 * Class 1, 1 counted gt: .65 FP, .50 TP: precision 0, 1/2; recall 0, 1
 *   11-point: every t > 0 sees only the second record (.5); t = 0 sees both: .5.  AP = .5
 *   integral: .5 * 1 = .5
 * mAP: 11-point (8.2/11 + .5) / 2 = .622727; integral (.7 + .5) / 2 = .6
 */
const images: VocImage[] = [
  {
    detections: [
      [0, 0.9, 0, 0, 9, 9], [0, 0.8, 0, 0, 9, 9], [0, 0.6, 20, 20, 29, 38],
      [1, 0.7, 0, 0, 19, 19], [1, 0.5, 40, 40, 59, 59], [2, 0.95, 0, 0, 5, 5],
    ],
    gtBoxes: [[0, 0, 9, 9], [20, 20, 29, 29], [0, 0, 19, 19], [40, 40, 59, 59]],
    gtLabels: [0, 0, 1, 1],
    difficult: [0, 0, 1, 0],
  },
  {
    detections: [[0, 0.85, 100, 100, 110, 110], [0, 0.3, 0, 0, 9, 10], [1, 0.65, 0, 0, 9, 9]],
    gtBoxes: [[0, 0, 9, 9]],
    gtLabels: [0],
  },
];

describe('vocMap: hand-worked example', () => {
  test('11point', () => {
    const r = vocMap(images, { classNum: 3, overlapThresh: 0.5, mapType: '11point', evaluateDifficult: false });
    expect(r.perClass[0].ap).toBeCloseTo(8.2 / 11, 12);
    expect(r.perClass[1].ap).toBeCloseTo(0.5, 12);
    expect(r.perClass[2].ap).toBeNull();
    expect(r.perClass.map((c) => c.gtCount)).toEqual([3, 1, 0]);
    expect(r.perClass[0]).toMatchObject({ truePositives: 3, falsePositives: 2 });
    expect(r.perClass[1]).toMatchObject({ truePositives: 1, falsePositives: 1 });
    expect(r.map).toBeCloseTo((8.2 / 11 + 0.5) / 2, 12);
    expect(r.map).toBeCloseTo(0.622727, 6);
  });

  test('integral', () => {
    const r = vocMap(images, { classNum: 3, overlapThresh: 0.5, mapType: 'integral', evaluateDifficult: false });
    expect(r.perClass[0].ap).toBeCloseTo(0.7, 12);
    expect(r.perClass[1].ap).toBeCloseTo(0.5, 12);
    expect(r.map).toBeCloseTo(0.6, 12);
  });

  test('evaluateDifficult counts G3 and makes d4 a true positive', () => {
    // Class 1, 2 gts: .70 TP, .65 FP, .50 TP: precision 1, 1/2, 2/3; recall 1/2, 1/2, 1.
    // 11-point: t in {1 .. .6} (5 points) 2/3, t in {.5 .. 0} (6 points) 1: (10/3 + 6) / 11 = 28/33.
    // integral: 1 * .5 + 2/3 * .5 = 5/6. Class 0 is unchanged.
    const p = vocMap(images, { classNum: 3, overlapThresh: 0.5, mapType: '11point', evaluateDifficult: true });
    expect(p.perClass[1].ap).toBeCloseTo(28 / 33, 12);
    expect(p.perClass[1].gtCount).toBe(2);
    expect(p.map).toBeCloseTo((8.2 / 11 + 28 / 33) / 2, 12);
    const i = vocMap(images, { classNum: 3, overlapThresh: 0.5, mapType: 'integral', evaluateDifficult: true });
    expect(i.perClass[1].ap).toBeCloseTo(5 / 6, 12);
    expect(i.map).toBeCloseTo((0.7 + 5 / 6) / 2, 12);
  });

  test('normalised boxes drop the +1 pixel: d3 becomes a false positive', () => {
    // Class 0 by score: TP, FP, FP, FP (d3), TP (d8: 81/90): precision 1, 1/2, 1/3, 1/4, 2/5;
    // recall 1/3, 1/3, 1/3, 1/3, 2/3. 11-point: t in {1, .9, .8, .7} 0 (recall never reaches);
    // t in {.6, .5, .4} .4; t in {.3 .. 0} 1: (3 * .4 + 4) / 11 = 5.2 / 11.
    // integral: 1 * 1/3 + .4 * 1/3 = 1.4 / 3.
    const p = vocMap(images, { classNum: 3, mapType: '11point', isBboxNormalized: true });
    expect(p.perClass[0].ap).toBeCloseTo(5.2 / 11, 12);
    expect(p.perClass[0].truePositives).toBe(2);
    const i = vocMap(images, { classNum: 3, mapType: 'integral', isBboxNormalized: true });
    expect(i.perClass[0].ap).toBeCloseTo(1.4 / 3, 12);
  });

  test('defaults are 11point, threshold 0.5, difficult not evaluated', () => {
    expect(vocMap(images, { classNum: 3 }).map).toBeCloseTo((8.2 / 11 + 0.5) / 2, 12);
  });

  test('a class with gts but no detection counts as AP 0', () => {
    const more = [...images, { detections: [], gtBoxes: [[5, 5, 20, 20]], gtLabels: [3] }];
    const r = vocMap(more, { classNum: 4 });
    expect(r.perClass[3]).toEqual({ ap: 0, gtCount: 1, truePositives: 0, falsePositives: 0 });
    expect(r.map).toBeCloseTo((8.2 / 11 + 0.5 + 0) / 3, 12);
  });

  test('detections are matched in the order given, not by score', () => {
    // Swap d1 and d2: now d2 (.80) takes G1 and d1 (.90) is the duplicate. Class 0 by score:
    // FP, FP, TP, TP, TP: precision 0, 0, 1/3, 1/2, 3/5; recall 0, 0, 1/3, 2/3, 1.
    // 11-point: every t sees .6 as its best (recall 1 reaches all): AP .6.
    const swapped = images.map((im) => ({ ...im, detections: [...im.detections] }));
    [swapped[0].detections[0], swapped[0].detections[1]] = [swapped[0].detections[1], swapped[0].detections[0]];
    expect(vocMap(swapped, { classNum: 3 }).perClass[0].ap).toBeCloseTo(0.6, 12);
  });

  test('overlap must exceed the threshold strictly', () => {
    // Pred [0,0,9,19] on gt [0,0,9,9]: 100 / 200 = .5 exactly.
    const im: VocImage[] = [{ detections: [[0, 1, 0, 0, 9, 19]], gtBoxes: [[0, 0, 9, 9]], gtLabels: [0] }];
    expect(vocMap(im, { classNum: 1, overlapThresh: 0.5 }).map).toBe(0);
    expect(vocMap(im, { classNum: 1, overlapThresh: 0.49 }).map).toBeCloseTo(1, 12);
  });

  test('streaming accumulation equals the batch call', () => {
    const acc = new VocMapAccumulator({ classNum: 3, mapType: 'integral' });
    for (const im of images) acc.update(im);
    expect(acc.result()).toEqual(vocMap(images, { classNum: 3, mapType: 'integral' }));
  });

  test('bad input names the thing', () => {
    expect(() => vocMap(images, { classNum: 3, mapType: 'area' as never })).toThrow("vocMap: expected one of '11point', 'integral' for mapType, got \"area\"");
    expect(() => vocMap(images, { classNum: 2 })).toThrow(/image 0 detections\[5\] label/);
    expect(() => vocMap([{ detections: [[0, 1, 2]], gtBoxes: [], gtLabels: [] }], { classNum: 2 })).toThrow(/detections\[0\]/);
    expect(() => vocMap([{ detections: [], gtBoxes: [[0, 0, 1, 1]], gtLabels: [] }], { classNum: 2 })).toThrow(/gtLabels/);
    expect(() => vocMap(images, { classNum: 0 })).toThrow(/classNum/);
  });
});
