/**
 * 2-D max and average pooling, NCHW, and their gradients.
 *
 *   x [N, C, H, W] -> y [N, C, OH, OW]; the window of (oh, ow) covers rows
 *   oh*SH - PT .. + KH - 1 and columns ow*SW - PL .. + KW - 1. OH, OW are given, so any
 *   bottom/right padding (ceil mode) is implied by them.
 *   kind 0, max: the largest in-bounds tap; padding never wins. A NaN tap makes the output NaN
 *     (the first NaN in scan order is the picked tap). The gradient goes to the picked tap: the
 *     first NaN, else the first maximal tap in scan order (kh, then kw).
 *   kind 1, avg: the sum of in-bounds taps divided by the number of in-bounds taps when
 *     exclusive, else by KH * KW (padding counts as zeros).
 *   A window with no in-bounds tap (it lies wholly in the padding, possible when padding >=
 *   kernel) gives 0 for both kinds and receives no gradient. Paddle's CPU pool2d gives
 *   -FLT_MAX (its max-pool start value) there and 0/0 for an exclusive average; 0 is what a
 *   window of padding means everywhere else here, and keeps such outputs finite.
 * p = POOL_GEOM = [N, C, H, W, OH, OW, KH, KW, SH, SW, PT, PL, kind, exclusive].
 * y and dx overwritten.
 */
import type { F64, Geom } from './types';

/**
 * Visits every output of the pooling with its window: f(xBase, yi, h0, h1, w0, w1), the window
 * being rows [h0, h1) and columns [w0, w1) of the plane at xBase, clipped to the image.
 */
function forEachWindow(p: Geom, f: (xBase: number, yi: number, h0: number, h1: number, w0: number, w1: number) => void): void {
  const [N, C, H, W, OH, OW, KH, KW, SH, SW, PT, PL] = Array.from(p);
  for (let nc = 0; nc < N * C; nc++) {
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * SH - PT;
      const h0 = Math.max(hs, 0), h1 = Math.min(hs + KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const ws = ow * SW - PL;
        const w0 = Math.max(ws, 0), w1 = Math.min(ws + KW, W);
        f(nc * H * W, (nc * OH + oh) * OW + ow, h0, h1, w0, w1);
      }
    }
  }
}

/** Index of the picked tap of a window (the first NaN, else the first maximal one), or -1 when it has none. */
function argmax(x: F64, W: number, xBase: number, h0: number, h1: number, w0: number, w1: number): number {
  let best = -1;
  for (let h = h0; h < h1; h++) {
    for (let w = w0; w < w1; w++) {
      const i = xBase + h * W + w;
      if (Number.isNaN(x[i])) return i;
      if (best < 0 || x[i] > x[best]) best = i;
    }
  }
  return best;
}

/** The average's divisor; 0 for an empty window. */
function divisor(p: Geom, h0: number, h1: number, w0: number, w1: number): number {
  if (h0 >= h1 || w0 >= w1) return 0;
  return p[13] !== 0 ? (h1 - h0) * (w1 - w0) : p[6] * p[7];
}

export function pool2d_forward(x: F64, y: F64, p: Geom): void {
  const W = p[3], isMax = p[12] === 0;
  forEachWindow(p, (xBase, yi, h0, h1, w0, w1) => {
    if (isMax) {
      const i = argmax(x, W, xBase, h0, h1, w0, w1);
      y[yi] = i < 0 ? 0 : x[i];
      return;
    }
    let s = 0;
    for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += x[xBase + h * W + w];
    const d = divisor(p, h0, h1, w0, w1);
    y[yi] = d > 0 ? s / d : 0;
  });
}

export function pool2d_backward(x: F64, dy: F64, dx: F64, p: Geom): void {
  const W = p[3], isMax = p[12] === 0;
  dx.fill(0, 0, p[0] * p[1] * p[2] * p[3]);
  forEachWindow(p, (xBase, yi, h0, h1, w0, w1) => {
    if (isMax) {
      const i = argmax(x, W, xBase, h0, h1, w0, w1);
      if (i >= 0) dx[i] += dy[yi];
      return;
    }
    const d = divisor(p, h0, h1, w0, w1);
    if (d <= 0) return;
    const g = dy[yi] / d;
    for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) dx[xBase + h * W + w] += g;
  });
}
