/**
 * COCO segm evaluation on hand-worked cases: the bbox rules (thresholds, recall points,
 * envelope, crowd, area ranges, maxDets) with masks. Gts carry polygons or RLEs, rasterised at
 * their image's size; detections carry COCO RLE strings.
 */
import { cocoEval, CocoEvalError, type CocoGt, type CocoDetection } from '../../src/eval/coco_eval';
import { encodeMask, toCocoRle } from '../../src/data/mask';

const H = 10, W = 10;
/** COCO RLE of the pixels x0..x1, y0..y1 (inclusive) of a 10 x 10 image. */
function rect(x0: number, y0: number, x1: number, y1: number) {
  const m = new Uint8Array(H * W);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * W + x] = 1;
  return toCocoRle(encodeMask(m, H, W));
}
const det = (image_id: number, segmentation: ReturnType<typeof rect>, score: number): CocoDetection => ({ image_id, category_id: 1, segmentation, score });

function gt(withCrowd: boolean): CocoGt {
  return {
    images: [{ id: 1, height: H, width: W }, { id: 2, height: H, width: W }],
    categories: [{ id: 1, name: 'digit' }],
    annotations: [
      // image 1: a 4 x 4 square as a polygon on pixel corners (pixels 0..3)
      { id: 1, image_id: 1, category_id: 1, area: 16, iscrowd: 0, segmentation: [[0, 0, 4, 0, 4, 4, 0, 4]] },
      // image 1: a crowd region, columns 6..9, as an uncompressed RLE (60 zeros, then 40 ones)
      ...(withCrowd ? [{ id: 2, image_id: 1, category_id: 1, area: 40, iscrowd: 1, segmentation: { size: [H, W], counts: [60, 40] } }] : []),
      // image 2: pixels x 0..4, y 0..3 (20 px) as a compressed RLE
      { id: 3, image_id: 2, category_id: 1, area: 20, iscrowd: 0, segmentation: rect(0, 0, 4, 3) },
    ],
  };
}

// image 1: a perfect mask (0.9) and one inside the crowd region (0.8); image 2: the gt shifted
// one pixel right (0.7): 16 shared of 24 -> IoU 2/3, a hit at .50 .55 .60 .65, a miss above
const dets = [det(1, rect(0, 0, 3, 3), 0.9), det(1, rect(7, 2, 8, 5), 0.8), det(2, rect(1, 0, 5, 3), 0.7)];

function expectStats(got: number[], want: number[]): void {
  want.forEach((w, i) => expect([i, got[i]]).toEqual([i, expect.closeTo(w, 12)]));
}

describe('cocoEval segm', () => {
  test('perfect, crowd-matched and off masks over two images', () => {
    // 2 counted gts. Hit thresholds (4): TP, TP -> precision 1 everywhere -> 1. Miss thresholds
    // (6): TP (recall .5, prec 1) then FP -> prec 1 at recall points 0..0.5 (51 of 101), 0 after.
    // The crowd-matched mask is ignored at every threshold (intersection 8 / its area 8 = 1).
    const miss = 51 / 101;
    const ap = (4 + 6 * miss) / 10;
    const r = cocoEval(gt(true), dets, { iouType: 'segm' });
    // all gts small (areas 16, 20): APs = AP; no medium/large gt -> -1
    // recall: 1 at hit thresholds, .5 at misses -> (4 + 3) / 10; AR1 is the same (one det per image counts)
    const ar = (4 + 6 * 0.5) / 10;
    expectStats(r.stats, [ap, 1, miss, ap, -1, -1, ar, ar, ar, ar, -1, -1]);
  });

  test('without the crowd region the mask inside it is a false positive', () => {
    // hits: TP (r .5, p 1), FP (r .5, p .5), TP (r 1, p 2/3) -> envelope 1 up to .5, 2/3 after
    const hit = (51 + 50 * (2 / 3)) / 101;
    // misses: TP, FP, FP -> 1 up to .5, then 0
    const miss = 51 / 101;
    const r = cocoEval(gt(false), dets, { iouType: 'segm' });
    expectStats(r.stats.slice(0, 3), [(4 * hit + 6 * miss) / 10, hit, miss]);
  });

  test('the same case as boxes differs: box IoU is not mask IoU', () => {
    // an L-shaped gt whose box the detection matches but whose pixels it mostly misses
    const L = { id: 1, image_id: 1, category_id: 1, area: 19, iscrowd: 0, bbox: [0, 0, 10, 10], segmentation: rect(0, 0, 0, 9) };
    L.segmentation = toCocoRle(encodeMask(Uint8Array.from({ length: 100 }, (_, i) => (i % 10 === 0 || i >= 90 ? 1 : 0)), H, W));
    const g: CocoGt = { images: [{ id: 1, height: H, width: W }], categories: [{ id: 1 }], annotations: [L] };
    const d: CocoDetection = { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], segmentation: rect(0, 0, 9, 9), score: 1 };
    expect(cocoEval(g, [d], { iouType: 'bbox' }).stats[0]).toBeCloseTo(1, 12);
    // mask IoU 19 / 100: below every threshold -> AP 0
    expect(cocoEval(g, [d], { iouType: 'segm' }).stats[0]).toBe(0);
  });

  test('detection mask area decides its area range when unmatched', () => {
    // an unmatched 5 x 5 mask (area 25) is a FP in "all"; the gt's area field puts the gt in
    // "medium" (2000), where the FP's mask area is out of range and so ignored
    const g: CocoGt = {
      images: [{ id: 1, height: H, width: W }], categories: [{ id: 1 }],
      annotations: [{ id: 1, image_id: 1, category_id: 1, area: 2000, iscrowd: 0, segmentation: rect(0, 0, 1, 1) }],
    };
    const r = cocoEval(g, [det(1, rect(0, 0, 1, 1), 0.5), det(1, rect(5, 5, 9, 9), 0.9)], { iouType: 'segm' });
    // medium: the FP (area 25) is outside [32^2, 96^2] and ignored -> AP 1
    expect(r.stats[4]).toBeCloseTo(1, 12);
    // all: FP first (score .9) then TP -> precision .5 at every recall point
    expect(r.stats[0]).toBeCloseTo(0.5, 12);
  });

  test('errors name the annotation or detection', () => {
    const g = gt(true);
    expect(() => cocoEval(g, [{ image_id: 1, category_id: 1, score: 1, bbox: [0, 0, 1, 1] }], { iouType: 'segm' })).toThrow(/segmentation \(polygons or RLE\) for detection 0/);
    expect(() => cocoEval(g, [det(1, { size: [5, 5], counts: '0' } as never, 1)], { iouType: 'segm' })).toThrow(/detection 0: expected an RLE of the image's size \[10, 10\]/);
    const noSize: CocoGt = { ...g, images: [{ id: 1 }, { id: 2 }] };
    expect(() => cocoEval(noSize, dets, { iouType: 'segm' })).toThrow(/height and width for image 1/);
    const badPoly: CocoGt = { ...g, annotations: [{ id: 9, image_id: 1, category_id: 1, area: 1, segmentation: [[0, 0, 1]] }] };
    expect(() => cocoEval(badPoly, dets, { iouType: 'segm' })).toThrow(CocoEvalError);
    expect(() => cocoEval(badPoly, dets, { iouType: 'segm' })).toThrow(/annotation 9: expected polygons/);
    expect(() => cocoEval(g, dets, { iouType: 'keypoints' as never })).toThrow(/'bbox' or 'segm'/);
  });
});
