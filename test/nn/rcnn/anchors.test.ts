/** anchorGenerator: Paddle's anchor extents, centres and (ratio, size) order, worked by hand. */
import { anchorGenerator } from '../../../src/nn/rcnn';

const row = (a: Float32Array, i: number) => Array.from(a.subarray(i * 4, i * 4 + 4));

test('stride 16, ratios x sizes: extents rounded as Paddle, ratios outer, sizes inner', () => {
  const { anchors, variances, count, perPosition } = anchorGenerator(2, 3, {
    anchorSizes: [32, 64],
    aspectRatios: [0.5, 1, 2],
    stride: [16, 16],
    variance: [1, 1, 1, 1],
  });
  expect(perPosition).toBe(6);
  expect(count).toBe(2 * 3 * 6);
  expect(anchors.length).toBe(count * 4);
  // position (0, 0): centre 0.5 * 15 = 7.5
  // ratio 0.5: base_w = round(sqrt(512)) = 23, base_h = round(11.5) = 12
  expect(row(anchors, 0)).toEqual([-15, -4, 30, 19]); // size 32: 46 x 24
  expect(row(anchors, 1)).toEqual([-38, -16, 53, 31]); // size 64: 92 x 48
  // ratio 1: 16 x 16 base
  expect(row(anchors, 2)).toEqual([-8, -8, 23, 23]);
  expect(row(anchors, 3)).toEqual([-24, -24, 39, 39]);
  // ratio 2: base_w = round(sqrt(128)) = 11, base_h = 22
  expect(row(anchors, 4)).toEqual([-3, -14, 18, 29]);
  // position (h = 1, w = 2): centre (39.5, 23.5), anchor index (1 * 3 + 2) * 6 + 2
  expect(row(anchors, (1 * 3 + 2) * 6 + 2)).toEqual([24, 8, 55, 39]);
  expect(Array.from(variances.subarray(0, 8))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
});

test('non-square stride and an offset of 0', () => {
  const { anchors } = anchorGenerator(1, 2, { anchorSizes: [16], aspectRatios: [1], stride: [8, 16], variance: [0.1, 0.1, 0.2, 0.2], offset: 0 });
  // base_w = round(sqrt(128)) = 11, base_h = 11; width 16 / 8 * 11 = 22, height 16 / 16 * 11 = 11
  expect(row(anchors, 0)).toEqual([-10.5, -5, 10.5, 5]);
  expect(row(anchors, 1)).toEqual([-2.5, -5, 18.5, 5]);
});

test('bad settings get one clear error', () => {
  const ok = { anchorSizes: [32], aspectRatios: [1], stride: [16, 16] as [number, number], variance: [1, 1, 1, 1] as [number, number, number, number] };
  expect(() => anchorGenerator(0, 2, ok)).toThrow(/anchorGenerator: expected a positive integer for feature height, got 0/);
  expect(() => anchorGenerator(2, 2, { ...ok, anchorSizes: [] })).toThrow(/expected a non-empty list of positive numbers for anchor_sizes, got \[\]/);
  expect(() => anchorGenerator(2, 2, { ...ok, aspectRatios: [0] })).toThrow(/aspect_ratios/);
  expect(() => anchorGenerator(2, 2, { ...ok, variance: [1, 1] as unknown as [number, number, number, number] })).toThrow(/expected four numbers for variance/);
});
