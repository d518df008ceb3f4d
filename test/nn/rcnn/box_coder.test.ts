/** Center-size coding with +1 widths, weights dividing, decode clamp and clipping. */
import { BBOX_CLIP, bboxOverlaps, clipBoxes, decodeBoxes, encodeBoxes } from '../../../src/nn/rcnn';
import { Rng } from '../../../src/data/rng';

test('encode: worked example, plain and with bbox_reg_weights', () => {
  // prior 10 x 10 centred at (5, 5); gt 20 x 10 centred at (15, 10)
  const d = encodeBoxes([0, 0, 9, 9], [5, 5, 24, 14], 1, null, new Float64Array(4));
  expect(d[0]).toBeCloseTo(1, 12);
  expect(d[1]).toBeCloseTo(0.5, 12);
  expect(d[2]).toBeCloseTo(Math.log(2), 12);
  expect(d[3]).toBeCloseTo(0, 12);
  const w = encodeBoxes([0, 0, 9, 9], [5, 5, 24, 14], 1, [0.1, 0.1, 0.2, 0.2], new Float64Array(4));
  expect(Array.from(w).map((v) => +v.toFixed(9))).toEqual([10, 5, +(Math.log(2) / 0.2).toFixed(9), 0]);
});

test('decode inverts encode (variance = the encoding weights), per class too', () => {
  const r = new Rng(11);
  const n = 20;
  const priors = new Float64Array(n * 4);
  const gts = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) {
    const x = r.uniform(0, 100), y = r.uniform(0, 100);
    priors.set([x, y, x + r.uniform(5, 60), y + r.uniform(5, 60)], i * 4);
    const gx = x + r.uniform(-10, 10), gy = y + r.uniform(-10, 10);
    gts.set([gx, gy, gx + r.uniform(5, 60), gy + r.uniform(5, 60)], i * 4);
  }
  const wts = [0.1, 0.1, 0.2, 0.2] as const;
  const d = encodeBoxes(priors, gts, n, wts, new Float64Array(n * 4));
  const back = decodeBoxes(priors, d, n, wts, {}, new Float64Array(n * 4));
  for (let i = 0; i < n * 4; i++) expect(back[i]).toBeCloseTo(gts[i], 9);
  // per-prior variance rows give the same thing
  const rows = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) rows.set(wts, i * 4);
  const back2 = decodeBoxes(priors, d, n, rows, {}, new Float64Array(n * 4));
  expect(Array.from(back2)).toEqual(Array.from(back));
  // 2 classes per prior: class 1 carries the deltas, class 0 zeros -> the prior itself
  const d2 = new Float64Array(n * 8);
  for (let i = 0; i < n; i++) d2.set(d.subarray(i * 4, i * 4 + 4), i * 8 + 4);
  const b2 = decodeBoxes(priors, d2, n, wts, { classes: 2 }, new Float64Array(n * 8));
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 4; c++) {
      expect(b2[i * 8 + c]).toBeCloseTo(priors[i * 4 + c], 9);
      expect(b2[i * 8 + 4 + c]).toBeCloseTo(gts[i * 4 + c], 9);
    }
  }
});

test('decode clamps dw, dh at log(1000 / 16) and clip keeps boxes on the image', () => {
  const b = decodeBoxes([0, 0, 9, 9], [0, 0, 100, -1], 1, [1, 1, 1, 1], {}, new Float64Array(4));
  // width exp(log(62.5)) * 10 = 625 around centre 5; height exp(-1) * 10
  expect(BBOX_CLIP).toBeCloseTo(Math.log(62.5), 12);
  expect(b[0]).toBeCloseTo(5 - 312.5, 9);
  expect(b[2]).toBeCloseTo(5 + 312.5 - 1, 9);
  expect(b[3] - b[1] + 1).toBeCloseTo(10 * Math.exp(-1), 9);
  const c = clipBoxes(Float64Array.from([-5, 3, 120, 50, 10, -2, 20, 30]), 2, 40, 100);
  expect(Array.from(c)).toEqual([0, 3, 99, 39, 10, 0, 20, 30]);
  expect(() => decodeBoxes([0, 0, 9, 9, 0, 0, 9, 9], [0, 0, 0, 0, 0, 0, 0, 0], 2, [1, 1, 1])).toThrow(/decodeBoxes: expected 4 or 8 numbers \(one row per prior\) for variances, got 3/);
});

test('IoU counts pixels inclusively', () => {
  const o = bboxOverlaps([0, 0, 9, 9], 1, [5, 5, 14, 14, 10, 0, 19, 9, 0, 0, 9, 9], 3);
  expect(o[0]).toBeCloseTo(25 / 175, 7);
  expect(o[1]).toBe(0); // touching edges share no pixel
  expect(o[2]).toBe(1);
});
