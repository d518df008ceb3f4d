// affine_channel_backward over [N, C, HW]: dx = dy * scale[c]; dscale[c] = sum dy * x;
// dbias[c] = sum dy. Each output optional (0: not computed), overwritten.
import { gi, fa, sumF, dotF, scaleF } from './util';

export function affine_channel_backward(x: usize, dy: usize, scale: usize, dx: usize, dscale: usize, dbias: usize, p: usize): void {
  const N = gi(p, 0), C = gi(p, 1), HW = gi(p, 2);
  for (let c = 0; c < C; c++) {
    let ss: f64 = 0, sb: f64 = 0;
    const k = load<f32>(fa(scale, c));
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * HW;
      if (dx) scaleF(fa(dx, o), fa(dy, o), HW, k);
      if (dscale) ss += dotF(fa(dy, o), fa(x, o), HW);
      if (dbias) sb += sumF(fa(dy, o), HW);
    }
    if (dscale) store<f32>(fa(dscale, c), <f32>ss);
    if (dbias) store<f32>(fa(dbias, c), <f32>sb);
  }
}
