/**
 * Each reader transform against hand-worked cases, with the random draws scripted
 * (ScriptedRng) so the expected boxes, pixels and sizes follow from the operator's definition.
 */
import { buildTransform, type OpConfig, type SampleOp, type BatchOp } from '../../src/data/transforms';
import { hueMatrix } from '../../src/data/transforms/color_distort';
import { Rng } from '../../src/data/rng';
import type { Sample, TransformContext } from '../../src/data/types';
import { DEFAULTS, ScriptedRng, makeImg, makeSample, px } from './helpers';

const ctx: TransformContext = { fields: ['image', 'gt_bbox', 'gt_class', 'gt_score'] };

function op(name: string, over: Record<string, unknown> = {}): SampleOp {
  const o = buildTransform({ __type__: name, ...DEFAULTS[name], ...over } as OpConfig);
  if (o.kind !== 'sample') throw new Error(`${name} is not a sample op`);
  return o;
}
function batchOp(name: string, over: Record<string, unknown> = {}): BatchOp {
  const o = buildTransform({ __type__: name, ...DEFAULTS[name], ...over } as OpConfig);
  if (o.kind !== 'batch') throw new Error(`${name} is not a batch op`);
  return o;
}
const pattern = (y: number, x: number, c: number) => 10 * y + x + 100 * c;

describe('RandomFlipImage', () => {
  test('mirrors pixels and maps x1, x2 to w - x2 - 1, w - x1 - 1', () => {
    const s = makeSample(makeImg(3, 100, pattern), [[10, 5, 20, 15]]);
    const out = op('RandomFlipImage').apply(s, new ScriptedRng([0.3]), ctx);
    expect(out.gtBbox).toEqual([[79, 5, 89, 15]]);
    expect(px(out.image!, 1, 0)).toEqual(px(makeImg(3, 100, pattern), 1, 99));
    expect(out.flipped).toBe(true);
  });
  test('draw at or above prob keeps the sample', () => {
    const s = makeSample(makeImg(3, 100, pattern), [[10, 5, 20, 15]]);
    const out = op('RandomFlipImage').apply(s, new ScriptedRng([0.7]), ctx);
    expect(out.gtBbox).toEqual([[10, 5, 20, 15]]);
    expect(px(out.image!, 0, 0)).toEqual([0, 100, 200]);
  });
  test('normalised boxes map to 1 - x2, 1 - x1', () => {
    const s = makeSample(makeImg(2, 4, pattern), [[0.1, 0.2, 0.3, 0.4]]);
    const out = op('RandomFlipImage', { is_normalized: true }).apply(s, new ScriptedRng([0.1]), ctx);
    expect(out.gtBbox[0].map((v) => +v.toFixed(6))).toEqual([0.7, 0.2, 0.9, 0.4]);
  });
});

describe('RandomExpand', () => {
  test('canvas of int(h * r) x int(w * r) filled with uint8(fill), image and boxes moved by (x, y)', () => {
    const s = makeSample(makeImg(4, 6, pattern), [[1, 1, 3, 2]]);
    // apply (0.9 >= prob 0.5), ratio 2.0, y = 3, x = 5
    const out = op('RandomExpand').apply(s, new ScriptedRng([0.9, 2.0, 3, 5]), ctx);
    expect([out.h, out.w, out.image!.h, out.image!.w]).toEqual([8, 12, 8, 12]);
    expect(out.gtBbox).toEqual([[6, 4, 8, 5]]);
    expect(px(out.image!, 0, 0)).toEqual([123, 116, 103]);
    expect(px(out.image!, 3 + 1, 5 + 2)).toEqual([12, 112, 212]);
    expect(px(out.image!, 7, 11)).toEqual([123, 116, 103]);
    expect(out.image!.uint8).toBe(true);
  });
  test('a draw below prob leaves the sample alone', () => {
    const s = makeSample(makeImg(4, 6, pattern), [[1, 1, 3, 2]]);
    const out = op('RandomExpand').apply(s, new ScriptedRng([0.2]), ctx);
    expect([out.h, out.w]).toEqual([4, 6]);
    expect(out.gtBbox).toEqual([[1, 1, 3, 2]]);
  });
});

describe('RandomCrop', () => {
  const boxes = [
    [30, 20, 40, 30], // centre (35, 25): inside
    [60, 50, 90, 80], // centre (75, 65): outside
    [0, 0, 30, 30], // centre (15, 15): left of the crop
    [60, 40, 75, 55], // centre (67.5, 47.5): inside, clipped at x = 70
  ];
  const cfg = { thresholds: [0], allow_no_crop: false };
  test('keeps boxes whose centre is inside, clipped and shifted; crops the image', () => {
    const s = makeSample(makeImg(100, 100, (y, x) => (y + x) % 256), boxes, [0, 1, 2, 3]);
    // scale 0.5, aspect 1 -> 50 x 50; y = 10, x = 20 -> crop [20, 10, 70, 60]
    const out = op('RandomCrop', cfg).apply(s, new ScriptedRng([0.5, 1, 10, 20]), ctx);
    expect(out.gtBbox).toEqual([
      [10, 10, 20, 20],
      [40, 30, 50, 45],
    ]);
    expect(out.gtClass).toEqual([0, 3]);
    expect(out.gtScore).toEqual([1, 1]);
    expect([out.w, out.h, out.image!.w, out.image!.h]).toEqual([50, 50, 50, 50]);
    expect(px(out.image!, 0, 0)[0]).toBe((10 + 20) % 256);
    expect(px(out.image!, 49, 49)[0]).toBe((59 + 69) % 256);
  });
  test('aspect ratio range is [max(lo, scale^2), min(hi, scale^-2)]: aspect 2 at scale 0.5', () => {
    const s = makeSample(makeImg(100, 100, () => 0), boxes);
    // scale 0.5, aspect 2 -> h = int(100 * 0.5 / sqrt 2) = 35, w = int(100 * 0.5 * sqrt 2) = 70
    const rng = new ScriptedRng([0.5, 2, 5, 0]);
    const out = op('RandomCrop', cfg).apply(s, rng, ctx);
    expect([out.h, out.w]).toEqual([35, 70]);
  });
  test('no candidate reaching the IoU threshold leaves the sample uncropped', () => {
    const s = makeSample(makeImg(100, 100, () => 0), boxes);
    const out = op('RandomCrop', { thresholds: [0.9], allow_no_crop: false, num_attempts: 1 }).apply(s, new ScriptedRng([0.5, 1, 10, 20]), ctx);
    expect([out.h, out.w]).toEqual([100, 100]);
    expect(out.gtBbox).toHaveLength(4);
  });
  test("'no_crop' drawn first returns the sample untouched, without further draws", () => {
    const s = makeSample(makeImg(10, 10, () => 0), [[1, 1, 5, 5]]);
    const rng = new ScriptedRng([]);
    const out = op('RandomCrop', { thresholds: [], allow_no_crop: true }).apply(s, rng, ctx);
    expect(out.h).toBe(10);
  });
  test('seeded crops keep every box inside the crop', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 30; i++) {
      const s = makeSample(makeImg(60, 80, () => 0), [
        [5, 5, 30, 40],
        [40, 10, 75, 55],
      ]);
      const out = op('RandomCrop').apply(s, rng, ctx);
      expect(out.gtBbox.length).toBeGreaterThan(0);
      for (const [x1, y1, x2, y2] of out.gtBbox) {
        expect(x1).toBeGreaterThanOrEqual(0);
        expect(y1).toBeGreaterThanOrEqual(0);
        expect(x2).toBeLessThanOrEqual(out.w);
        expect(y2).toBeLessThanOrEqual(out.h);
        expect(x2).toBeGreaterThan(x1);
      }
    }
  });
});

describe('ColorDistort', () => {
  const pixel = () => makeSample(makeImg(1, 1, (_y, _x, c) => [10, 20, 30][c]), [[0, 0, 1, 1]]);
  test('order brightness, contrast, saturation, hue; a draw below prob skips one', () => {
    // brightness applies (0.9) with +1.0, contrast applies with x1.5, saturation and hue skip
    const out = op('ColorDistort').apply(pixel(), new ScriptedRng([0.9, 1.0, 0.9, 1.5, 0.1, 0.1]), ctx);
    expect(Array.from(out.image!.data)).toEqual([16.5, 31.5, 46.5]);
    expect(out.image!.uint8).toBe(false);
  });
  test('saturation blends with the 0.299/0.587/0.114 gray', () => {
    const out = op('ColorDistort').apply(pixel(), new ScriptedRng([0.1, 0.1, 0.9, 0.5, 0.1]), ctx);
    const gray = (0.299 * 10 + 0.587 * 20 + 0.114 * 30) * 0.5;
    Array.from(out.image!.data).forEach((v, c) => expect(v).toBeCloseTo([10, 20, 30][c] * 0.5 + gray, 4));
  });
  test('hue rotation keeps luminance and gray pixels', () => {
    const m = hueMatrix(0.5);
    const rot = (p: number[]) => m.map((row) => row[0] * p[0] + row[1] * p[1] + row[2] * p[2]);
    const g = rot([100, 100, 100]);
    g.forEach((v) => expect(Math.abs(v - 100)).toBeLessThan(0.5));
    const c = rot([200, 50, 10]);
    const Y = (p: number[]) => 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
    expect(Math.abs(Y(c) - Y([200, 50, 10]))).toBeLessThan(0.5);
    expect(Math.abs(c[0] - 200)).toBeGreaterThan(20);
    // delta 0 is (nearly) the identity
    hueMatrix(0).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 2)));
  });
  test('random_apply false: brightness first, then contrast before saturation and hue when randint is 1', () => {
    const out = op('ColorDistort', { random_apply: false }).apply(pixel(), new ScriptedRng([0.9, 0.5, 1, 0.9, 1.5, 0.1, 0.1]), ctx);
    expect(Array.from(out.image!.data)).toEqual([15.75, 30.75, 45.75]);
  });
});

describe('MixupImage', () => {
  const pair = () => {
    const a = makeSample(makeImg(2, 2, () => 100), [[0, 0, 1, 1]], [0]);
    const b = makeSample(makeImg(1, 3, () => 200), [[0, 0, 2, 0.5]], [5]);
    a.mixup = b;
    return a;
  };
  test('blends on the larger canvas, concatenates boxes, gt_score = factor and 1 - factor', () => {
    const out = op('MixupImage').apply(pair(), new ScriptedRng([0.25]), ctx);
    expect([out.h, out.w, out.image!.h, out.image!.w]).toEqual([2, 3, 2, 3]);
    expect(px(out.image!, 0, 0)[0]).toBe(175); // 100 * .25 + 200 * .75
    expect(px(out.image!, 1, 1)[0]).toBe(25);
    expect(px(out.image!, 0, 2)[0]).toBe(150);
    expect(px(out.image!, 1, 2)[0]).toBe(0);
    expect(out.gtBbox).toEqual([
      [0, 0, 1, 1],
      [0, 0, 2, 0.5],
    ]);
    expect(out.gtClass).toEqual([0, 5]);
    expect(out.gtScore).toEqual([0.25, 0.75]);
    expect(out.mixup).toBeUndefined();
  });
  test('factor 1 keeps the sample alone; factor 0 returns the partner', () => {
    const one = op('MixupImage').apply(pair(), new ScriptedRng([1]), ctx);
    expect(one.gtClass).toEqual([0]);
    expect(one.mixup).toBeUndefined();
    const zero = op('MixupImage').apply(pair(), new ScriptedRng([0]), ctx);
    expect(zero.gtClass).toEqual([5]);
    expect(zero.w).toBe(3);
  });
  test('the factor is Beta(alpha, beta): mean alpha / (alpha + beta) over seeded draws', () => {
    const rng = new Rng(11);
    let sum = 0;
    for (let i = 0; i < 4000; i++) sum += rng.beta(1.5, 1.5);
    expect(sum / 4000).toBeCloseTo(0.5, 1);
    let sum2 = 0;
    for (let i = 0; i < 4000; i++) sum2 += rng.beta(2, 6);
    expect(sum2 / 4000).toBeCloseTo(0.25, 1);
  });
});

describe('box transforms', () => {
  test('NormalizeBox divides by the current w and h', () => {
    const s = makeSample(makeImg(100, 200, () => 0), [[20, 10, 100, 50]]);
    expect(op('NormalizeBox').apply(s, new Rng(0), ctx).gtBbox).toEqual([[0.1, 0.1, 0.5, 0.5]]);
  });
  test('PadBox pads boxes, classes and scores with zeros to num_max_boxes (fields decide which)', () => {
    const s = makeSample(makeImg(1, 1, () => 0), [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    s.gtClass = [4, 7];
    s.gtScore = [1, 0.5];
    const out = op('PadBox', { num_max_boxes: 3 }).apply(s, new Rng(0), ctx);
    expect(out.gtBbox).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [0, 0, 0, 0],
    ]);
    expect(out.gtClass).toEqual([4, 7, 0]);
    expect(out.gtScore).toEqual([1, 0.5, 0]);
    expect(out.numMaxBoxes).toBe(3);
    const t = makeSample(makeImg(1, 1, () => 0), [[1, 1, 2, 2], [1, 1, 2, 2], [1, 1, 2, 2], [1, 1, 2, 2]], [1, 2, 3, 4]);
    const cut = op('PadBox', { num_max_boxes: 2 }).apply(t, new Rng(0), { fields: ['image', 'gt_bbox'] });
    expect(cut.gtBbox).toHaveLength(2);
    expect(cut.gtClass).toEqual([1, 2, 3, 4]); // gt_class not in fields: untouched
  });
  test('BboxXYXY2XYWH gives centre and size; zero padding stays zero', () => {
    const s = makeSample(makeImg(1, 1, () => 0), [
      [0.1, 0.2, 0.5, 0.6],
      [0, 0, 0, 0],
    ]);
    const out = op('BboxXYXY2XYWH').apply(s, new Rng(0), ctx);
    expect(out.gtBbox[0].map((v) => +v.toFixed(6))).toEqual([0.3, 0.4, 0.4, 0.4]);
    expect(out.gtBbox[1]).toEqual([0, 0, 0, 0]);
  });
});

describe('image transforms', () => {
  test('NormalizeImage: (x / 255 - mean) / std per channel', () => {
    const s = makeSample(makeImg(1, 1, (_y, _x, c) => [255, 0, 127.5][c]), []);
    const out = op('NormalizeImage').apply(s, new Rng(0), ctx);
    const want = [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0.5 - 0.406) / 0.225];
    Array.from(out.image!.data).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    expect(() => op('NormalizeImage', { is_channel_first: true }).apply(makeSample(makeImg(2, 2, () => 0), []), new Rng(0), ctx)).toThrow(/is_channel_first is true but the image is HWC/);
  });
  test('Permute: HWC -> CHW, and to_bgr reverses the channels', () => {
    const img = makeImg(2, 3, pattern);
    const out = op('Permute').apply(makeSample(img, []), new Rng(0), ctx).image!;
    expect(out.chw).toBe(true);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) expect(out.data[c * 6 + y * 3 + x]).toBe(pattern(y, x, c));
    const bgr = op('Permute', { to_bgr: true }).apply(makeSample(makeImg(2, 3, pattern), []), new Rng(0), ctx).image!;
    expect(bgr.data[0]).toBe(pattern(0, 0, 2));
    expect(bgr.data[12]).toBe(pattern(0, 0, 0));
  });
  test('ResizeImage: target x target without max_size; one scale capped by max_size otherwise', () => {
    const sq = op('ResizeImage', { target_size: 8 }).apply(makeSample(makeImg(4, 6, pattern), []), new Rng(0), ctx);
    expect([sq.image!.h, sq.image!.w]).toEqual([8, 8]);
    // 50x100 (h x w), target 60: scale 1.2 would make the long side 120 > 100, so scale 1.0
    const capped = op('ResizeImage', { target_size: 60, max_size: 100 }).apply(makeSample(makeImg(50, 100, () => 0), []), new Rng(0), ctx);
    expect([capped.image!.h, capped.image!.w]).toEqual([50, 100]);
    const scaled = op('ResizeImage', { target_size: 40, max_size: 100 }).apply(makeSample(makeImg(50, 100, () => 0), []), new Rng(0), ctx);
    expect([scaled.image!.h, scaled.image!.w]).toEqual([40, 80]);
    const boxes = op('ResizeImage', { target_size: 8, resize_box: true }).apply(makeSample(makeImg(4, 4, () => 0), [[1, 1, 3, 3]]), new Rng(0), ctx);
    expect(boxes.gtBbox).toEqual([[2, 2, 6, 6]]);
    const listed = op('ResizeImage', { target_size: [16, 24] }).apply(makeSample(makeImg(4, 4, () => 0), []), new ScriptedRng([1]), ctx);
    expect(listed.image!.w).toBe(24);
  });
  test('RandomShape: one size (and interpolation) per batch, from the list', () => {
    const shape = batchOp('RandomShape', { sizes: [32, 64], random_inter: true });
    const batch: Sample[] = [makeSample(makeImg(20, 30, pattern), []), makeSample(makeImg(40, 10, pattern), [])];
    const out = shape.apply(batch, new ScriptedRng([1, 3]), ctx);
    out.forEach((s) => expect([s.image!.h, s.image!.w]).toEqual([64, 64]));
    const seen = new Set<number>();
    const rng = new Rng(3);
    for (let i = 0; i < 40; i++) {
      const r = batchOp('RandomShape', { sizes: [8, 12, 16] }).apply([makeSample(makeImg(5, 5, pattern), [])], rng, ctx);
      seen.add(r[0].image!.w);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([8, 12, 16]);
  });
});

test('unsupported names and options are refused with the reason', () => {
  expect(() => buildTransform({ __type__: 'GridMaskOp' })).toThrow(/GridMaskOp is not supported by the reader \(supported: DecodeImage/);
  expect(() => op('ColorDistort', { hsv_format: true })).toThrow(/hsv_format/);
  expect(() => op('RandomExpand', { ratio: 1 })).toThrow(/ratio > 1.01/);
});
