// pool2d_backward: dx overwritten (same geometry and windows as pool2d_forward). Max: each dy
// goes to the tap the forward picked: the first NaN tap if any, else the first maximal in-bounds
// tap in scan order (kh, then kw). Avg: dy / divisor (f64, as in the forward) is added to every
// in-bounds tap. Empty windows send nothing.
import { gi, fa, zeroF } from './util';
import { winHi, winLo } from './pool2d_window';

export function pool2d_backward(x: usize, dy: usize, dx: usize, p: usize): void {
  const N = gi(p, 0), C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), OH = gi(p, 4), OW = gi(p, 5);
  const KH = gi(p, 6), KW = gi(p, 7), SH = gi(p, 8), SW = gi(p, 9), PT = gi(p, 10), PL = gi(p, 11);
  const isMax = gi(p, 12) == 0, exclusive = gi(p, 13) != 0;
  const full = <f64>KH * <f64>KW;
  zeroF(dx, N * C * H * W);
  for (let nc = 0; nc < N * C; nc++) {
    const xp = fa(x, nc * H * W), gp = fa(dx, nc * H * W);
    let dp = fa(dy, nc * OH * OW);
    for (let oh = 0; oh < OH; oh++) {
      const h0 = winLo(oh, SH, PT), h1 = winHi(oh, SH, PT, KH, H);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = winLo(ow, SW, PL), w1 = winHi(ow, SW, PL, KW, W);
        const g = load<f32>(dp);
        dp += 4;
        if (h0 >= h1 || w0 >= w1) continue;
        if (isMax) {
          let at = h0 * W + w0;
          let best = load<f32>(fa(xp, at));
          let nan = best != best;
          for (let h = h0; h < h1 && !nan; h++) {
            for (let w = w0; w < w1; w++) {
              const v = load<f32>(fa(xp, h * W + w));
              if (v != v) {
                at = h * W + w;
                nan = true;
                break;
              }
              if (v > best) {
                best = v;
                at = h * W + w;
              }
            }
          }
          store<f32>(fa(gp, at), load<f32>(fa(gp, at)) + g);
        } else {
          const v = <f32>(<f64>g / (exclusive ? <f64>(h1 - h0) * <f64>(w1 - w0) : full));
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
