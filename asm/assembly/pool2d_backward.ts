// pool2d_backward: dx overwritten (same geometry as pool2d_forward). Max: each dy goes to the
// first maximal in-bounds tap of its window in scan order (kh, then kw). Avg: dy / divisor is
// added to every in-bounds tap (divisor as in the forward).
import { gi, fa, zeroF } from './util';

export function pool2d_backward(x: usize, dy: usize, dx: usize, p: usize): void {
  const N = gi(p, 0), C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), OH = gi(p, 4), OW = gi(p, 5);
  const KH = gi(p, 6), KW = gi(p, 7), SH = gi(p, 8), SW = gi(p, 9), PT = gi(p, 10), PL = gi(p, 11);
  const isMax = gi(p, 12) == 0, exclusive = gi(p, 13) != 0;
  zeroF(dx, N * C * H * W);
  for (let nc = 0; nc < N * C; nc++) {
    const xp = fa(x, nc * H * W), gp = fa(dx, nc * H * W);
    let dp = fa(dy, nc * OH * OW);
    for (let oh = 0; oh < OH; oh++) {
      const hs = oh * SH - PT;
      const h0 = max(hs, 0), h1 = min(hs + KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const ws = ow * SW - PL;
        const w0 = max(ws, 0), w1 = min(ws + KW, W);
        const g = load<f32>(dp);
        dp += 4;
        if (isMax) {
          let best: f32 = 0;
          let at = -1;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const v = load<f32>(fa(xp, h * W + w));
              if (at < 0 || v > best) {
                best = v;
                at = h * W + w;
              }
            }
          }
          if (at >= 0) store<f32>(fa(gp, at), load<f32>(fa(gp, at)) + g);
        } else {
          const cnt = exclusive ? max(h1 - h0, 0) * max(w1 - w0, 0) : KH * KW;
          if (cnt <= 0) continue;
          const v = g / <f32>cnt;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const o = fa(gp, h * W + w);
              store<f32>(o, load<f32>(o) + v);
            }
          }
        }
      }
    }
  }
}
