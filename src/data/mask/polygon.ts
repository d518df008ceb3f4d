/**
 * COCO polygons to run-length masks, pixel for pixel as the COCO tools rasterise them, so a
 * polygon's area and IoU here equal the published ones.
 *
 * Coordinates are in pixels with pixel (x, y) covering [x, x + 1) x [y, y + 1). The outline is
 * walked on a 5x finer integer grid (vertices rounded there, every edge stepped one fine cell
 * at a time along its longer axis); wherever the walk crosses the vertical line through a
 * pixel column's fine sample, the crossing toggles the mask from the next pixel down. Inside
 * is therefore decided by crossing parity (even-odd), so an outline that goes out to a hole
 * along a segment and back along the same segment cuts that hole out.
 *
 * A segmentation (an annotation's polygons, or an RLE) becomes one mask: the union of its
 * polygons, or the RLE itself.
 */
import { MaskError, fromCocoRle, rleMerge, type Rle } from './rle';

const FINE = 5;

/** Mask of one polygon [x1, y1, x2, y2, ...] in an h x w image. */
export function polygonToRle(poly: readonly number[], h: number, w: number): Rle {
  if (poly.length % 2 !== 0 || !poly.every((v) => Number.isFinite(v))) {
    throw new MaskError(`polygonToRle: expected a polygon of finite x, y pairs, got ${poly.length} values${poly.length % 2 ? ' (odd)' : ''}`);
  }
  const k = poly.length / 2;
  // vertices on the fine grid; C's (int) cast truncates toward zero
  const fx: number[] = [];
  const fy: number[] = [];
  for (let j = 0; j < k; j++) {
    fx.push(Math.trunc(FINE * poly[2 * j] + 0.5));
    fy.push(Math.trunc(FINE * poly[2 * j + 1] + 0.5));
  }
  fx.push(fx[0]);
  fy.push(fy[0]);
  // dense outline: one point per fine step along each edge's longer axis
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = fx[j], xe = fx[j + 1], ys = fy[j], ye = fy[j + 1];
    const dx = Math.abs(xe - xs), dy = Math.abs(ye - ys);
    if (dx === 0 && dy === 0) {
      u.push(xs);
      v.push(ys);
      continue;
    }
    // step from the lower end so both directions of an edge give the same points
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) [xs, xe, ys, ye] = [xe, xs, ye, ys];
    if (dx >= dy) {
      const s = (ye - ys) / dx;
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(Math.trunc(ys + s * t + 0.5));
      }
    } else {
      const s = (xe - xs) / dy;
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(Math.trunc(xs + s * t + 0.5));
      }
    }
  }
  // crossings of pixel columns: column x, toggled from row y down
  const toggles: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    const xd = ((u[j] < u[j - 1] ? u[j] : u[j] - 1) + 0.5) / FINE - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = (Math.min(v[j], v[j - 1]) + 0.5) / FINE - 0.5;
    yd = Math.ceil(yd < 0 ? 0 : yd > h ? h : yd);
    toggles.push(xd * h + yd);
  }
  toggles.push(h * w);
  toggles.sort((a, b) => a - b);
  // toggles -> run lengths; two toggles at one place cancel (their runs join)
  const diffs: number[] = [];
  let prev = 0;
  for (const t of toggles) {
    diffs.push(t - prev);
    prev = t;
  }
  const counts: number[] = [diffs[0]];
  for (let j = 1; j < diffs.length; ) {
    if (diffs[j] > 0) counts.push(diffs[j++]);
    else {
      j++;
      if (j < diffs.length) counts[counts.length - 1] += diffs[j++];
    }
  }
  return { size: [h, w], counts };
}

/** A COCO segmentation: a list of polygons, or an RLE object (compressed or not). */
export type Segmentation = number[][] | { size: number[]; counts: string | number[] };

/** True when `segm` is a list of polygons (not an RLE object). */
export function isPolygons(segm: unknown): segm is number[][] {
  return Array.isArray(segm);
}

/**
 * The mask of a segmentation in an h x w image: polygons unioned, an RLE checked against the
 * size. `what` names it in errors (e.g. "annotations.json: annotation 17").
 */
export function segmentationToRle(segm: unknown, h: number, w: number, what = 'segmentation'): Rle {
  if (Array.isArray(segm)) {
    if (!segm.every((p) => Array.isArray(p) && p.every((v) => typeof v === 'number' && Number.isFinite(v)) && p.length % 2 === 0)) {
      throw new MaskError(`${what}: expected polygons as lists of finite x, y pairs, got ${JSON.stringify(segm)?.slice(0, 80)}`);
    }
    if (segm.length === 0) return { size: [h, w], counts: [h * w] };
    return rleMerge((segm as number[][]).map((p) => polygonToRle(p, h, w)), false);
  }
  if (segm && typeof segm === 'object' && 'counts' in segm) return fromCocoRle(segm, what, [h, w]);
  throw new MaskError(`${what}: expected a list of polygons or an RLE object {size, counts}, got ${JSON.stringify(segm)?.slice(0, 80)}`);
}
