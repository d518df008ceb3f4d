/**
 * MixupImage: blends the sample with its mixup partner. factor ~ Beta(alpha, beta) clipped to
 * [0, 1]; factor 1 keeps the sample alone, 0 returns the partner. Otherwise the canvas is the
 * larger of the two sizes, image = uint8(a * factor + b * (1 - factor)) (zeros outside a
 * smaller image), boxes and classes are concatenated and gt_score becomes score * factor for
 * the sample's boxes and score * (1 - factor) for the partner's; h, w become the canvas size.
 */
import type { Sample } from '../types';
import { requireHwc } from '../image';
import { num, type OpConfig, type SampleOp } from './op';

export function mixupImage(cfg: OpConfig): SampleOp {
  const alpha = num(cfg, 'alpha');
  const beta = num(cfg, 'beta');
  if (!(alpha > 0) || !(beta > 0)) throw new Error(`MixupImage: expected alpha and beta > 0, got ${alpha}, ${beta}`);
  return {
    kind: 'sample',
    name: 'MixupImage',
    apply(s, rng) {
      const m = s.mixup;
      if (!m) return s;
      const factor = Math.max(0, Math.min(1, rng.beta(alpha, beta)));
      if (factor >= 1) {
        delete s.mixup;
        return s;
      }
      if (factor <= 0) return m;
      return mixPair(s, m, factor);
    },
  };
}

/** The blend for a given factor in (0, 1). */
export function mixPair(s: Sample, m: Sample, factor: number): Sample {
  const a = s.image!;
  const b = m.image!;
  requireHwc(a, 'MixupImage');
  requireHwc(b, 'MixupImage');
  const h = Math.max(a.h, b.h);
  const w = Math.max(a.w, b.w);
  const c = a.c;
  const out = new Float32Array(h * w * c);
  const g = 1 - factor;
  const fa = Math.fround(factor);
  const fg = Math.fround(g);
  const ad = a.data;
  const bd = b.data;
  // float32 arithmetic as the reference (its arrays are float32), then the uint8 cast.
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w * c; x++) {
      const va = y < a.h && x < a.w * c ? Math.fround(ad[y * a.w * c + x] * fa) : 0;
      const vb = y < b.h && x < b.w * c ? Math.fround(bd[y * b.w * c + x] * fg) : 0;
      const v = Math.fround(va + vb);
      out[y * w * c + x] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
    }
  }
  const score = (list: number[], n: number) => (list.length ? list : new Array<number>(n).fill(1));
  const out2: Sample = {
    ...s,
    image: { data: out, h, w, c, chw: false, uint8: true },
    gtBbox: [...s.gtBbox, ...m.gtBbox],
    gtClass: [...s.gtClass, ...m.gtClass],
    gtScore: [...score(s.gtScore, s.gtBbox.length).map((v) => v * factor), ...score(m.gtScore, m.gtBbox.length).map((v) => v * g)],
    isCrowd: [...s.isCrowd, ...m.isCrowd],
    difficult: [...s.difficult, ...m.difficult],
    ...(s.gtPoly || m.gtPoly ? { gtPoly: [...(s.gtPoly ?? s.gtBbox.map(() => [])), ...(m.gtPoly ?? m.gtBbox.map(() => []))] } : {}),
    h,
    w,
  };
  delete out2.mixup;
  return out2;
}
