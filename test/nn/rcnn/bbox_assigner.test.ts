/** generateProposalLabels: gts as candidates, fg/bg ranges, crowd rows, targets and weights layout. */
import { generateProposalLabels, type BBoxAssignerConfig } from '../../../src/nn/rcnn';
import { Rng } from '../../../src/data/rng';

const cfg: BBoxAssignerConfig = { batchSizePerIm: 512, fgFraction: 0.25, fgThresh: 0.5, bgThreshHi: 0.5, bgThreshLo: 0, bboxRegWeights: [0.1, 0.1, 0.2, 0.2], classNums: 4, useRandom: true };
const gt = [10, 10, 29, 29];
// r0 = gt (IoU 1), r1 30 x 20 over it (IoU 400 / 600), r2 far (0), r3 half over (200 / 600)
const rois = [10, 10, 29, 29, 10, 10, 39, 29, 50, 50, 69, 69, 20, 10, 39, 29];
const row = (a: Float32Array | Int32Array, i: number, w: number) => Array.from(a.subarray(i * w, (i + 1) * w));

test('gts lead the candidates; fg >= fg_thresh, bg in [lo, hi); targets in the class slot', () => {
  const s = generateProposalLabels(rois, 4, gt, [3], null, 1, [100, 100, 1], cfg, new Rng(0));
  expect([s.count, s.fgCount]).toEqual([5, 3]);
  // fg: the gt itself, r0, r1; bg: r2, r3
  expect(Array.from(s.rois)).toEqual([...gt, ...rois.slice(0, 8), ...rois.slice(8, 16)]);
  expect(Array.from(s.labels)).toEqual([3, 3, 3, 0, 0]);
  expect(Array.from(s.matchedGt)).toEqual([0, 0, 0, -1, -1]);
  const W = 16;
  expect(row(s.bboxTargets, 0, W)).toEqual(new Array(16).fill(0));
  // r1: prior 30 x 20 at (25, 20), gt 20 x 20 at (20, 20): dx = -5/30/0.1, dw = log(2/3)/0.2
  const t1 = row(s.bboxTargets, 2, W);
  expect(t1.slice(0, 12)).toEqual(new Array(12).fill(0));
  expect(t1[12]).toBeCloseTo(-5 / 30 / 0.1, 5);
  expect(t1[13]).toBeCloseTo(0, 6);
  expect(t1[14]).toBeCloseTo(Math.log(2 / 3) / 0.2, 5);
  expect(t1[15]).toBeCloseTo(0, 6);
  const w1 = [...new Array(12).fill(0), 1, 1, 1, 1];
  for (let i = 0; i < 3; i++) {
    expect(row(s.bboxInsideWeights, i, W)).toEqual(w1);
    expect(row(s.bboxOutsideWeights, i, W)).toEqual(w1);
  }
  for (let i = 3; i < 5; i++) {
    expect(row(s.bboxInsideWeights, i, W)).toEqual(new Array(16).fill(0));
    expect(row(s.bboxTargets, i, W)).toEqual(new Array(16).fill(0));
  }
});

test('rois come on the resized image and go back there; class-agnostic uses slot 1 of 2', () => {
  const scaled = rois.map((v) => v * 2);
  const s = generateProposalLabels(scaled, 4, gt, [3], null, 1, [200, 200, 2], cfg, new Rng(0));
  expect(Array.from(s.labels)).toEqual([3, 3, 3, 0, 0]);
  expect(Array.from(s.rois)).toEqual([...gt.map((v) => v * 2), ...scaled]);
  const ag = generateProposalLabels(rois, 4, gt, [3], null, 1, [100, 100, 1], { ...cfg, classAgnostic: true }, new Rng(0));
  expect(ag.bboxTargets.length).toBe(5 * 8);
  expect(ag.bboxTargets[2 * 8 + 4]).toBeCloseTo(-5 / 30 / 0.1, 5);
  expect(Array.from(ag.bboxInsideWeights.subarray(16, 24))).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
});

test("a crowd gt's own row is never sampled; bg_thresh_lo excludes zero-overlap rois", () => {
  const s = generateProposalLabels(rois, 4, [...gt, 80, 80, 99, 99], [3, 1], [0, 1], 2, [100, 100, 1], cfg, new Rng(0));
  expect(Array.from(s.rois.subarray(0, 4))).toEqual(gt);
  expect(s.fgCount).toBe(3);
  expect(s.count).toBe(5); // the crowd box itself is neither fg nor bg
  const lo = generateProposalLabels(rois, 4, gt, [3], null, 1, [100, 100, 1], { ...cfg, bgThreshLo: 0.1 }, new Rng(0));
  expect(Array.from(lo.labels)).toEqual([3, 3, 3, 0]); // r2 (IoU 0) is out
  expect(Array.from(lo.rois.subarray(12, 16))).toEqual(rois.slice(12, 16));
});

test('sampling: fg capped at floor(batch * fg_fraction), bg fill the rest, seeded', () => {
  const fixed = generateProposalLabels(rois, 4, gt, [3], null, 1, [100, 100, 1], { ...cfg, batchSizePerIm: 4, fgFraction: 0.5, useRandom: false }, null);
  expect(Array.from(fixed.labels)).toEqual([3, 3, 0, 0]);
  expect(Array.from(fixed.rois)).toEqual([...gt, ...rois.slice(0, 4), ...rois.slice(8, 16)]);
  const many: number[] = [];
  for (let i = 0; i < 40; i++) many.push(10 + (i % 3) * 0.5, 10, 29, 29 + (i % 5) * 0.5);
  for (let i = 0; i < 60; i++) many.push(40 + i, 40, 59 + i, 59);
  const small = { ...cfg, batchSizePerIm: 16 };
  const run = (seed: number) => generateProposalLabels(many, 100, gt, [2], null, 1, [200, 200, 1], small, new Rng(seed));
  const a = run(1);
  expect([a.count, a.fgCount]).toEqual([16, 4]);
  expect(Array.from(run(1).rois)).toEqual(Array.from(a.rois));
  expect([2, 3, 4].some((seed) => Array.from(run(seed).rois).join() !== Array.from(a.rois).join())).toBe(true);
});

test('no gt: all rois are bg candidates; bad classes get one clear error', () => {
  const s = generateProposalLabels(rois, 4, [], [], null, 0, [100, 100, 1], cfg, new Rng(0));
  expect(Array.from(s.labels)).toEqual([0, 0, 0, 0]);
  expect(() => generateProposalLabels(rois, 4, gt, [4], null, 1, [100, 100, 1], cfg, null)).toThrow(/generateProposalLabels: expected a class in 1..3 for gt class 0, got 4/);
  expect(() => generateProposalLabels(rois, 4, gt, [0], null, 1, [100, 100, 1], cfg, null)).toThrow(/got 0/);
});
