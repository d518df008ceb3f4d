// activation_backward: dx = dy * act'(x) (sigmoid: y * (1 - y) from the output y), dx overwritten.
// Derivatives at the kinks as Paddle takes them: relu 1 where x > 0; leaky_relu 1 where x > 0,
// alpha elsewhere; relu6 1 where 0 < x < 6; hardswish 0 for x <= -3, 1 for x >= 3, (2x+3)/6
// between; hardsigmoid alpha where 0 < alpha*x + 0.5 < 1. f32x4 loop per kind, scalar tail.
// relu, relu6 and hardsigmoid select (dx = 0 where the derivative is 0, whatever dy is); the other
// kinds multiply in the reference's order, (dy * y) * (1 - y) and dy * d(x), so Inf and NaN come
// out where they do there (test/parity/ieee.ts).
import { gi, fa } from './util';

@inline function gradV(kind: i32, v: v128, o: v128, g: v128, alpha: f32): v128 {
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  if (kind == 0) return v128.and(g, f32x4.gt(v, zero));
  if (kind == 1) return v128.bitselect(g, f32x4.mul(g, f32x4.splat(alpha)), f32x4.gt(v, zero));
  if (kind == 2) return v128.and(g, v128.and(f32x4.gt(v, zero), f32x4.lt(v, f32x4.splat(6))));
  if (kind == 3) return f32x4.mul(f32x4.mul(g, o), f32x4.sub(one, o));
  if (kind == 4) {
    const mid = f32x4.div(f32x4.add(f32x4.add(v, v), f32x4.splat(3)), f32x4.splat(6));
    const d = v128.bitselect(zero, v128.bitselect(one, mid, f32x4.ge(v, f32x4.splat(3))), f32x4.le(v, f32x4.splat(-3)));
    return f32x4.mul(g, d);
  }
  const t = f32x4.add(f32x4.mul(v, f32x4.splat(alpha)), f32x4.splat(0.5));
  return v128.and(f32x4.mul(g, f32x4.splat(alpha)), v128.and(f32x4.gt(t, zero), f32x4.lt(t, one)));
}

@inline function gradS(kind: i32, v: f32, o: f32, g: f32, alpha: f32): f32 {
  if (kind == 0) return v > 0 ? g : 0;
  if (kind == 1) return v > 0 ? g : g * alpha;
  if (kind == 2) return v > 0 && v < 6 ? g : 0;
  if (kind == 3) return g * o * (1 - o);
  if (kind == 4) return g * (v <= -3 ? <f32>0 : v >= 3 ? <f32>1 : (2 * v + 3) / 6);
  const t = alpha * v + 0.5;
  return t > 0 && t < 1 ? g * alpha : 0;
}

@inline function run(kind: i32, x: usize, y: usize, dy: usize, dx: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (kind == 3) {
    for (; i + 4 <= n; i += 4) v128.store(fa(dx, i), gradV(3, f32x4.splat(0), v128.load(fa(y, i)), v128.load(fa(dy, i)), alpha));
    for (; i < n; i++) store<f32>(fa(dx, i), gradS(3, 0, load<f32>(fa(y, i)), load<f32>(fa(dy, i)), alpha));
    return;
  }
  for (; i + 4 <= n; i += 4) v128.store(fa(dx, i), gradV(kind, v128.load(fa(x, i)), f32x4.splat(0), v128.load(fa(dy, i)), alpha));
  for (; i < n; i++) store<f32>(fa(dx, i), gradS(kind, load<f32>(fa(x, i)), 0, load<f32>(fa(dy, i)), alpha));
}

export function activation_backward(x: usize, y: usize, dy: usize, dx: usize, p: usize, alpha: f32): void {
  const n = gi(p, 0), kind = gi(p, 1);
  if (kind == 0) run(0, x, y, dy, dx, n, alpha);
  else if (kind == 1) run(1, x, y, dy, dx, n, alpha);
  else if (kind == 2) run(2, x, y, dy, dx, n, alpha);
  else if (kind == 3) run(3, x, y, dy, dx, n, alpha);
  else if (kind == 4) run(4, x, y, dy, dx, n, alpha);
  else if (kind == 5) run(5, x, y, dy, dx, n, alpha);
  else unreachable();
}
