/**
 * ColorDistort (YOLOv3's colour jitter). Each of brightness, contrast, saturation and hue is
 * given as [low, high, prob] and is SKIPPED when a uniform draw is below prob (so prob 0.5
 * applies it half the time), then draws delta ~ U(low, high):
 *   brightness  img += delta            (deltas near 1 on a 0..255 scale: a small shift)
 *   contrast    img *= delta
 *   saturation  img = img * delta + gray * (1 - delta), gray = 0.299 R + 0.587 G + 0.114 B
 *   hue         rotate the chroma in YIQ space by delta * pi radians (delta in "degrees"
 *               of the [-18, 18] range, as the reference does)
 * random_apply: the four in a random order (one permutation draw); otherwise brightness, then
 * with probability 1/2 contrast before saturation+hue, else after. The result is float (not
 * clipped), as the reference leaves it. hsv_format and random_channel are not supported.
 */
import type { Img } from '../types';
import type { Rng } from '../rng';
import { requireHwc } from '../image';
import { bool, nums, type OpConfig, type SampleOp } from './op';

const TYIQ = [
  [0.299, 0.587, 0.114],
  [0.596, -0.274, -0.321],
  [0.211, -0.523, 0.311],
];
const ITYIQ = [
  [1.0, 0.956, 0.621],
  [1.0, -0.272, -0.647],
  [1.0, -1.107, 1.705],
];

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

/** The 3x3 matrix M with rgb' = M rgb for a hue rotation of delta. */
export function hueMatrix(delta: number): number[][] {
  const u = Math.cos(delta * Math.PI);
  const w = Math.sin(delta * Math.PI);
  const bt = [
    [1, 0, 0],
    [0, u, -w],
    [0, w, u],
  ];
  return matmul(matmul(ITYIQ, bt), TYIQ);
}

type Step = (img: Img, rng: Rng) => Img;

const asFloat = (img: Img): Img => ({ ...img, data: new Float32Array(img.data), uint8: false });

export function colorDistort(cfg: OpConfig): SampleOp {
  const [hLo, hHi, hP] = nums(cfg, 'hue', 3);
  const [sLo, sHi, sP] = nums(cfg, 'saturation', 3);
  const [cLo, cHi, cP] = nums(cfg, 'contrast', 3);
  const [bLo, bHi, bP] = nums(cfg, 'brightness', 3);
  const randomApply = bool(cfg, 'random_apply');
  if (bool(cfg, 'hsv_format')) throw new Error('ColorDistort: hsv_format: true is not supported (use the default false)');
  if (bool(cfg, 'random_channel')) throw new Error('ColorDistort: random_channel: true is not supported (use the default false)');

  const brightness: Step = (img, rng) => {
    if (rng.uniform(0, 1) < bP) return img;
    const d = rng.uniform(bLo, bHi);
    const o = asFloat(img);
    for (let i = 0; i < o.data.length; i++) o.data[i] += d;
    return o;
  };
  const contrast: Step = (img, rng) => {
    if (rng.uniform(0, 1) < cP) return img;
    const d = rng.uniform(cLo, cHi);
    const o = asFloat(img);
    for (let i = 0; i < o.data.length; i++) o.data[i] *= d;
    return o;
  };
  const saturation: Step = (img, rng) => {
    if (rng.uniform(0, 1) < sP) return img;
    const d = rng.uniform(sLo, sHi);
    const o = asFloat(img);
    const p = o.data;
    for (let i = 0; i < p.length; i += 3) {
      const gray = (p[i] * 0.299 + p[i + 1] * 0.587 + p[i + 2] * 0.114) * (1 - d);
      p[i] = p[i] * d + gray;
      p[i + 1] = p[i + 1] * d + gray;
      p[i + 2] = p[i + 2] * d + gray;
    }
    return o;
  };
  const hue: Step = (img, rng) => {
    if (rng.uniform(0, 1) < hP) return img;
    const m = hueMatrix(rng.uniform(hLo, hHi));
    const o = asFloat(img);
    const p = o.data;
    for (let i = 0; i < p.length; i += 3) {
      const r = p[i];
      const g = p[i + 1];
      const b = p[i + 2];
      p[i] = m[0][0] * r + m[0][1] * g + m[0][2] * b;
      p[i + 1] = m[1][0] * r + m[1][1] * g + m[1][2] * b;
      p[i + 2] = m[2][0] * r + m[2][1] * g + m[2][2] * b;
    }
    return o;
  };

  return {
    kind: 'sample',
    name: 'ColorDistort',
    apply(s, rng) {
      let img = s.image!;
      requireHwc(img, 'ColorDistort');
      if (randomApply) {
        for (const step of rng.permutation([brightness, contrast, saturation, hue])) img = step(img, rng);
      } else {
        img = brightness(img, rng);
        if (rng.randint(0, 2)) {
          img = contrast(img, rng);
          img = saturation(img, rng);
          img = hue(img, rng);
        } else {
          img = saturation(img, rng);
          img = hue(img, rng);
          img = contrast(img, rng);
        }
      }
      s.image = img;
      return s;
    },
  };
}
