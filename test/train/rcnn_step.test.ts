/** The reader's batch as R-CNN ground truth, and the per-iteration sampler seeds. */
import type { Batch } from '../../src/data/types';
import { batchImInfo, rcnnBatch, stepSeed } from '../../src/train/rcnn_step';

const batch = (): Batch => ({
  iter: 0, epoch: 0, loadMs: 0,
  image: new Float32Array(2 * 3 * 32 * 48), shape: [2, 3, 32, 48],
  imId: [7, 9], imSize: [[64, 96], [32, 48]],
  // two rows per image; image 1's second row is padding (class 0)
  gtBox: Float32Array.from([1, 2, 10, 12, 20, 21, 30, 31, 3, 4, 13, 14, 0, 0, 0, 0]),
  gtLabel: Int32Array.from([4, 2, 7, 0]),
  numMaxBoxes: 2,
  isCrowd: Int32Array.from([0, 1, 0, 0]),
  imInfo: Float32Array.from([32, 48, 0.5, 32, 48, 1]),
  gtPoly: [[[[1, 2, 10, 2, 10, 12]], [[20, 21, 30, 21, 30, 31]]], [[[3, 4, 13, 4, 13, 14]], []]],
});

test('rcnnBatch keeps the foreground rows with their crowd flags and polygons, im_info with original sizes', () => {
  const r = rcnnBatch(batch(), true);
  expect(r.imInfo).toEqual([
    { height: 32, width: 48, scale: 0.5, origHeight: 64, origWidth: 96 },
    { height: 32, width: 48, scale: 1, origHeight: 32, origWidth: 48 },
  ]);
  expect(Array.from(r.gt[0].boxes)).toEqual([1, 2, 10, 12, 20, 21, 30, 31]);
  expect(Array.from(r.gt[0].classes)).toEqual([4, 2]);
  expect(Array.from(r.gt[0].isCrowd!)).toEqual([0, 1]);
  expect(r.gt[0].polygons).toEqual([[[1, 2, 10, 2, 10, 12]], [[20, 21, 30, 21, 30, 31]]]);
  expect(Array.from(r.gt[1].boxes)).toEqual([3, 4, 13, 14]);
  expect(Array.from(r.gt[1].classes)).toEqual([7]);
  expect(r.gt[1].polygons).toEqual([[[3, 4, 13, 4, 13, 14]]]);
  expect(rcnnBatch(batch(), false).gt[0].polygons).toBeUndefined();
});

test('a batch without im_info, ground truth or masks is refused naming the field', () => {
  expect(() => batchImInfo({ ...batch(), imInfo: undefined }, 'TrainReader')).toThrow('TrainReader: expected im_info in every batch (inputs_def.fields of an R-CNN reader lists it), got none');
  expect(() => rcnnBatch({ ...batch(), gtLabel: undefined }, false)).toThrow('expected gt_bbox and gt_class in every batch');
  expect(() => rcnnBatch({ ...batch(), gtPoly: undefined }, true)).toThrow('expected gt_mask in every batch of a Mask R-CNN');
});

test('sampler seeds: a function of (seed, iteration), different across both', () => {
  expect(stepSeed(3, 10)).toBe(stepSeed(3, 10));
  const seen = new Set<number>();
  for (let s = 0; s < 4; s++) for (let it = 0; it < 50; it++) seen.add(stepSeed(s, it));
  expect(seen.size).toBe(200);
  for (const v of seen) expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
});
