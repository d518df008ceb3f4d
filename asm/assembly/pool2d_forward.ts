// pool2d_forward over [N, C, H, W] -> [N, C, OH, OW]; the window of (oh, ow) covers rows
// oh*SH - PT .. + KH - 1 and columns ow*SW - PL .. + KW - 1, clipped to the image
// (pool2d_window.ts). kind 0 max: the largest in-bounds tap, padding never wins; a NaN tap makes
// the output NaN; a window with no in-bounds tap gives 0. kind 1 avg: the in-bounds sum divided
// by the in-bounds count (exclusive) or by KH*KW; an empty window gives 0. The sum and the
// divisor are f64, so huge windows (KH*KW past 2^31) and taps near FLT_MAX do not overflow before
// the division. p = [N, C, H, W, OH, OW, KH, KW, SH, SW, PT, PL, kind, exclusive]; y overwritten.
import { gi, fa } from './util';
import { winHi, winLo } from './pool2d_window';

export function pool2d_forward(x: usize, y: usize, p: usize): void {
  const N = gi(p, 0), C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), OH = gi(p, 4), OW = gi(p, 5);
  const KH = gi(p, 6), KW = gi(p, 7), SH = gi(p, 8), SW = gi(p, 9), PT = gi(p, 10), PL = gi(p, 11);
  const isMax = gi(p, 12) == 0, exclusive = gi(p, 13) != 0;
  const full = <f64>KH * <f64>KW;
  for (let nc = 0; nc < N * C; nc++) {
    const xp = fa(x, nc * H * W);
    let yp = fa(y, nc * OH * OW);
    for (let oh = 0; oh < OH; oh++) {
      const h0 = winLo(oh, SH, PT), h1 = winHi(oh, SH, PT, KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = winLo(ow, SW, PL), w1 = winHi(ow, SW, PL, KW, W);
        let r: f32 = 0;
        if (h0 < h1 && w0 < w1) {
          if (isMax) {
            let best = load<f32>(fa(xp, h0 * W + w0));
            for (let h = h0; h < h1 && best == best; h++) {
              const row = fa(xp, h * W);
              for (let w = w0; w < w1; w++) {
                const v = load<f32>(fa(row, w));
                if (v != v) { best = v; break; } // NaN propagates, the first one wins
                if (v > best) best = v;
              }
            }
            r = best;
          } else {
            let s: f64 = 0;
            for (let h = h0; h < h1; h++) {
              const row = fa(xp, h * W);
              for (let w = w0; w < w1; w++) s += <f64>load<f32>(fa(row, w));
            }
            r = <f32>(s / (exclusive ? <f64>(h1 - h0) * <f64>(w1 - w0) : full));
          }
        }
        store<f32>(yp, r);
        yp += 4;
      }
    }
  }
}
