// activation_forward: y = act(x) elementwise, act by p[1] (ACT in kernels.ts):
//   0 relu max(x,0); 1 leaky_relu x < 0 ? alpha*x : x; 2 relu6 min(max(x,0),6);
//   3 sigmoid 1/(1+exp(-x)); 4 hardswish x*min(max(x+3,0),6)/6; 5 hardsigmoid clip(alpha*x+0.5,0,1).
// One f32x4 loop per kind (the kind is tested once, outside the loop); scalar tail. NaN in gives
// NaN out for every kind (WebAssembly's min/max propagate NaN; the scalar forms keep it too).
import { gi, fa } from './util';
import { vsigmoid, sigmoid } from './vmath';

@inline function actV(kind: i32, v: v128, alpha: f32): v128 {
  const zero = f32x4.splat(0);
  if (kind == 0) return f32x4.max(v, zero);
  if (kind == 1) return v128.bitselect(f32x4.mul(v, f32x4.splat(alpha)), v, f32x4.lt(v, zero));
  if (kind == 2) return f32x4.min(f32x4.max(v, zero), f32x4.splat(6));
  if (kind == 3) return vsigmoid(v);
  if (kind == 4) {
    const r = f32x4.min(f32x4.max(f32x4.add(v, f32x4.splat(3)), zero), f32x4.splat(6));
    return f32x4.div(f32x4.mul(v, r), f32x4.splat(6));
  }
  return f32x4.min(f32x4.max(f32x4.add(f32x4.mul(v, f32x4.splat(alpha)), f32x4.splat(0.5)), zero), f32x4.splat(1));
}

@inline function actS(kind: i32, v: f32, alpha: f32): f32 {
  if (kind == 0) return v < 0 ? 0 : v; // NaN stays NaN, as f32x4.max does in the vector loop
  if (kind == 1) return v < 0 ? alpha * v : v;
  if (kind == 2) return min(max(v, <f32>0), <f32>6);
  if (kind == 3) return sigmoid(v);
  if (kind == 4) return (v * min(max(v + 3, <f32>0), <f32>6)) / 6;
  return min(max(alpha * v + 0.5, <f32>0), <f32>1);
}

@inline function run(kind: i32, x: usize, y: usize, n: i32, alpha: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(fa(y, i), actV(kind, v128.load(fa(x, i)), alpha));
  for (; i < n; i++) store<f32>(fa(y, i), actS(kind, load<f32>(fa(x, i)), alpha));
}

export function activation_forward(x: usize, y: usize, p: usize, alpha: f32): void {
  const n = gi(p, 0), kind = gi(p, 1);
  // constant kinds so each call of run is specialised by the optimiser
  if (kind == 0) run(0, x, y, n, alpha);
  else if (kind == 1) run(1, x, y, n, alpha);
  else if (kind == 2) run(2, x, y, n, alpha);
  else if (kind == 3) run(3, x, y, n, alpha);
  else if (kind == 4) run(4, x, y, n, alpha);
  else if (kind == 5) run(5, x, y, n, alpha);
  else unreachable();
}
