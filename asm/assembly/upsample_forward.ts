// upsample_forward: resize each [H, W] plane of x [N, C, H, W] to [OH, OW], nearest (mode 0) or
// bilinear (mode 1, align_corners p[7]); source taps per row and column from upsample_taps.ts:
//   y = (1-lh)(1-lw) x[h0,w0] + (1-lh) lw x[h0,w1] + lh (1-lw) x[h1,w0] + lh lw x[h1,w1].
// p = [N, C, H, W, OH, OW, mode, align_corners]; y overwritten.
import { free } from './mem';
import { gi, fa } from './util';
import { makeTaps } from './upsample_taps';

export function upsample_forward(x: usize, y: usize, p: usize): void {
  const N = gi(p, 0), C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), OH = gi(p, 4), OW = gi(p, 5), mode = gi(p, 6);
  const rows = makeTaps(OH, H, mode, gi(p, 7));
  const cols = makeTaps(OW, W, mode, gi(p, 7));
  for (let nc = 0; nc < N * C; nc++) {
    const xp = fa(x, nc * H * W);
    let yp = fa(y, nc * OH * OW);
    for (let oh = 0; oh < OH; oh++) {
      const rt = rows + <usize>oh * 12;
      const r0 = fa(xp, load<i32>(rt) * W), r1 = fa(xp, load<i32>(rt, 4) * W);
      const lh = load<f32>(rt, 8);
      for (let ow = 0; ow < OW; ow++) {
        const ct = cols + <usize>ow * 12;
        const c0 = load<i32>(ct);
        let v: f32;
        if (mode == 0) {
          v = load<f32>(fa(r0, c0));
        } else {
          const c1 = load<i32>(ct, 4), lw = load<f32>(ct, 8);
          const top = load<f32>(fa(r0, c0)) * (1 - lw) + load<f32>(fa(r0, c1)) * lw;
          const bot = load<f32>(fa(r1, c0)) * (1 - lw) + load<f32>(fa(r1, c1)) * lw;
          v = top * (1 - lh) + bot * lh;
        }
        store<f32>(yp, v);
        yp += 4;
      }
    }
  }
  free(cols);
  free(rows);
}
