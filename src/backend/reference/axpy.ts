/**
 * y += alpha * x, the gradient accumulation step. p = [n]; floats: alpha. y updated in place.
 */
import type { F64, Geom } from './types';

export function axpy(x: F64, y: F64, p: Geom, alpha: number): void {
  const n = p[0];
  for (let i = 0; i < n; i++) y[i] += alpha * x[i];
}
