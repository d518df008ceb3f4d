/**
 * ResizeImage. target_size a number, or a list to pick from per sample. Without max_size the
 * image becomes target x target (independent x and y scales). With max_size: one scale
 * target / short side, lowered to max_size / long side when round(scale * long) > max_size.
 * interp: 0 nearest, 1 linear, 2 cubic, 3 area, 4 lanczos4. resize_box also scales the boxes,
 * clipped to [0, size - 1], and polygons (gt_poly) by the same factors. With max_size the
 * sample's im_info becomes [h * scale, w * scale, scale] (unrounded, as PaddleDetection's): the
 * R-CNN heads scale gt boxes and polygons into the input by im_info's scale themselves, which is
 * why their readers leave resize_box off.
 */
import { resizeImage } from '../resize';
import { bool, num, type OpConfig, type SampleOp } from './op';

export function resizeImageOp(cfg: OpConfig): SampleOp {
  const ts = cfg.target_size;
  const targets = typeof ts === 'number' ? [ts] : (ts as number[]);
  if (!Array.isArray(targets) || targets.length === 0 || targets.some((t) => typeof t !== 'number')) {
    throw new Error(`ResizeImage: expected target_size to be a number or a list of numbers, got ${JSON.stringify(ts)}`);
  }
  const isList = typeof ts !== 'number';
  const maxSize = num(cfg, 'max_size');
  const interp = num(cfg, 'interp');
  const resizeBox = bool(cfg, 'resize_box');
  return {
    kind: 'sample',
    name: 'ResizeImage',
    apply(s, rng) {
      const img = s.image!;
      const target = isList ? rng.choice(targets) : targets[0];
      if (!(target > 0)) throw new Error(`ResizeImage: expected target_size > 0, got ${target}`);
      const small = Math.min(img.h, img.w);
      const large = Math.max(img.h, img.w);
      let fx: number;
      let fy: number;
      let rw: number;
      let rh: number;
      let out;
      if (maxSize !== 0) {
        let scale = target / small;
        if (Math.round(scale * large) > maxSize) scale = maxSize / large;
        fx = fy = scale;
        out = resizeImage(img, fx, fy, interp);
        rw = out.w;
        rh = out.h;
        s.imInfo = [img.h * scale, img.w * scale, scale];
      } else {
        fx = target / img.w;
        fy = target / img.h;
        out = resizeImage(img, fx, fy, interp, { w: target, h: target });
        rw = rh = target;
      }
      s.image = out;
      if (resizeBox && s.gtBbox.length) {
        const cl = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
        s.gtBbox = s.gtBbox.map(([x1, y1, x2, y2]) => [cl(x1 * fx, rw - 1), cl(y1 * fy, rh - 1), cl(x2 * fx, rw - 1), cl(y2 * fy, rh - 1)]);
        if (s.gtPoly) s.gtPoly = s.gtPoly.map((polys) => polys.map((p) => p.map((v, i) => v * (i % 2 === 0 ? fx : fy))));
      }
      return s;
    },
  };
}
