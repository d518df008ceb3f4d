/** generateProposals: top-n, decode from NCHW, clip, min size in original pixels, NMS, caps. */
import { anchorGenerator, generateProposals, type ProposalConfig } from '../../../src/nn/rcnn';
import { iou } from '../../../src/nn/nms';
import { Rng } from '../../../src/data/rng';

const train: ProposalConfig = { preNmsTopN: 12000, postNmsTopN: 2000, nmsThresh: 0.7, minSize: 0 };
const test_: ProposalConfig = { preNmsTopN: 6000, postNmsTopN: 1000, nmsThresh: 0.7, minSize: 0 };
// one anchor per position on a 1 x 3 map; a0 and a1 overlap by IoU 224 / 288 = 0.778
const anchors = [0, 0, 15, 15, 2, 0, 17, 15, 16, 0, 31, 15];
const zeros = new Float32Array(12);

test('score order, NMS at 0.7 with +1 widths, pre/post caps', () => {
  const p = generateProposals([0.5, 0.9, 0.7], zeros, [16, 32, 1], anchors, [1, 1, 1, 1], 1, 1, 1, 3, train);
  expect(Array.from(p.rois)).toEqual([2, 0, 17, 15, 16, 0, 31, 15]);
  expect(Array.from(p.scores)).toEqual([0.9, 0.7].map(Math.fround));
  expect(Array.from(p.counts)).toEqual([2]);
  expect(Array.from(p.imageIndex)).toEqual([0, 0]);
  const post1 = generateProposals([0.5, 0.9, 0.7], zeros, [16, 32, 1], anchors, [1, 1, 1, 1], 1, 1, 1, 3, { ...train, postNmsTopN: 1 });
  expect(Array.from(post1.rois)).toEqual([2, 0, 17, 15]);
  // pre_nms_top_n 2 looks at a1 and a2 only; NMS off (thresh 0) keeps a suppressed box
  const noNms = generateProposals([0.5, 0.9, 0.7], zeros, [16, 32, 1], anchors, [1, 1, 1, 1], 1, 1, 1, 3, { ...train, nmsThresh: 0 });
  expect(noNms.counts[0]).toBe(3);
  const pre2 = generateProposals([0.95, 0.9, 0.7], zeros, [16, 32, 1], anchors, [1, 1, 1, 1], 1, 1, 1, 3, { ...train, preNmsTopN: 2, nmsThresh: 0 });
  expect(Array.from(pre2.rois)).toEqual([0, 0, 15, 15, 2, 0, 17, 15]);
});

test('deltas are read from [4A, H, W] and decoded, then clipped to the resized image', () => {
  const d = new Float32Array(12);
  d[0 * 3 + 2] = 0.5; // dx of the anchor at w = 2: centre moves by 0.5 * 16
  d[2 * 3 + 0] = Math.log(2); // dw of the anchor at w = 0: twice as wide around centre 8
  const p = generateProposals([0.1, 0.2, 0.3], d, [16, 32, 1], anchors, [1, 1, 1, 1], 1, 1, 1, 3, { ...train, nmsThresh: 0 });
  const rows = [0, 1, 2].map((i) => Array.from(p.rois.subarray(i * 4, i * 4 + 4)));
  expect(rows[0]).toEqual([24, 0, 31, 15]); // [24, 0, 39, 15] clipped to x <= 31
  expect(rows[1]).toEqual([2, 0, 17, 15]);
  expect(rows[2]).toEqual([0, 0, 23, 15]); // [-8, 0, 23, 15] clipped to x >= 0
});

test('min_size is measured in original pixels; an empty image yields one zero box', () => {
  // scale 2: a 16-pixel-wide resized box is (15 / 2 + 1) = 8.5 original pixels
  const keep = generateProposals([0.5, 0.9, 0.7], zeros, [16, 32, 2], anchors, [1, 1, 1, 1], 1, 1, 1, 3, { ...train, minSize: 8.5 });
  expect(keep.counts[0]).toBe(2);
  const none = generateProposals([0.5, 0.9, 0.7], zeros, [16, 32, 2], anchors, [1, 1, 1, 1], 1, 1, 1, 3, { ...train, minSize: 9 });
  expect(Array.from(none.rois)).toEqual([0, 0, 0, 0]);
  expect(Array.from(none.scores)).toEqual([0]);
  expect(Array.from(none.counts)).toEqual([1]);
});

test('a batch of two, train and test settings: sorted, separated by NMS, inside the image, capped', () => {
  const H = 6, W = 8, N = 2;
  const an = anchorGenerator(H, W, { anchorSizes: [32, 64, 128, 256, 512], aspectRatios: [0.5, 1, 2], stride: [16, 16], variance: [1, 1, 1, 1] });
  const A = an.perPosition;
  const r = new Rng(4);
  const scores = Float32Array.from({ length: N * A * H * W }, () => r.random());
  const deltas = Float32Array.from({ length: N * 4 * A * H * W }, () => r.normal() * 0.2);
  const info = [96, 128, 1, 90, 120, 1.5];
  for (const cfg of [train, test_, { ...test_, postNmsTopN: 20 }]) {
    const p = generateProposals(scores, deltas, info, an.anchors, an.variances, N, A, H, W, cfg);
    expect(p.counts[0] + p.counts[1]).toBe(p.scores.length);
    let start = 0;
    for (let n = 0; n < N; n++) {
      const c = p.counts[n];
      expect(c).toBeGreaterThan(0);
      expect(c).toBeLessThanOrEqual(cfg.postNmsTopN);
      // plain loops, one expect each: collect the worst case of every property
      let wrongImage = 0, unsorted = 0, outside = 0, maxIou = 0;
      for (let i = start; i < start + c; i++) {
        if (p.imageIndex[i] !== n) wrongImage++;
        if (i > start && p.scores[i] > p.scores[i - 1]) unsorted++;
        if (p.rois[i * 4] < 0 || p.rois[i * 4 + 1] < 0 || p.rois[i * 4 + 2] > info[n * 3 + 1] - 1 || p.rois[i * 4 + 3] > info[n * 3] - 1) outside++;
        for (let j = start; j < i; j++) maxIou = Math.max(maxIou, iou(p.rois, i, j));
      }
      expect([wrongImage, unsorted, outside]).toEqual([0, 0, 0]);
      expect(maxIou).toBeLessThanOrEqual(0.7);
      expect(maxIou).toBeGreaterThan(0.3); // overlapping proposals do survive below the threshold
      start += c;
    }
    if (cfg.postNmsTopN === 20) expect(Array.from(p.counts)).toEqual([20, 20]);
  }
});

test('bad shapes get one clear error', () => {
  expect(() => generateProposals([0.5, 0.9], zeros, [16, 32, 1], anchors, [1, 1, 1, 1], 1, 1, 1, 3, train)).toThrow(/generateProposals: expected 3 numbers \(\[N, A, H, W\]\) for scores, got 2/);
  expect(() => generateProposals([0.5, 0.9, 0.7], zeros, [16, 32], anchors, [1, 1, 1, 1], 1, 1, 1, 3, train)).toThrow(/im_info/);
});
