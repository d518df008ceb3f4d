/**
 * Elementwise a (op) b with b broadcast, and the gradients.
 *   a, y, da: [outer, C, inner]; b, db by bmode: 0 same shape as a, 1 per channel [C], 2 scalar [1].
 *   op 0 add: y = a + b   da = dy       db = reduce(dy)
 *   op 1 sub: y = a - b   da = dy       db = -reduce(dy)
 *   op 2 mul: y = a * b   da = dy * b   db = reduce(dy * a)
 * where reduce sums over the axes b was broadcast along. p = [outer, C, inner, op, bmode].
 * da and db are optional (null: not computed) and overwritten.
 */
import type { F64, Geom } from './types';

/** Index into b of element (o, c, i) of a. */
function bIndex(bmode: number, flat: number, c: number): number {
  return bmode === 0 ? flat : bmode === 1 ? c : 0;
}

export function binary_forward(a: F64, b: F64, y: F64, p: Geom): void {
  const outer = p[0], C = p[1], inner = p[2], op = p[3], bmode = p[4];
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0, k = (o * C + c) * inner; i < inner; i++, k++) {
        const bv = b[bIndex(bmode, k, c)];
        y[k] = op === 0 ? a[k] + bv : op === 1 ? a[k] - bv : a[k] * bv;
      }
    }
  }
}

export function binary_backward(a: F64, b: F64, dy: F64, da: F64 | null, db: F64 | null, p: Geom): void {
  const outer = p[0], C = p[1], inner = p[2], op = p[3], bmode = p[4];
  if (db) db.fill(0, 0, bmode === 0 ? outer * C * inner : bmode === 1 ? C : 1);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0, k = (o * C + c) * inner; i < inner; i++, k++) {
        const bi = bIndex(bmode, k, c);
        if (da) da[k] = op === 2 ? dy[k] * b[bi] : dy[k];
        if (db) db[bi] += op === 0 ? dy[k] : op === 1 ? -dy[k] : dy[k] * a[k];
      }
    }
  }
}
