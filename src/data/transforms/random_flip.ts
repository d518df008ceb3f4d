/**
 * RandomFlipImage: with probability prob (uniform draw below prob) mirrors the image
 * left-right and maps x1' = w - x2 - 1, x2' = w - x1 - 1 (pixel boxes, the +1 convention) or
 * x1' = 1 - x2, x2' = 1 - x1 (is_normalized). A sample without boxes is left unflipped, as
 * the reference does. is_mask_flip also mirrors the polygons (gt_poly) with the boxes' rule,
 * x' = w - x - 1, as PaddleDetection does (so a polygon on pixel corners lands one pixel left
 * of the mirrored pixels; the boxes carry the same offset, so the two stay together).
 */
import type { Img } from '../types';
import { requireHwc } from '../image';
import { bool, num, type OpConfig, type SampleOp } from './op';

export function flipImage(img: Img): Img {
  const { w, h, c } = img;
  const out = new Float32Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = (y * w + x) * c;
      const b = (y * w + (w - 1 - x)) * c;
      for (let ch = 0; ch < c; ch++) out[b + ch] = img.data[a + ch];
    }
  }
  return { ...img, data: out };
}

export function randomFlip(cfg: OpConfig): SampleOp {
  const prob = num(cfg, 'prob');
  const normalized = bool(cfg, 'is_normalized');
  const maskFlip = bool(cfg, 'is_mask_flip');
  return {
    kind: 'sample',
    name: 'RandomFlipImage',
    apply(s, rng) {
      const img = s.image!;
      requireHwc(img, 'RandomFlipImage');
      if (!(rng.uniform(0, 1) < prob)) return s;
      if (s.gtBbox.length === 0) return s;
      const width = img.w;
      s.gtBbox = s.gtBbox.map(([x1, y1, x2, y2]) => (normalized ? [1 - x2, y1, 1 - x1, y2] : [width - x2 - 1, y1, width - x1 - 1, y2]));
      if (s.gtBbox.every((b) => b[2] < b[0])) throw new Error(`RandomFlipImage: invalid box after flipping (x2 < x1) in ${s.imFile}`);
      if (maskFlip && s.gtPoly) s.gtPoly = s.gtPoly.map((polys) => polys.map((p) => p.map((v, i) => (i % 2 === 0 ? (normalized ? 1 - v : width - v - 1) : v))));
      s.image = flipImage(img);
      s.flipped = true;
      return s;
    },
  };
}
