/**
 * Elementwise activations, y = act(x), and dx = dy * act'(x); kind = p[1] (ACT in kernels.ts):
 *   0 relu         max(x, 0)                         ' = 1 where x > 0
 *   1 leaky_relu   x < 0 ? alpha * x : x             ' = 1 where x > 0, alpha where x <= 0
 *   2 relu6        min(max(x, 0), 6)                 ' = 1 where 0 < x < 6
 *   3 sigmoid      1 / (1 + exp(-x))                 ' = y * (1 - y), from the output y
 *   4 hardswish    x * min(max(x + 3, 0), 6) / 6     ' = 0 for x <= -3, 1 for x >= 3, (2x + 3) / 6 between
 *   5 hardsigmoid  clip(alpha * x + 0.5, 0, 1)       ' = alpha where 0 < alpha * x + 0.5 < 1
 * At the kinks the derivative is the one Paddle uses (listed above). p = [n, kind]; floats: alpha.
 * Outputs overwritten.
 * IEEE: NaN in gives NaN out for every kind. In the backward, relu, relu6 and hardsigmoid select:
 * where the derivative is 0 (and where x is NaN, since every comparison with it is false) dx is
 * 0 whatever dy holds, so an Inf or NaN gradient does not leak through an inactive unit; the other
 * kinds multiply, dx = dy * act'(x).
 */
import type { F64, Geom } from './types';

function sigmoid(v: number): number {
  // Written so that exp never overflows: for v < 0 use e / (1 + e) with e = exp(v).
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

function activate(kind: number, v: number, alpha: number): number {
  switch (kind) {
    case 0: return v < 0 ? 0 : v; // relu(NaN) = NaN
    case 1: return v < 0 ? alpha * v : v;
    case 2: return Math.min(Math.max(v, 0), 6);
    case 3: return sigmoid(v);
    case 4: return (v * Math.min(Math.max(v + 3, 0), 6)) / 6;
    case 5: return Math.min(Math.max(alpha * v + 0.5, 0), 1);
    default: throw new Error(`activation_forward: expected an activation kind in 0..5, got ${kind}`);
  }
}

function derivative(kind: number, v: number, out: number, alpha: number): number {
  switch (kind) {
    case 0: return v > 0 ? 1 : 0;
    case 1: return v > 0 ? 1 : alpha;
    case 2: return v > 0 && v < 6 ? 1 : 0;
    case 3: return out * (1 - out);
    case 4: return v <= -3 ? 0 : v >= 3 ? 1 : (2 * v + 3) / 6;
    case 5: {
      const t = alpha * v + 0.5;
      return t > 0 && t < 1 ? alpha : 0;
    }
    default: throw new Error(`activation_backward: expected an activation kind in 0..5, got ${kind}`);
  }
}

export function activation_forward(x: F64, y: F64, p: Geom, alpha: number): void {
  const n = p[0], kind = p[1];
  for (let i = 0; i < n; i++) y[i] = activate(kind, x[i], alpha);
}

/** y is read only by sigmoid; the other kinds use x. */
export function activation_backward(x: F64, y: F64, dy: F64, dx: F64, p: Geom, alpha: number): void {
  const n = p[0], kind = p[1];
  const selects = kind === 0 || kind === 2 || kind === 5;
  for (let i = 0; i < n; i++) {
    const d = derivative(kind, x[i], kind === 3 ? y[i] : 0, alpha);
    dx[i] = selects && d === 0 ? 0 : dy[i] * d;
  }
}
