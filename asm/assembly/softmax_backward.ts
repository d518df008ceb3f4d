// softmax_backward along the middle axis of [outer, len, inner]: dx = y * (dy - sum_l(dy * y)).
// Same traversal as softmax_forward: contiguous rows when inner == 1, else 4 i at a time.
import { gi, fa, dotF } from './util';

export function softmax_backward(y: usize, dy: usize, dx: usize, p: usize): void {
  const outer = gi(p, 0), len = gi(p, 1), inner = gi(p, 2);
  const stride = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = <usize>(o * len * inner) << 2;
    const yo = y + base, go = dy + base, xo = dx + base;
    if (inner == 1) {
      const s = <f32>dotF(go, yo, len);
      const sv = f32x4.splat(s);
      let l = 0;
      for (; l + 4 <= len; l += 4) v128.store(fa(xo, l), f32x4.mul(v128.load(fa(yo, l)), f32x4.sub(v128.load(fa(go, l)), sv)));
      for (; l < len; l++) store<f32>(fa(xo, l), load<f32>(fa(yo, l)) * (load<f32>(fa(go, l)) - s));
      continue;
    }
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      const off = <usize>i << 2;
      let sv = f32x4.splat(0);
      for (let l = 0; l < len; l++) {
        const a = off + <usize>l * stride;
        sv = f32x4.add(sv, f32x4.mul(v128.load(go + a), v128.load(yo + a)));
      }
      for (let l = 0; l < len; l++) {
        const a = off + <usize>l * stride;
        v128.store(xo + a, f32x4.mul(v128.load(yo + a), f32x4.sub(v128.load(go + a), sv)));
      }
    }
    for (; i < inner; i++) {
      const off = <usize>i << 2;
      let s: f32 = 0;
      for (let l = 0; l < len; l++) {
        const a = off + <usize>l * stride;
        s += load<f32>(go + a) * load<f32>(yo + a);
      }
      for (let l = 0; l < len; l++) {
        const a = off + <usize>l * stride;
        store<f32>(xo + a, load<f32>(yo + a) * (load<f32>(go + a) - s));
      }
    }
  }
}
