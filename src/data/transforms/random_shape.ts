/**
 * RandomShape (multi-scale training, a batch transform): one size from `sizes` per batch and,
 * with random_inter, one of nearest, linear, area, cubic, lanczos4 (else nearest); every image
 * of the batch is resized to size x size. resize_box also scales the boxes, clipped to
 * [0, size - 1]. YOLOv3 leaves resize_box off: its boxes are normalised by then.
 */
import { resizeImage, INTER } from '../resize';
import { bool, nums, type BatchOp, type OpConfig } from './op';

const INTERPS = [INTER.nearest, INTER.linear, INTER.area, INTER.cubic, INTER.lanczos4];

export function randomShape(cfg: OpConfig): BatchOp {
  const sizes = nums(cfg, 'sizes');
  if (sizes.length === 0) throw new Error('RandomShape: expected a non-empty list of sizes');
  const randomInter = bool(cfg, 'random_inter');
  const resizeBox = bool(cfg, 'resize_box');
  return {
    kind: 'batch',
    name: 'RandomShape',
    apply(samples, rng) {
      const size = rng.choice(sizes);
      const interp = randomInter ? rng.choice(INTERPS) : INTER.nearest;
      for (const s of samples) {
        const img = s.image!;
        const fx = size / img.w;
        const fy = size / img.h;
        s.image = resizeImage(img, fx, fy, interp, { w: size, h: size });
        if (resizeBox && s.gtBbox.length) {
          const cl = (v: number) => Math.min(Math.max(v, 0), size - 1);
          s.gtBbox = s.gtBbox.map(([x1, y1, x2, y2]) => [cl(x1 * fx), cl(y1 * fy), cl(x2 * fx), cl(y2 * fy)]);
        }
      }
      return samples;
    },
  };
}
