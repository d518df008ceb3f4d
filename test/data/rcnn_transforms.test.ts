/**
 * The R-CNN reader transforms (faster_reader.yml / mask_reader.yml) on hand-worked cases:
 * polygons flipped with the boxes, ResizeImage's target / max_size scale and im_info, PadBatch
 * to a stride, and the batch fields im_info, im_shape, is_crowd and gt_mask (polygons).
 */
import { buildTransform, type OpConfig, type SampleOp, type BatchOp } from '../../src/data/transforms';
import type { Img, Sample, TransformContext } from '../../src/data/types';
import { Pipeline } from '../../src/data/pipeline';
import { DEFAULTS, ScriptedRng, makeImg, makeSample, tmpDir, writeImage } from './helpers';
import * as path from 'path';

const ctx: TransformContext = { fields: ['image', 'im_info', 'im_id', 'gt_bbox', 'gt_class', 'is_crowd', 'gt_mask'] };
function op(name: string, over: Record<string, unknown> = {}): SampleOp {
  const o = buildTransform({ __type__: name, ...DEFAULTS[name], ...over } as OpConfig);
  if (o.kind !== 'sample') throw new Error(`${name} is not a sample op`);
  return o;
}
function batchOp(over: Record<string, unknown>): BatchOp {
  const o = buildTransform({ __type__: 'PadBatch', ...DEFAULTS.PadBatch, ...over } as OpConfig);
  if (o.kind !== 'batch') throw new Error('PadBatch is not a batch op');
  return o;
}
const flat = () => 7;
const withPoly = (s: Sample, polys: number[][][]): Sample => Object.assign(s, { gtPoly: polys });

describe('RandomFlipImage with is_mask_flip', () => {
  test('polygons map x to w - x - 1 like the boxes; y unchanged', () => {
    const s = withPoly(makeSample(makeImg(4, 10, flat), [[1, 0, 3, 2]]), [[[1, 0, 4, 0, 4, 3, 1, 3]]]);
    const out = op('RandomFlipImage', { is_mask_flip: true }).apply(s, new ScriptedRng([0.1]), ctx);
    expect(out.gtBbox).toEqual([[6, 0, 8, 2]]);
    expect(out.gtPoly).toEqual([[[8, 0, 5, 0, 5, 3, 8, 3]]]);
  });
  test('without is_mask_flip the polygons stay (as the reference leaves them)', () => {
    const s = withPoly(makeSample(makeImg(4, 10, flat), [[1, 0, 3, 2]]), [[[1, 0, 4, 0, 4, 3]]]);
    const out = op('RandomFlipImage').apply(s, new ScriptedRng([0.1]), ctx);
    expect(out.gtBbox).toEqual([[6, 0, 8, 2]]);
    expect(out.gtPoly).toEqual([[[1, 0, 4, 0, 4, 3]]]);
  });
});

describe('ResizeImage with target_size and max_size', () => {
  const resize = (h: number, w: number, over: Record<string, unknown> = {}) => {
    const s = makeSample(makeImg(h, w, (y, x) => (x + y) % 255), [[1, 1, 2, 2]]);
    s.imInfo = [h, w, 1];
    return op('ResizeImage', { target_size: 8, max_size: 13, interp: 1, ...over }).apply(s, new ScriptedRng([]), ctx);
  };
  test('the short side reaches the target when the long side stays within max_size', () => {
    // 6 x 10: scale 8 / 6; 10 * 4/3 = 13.33 rounds to 13 <= 13: kept
    const out = resize(6, 10);
    expect([out.image!.h, out.image!.w]).toEqual([8, 13]);
    expect(out.imInfo![0]).toBeCloseTo(8, 12);
    expect(out.imInfo![1]).toBeCloseTo(40 / 3, 12);
    expect(out.imInfo![2]).toBeCloseTo(4 / 3, 12);
    // resize_box off (the R-CNN readers): boxes stay in the decoded image's pixels
    expect(out.gtBbox).toEqual([[1, 1, 2, 2]]);
  });
  test('the long side is held to max_size otherwise', () => {
    // 4 x 10: scale 2 would make 20 > 13, so 13 / 10; h 5.2 -> 5 rows
    const out = resize(4, 10);
    expect([out.image!.h, out.image!.w]).toEqual([5, 13]);
    expect(out.imInfo!.map((v) => +v.toFixed(6))).toEqual([5.2, 13, 1.3]);
  });
  test('800 / 1333 on a 480 x 640 image, and the 4:1 one held by 1333', () => {
    const a = resize(480, 640, { target_size: 800, max_size: 1333 });
    expect([a.image!.h, a.image!.w]).toEqual([800, 1067]);
    expect(a.imInfo![2]).toBeCloseTo(800 / 480, 12);
    const b = resize(100, 400, { target_size: 800, max_size: 1333 });
    expect([b.image!.h, b.image!.w]).toEqual([333, 1333]);
    expect(b.imInfo![2]).toBeCloseTo(1333 / 400, 12);
  });
  test('resize_box scales polygons with the boxes', () => {
    const s = withPoly(makeSample(makeImg(6, 10, flat), [[1, 1, 4, 2]]), [[[1, 1, 5, 1, 5, 3]]]);
    const out = op('ResizeImage', { target_size: 12, max_size: 100, resize_box: true }).apply(s, new ScriptedRng([]), ctx);
    expect(out.gtBbox).toEqual([[2, 2, 8, 4]]);
    expect(out.gtPoly).toEqual([[[2, 2, 10, 2, 10, 6]]]);
  });
});

describe('PadBatch', () => {
  const chw = (h: number, w: number, v: number): Img => ({ data: new Float32Array(3 * h * w).fill(v), h, w, c: 3, chw: true, uint8: false });
  const samples = () => {
    const a = makeSample(chw(5, 7, 1), [[0, 0, 1, 1]]);
    const b = makeSample(chw(6, 4, 2), [[0, 0, 1, 1]]);
    a.image = chw(5, 7, 1);
    b.image = chw(6, 4, 2);
    a.imInfo = [5, 7, 1.5];
    b.imInfo = [6, 4, 2];
    return [a, b];
  };
  test('pad_to_stride 4: the batch maximum 6 x 7 rounded up to 8 x 8, images at the top left', () => {
    const out = batchOp({ pad_to_stride: 4, use_padded_im_info: false }).apply(samples(), new ScriptedRng([]), ctx);
    for (const s of out) expect([s.image!.h, s.image!.w]).toEqual([8, 8]);
    const a = out[0].image!.data;
    // channel 1, row 4, columns 6 and 7: the last image pixel, then padding
    expect([a[64 + 4 * 8 + 6], a[64 + 4 * 8 + 7], a[64 + 5 * 8 + 0]]).toEqual([1, 0, 0]);
    const b = out[1].image!.data;
    expect([b[2 * 64 + 5 * 8 + 3], b[2 * 64 + 5 * 8 + 4], b[2 * 64 + 6 * 8 + 3]]).toEqual([2, 0, 0]);
    expect(out[0].imInfo).toEqual([5, 7, 1.5]);
  });
  test('pad_to_stride -1: the batch maximum, no rounding; use_padded_im_info writes it into im_info', () => {
    const out = batchOp({ pad_to_stride: -1, use_padded_im_info: true }).apply(samples(), new ScriptedRng([]), ctx);
    for (const s of out) expect([s.image!.h, s.image!.w]).toEqual([6, 7]);
    expect(out.map((s) => s.imInfo)).toEqual([[6, 7, 1.5], [6, 7, 2]]);
  });
  test('pad_to_stride 0 leaves the batch; HWC images and pad_gt are refused', () => {
    const s = samples();
    expect(batchOp({ pad_to_stride: 0 }).apply(s, new ScriptedRng([]), ctx)[1].image!.h).toBe(6);
    const hwc = makeSample(makeImg(2, 2, flat), [[0, 0, 1, 1]]);
    expect(() => batchOp({ pad_to_stride: 4 }).apply([hwc], new ScriptedRng([]), ctx)).toThrow(/PadBatch: expected CHW images/);
    expect(() => batchOp({ pad_gt: true })).toThrow(/pad_gt/);
  });
});

describe('R-CNN batch fields', () => {
  test('im_info, im_shape, is_crowd and gt_mask come out per image, boxes in decoded pixels', async () => {
    const dir = tmpDir('rcnn-batch');
    const file = path.join(dir, 'a.jpg');
    await writeImage(file, 20, 10);
    const tf = (name: string, over: Record<string, unknown> = {}) => ({ __type__: name, ...DEFAULTS[name], ...over });
    const p = new Pipeline({
      seed: 1, train: true, withGt: false, onBadSample: 'error',
      fields: [...ctx.fields, 'im_shape'],
      sampleTransforms: [tf('DecodeImage'), tf('NormalizeImage'), tf('ResizeImage', { target_size: 16, max_size: 24 }), tf('Permute')],
      batchTransforms: [tf('PadBatch', { pad_to_stride: 16, use_padded_im_info: false })],
      useFineGrainedLoss: false,
    });
    const rec = { imFile: file, imId: 5, h: 10, w: 20, gtBbox: [[1, 2, 5, 6], [8, 1, 9, 3]], gtClass: [3, 4], gtScore: [1, 1], isCrowd: [0, 0], difficult: [0, 0], gtPoly: [[[1, 2, 6, 2, 6, 7]], [[8, 1, 10, 1, 10, 4, 8, 4]]] };
    const r = await p.run({ k: 0, epoch: 0, items: [{ rec, pos: 0 }] });
    expect(r.error).toBeUndefined();
    const b = r.batch!;
    // 10 x 20: scale 16 / 10 would give 32 > 24 -> 24 / 20 = 1.2: 12 x 24, padded to 16 x 32
    expect(b.shape).toEqual([1, 3, 16, 32]);
    expect(Array.from(b.imInfo!).map((v) => +v.toFixed(5))).toEqual([12, 24, 1.2]);
    expect(Array.from(b.imShape!)).toEqual([10, 20, 1]);
    expect(Array.from(b.gtBox!)).toEqual([1, 2, 5, 6, 8, 1, 9, 3]);
    expect(Array.from(b.isCrowd!)).toEqual([0, 0]);
    expect(b.gtPoly).toEqual([rec.gtPoly]);
    // the record itself is left as loaded
    expect(rec.gtPoly[0][0]).toEqual([1, 2, 6, 2, 6, 7]);
  });

  test('gt_mask asked of a dataset without segmentations is an error naming the image', async () => {
    const dir = tmpDir('rcnn-batch2');
    const file = path.join(dir, 'b.jpg');
    await writeImage(file, 8, 8);
    const tf = (name: string, over: Record<string, unknown> = {}) => ({ __type__: name, ...DEFAULTS[name], ...over });
    const p = new Pipeline({
      seed: 1, train: true, withGt: false, onBadSample: 'error', fields: ctx.fields.slice(),
      sampleTransforms: [tf('DecodeImage'), tf('NormalizeImage'), tf('Permute')], batchTransforms: [], useFineGrainedLoss: false,
    });
    const rec = { imFile: file, imId: 1, h: 8, w: 8, gtBbox: [[1, 1, 3, 3]], gtClass: [1], gtScore: [1], isCrowd: [0], difficult: [0] };
    const r = await p.run({ k: 0, epoch: 0, items: [{ rec, pos: 0 }] });
    expect(r.error).toMatch(/asks for gt_mask but .*b\.jpg has no segmentations/);
  });
});
