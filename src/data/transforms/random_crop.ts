/**
 * RandomCrop (SSD-style, as YOLOv3 uses it). The IoU thresholds (plus 'no_crop' when
 * allow_no_crop) are shuffled; for each in turn, up to num_attempts candidates:
 *   scale ~ U(scaling), aspect ~ U(max(ar_min, scale^2), min(ar_max, scale^-2)),
 *   crop h = int(h * scale / sqrt(aspect)), w = int(w * scale * sqrt(aspect)),
 *   y ~ randint(0, h - crop_h), x ~ randint(0, w - crop_w)
 *   (aspect_ratio null: independent h/w scales, rejected outside 0.5..2 height/width);
 * a candidate is kept when its best IoU with the boxes reaches the threshold (cover_all_box:
 * every box's), and some box has its centre inside the crop. Boxes whose centre is outside
 * are dropped, the rest are clipped to the crop and shifted. 'no_crop', or no candidate for
 * any threshold, leaves the sample as it was. Samples without boxes are not cropped.
 */
import type { Img } from '../types';
import { requireHwc } from '../image';
import { bool, num, nums, selectBoxes, type OpConfig, type SampleOp } from './op';

/** IoU of each box with one crop (no +1: continuous coordinates). */
export function iouWithCrop(boxes: readonly number[][], crop: readonly number[]): number[] {
  const ac = (crop[2] - crop[0]) * (crop[3] - crop[1]);
  return boxes.map(([x1, y1, x2, y2]) => {
    const ix1 = Math.max(x1, crop[0]);
    const iy1 = Math.max(y1, crop[1]);
    const ix2 = Math.min(x2, crop[2]);
    const iy2 = Math.min(y2, crop[3]);
    const inter = ix1 < ix2 && iy1 < iy2 ? (ix2 - ix1) * (iy2 - iy1) : 0;
    const ab = (x2 - x1) * (y2 - y1);
    return inter / (ab + ac - inter + 1e-10);
  });
}

/** Boxes clipped to the crop in its coordinates, and the indices whose centre lies inside. */
export function cropBoxes(boxes: readonly number[][], crop: readonly number[]): { boxes: number[][]; valid: number[] } {
  const out: number[][] = [];
  const valid: number[] = [];
  boxes.forEach(([x1, y1, x2, y2], i) => {
    const b = [Math.max(x1, crop[0]) - crop[0], Math.max(y1, crop[1]) - crop[1], Math.min(x2, crop[2]) - crop[0], Math.min(y2, crop[3]) - crop[1]];
    out.push(b);
    const cx = (x1 + x2) / 2;
    const cy = (y1 + y2) / 2;
    if (crop[0] <= cx && cx < crop[2] && crop[1] <= cy && cy < crop[3] && b[0] < b[2] && b[1] < b[3]) valid.push(i);
  });
  return { boxes: out, valid };
}

export function cropImage(img: Img, [x1, y1, x2, y2]: readonly number[]): Img {
  const c = img.c;
  const w = x2 - x1;
  const h = y2 - y1;
  const out = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(((y + y1) * img.w + x1) * c, ((y + y1) * img.w + x2) * c), y * w * c);
  return { ...img, data: out, h, w };
}

export function randomCrop(cfg: OpConfig): SampleOp {
  const aspect = cfg.aspect_ratio === null ? null : nums(cfg, 'aspect_ratio', 2);
  const thresholds = nums(cfg, 'thresholds');
  const [sLo, sHi] = nums(cfg, 'scaling', 2);
  const attempts = num(cfg, 'num_attempts');
  const allowNoCrop = bool(cfg, 'allow_no_crop');
  const coverAll = bool(cfg, 'cover_all_box');
  if (bool(cfg, 'is_mask_crop')) throw new Error('RandomCrop: is_mask_crop: true is not supported (no masks in this reader)');
  return {
    kind: 'sample',
    name: 'RandomCrop',
    apply(s, rng) {
      if (s.gtBbox.length === 0) return s;
      requireHwc(s.image!, 'RandomCrop');
      const h = s.h;
      const w = s.w;
      const order: Array<number | 'no_crop'> = [...thresholds];
      if (allowNoCrop) order.push('no_crop');
      rng.shuffle(order);
      for (const thresh of order) {
        if (thresh === 'no_crop') return s;
        for (let i = 0; i < attempts; i++) {
          const scale = rng.uniform(sLo, sHi);
          let hs: number;
          let ws: number;
          if (aspect) {
            const ar = rng.uniform(Math.max(aspect[0], scale * scale), Math.min(aspect[1], 1 / (scale * scale)));
            hs = scale / Math.sqrt(ar);
            ws = scale * Math.sqrt(ar);
          } else {
            hs = rng.uniform(sLo, sHi);
            ws = rng.uniform(sLo, sHi);
          }
          let ch = h * hs;
          let cw = w * ws;
          if (!aspect && (ch / cw < 0.5 || ch / cw > 2)) continue;
          ch = Math.trunc(ch);
          cw = Math.trunc(cw);
          // randint needs high > low; a full-size side (scale exactly 1) keeps offset 0.
          const cy = h - ch > 0 ? rng.randint(0, h - ch) : 0;
          const cx = w - cw > 0 ? rng.randint(0, w - cw) : 0;
          const crop = [cx, cy, cx + cw, cy + ch];
          const iou = iouWithCrop(s.gtBbox, crop);
          if (Math.max(...iou) < thresh) continue;
          if (coverAll && Math.min(...iou) < thresh) continue;
          const { boxes, valid } = cropBoxes(s.gtBbox, crop);
          if (valid.length === 0) continue;
          s.image = cropImage(s.image!, crop);
          s.gtBbox = boxes;
          selectBoxes(s, valid);
          s.w = cw;
          s.h = ch;
          return s;
        }
      }
      return s;
    },
  };
}
