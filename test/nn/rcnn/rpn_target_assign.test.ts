/** rpnTargetAssign: straddle filter, thresholds, each gt's best anchor, crowd, scaling, sampling. */
import { decodeBoxes, rpnTargetAssign, type RpnTargetConfig } from '../../../src/nn/rcnn';
import { Rng } from '../../../src/data/rng';

const cfg: RpnTargetConfig = { batchSizePerIm: 256, fgFraction: 0.5, positiveOverlap: 0.7, negativeOverlap: 0.3, straddleThresh: 0, useRandom: true };
// a0 equals the gt, a1 covers it four times over (IoU 0.25), a2 far away, a3 straddles the left
// edge (IoU 100 / 110 with the gt), a4 in the bottom-right corner
const anchors = [0, 0, 9, 9, 0, 0, 19, 19, 50, 50, 59, 59, -1, 0, 9, 9, 80, 80, 99, 99];

test('thresholds and straddle: fg >= 0.7, bg < 0.3, straddling anchors out at thresh 0', () => {
  const t = rpnTargetAssign(anchors, 5, [0, 0, 9, 9], 1, null, [100, 100, 1], cfg, new Rng(1));
  expect(Array.from(t.scoreIndex)).toEqual([0, 1, 2, 4]);
  expect(Array.from(t.labels)).toEqual([1, 0, 0, 0]);
  expect(Array.from(t.locationIndex)).toEqual([0]);
  expect(Array.from(t.bboxTargets)).toEqual([0, 0, 0, 0]);
  expect(Array.from(t.insideWeights)).toEqual([1, 1, 1, 1]);
  expect([t.fgCount, t.bgCount]).toEqual([1, 3]);
  // straddle_thresh -1 keeps every anchor: a3 (IoU 0.909) is fg too
  const all = rpnTargetAssign(anchors, 5, [0, 0, 9, 9], 1, null, [100, 100, 1], { ...cfg, straddleThresh: -1 }, new Rng(1));
  expect(Array.from(all.scoreIndex)).toEqual([0, 3, 1, 2, 4]);
  expect(Array.from(all.labels)).toEqual([1, 1, 0, 0, 0]);
  // a3's target: prior 11 x 10 at centre (4.5, 5), gt 10 x 10 at (5, 5)
  expect(all.bboxTargets[4]).toBeCloseTo(0.5 / 11, 6);
  expect(all.bboxTargets[6]).toBeCloseTo(Math.log(10 / 11), 6);
  // anchors must fit within im_w + thresh: an image 99 wide drops a4 (x2 = 99)
  const narrow = rpnTargetAssign(anchors, 5, [0, 0, 9, 9], 1, null, [100, 99, 1], cfg, new Rng(1));
  expect(Array.from(narrow.scoreIndex)).toEqual([0, 1, 2]);
});

test("gts come in original pixels and are scaled by im_info's scale", () => {
  const t = rpnTargetAssign(anchors, 5, [0, 0, 4.5, 4.5], 1, null, [200, 200, 2], cfg, new Rng(1));
  expect(Array.from(t.scoreIndex)).toEqual([0, 1, 2, 4]);
  expect(Array.from(t.labels)).toEqual([1, 0, 0, 0]);
});

test("a gt's best anchor is fg below positive_overlap; crowd gts are ignored", () => {
  // gt 15 x 15 over a2: IoU 100 / 225 = 0.444, its best; a1..a4 otherwise
  const gts = [50, 50, 64, 64, 80, 80, 99, 99];
  const t = rpnTargetAssign(anchors, 5, gts, 2, [0, 1], [100, 100, 1], cfg, new Rng(1));
  expect(Array.from(t.scoreIndex)).toEqual([2, 0, 1, 4]); // a4 matches only the crowd gt: bg
  expect(Array.from(t.labels)).toEqual([1, 0, 0, 0]);
  expect(Array.from(t.matchedGt)).toEqual([0]);
  // the encoded target decodes back onto the gt (variance 1)
  const back = decodeBoxes([50, 50, 59, 59], t.bboxTargets, 1, [1, 1, 1, 1], {}, new Float64Array(4));
  [50, 50, 64, 64].forEach((v, i) => expect(back[i]).toBeCloseTo(v, 4));
  // the same gt without the crowd flag makes a4 fg (IoU 1)
  const t2 = rpnTargetAssign(anchors, 5, gts, 2, null, [100, 100, 1], cfg, new Rng(1));
  expect(Array.from(t2.locationIndex)).toEqual([2, 4]);
  expect(Array.from(t2.matchedGt)).toEqual([0, 1]);
});

test('no usable gt: every inside anchor is a bg candidate', () => {
  const t = rpnTargetAssign(anchors, 5, [0, 0, 9, 9], 1, [1], [100, 100, 1], cfg, new Rng(1));
  expect(t.fgCount).toBe(0);
  expect(Array.from(t.scoreIndex)).toEqual([0, 1, 2, 4]);
  expect(Array.from(rpnTargetAssign(anchors, 5, [], 0, null, [100, 100, 1], cfg, null).labels)).toEqual([0, 0, 0, 0]);
});

describe('sampling', () => {
  // 20 anchors on the gt (fg), 30 far away (bg)
  const many: number[] = [];
  for (let i = 0; i < 20; i++) many.push(0, 0, 9 + (i % 2) * 0.1, 9);
  for (let i = 0; i < 30; i++) many.push(60 + i, 60, 69 + i, 69);
  const small = { ...cfg, batchSizePerIm: 8, fgFraction: 0.25 };

  test('floor(batch * fg_fraction) fg, the rest bg; use_random false keeps the first', () => {
    const t = rpnTargetAssign(many, 50, [0, 0, 9, 9], 1, null, [200, 200, 1], { ...small, useRandom: false }, null);
    expect(Array.from(t.scoreIndex)).toEqual([0, 1, 20, 21, 22, 23, 24, 25]);
    expect(Array.from(t.labels)).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    // rpn_fg_fraction 0: no sampling, every candidate kept
    const all = rpnTargetAssign(many, 50, [0, 0, 9, 9], 1, null, [200, 200, 1], { ...small, fgFraction: 0 }, null);
    expect([all.fgCount, all.bgCount]).toEqual([20, 30]);
  });

  test('seeded: the same seed gives the same sample, another seed another one', () => {
    const run = (seed: number) => Array.from(rpnTargetAssign(many, 50, [0, 0, 9, 9], 1, null, [200, 200, 1], small, new Rng(seed)).scoreIndex);
    const a = run(5);
    expect(run(5)).toEqual(a);
    expect(a.slice(0, 2).every((i) => i < 20)).toBe(true);
    expect(a.slice(2).every((i) => i >= 20)).toBe(true);
    expect(new Set(a).size).toBe(8);
    const others = [6, 7, 8].map(run);
    expect(others.some((o) => o.join() !== a.join())).toBe(true);
    expect(() => rpnTargetAssign(many, 50, [0, 0, 9, 9], 1, null, [200, 200, 1], small, null)).toThrow(/expected a seeded Rng/);
  });
});

test('bad input gets one clear error', () => {
  expect(() => rpnTargetAssign(anchors, 5, [0, 0, 9, 9], 1, null, [100, 100, 0], cfg, null)).toThrow(/rpnTargetAssign: expected \[im_h, im_w, scale\] with scale > 0 for im_info, got \[100,100,0\]/);
  expect(() => rpnTargetAssign(anchors, 6, [0, 0, 9, 9], 1, null, [100, 100, 1], cfg, null)).toThrow(/expected 24 numbers for anchors, got 20/);
  expect(() => rpnTargetAssign(anchors, 5, [0, 0, 9, 9], 1, null, [100, 100, 1], { ...cfg, batchSizePerIm: 0 }, null)).toThrow(/rpn_batch_size_per_im/);
});
