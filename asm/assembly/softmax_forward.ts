// softmax_forward along the middle axis of [outer, len, inner]:
//   y[o, l, i] = exp(x[o, l, i] - m) / sum_l' exp(x[o, l', i] - m), m = max_l x[o, l, i].
// inner == 1: one contiguous row at a time (f32x4 max, exp, sum); otherwise 4 neighbouring i
// at a time walk the l axis together, with a scalar tail.
import { gi, fa, hsum } from './util';
import { vexp } from './vmath';

export function softmax_forward(x: usize, y: usize, p: usize): void {
  const outer = gi(p, 0), len = gi(p, 1), inner = gi(p, 2);
  const stride = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const xo = fa(x, o * len * inner), yo = fa(y, o * len * inner);
    if (inner == 1) {
      let mv = f32x4.splat(-Infinity);
      let l = 0;
      for (; l + 4 <= len; l += 4) mv = f32x4.max(mv, v128.load(fa(xo, l)));
      let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
      for (; l < len; l++) m = max(m, load<f32>(fa(xo, l)));
      const ms = f32x4.splat(m);
      let sv = f32x4.splat(0);
      l = 0;
      for (; l + 4 <= len; l += 4) {
        const e = vexp(f32x4.sub(v128.load(fa(xo, l)), ms));
        v128.store(fa(yo, l), e);
        sv = f32x4.add(sv, e);
      }
      let s = hsum(sv);
      for (; l < len; l++) {
        const e = Mathf.exp(load<f32>(fa(xo, l)) - m);
        store<f32>(fa(yo, l), e);
        s += e;
      }
      const inv = f32x4.splat(1 / s);
      l = 0;
      for (; l + 4 <= len; l += 4) v128.store(fa(yo, l), f32x4.mul(v128.load(fa(yo, l)), inv));
      for (; l < len; l++) store<f32>(fa(yo, l), load<f32>(fa(yo, l)) * (1 / s));
      continue;
    }
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      let mv = f32x4.splat(-Infinity);
      for (let l = 0; l < len; l++) mv = f32x4.max(mv, v128.load(fa(xo, i) + <usize>l * stride));
      let sv = f32x4.splat(0);
      for (let l = 0; l < len; l++) {
        const e = vexp(f32x4.sub(v128.load(fa(xo, i) + <usize>l * stride), mv));
        v128.store(fa(yo, i) + <usize>l * stride, e);
        sv = f32x4.add(sv, e);
      }
      const inv = f32x4.div(f32x4.splat(1), sv);
      for (let l = 0; l < len; l++) {
        const a = fa(yo, i) + <usize>l * stride;
        v128.store(a, f32x4.mul(v128.load(a), inv));
      }
    }
    for (; i < inner; i++) {
      let m: f32 = -Infinity;
      for (let l = 0; l < len; l++) m = max(m, load<f32>(fa(xo, i) + <usize>l * stride));
      let s: f32 = 0;
      for (let l = 0; l < len; l++) {
        const e = Mathf.exp(load<f32>(fa(xo, i) + <usize>l * stride) - m);
        store<f32>(fa(yo, i) + <usize>l * stride, e);
        s += e;
      }
      for (let l = 0; l < len; l++) {
        const a = fa(yo, i) + <usize>l * stride;
        store<f32>(a, load<f32>(a) / s);
      }
    }
  }
}
