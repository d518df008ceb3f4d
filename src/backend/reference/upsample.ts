/**
 * Resizing of each [H, W] plane of x [N, C, H, W] to [OH, OW], and its gradient.
 *
 * mode 0, nearest: align_corners 0: src = floor(dst * H / OH) (same for columns), clamped to H - 1;
 *   align_corners 1: src = floor(dst * (H-1)/(OH-1) + 1/2), 0 when OH == 1: the nearest
 *   corner-aligned pixel, ties rounding up (Paddle's resize_nearest default). Integer maths, so
 *   the pick is exact on every backend.
 * mode 1, bilinear: each output is a weighted sum of the 4 neighbours of a source point
 *   align_corners 0: src = (dst + 0.5) * H / OH - 0.5, clamped at 0 (half-pixel centres);
 *   align_corners 1: src = dst * (H - 1) / (OH - 1), 0 when OH == 1;
 *   h0 = floor(src) (at most H - 1), h1 = min(h0 + 1, H - 1), lh = src - h0, and
 *   y = (1-lh)(1-lw) x[h0,w0] + (1-lh) lw x[h0,w1] + lh (1-lw) x[h1,w0] + lh lw x[h1,w1].
 * The backward sends dy back along the same weights (dx overwritten).
 * p = UPSAMPLE_GEOM = [N, C, H, W, OH, OW, mode, align_corners].
 */
import type { F64, Geom } from './types';

/** One source coordinate: lower index, upper index and the weight of the upper one. */
interface Tap { i0: number; i1: number; l: number }

function taps(out: number, size: number, mode: number, align: number): Tap[] {
  const t: Tap[] = [];
  for (let d = 0; d < out; d++) {
    if (mode === 0) {
      // (2d(size-1) + out-1) / (2(out-1)) in integers: exact below 2^53, far above any tensor
      const pick = align === 0 ? Math.floor((d * size) / out) : out > 1 ? Math.floor((2 * d * (size - 1) + out - 1) / (2 * (out - 1))) : 0;
      const s = Math.min(pick, size - 1);
      t.push({ i0: s, i1: s, l: 0 });
      continue;
    }
    let src: number;
    if (align !== 0) src = out > 1 ? (d * (size - 1)) / (out - 1) : 0;
    // ((d + 0.5) * size) / out: one rounding, so every backend picks the same taps and weights
    else src = Math.max(((d + 0.5) * size) / out - 0.5, 0);
    const i0 = Math.min(Math.floor(src), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    t.push({ i0, i1, l: src - i0 });
  }
  return t;
}

/** Calls f(xi, yi, weight) for each of the (up to 4) source taps of every output element. */
function forEachTap(p: Geom, f: (xi: number, yi: number, weight: number) => void): void {
  const [N, C, H, W, OH, OW, mode, align] = Array.from(p);
  const rows = taps(OH, H, mode, align), cols = taps(OW, W, mode, align);
  for (let nc = 0; nc < N * C; nc++) {
    const xBase = nc * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const r = rows[oh];
      for (let ow = 0; ow < OW; ow++) {
        const c = cols[ow];
        const yi = (nc * OH + oh) * OW + ow;
        if (mode === 0) {
          f(xBase + r.i0 * W + c.i0, yi, 1);
          continue;
        }
        f(xBase + r.i0 * W + c.i0, yi, (1 - r.l) * (1 - c.l));
        f(xBase + r.i0 * W + c.i1, yi, (1 - r.l) * c.l);
        f(xBase + r.i1 * W + c.i0, yi, r.l * (1 - c.l));
        f(xBase + r.i1 * W + c.i1, yi, r.l * c.l);
      }
    }
  }
}

export function upsample_forward(x: F64, y: F64, p: Geom): void {
  y.fill(0, 0, p[0] * p[1] * p[4] * p[5]);
  forEachTap(p, (xi, yi, wt) => {
    y[yi] += wt * x[xi];
  });
}

export function upsample_backward(dy: F64, dx: F64, p: Geom): void {
  dx.fill(0, 0, p[0] * p[1] * p[2] * p[3]);
  forEachTap(p, (xi, yi, wt) => {
    dx[xi] += wt * dy[yi];
  });
}
