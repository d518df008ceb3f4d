/**
 * YOLO box decoding and multi-class NMS against hand-computed cases (Paddle's yolo_box and
 * multiclass_nms rules: inclusive pixel IoU, strict score threshold, per-class then keep_top_k,
 * output by class then score).
 */
import { backendByName } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { buildModel } from '../../src/nn';
import { iou, multiclassNms } from '../../src/nn/nms';
import { decodeYoloLevel } from '../../src/nn/yolo_box';
import type { NmsConfig } from '../../src/nn/yolo_head';

const NMS: NmsConfig = { scoreThreshold: 0.01, nmsThreshold: 0.45, nmsTopK: 1000, keepTopK: 100, backgroundLabel: -1, normalized: false, nmsEta: 1 };

describe('yolo box decoding', () => {
  test('one cell, one anchor: centre, size, score by hand', () => {
    // channels: tx, ty, tw, th, obj, cls
    const raw = [0, 0, 0, Math.log(2), 0, 0];
    const d = decodeYoloLevel(raw, 0, 1, 1, [[16, 8]], 1, 32, 64, 128, { confThresh: 0.01 });
    // cx = 0.5 * 128 = 64, cy = 0.5 * 64 = 32, w = 16 * 128 / 32 = 64, h = 2 * 8 * 64 / 32 = 32
    expect(Array.from(d.boxes)).toEqual([32, 16, 96, 48]);
    expect(d.scores[0]).toBeCloseTo(0.25, 12);
  });

  test('cell offsets, clipping to the image and the confidence threshold', () => {
    const H = 2, W = 2, C = 2;
    const raw = new Float64Array(1 * (5 + C) * H * W);
    const at = (e: number, k: number, l: number) => e * H * W + k * W + l;
    raw.fill(-20); // every prediction below the confidence threshold ...
    raw[at(4, 1, 1)] = 20; // ... but cell (1, 1), with conf ~1
    raw[at(0, 1, 1)] = 0;
    raw[at(1, 1, 1)] = 0;
    raw[at(2, 1, 1)] = Math.log(4); // w = 4 * 10 * 100 / 64 = 62.5
    raw[at(3, 1, 1)] = 0; // h = 10 * 50 / 64
    raw[at(5, 1, 1)] = 0; // class 0: 0.5
    raw[at(6, 1, 1)] = 20; // class 1: ~1
    const d = decodeYoloLevel(raw, 0, H, W, [[10, 10]], C, 32, 50, 100, { confThresh: 0.5 });
    // cx = 1.5 * 100 / 2 = 75, cy = 1.5 * 50 / 2 = 37.5
    const i = 3;
    const h = (10 * 50) / 64;
    expect(d.boxes[i * 4]).toBeCloseTo(75 - 31.25, 10);
    expect(d.boxes[i * 4 + 1]).toBeCloseTo(37.5 - h / 2, 10);
    expect(d.boxes[i * 4 + 2]).toBeCloseTo(99, 10); // 106.25 clipped to imgW - 1
    expect(d.boxes[i * 4 + 3]).toBeCloseTo(37.5 + h / 2, 10);
    expect(d.scores[i * C]).toBeCloseTo(0.5, 6);
    expect(d.scores[i * C + 1]).toBeCloseTo(1, 6);
    // the other cells stay zero boxes with zero scores
    expect(Array.from(d.boxes.slice(0, 12)).every((v) => v === 0)).toBe(true);
    expect(Array.from(d.scores.slice(0, 6)).every((v) => v === 0)).toBe(true);
  });

  test('scale_x_y stretches the offsets around the cell centre', () => {
    const raw = [10, -10, 0, 0, 10, 10];
    const d = decodeYoloLevel(raw, 0, 1, 1, [[32, 32]], 1, 32, 32, 32, { confThresh: 0.01, scaleXY: 1.2, clipBbox: false });
    // sigmoid(10) ~ 1: cx = (1 * 1.2 - 0.1) * 32 = 35.2; sigmoid(-10) ~ 0: cy = -0.1 * 32 = -3.2
    expect((d.boxes[0] + d.boxes[2]) / 2).toBeCloseTo(35.2, 2);
    expect((d.boxes[1] + d.boxes[3]) / 2).toBeCloseTo(-3.2, 2);
  });
});

describe('multi-class NMS', () => {
  const boxes = [0, 0, 9, 9, /* B */ 1, 1, 10, 10, /* C */ 20, 20, 29, 29];
  // scores box-major [M * C]: class 0 A .9 B .8 C .7; class 1 only B .95
  const scores = [0.9, 0, 0.8, 0.95, 0.7, 0];

  test('inclusive-pixel IoU', () => {
    expect(iou(boxes, 0, 1)).toBeCloseTo(81 / 119, 12);
    expect(iou(boxes, 0, 2)).toBe(0);
    expect(iou([0, 0, 1, 1, 0, 0, 1, 1], 0, 1, true)).toBe(1);
  });

  test('suppression per class, output by class then score', () => {
    const d = multiclassNms(boxes, scores, 3, 2, NMS);
    expect(d.map((x) => [x.classId, x.score])).toEqual([[0, 0.9], [0, 0.7], [1, 0.95]]);
    expect(d[2].box).toEqual([1, 1, 10, 10]);
  });

  test('a looser IoU threshold keeps the overlapping box', () => {
    const d = multiclassNms(boxes, scores, 3, 2, { ...NMS, nmsThreshold: 0.7 });
    expect(d.filter((x) => x.classId === 0).map((x) => x.score)).toEqual([0.9, 0.8, 0.7]);
  });

  test('keep_top_k keeps the best over all classes', () => {
    const d = multiclassNms(boxes, scores, 3, 2, { ...NMS, keepTopK: 2 });
    expect(d.map((x) => [x.classId, x.score])).toEqual([[0, 0.9], [1, 0.95]]);
  });

  test('strict score threshold, nms_top_k and background label', () => {
    expect(multiclassNms(boxes, scores, 3, 2, { ...NMS, scoreThreshold: 0.7 }).map((x) => x.score)).toEqual([0.9, 0.95]);
    expect(multiclassNms(boxes, scores, 3, 2, { ...NMS, nmsTopK: 1, nmsThreshold: 0.99 }).map((x) => x.score)).toEqual([0.9, 0.95]);
    expect(multiclassNms(boxes, scores, 3, 2, { ...NMS, backgroundLabel: 0 }).map((x) => x.classId)).toEqual([1]);
  });
});

describe('model post-processing', () => {
  test('decodes every level with its anchors and stride, then NMS, per image', () => {
    const m = buildModel({ architecture: 'YOLOv3', YOLOv3: { backbone: 'MobileNet' }, MobileNet: { conv_group_scale: 0.125 }, YOLOv3Head: { num_classes: 1 } },
      { inputShape: [1, 3, 64, 64] });
    const be = backendByName('reference');
    // levels: 2x2 (stride 32, anchors 116x90 ...), 4x4, 8x8; 3 anchors x 6 channels each
    const raws = m.outputs.map((o) => {
      const s = m.graph.shapeOf(o);
      const t = new Float64Array(s.reduce((a, b) => a * b, 1)).fill(-30);
      return { s, t };
    });
    // one confident prediction: level 0, anchor 2 (373x326), cell (0, 1), centred, class score 1
    const { s, t } = raws[0];
    const HW = s[2] * s[3];
    const base = 2 * 6 * HW + 0 * s[3] + 1;
    t[base] = 0; t[base + HW] = 0; t[base + 2 * HW] = 0; t[base + 3 * HW] = 0; t[base + 4 * HW] = 30; t[base + 5 * HW] = 30;
    const tensors = raws.map((r) => Tensor.from(r.t, r.s, be));
    const [dets] = m.postprocess(tensors, [[640, 320]]);
    expect(dets).toHaveLength(1);
    // cx = 1.5 * 320 / 2 = 240, cy = 0.5 * 640 / 2 = 160, w = 373 * 320 / 64, h = 326 * 640 / 64, clipped
    expect(dets[0].classId).toBe(0);
    expect(dets[0].score).toBeCloseTo(1, 6);
    expect(dets[0].box[0]).toBeCloseTo(Math.max(0, 240 - (373 * 5) / 2), 6);
    expect(dets[0].box[2]).toBeCloseTo(319, 6);
    expect(dets[0].box[3]).toBeCloseTo(639, 6);
  });
});
