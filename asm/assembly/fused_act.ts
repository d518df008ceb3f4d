// The activations of the fused kernels (conv2d_act_forward, batch_norm_act_train_forward,
// batch_norm_act_backward): 0 relu, 1 leaky_relu (alpha >= 0), 2 relu6, whose derivative is known
// from the output alone. Forward in place over a row (NaN passes through, as activation_forward);
// backward dz = dy * act'(from y): relu and relu6 select (0 where the derivative is 0, whatever dy
// holds), leaky_relu multiplies, as activation_backward given the output.
import { fa } from './util';

@inline function actV(kind: i32, v: v128, alpha: f32): v128 {
  const zero = f32x4.splat(0);
  if (kind == 0) return f32x4.max(v, zero);
  if (kind == 1) return v128.bitselect(f32x4.mul(v, f32x4.splat(alpha)), v, f32x4.lt(v, zero));
  return f32x4.min(f32x4.max(v, zero), f32x4.splat(6));
}

@inline function actS(kind: i32, v: f32, alpha: f32): f32 {
  if (kind == 0) return v < 0 ? 0 : v;
  if (kind == 1) return v < 0 ? alpha * v : v;
  return min(max(v, <f32>0), <f32>6);
}

@inline function actRun(kind: i32, y: usize, n: i32, alpha: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(fa(y, i), actV(kind, v128.load(fa(y, i)), alpha));
  for (; i < n; i++) store<f32>(fa(y, i), actS(kind, load<f32>(fa(y, i)), alpha));
}

/** y[i] = act(y[i]) for i < n. */
export function fusedActInplace(kind: i32, y: usize, n: i32, alpha: f32): void {
  if (kind == 0) actRun(0, y, n, alpha);
  else if (kind == 1) actRun(1, y, n, alpha);
  else if (kind == 2) actRun(2, y, n, alpha);
  else unreachable();
}

@inline function gradV(kind: i32, o: v128, g: v128, alpha: f32): v128 {
  const zero = f32x4.splat(0);
  if (kind == 0) return v128.and(g, f32x4.gt(o, zero));
  if (kind == 1) return v128.bitselect(g, f32x4.mul(g, f32x4.splat(alpha)), f32x4.gt(o, zero));
  return v128.and(g, v128.and(f32x4.gt(o, zero), f32x4.lt(o, f32x4.splat(6))));
}

@inline function gradS(kind: i32, o: f32, g: f32, alpha: f32): f32 {
  if (kind == 0) return o > 0 ? g : 0;
  if (kind == 1) return o > 0 ? g : g * alpha;
  return o > 0 && o < 6 ? g : 0;
}

@inline function gradRun(kind: i32, y: usize, dy: usize, dz: usize, n: i32, alpha: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(fa(dz, i), gradV(kind, v128.load(fa(y, i)), v128.load(fa(dy, i)), alpha));
  for (; i < n; i++) store<f32>(fa(dz, i), gradS(kind, load<f32>(fa(y, i)), load<f32>(fa(dy, i)), alpha));
}

/** dz[i] = dy[i] * act'(from y[i]) for i < n. */
export function fusedActGrad(kind: i32, y: usize, dy: usize, dz: usize, n: i32, alpha: f32): void {
  if (kind == 0) gradRun(0, y, dy, dz, n, alpha);
  else if (kind == 1) gradRun(1, y, dy, dz, n, alpha);
  else if (kind == 2) gradRun(2, y, dy, dz, n, alpha);
  else unreachable();
}
