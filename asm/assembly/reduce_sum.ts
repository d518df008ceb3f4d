// reduce_sum: y[o, i] = sum_l x[o, l, i] over x viewed as [outer, len, inner]; y overwritten.
// inner == 1 sums a contiguous row (f32x4 partial sums, f64 total); otherwise rows of length
// inner are added with f32x4.
import { gi, fa, sumF, copyF, addF, zeroF } from './util';

export function reduce_sum(x: usize, y: usize, p: usize): void {
  const outer = gi(p, 0), len = gi(p, 1), inner = gi(p, 2);
  for (let o = 0; o < outer; o++) {
    const xo = fa(x, o * len * inner), yo = fa(y, o * inner);
    if (inner == 1) {
      store<f32>(yo, <f32>sumF(xo, len));
      continue;
    }
    if (len == 0) {
      zeroF(yo, inner);
      continue;
    }
    copyF(yo, xo, inner);
    for (let l = 1; l < len; l++) addF(yo, fa(xo, l * inner), inner);
  }
}
