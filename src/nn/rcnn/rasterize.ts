/**
 * Polygons to a binary M x M grid laid over a box, the mask target of one roi.
 *
 * A polygon point (x, y) in image pixels maps to grid coordinates
 *   u = (x - x1) * M / w,  v = (y - y1) * M / h,  w = max(x2 - x1, 1), h = max(y2 - y1, 1)
 * (Paddle's Polys2MaskWrtBox). Cell (row r, column c) is set when its centre (c + 0.5, r + 0.5)
 * is inside the polygon by the even-odd rule, the sampling COCO's polygon-to-mask conversion
 * amounts to (a polygon [0,0, 10,0, 10,10, 0,10] covers exactly pixels 0..9 in each
 * direction). Each polygon is filled on its own and the results are OR-ed (an object made
 * of several pieces). Centres exactly on a left or top edge count as inside, on a right or
 * bottom edge as outside, so polygons sharing an edge never both claim a cell.
 *
 * Output: Uint8Array [M * M], row-major (row = y).
 */
import { modelFail } from '../common';

export function rasterizePolygons(polys: number[][], box: readonly [number, number, number, number] | ArrayLike<number>, M: number): Uint8Array {
  if (!Number.isInteger(M) || M < 1) modelFail('rasterizePolygons', 'a positive integer', 'resolution', M);
  const mask = new Uint8Array(M * M);
  const w = Math.max(box[2] - box[0], 1);
  const h = Math.max(box[3] - box[1], 1);
  const sx = M / w;
  const sy = M / h;
  const xs: number[] = [];
  for (const poly of polys) {
    if (!Array.isArray(poly) || poly.length < 6 || poly.length % 2 !== 0) {
      modelFail('rasterizePolygons', 'a polygon of at least 3 (x, y) points as a flat even-length list', 'polygon', Array.isArray(poly) ? `${poly.length} numbers` : poly);
    }
    const k = poly.length / 2;
    const u = new Float64Array(k);
    const v = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      u[i] = (poly[2 * i] - box[0]) * sx;
      v[i] = (poly[2 * i + 1] - box[1]) * sy;
    }
    let vmin = Infinity, vmax = -Infinity;
    for (let i = 0; i < k; i++) { vmin = Math.min(vmin, v[i]); vmax = Math.max(vmax, v[i]); }
    const r0 = Math.max(0, Math.ceil(vmin - 0.5));
    const r1 = Math.min(M - 1, Math.ceil(vmax - 0.5) - 1);
    for (let r = r0; r <= r1; r++) {
      const y = r + 0.5;
      xs.length = 0;
      for (let i = 0; i < k; i++) {
        const j = (i + 1) % k;
        const ya = v[i], yb = v[j];
        // Half-open in y so a vertex shared by two edges is crossed once.
        if ((ya <= y && y < yb) || (yb <= y && y < ya)) xs.push(u[i] + ((y - ya) * (u[j] - u[i])) / (yb - ya));
      }
      xs.sort((a, b) => a - b);
      for (let p = 0; p + 1 < xs.length; p += 2) {
        // cells whose centre c + 0.5 lies in [xs[p], xs[p + 1])
        const c0 = Math.max(0, Math.ceil(xs[p] - 0.5));
        const c1 = Math.min(M - 1, Math.ceil(xs[p + 1] - 0.5) - 1);
        for (let c = c0; c <= c1; c++) mask[r * M + c] = 1;
      }
    }
  }
  return mask;
}
