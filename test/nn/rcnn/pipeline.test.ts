/**
 * The algorithms chained as the R-CNN training step chains them, on one synthetic image: an RPN
 * that predicts its own targets must propose the gt boxes, and the assigners must find them.
 */
import {
  anchorGenerator,
  decodeBoxes,
  gatherAnchorValues,
  generateMaskLabels,
  generateProposalLabels,
  generateProposals,
  rpnBoxLoss,
  rpnTargetAssign,
  scatterAnchorGrads,
} from '../../../src/nn/rcnn';
import { Rng } from '../../../src/data/rng';

test('anchors -> RPN targets -> proposals -> rois -> mask targets', () => {
  const imInfo = [128, 160, 1.25]; // original 102.4 x 128
  const H = 8, W = 10;
  const an = anchorGenerator(H, W, { anchorSizes: [32, 64, 128], aspectRatios: [0.5, 1, 2], stride: [16, 16], variance: [1, 1, 1, 1] });
  const A = an.perPosition;
  const gts = [8, 8, 47, 39, 60, 30, 119, 89]; // original pixels
  const classes = [1, 2];
  const polys = [[[8, 8, 47, 8, 47, 39, 8, 39]], [[60, 30, 119, 30, 119, 89, 60, 89]]];

  const t = rpnTargetAssign(an.anchors, an.count, gts, 2, null, imInfo, { batchSizePerIm: 256, fgFraction: 0.5, positiveOverlap: 0.7, negativeOverlap: 0.3, straddleThresh: 0, useRandom: true }, new Rng(7));
  expect(t.fgCount).toBeGreaterThanOrEqual(2); // each gt has at least its best anchor
  expect(t.fgCount + t.bgCount).toBeLessThanOrEqual(256);
  expect(new Set(Array.from(t.matchedGt))).toEqual(new Set([0, 1]));
  // targets decode onto the scaled gts
  const fgAnchors = new Float32Array(t.fgCount * 4);
  t.locationIndex.forEach((a, k) => fgAnchors.set(an.anchors.subarray(a * 4, a * 4 + 4), k * 4));
  const back = decodeBoxes(fgAnchors, t.bboxTargets, t.fgCount, [1, 1, 1, 1], {}, new Float64Array(t.fgCount * 4));
  let worst = 0;
  for (let k = 0; k < t.fgCount; k++) for (let c = 0; c < 4; c++) worst = Math.max(worst, Math.abs(back[k * 4 + c] - gts[t.matchedGt[k] * 4 + c] * 1.25));
  expect(worst).toBeLessThan(1e-3);

  // an RPN output that predicts exactly its targets: fg anchors score in [0.5, 1), the rest below
  const r = new Rng(8);
  const scores = Float32Array.from({ length: A * H * W }, () => r.uniform(0, 0.5));
  const deltas = new Float32Array(4 * A * H * W);
  scatterAnchorGrads(new Float32Array(t.fgCount).fill(0.5), A, H, W, 1, t.locationIndex, scores);
  scatterAnchorGrads(t.bboxTargets, A, H, W, 4, t.locationIndex, deltas);
  const predicted = gatherAnchorValues(deltas, A, H, W, 4, t.locationIndex, new Float64Array(t.fgCount * 4));
  expect(rpnBoxLoss(predicted, t.bboxTargets, t.insideWeights, t.fgCount, t.fgCount + t.bgCount).loss).toBeCloseTo(0, 9);

  const p = generateProposals(scores, deltas, imInfo, an.anchors, an.variances, 1, A, H, W, { preNmsTopN: 12000, postNmsTopN: 2000, nmsThresh: 0.7, minSize: 0 });
  // NMS collapses each gt's many exact copies into one proposal: the two best are the gts
  const top = [0, 1].map((i) => Array.from(p.rois.subarray(i * 4, i * 4 + 4)).map((v) => +(v / 1.25).toFixed(2)));
  expect(top.sort((a, b) => a[0] - b[0])).toEqual([gts.slice(0, 4), gts.slice(4, 8)]);

  const s = generateProposalLabels(p.rois, p.counts[0], gts, classes, null, 2, imInfo, { batchSizePerIm: 64, fgFraction: 0.25, fgThresh: 0.5, bgThreshHi: 0.5, bgThreshLo: 0, bboxRegWeights: [0.1, 0.1, 0.2, 0.2], classNums: 3, useRandom: false }, null);
  expect(s.fgCount).toBeGreaterThanOrEqual(4); // both gts and both proposals on them
  expect(s.count).toBeLessThanOrEqual(64);
  for (let k = 0; k < s.fgCount; k++) expect(s.labels[k]).toBe(classes[s.matchedGt[k]]);

  const m = generateMaskLabels(s.rois, s.labels, s.count, polys, classes, null, imInfo, 3, 14);
  expect(m.count).toBe(s.fgCount);
  // the first fg roi is gt 0 itself: its rectangle fills the whole grid
  expect(Array.from(m.masks.subarray(0, 196)).every((v) => v === 1)).toBe(true);
  expect(Array.from(m.maskInt32.subarray(196, 392)).every((v) => v === 1)).toBe(true); // class 1 block
});
