/**
 * RandomExpand (zoom out): skipped when a uniform draw is below prob. Otherwise
 * r ~ U(1, ratio), canvas int(h * r) x int(w * r) filled with uint8(fill_value), the image
 * (cast to uint8) placed at y ~ randint(0, H - h), x ~ randint(0, W - w), boxes moved by
 * (x, y), and so are the polygons (gt_poly) with is_mask_expand. Nothing happens when the
 * canvas would not be larger on both sides.
 */
import { castU8, requireHwc } from '../image';
import { bool, num, type OpConfig, type SampleOp } from './op';

export function randomExpand(cfg: OpConfig): SampleOp {
  const ratio = num(cfg, 'ratio');
  const prob = num(cfg, 'prob');
  if (!(ratio > 1.01)) throw new Error(`RandomExpand: expected ratio > 1.01, got ${ratio}`);
  const fv = cfg.fill_value;
  const fill = typeof fv === 'number' ? [fv, fv, fv] : (fv as number[]);
  if (!Array.isArray(fill) || fill.length !== 3) throw new Error(`RandomExpand: expected fill_value to be a number or 3 numbers, got ${JSON.stringify(fv)}`);
  const fillU8 = fill.map(castU8);
  const maskExpand = cfg.is_mask_expand === undefined ? false : bool(cfg, 'is_mask_expand');
  return {
    kind: 'sample',
    name: 'RandomExpand',
    apply(s, rng) {
      if (rng.uniform(0, 1) < prob) return s;
      const img = s.image!;
      requireHwc(img, 'RandomExpand');
      const height = Math.trunc(s.h);
      const width = Math.trunc(s.w);
      const r = rng.uniform(1, ratio);
      const H = Math.trunc(height * r);
      const W = Math.trunc(width * r);
      if (!(H > height) || !(W > width)) return s;
      const y = rng.randint(0, H - height);
      const x = rng.randint(0, W - width);
      const c = img.c;
      const out = new Float32Array(H * W * c);
      for (let i = 0; i < W; i++) for (let ch = 0; ch < c; ch++) out[i * c + ch] = fillU8[ch];
      for (let r = 1; r < H; r++) out.copyWithin(r * W * c, 0, W * c);
      const src = img.uint8 ? img.data : img.data.map(castU8);
      const rowLen = img.w * c;
      for (let yy = 0; yy < img.h; yy++) out.set(src.subarray(yy * rowLen, (yy + 1) * rowLen), ((yy + y) * W + x) * c);
      s.image = { data: out, h: H, w: W, c, chw: false, uint8: true };
      s.h = H;
      s.w = W;
      s.gtBbox = s.gtBbox.map(([x1, y1, x2, y2]) => [x1 + x, y1 + y, x2 + x, y2 + y]);
      if (maskExpand && s.gtPoly) s.gtPoly = s.gtPoly.map((polys) => polys.map((p) => p.map((v, i) => v + (i % 2 === 0 ? x : y))));
      return s;
    },
  };
}
