// binary_backward: gradients of binary_forward (see binary_forward.ts for the layout):
//   add: da = dy, db = reduce(dy);  sub: da = dy, db = -reduce(dy);  mul: da = dy * b, db = reduce(dy * a)
// where reduce sums over the axes b was broadcast along (nothing for bmode 0, outer and inner
// for bmode 1, everything for bmode 2). da, db optional (0: not computed), overwritten.
import { gi, fa, copyF, scaleF, sumF, dotF } from './util';

export function binary_backward(a: usize, b: usize, dy: usize, da: usize, db: usize, p: usize): void {
  const outer = gi(p, 0), C = gi(p, 1), inner = gi(p, 2), op = gi(p, 3), bmode = gi(p, 4);
  const n = outer * C * inner;
  if (da) {
    if (op != 2) copyF(da, dy, n);
    else if (bmode == 0) {
      let i = 0;
      for (; i + 4 <= n; i += 4) v128.store(fa(da, i), f32x4.mul(v128.load(fa(dy, i)), v128.load(fa(b, i))));
      for (; i < n; i++) store<f32>(fa(da, i), load<f32>(fa(dy, i)) * load<f32>(fa(b, i)));
    } else if (bmode == 2) scaleF(da, dy, n, load<f32>(b));
    else {
      for (let o = 0; o < outer; o++) {
        for (let c = 0; c < C; c++) {
          const k = (o * C + c) * inner;
          scaleF(fa(da, k), fa(dy, k), inner, load<f32>(fa(b, c)));
        }
      }
    }
  }
  if (db) {
    if (bmode == 0) {
      if (op == 0) copyF(db, dy, n);
      else if (op == 1) scaleF(db, dy, n, -1);
      else {
        let i = 0;
        for (; i + 4 <= n; i += 4) v128.store(fa(db, i), f32x4.mul(v128.load(fa(dy, i)), v128.load(fa(a, i))));
        for (; i < n; i++) store<f32>(fa(db, i), load<f32>(fa(dy, i)) * load<f32>(fa(a, i)));
      }
    } else {
      const sign: f64 = op == 1 ? -1 : 1;
      let total: f64 = 0;
      for (let c = 0; c < C; c++) {
        let s: f64 = 0;
        for (let o = 0; o < outer; o++) {
          const k = (o * C + c) * inner;
          s += op == 2 ? dotF(fa(dy, k), fa(a, k), inner) : sumF(fa(dy, k), inner);
        }
        if (bmode == 1) store<f32>(fa(db, c), <f32>(s * sign));
        total += s;
      }
      if (bmode == 2) store<f32>(db, <f32>(total * sign));
    }
  }
}
