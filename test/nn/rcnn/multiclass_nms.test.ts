/** BBoxHead inference: rois back to original pixels, per-class decode, clip, per-class NMS, keep_top_k. */
import { bboxHeadDetections, multiclassNmsPerClass, RCNN_NMS_DEFAULTS, softmaxRows } from '../../../src/nn/rcnn';
import type { Detection } from '../../../src/nn/nms';

const W = [0.1, 0.1, 0.2, 0.2] as const;
// image resized by 2; roi0 -> [0, 0, 9, 9], roi1 -> [1, 0, 10, 9] in original pixels (IoU 90 / 110)
const rois = [0, 0, 18, 18, 2, 0, 20, 18];
const probs = [0.1, 0.8, 0.1, 0.2, 0.5, 0.3];

test('per class: threshold, NMS at 0.5, background skipped; classId counts from the first foreground class', () => {
  const d = bboxHeadDetections(rois, probs, new Float32Array(2 * 3 * 4), 2, 3, [40, 40, 2], [20, 20], W);
  const expected: Detection[] = [
    { classId: 0, score: Math.fround(0.8), box: [0, 0, 9, 9] },
    { classId: 1, score: Math.fround(0.3), box: [1, 0, 10, 9] },
  ];
  expect(d).toEqual(expected);
  expect(bboxHeadDetections(rois, probs, new Float32Array(24), 2, 3, [40, 40, 2], [20, 20], W, { ...RCNN_NMS_DEFAULTS, keepTopK: 1 })).toEqual([expected[0]]);
  // a score_threshold above 0.3 drops the second foreground class entirely
  expect(bboxHeadDetections(rois, probs, new Float32Array(24), 2, 3, [40, 40, 2], [20, 20], W, { ...RCNN_NMS_DEFAULTS, scoreThreshold: 0.31 })).toEqual([expected[0]]);
  // NMS off (threshold 1): both rois survive in class 1, in score order
  const all = bboxHeadDetections(rois, probs, new Float32Array(24), 2, 3, [40, 40, 2], [20, 20], W, { ...RCNN_NMS_DEFAULTS, nmsThreshold: 1 });
  expect(all.map((x) => [x.classId, +x.score.toFixed(2)])).toEqual([[0, 0.8], [0, 0.5], [1, 0.3], [1, 0.1]]);
});

test("each class decodes its own deltas (bbox_reg_weights as variance) and boxes clip to the original image", () => {
  const deltas = new Float32Array(24);
  deltas[(1 * 3 + 2) * 4] = 1; // roi1, class 2: dx 1 * 0.1 * width 10 -> one pixel right
  const d = bboxHeadDetections(rois, probs, deltas, 2, 3, [40, 40, 2], [20, 11], W);
  expect(d[1]).toEqual({ classId: 1, score: Math.fround(0.3), box: [2, 0, 10, 9] }); // x2 11 clipped to 10
  expect(d[0].box).toEqual([0, 0, 9, 9]);
});

test('keep_top_k across classes keeps the best scores, then class order', () => {
  // 3 rois far apart, 3 classes + background
  const boxes: number[] = [];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) boxes.push(r * 50, 0, r * 50 + 9, 9);
  const scores = [0, 0.9, 0.2, 0.6, 0, 0.1, 0.7, 0.3, 0, 0.4, 0.8, 0.04];
  const d = multiclassNmsPerClass(boxes, scores, 3, 4, { ...RCNN_NMS_DEFAULTS, keepTopK: 4 });
  // top 4 scores: 0.9 (class 1), 0.8 and 0.7 (class 2), 0.6 (class 3); 0.04 is below the threshold
  expect(d.map((x) => [x.classId, +x.score.toFixed(2)])).toEqual([[0, 0.9], [1, 0.8], [1, 0.7], [2, 0.6]]);
  expect(d[1].box).toEqual([100, 0, 109, 9]);
  expect(multiclassNmsPerClass(boxes, scores, 3, 4, { ...RCNN_NMS_DEFAULTS, keepTopK: -1 }).length).toBe(8);
});

test('softmaxRows and bad shapes', () => {
  const p = softmaxRows([0, 0, Math.log(2), 1000, 0, 0], 2, 3);
  expect(Array.from(p.subarray(0, 3)).map((v) => +v.toFixed(6))).toEqual([0.25, 0.25, 0.5]);
  expect(p[3]).toBeCloseTo(1, 6);
  expect(() => bboxHeadDetections(rois, probs.slice(0, 5), new Float32Array(24), 2, 3, [40, 40, 2], [20, 20], W)).toThrow(/bboxHeadDetections: expected 6 numbers \(\[R, num_classes\]\) for class probabilities, got 5/);
});
