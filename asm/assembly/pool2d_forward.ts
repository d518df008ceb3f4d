// pool2d_forward over [N, C, H, W] -> [N, C, OH, OW]; the window of (oh, ow) covers rows
// oh*SH - PT .. + KH - 1 and columns ow*SW - PL .. + KW - 1, clipped to the image.
// kind 0 max: the largest in-bounds tap (padding never wins; a window with no in-bounds tap
// gives 0). kind 1 avg: the in-bounds sum divided by the in-bounds count (exclusive) or by
// KH*KW. p = [N, C, H, W, OH, OW, KH, KW, SH, SW, PT, PL, kind, exclusive]; y overwritten.
import { gi, fa } from './util';

export function pool2d_forward(x: usize, y: usize, p: usize): void {
  const N = gi(p, 0), C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), OH = gi(p, 4), OW = gi(p, 5);
  const KH = gi(p, 6), KW = gi(p, 7), SH = gi(p, 8), SW = gi(p, 9), PT = gi(p, 10), PL = gi(p, 11);
  const isMax = gi(p, 12) == 0, exclusive = gi(p, 13) != 0;
  for (let nc = 0; nc < N * C; nc++) {
    const xp = fa(x, nc * H * W);
    let yp = fa(y, nc * OH * OW);
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * SH - PT;
      const h0 = max(hs, 0), h1 = min(hs + KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const ws = ow * SW - PL;
        const w0 = max(ws, 0), w1 = min(ws + KW, W);
        let r: f32 = 0;
        if (isMax) {
          let best: f32 = 0;
          let any = false;
          for (let h = h0; h < h1; h++) {
            const row = fa(xp, h * W);
            for (let w = w0; w < w1; w++) {
              const v = load<f32>(fa(row, w));
              if (!any || v > best) best = v;
              any = true;
            }
          }
          r = best;
        } else {
          let s: f32 = 0;
          for (let h = h0; h < h1; h++) {
            const row = fa(xp, h * W);
            for (let w = w0; w < w1; w++) s += load<f32>(fa(row, w));
          }
          const cnt = exclusive ? max(h1 - h0, 0) * max(w1 - w0, 0) : KH * KW;
          r = cnt > 0 ? s / <f32>cnt : 0;
        }
        store<f32>(yp, r);
        yp += 4;
      }
    }
  }
}
