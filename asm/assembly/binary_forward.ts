// binary_forward: y = a (op) b over a = [outer, C, inner], op p[3]: 0 add, 1 sub, 2 mul;
// b broadcast by p[4]: 0 same shape as a, 1 per channel [C], 2 scalar [1]. f32x4 rows.
import { gi, fa } from './util';

@inline function opV(op: i32, x: v128, y: v128): v128 {
  return op == 0 ? f32x4.add(x, y) : op == 1 ? f32x4.sub(x, y) : f32x4.mul(x, y);
}
@inline function opS(op: i32, x: f32, y: f32): f32 {
  return op == 0 ? x + y : op == 1 ? x - y : x * y;
}

/** y[i] = a[i] op b[i] */
@inline function rowSame(op: i32, a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(fa(y, i), opV(op, v128.load(fa(a, i)), v128.load(fa(b, i))));
  for (; i < n; i++) store<f32>(fa(y, i), opS(op, load<f32>(fa(a, i)), load<f32>(fa(b, i))));
}
/** y[i] = a[i] op s */
@inline function rowScalar(op: i32, a: usize, s: f32, y: usize, n: i32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(fa(y, i), opV(op, v128.load(fa(a, i)), sv));
  for (; i < n; i++) store<f32>(fa(y, i), opS(op, load<f32>(fa(a, i)), s));
}

@inline function run(op: i32, a: usize, b: usize, y: usize, outer: i32, C: i32, inner: i32, bmode: i32): void {
  if (bmode == 0) rowSame(op, a, b, y, outer * C * inner);
  else if (bmode == 2) rowScalar(op, a, load<f32>(b), y, outer * C * inner);
  else {
    for (let o = 0; o < outer; o++) {
      for (let c = 0; c < C; c++) {
        const k = (o * C + c) * inner;
        rowScalar(op, fa(a, k), load<f32>(fa(b, c)), fa(y, k), inner);
      }
    }
  }
}

export function binary_forward(a: usize, b: usize, y: usize, p: usize): void {
  const outer = gi(p, 0), C = gi(p, 1), inner = gi(p, 2), op = gi(p, 3), bmode = gi(p, 4);
  if (op == 0) run(0, a, b, y, outer, C, inner, bmode);
  else if (op == 1) run(1, a, b, y, outer, C, inner, bmode);
  else run(2, a, b, y, outer, C, inner, bmode);
}
