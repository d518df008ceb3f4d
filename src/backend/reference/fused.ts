/**
 * Fused kernels: a conv or a training batch norm with the activation that follows it, and the
 * batch norm's backward with that activation's derivative folded in. Written here as the
 * unfused kernels composed, so the oracle of a fused kernel is the chain it replaces.
 *
 * Fused activation codes (p's `act`): 0 relu, 1 leaky_relu (alpha >= 0), 2 relu6. Their
 * derivative is known from the output y alone: relu passes where y > 0, leaky_relu uses 1 where
 * y > 0 and alpha elsewhere, relu6 passes where 0 < y < 6 (y lies there exactly when its input
 * does). relu and relu6 select (dz = 0 where the derivative is 0, whatever dy holds); leaky_relu
 * multiplies, as activation_backward does.
 *
 * conv2d_act_forward:  p = CONV_GEOM + [act], floats [alpha]; y = act(conv2d(x, w) + b).
 * dwpw_act_forward: p = CONV_GEOM of a depthwise layer + [act, OC2, act2], floats [alpha, alpha2];
 *   y = act2(conv1x1(act(conv2d(x, wd) + bd), wp) + bp): conv2d_act_forward twice.
 * batch_norm_act_train_forward: p = [N, C, HW, act], floats [eps, momentum, alpha];
 *   y = act(batch_norm_train(x)), saved and running statistics as batch_norm_train_forward.
 * batch_norm_act_backward: p = [N, C, HW, act], floats [alpha]; from x (the batch norm's input),
 *   y (the activation's output) and dy (its gradient): dz = dy * act'(y), then batch_norm_backward.
 */
import { batch_norm_backward, batch_norm_train_forward } from './batch_norm';
import { conv2d_forward } from './conv2d';
import type { F64, Geom } from './types';

export function fusedActivate(kind: number, v: number, alpha: number): number {
  switch (kind) {
    case 0: return v < 0 ? 0 : v; // relu(NaN) = NaN
    case 1: return v < 0 ? alpha * v : v;
    case 2: return Math.min(Math.max(v, 0), 6);
    default: throw new Error(`fused activation: expected an activation code in 0..2, got ${kind}`);
  }
}

/** dy * act'(y) with the derivative read from the output. */
export function fusedGradFromOutput(kind: number, y: number, dy: number, alpha: number): number {
  switch (kind) {
    case 0: return y > 0 ? dy : 0;
    case 1: return y > 0 ? dy : dy * alpha;
    case 2: return y > 0 && y < 6 ? dy : 0;
    default: throw new Error(`fused activation: expected an activation code in 0..2, got ${kind}`);
  }
}

export function conv2d_act_forward(x: F64, w: F64, b: F64 | null, y: F64, p: Geom, alpha: number): void {
  conv2d_forward(x, w, b, y, p);
  const n = p[0] * p[4] * p[7] * p[8], kind = p[16];
  for (let i = 0; i < n; i++) y[i] = fusedActivate(kind, y[i], alpha);
}

export function dwpw_act_forward(x: F64, wd: F64, bd: F64 | null, wp: F64, bp: F64 | null, y: F64, p: Geom, alpha: number, alpha2: number): void {
  const N = p[0], C = p[4], OH = p[7], OW = p[8];
  const mid = new Float64Array(N * C * OH * OW);
  conv2d_act_forward(x, wd, bd, mid, Array.from(p).slice(0, 17), alpha);
  conv2d_act_forward(mid, wp, bp, y, [N, C, OH, OW, p[17], 1, 1, OH, OW, 1, 1, 0, 0, 1, 1, 1, p[18]], alpha2);
}

export function batch_norm_act_train_forward(
  x: F64, scale: F64, bias: F64, y: F64, saved_mean: F64, saved_invstd: F64, running_mean: F64, running_var: F64,
  p: Geom, eps: number, momentum: number, alpha: number,
): void {
  batch_norm_train_forward(x, scale, bias, y, saved_mean, saved_invstd, running_mean, running_var, p, eps, momentum);
  const n = p[0] * p[1] * p[2], kind = p[3];
  for (let i = 0; i < n; i++) y[i] = fusedActivate(kind, y[i], alpha);
}

export function batch_norm_act_backward(
  x: F64, y: F64, dy: F64, scale: F64, saved_mean: F64, saved_invstd: F64, dx: F64, dscale: F64, dbias: F64,
  p: Geom, alpha: number,
): void {
  const n = p[0] * p[1] * p[2], kind = p[3];
  const dz = new Float64Array(n);
  for (let i = 0; i < n; i++) dz[i] = fusedGradFromOutput(kind, y[i], dy[i], alpha);
  batch_norm_backward(x, dz, scale, saved_mean, saved_invstd, dx, dscale, dbias, p);
}
