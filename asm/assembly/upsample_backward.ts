// upsample_backward: dx (overwritten) receives every dy along the forward's taps and weights
// (see upsample_forward.ts / upsample_taps.ts).
import { free } from './mem';
import { gi, fa, zeroF } from './util';
import { makeTaps } from './upsample_taps';

@inline function addAt(a: usize, v: f32): void {
  store<f32>(a, load<f32>(a) + v);
}

export function upsample_backward(dy: usize, dx: usize, p: usize): void {
  const N = gi(p, 0), C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), OH = gi(p, 4), OW = gi(p, 5), mode = gi(p, 6);
  const rows = makeTaps(OH, H, mode, gi(p, 7));
  const cols = makeTaps(OW, W, mode, gi(p, 7));
  zeroF(dx, N * C * H * W);
  for (let nc = 0; nc < N * C; nc++) {
    const xp = fa(dx, nc * H * W);
    let gp = fa(dy, nc * OH * OW);
    for (let oh = 0; oh < OH; oh++) {
      const rt = rows + <usize>oh * 12;
      const r0 = fa(xp, load<i32>(rt) * W), r1 = fa(xp, load<i32>(rt, 4) * W);
      const lh = load<f32>(rt, 8);
      for (let ow = 0; ow < OW; ow++) {
        const ct = cols + <usize>ow * 12;
        const c0 = load<i32>(ct);
        const g = load<f32>(gp);
        gp += 4;
        if (mode == 0) {
          addAt(fa(r0, c0), g);
        } else {
          const c1 = load<i32>(ct, 4), lw = load<f32>(ct, 8);
          addAt(fa(r0, c0), g * ((1 - lh) * (1 - lw)));
          addAt(fa(r0, c1), g * ((1 - lh) * lw));
          addAt(fa(r1, c0), g * (lh * (1 - lw)));
          addAt(fa(r1, c1), g * (lh * lw));
        }
      }
    }
  }
  free(cols);
  free(rows);
}
