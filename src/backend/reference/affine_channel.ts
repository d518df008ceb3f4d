/**
 * Per-channel affine map over x viewed as [N, C, HW] (a frozen batch norm):
 *   y = x * scale[c] + bias[c];
 *   dx = dy * scale[c], dscale[c] = sum_{n,i} dy * x, dbias[c] = sum_{n,i} dy.
 * p = [N, C, HW]. Each backward output is optional (null: not computed) and overwritten.
 */
import type { F64, Geom } from './types';

export function affine_channel_forward(x: F64, scale: F64, bias: F64, y: F64, p: Geom): void {
  const N = p[0], C = p[1], HW = p[2];
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0, o = (n * C + c) * HW; i < HW; i++) y[o + i] = x[o + i] * scale[c] + bias[c];
    }
  }
}

export function affine_channel_backward(x: F64, dy: F64, scale: F64, dx: F64 | null, dscale: F64 | null, dbias: F64 | null, p: Geom): void {
  const N = p[0], C = p[1], HW = p[2];
  for (let c = 0; c < C; c++) {
    let ss = 0, sb = 0;
    for (let n = 0; n < N; n++) {
      for (let i = 0, o = (n * C + c) * HW; i < HW; i++) {
        if (dx) dx[o + i] = dy[o + i] * scale[c];
        ss += dy[o + i] * x[o + i];
        sb += dy[o + i];
      }
    }
    if (dscale) dscale[c] = ss;
    if (dbias) dbias[c] = sb;
  }
}
