/**
 * Binary mask -> COCO polygons that rasterise back to exactly the same pixels.
 *
 * Each 4-connected group of set pixels becomes one polygon. Its outline follows pixel edges
 * (vertices on pixel corners, only where the direction changes), so every boundary pixel is
 * kept as it is, with no smoothing. The group's holes are cut out by going from the outer
 * outline's first corner to the hole's first corner, around the hole and back the same way:
 * the connecting segment is walked twice, so under the even-odd rule of COCO rasterisation (and
 * under the non-zero rule, since holes run the other way round) it adds nothing, and the hole
 * stays empty. COCO unions the polygons of one annotation, which is why a hole has to live in
 * the polygon of the group around it rather than in one of its own.
 */
import { MaskError } from './rle';

/** Polygons [x1, y1, x2, y2, ...] of the set pixels of a row-major h x w mask. */
export function maskToPolygons(mask: ArrayLike<number>, h: number, w: number): number[][] {
  if (mask.length !== h * w) throw new MaskError(`maskToPolygons: expected a mask of ${h} x ${w} = ${h * w} values, got ${mask.length}`);
  const label = new Int32Array(h * w).fill(-1);
  const polys: number[][] = [];
  const stack: number[] = [];
  for (let start = 0; start < h * w; start++) {
    if (!mask[start] || label[start] >= 0) continue;
    const id = polys.length;
    const pixels: number[] = [];
    label[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      pixels.push(p);
      const x = p % w;
      const y = (p - x) / w;
      const nb = [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, y > 0 ? p - w : -1, y < h - 1 ? p + w : -1];
      for (const q of nb) {
        if (q >= 0 && mask[q] && label[q] < 0) {
          label[q] = id;
          stack.push(q);
        }
      }
    }
    polys.push(groupPolygon(pixels, label, id, w, h));
  }
  return polys;
}

/** Outline loops of one group, the largest first, joined into one polygon. */
function groupPolygon(pixels: readonly number[], label: Int32Array, id: number, w: number, h: number): number[] {
  const W1 = w + 1;
  const inGroup = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && label[y * w + x] === id;
  // Directed pixel edges with the group on the same side: top left->right, right down,
  // bottom right->left, left up. Edges shared by two group pixels are never made.
  const out = new Map<number, number[]>();
  const add = (x0: number, y0: number, x1: number, y1: number) => {
    const a = y0 * W1 + x0;
    const list = out.get(a);
    if (list) list.push(y1 * W1 + x1);
    else out.set(a, [y1 * W1 + x1]);
  };
  for (const p of pixels) {
    const x = p % w;
    const y = (p - x) / w;
    if (!inGroup(x, y - 1)) add(x, y, x + 1, y);
    if (!inGroup(x + 1, y)) add(x + 1, y, x + 1, y + 1);
    if (!inGroup(x, y + 1)) add(x + 1, y + 1, x, y + 1);
    if (!inGroup(x - 1, y)) add(x, y + 1, x, y);
  }
  const loops: number[][] = [];
  for (const [first, targets] of out) {
    while (targets.length) {
      // walk until back at the first corner; any pairing of edges at a corner that two
      // diagonal pixels share gives the same pixels back under even-odd filling
      const loop = [first];
      let at = targets.pop()!;
      while (at !== first) {
        loop.push(at);
        const next = out.get(at);
        if (!next || next.length === 0) throw new MaskError('maskToPolygons: outline did not close (internal error)');
        at = next.pop()!;
      }
      loops.push(corners(loop, W1));
    }
  }
  loops.sort((a, b) => Math.abs(area(b)) - Math.abs(area(a)));
  const [outer, ...holes] = loops;
  const poly = outer.slice();
  for (const hole of holes) poly.push(outer[0], outer[1], ...hole, hole[0], hole[1], outer[0], outer[1]);
  return poly;
}

/** x, y pairs of a loop of corner keys, keeping only corners where the direction turns. */
function corners(loop: readonly number[], W1: number): number[] {
  const n = loop.length;
  const xy = (k: number) => [k % W1, Math.floor(k / W1)];
  const outXY: number[] = [];
  for (let i = 0; i < n; i++) {
    const [px, py] = xy(loop[(i + n - 1) % n]);
    const [x, y] = xy(loop[i]);
    const [nx, ny] = xy(loop[(i + 1) % n]);
    if (x - px === nx - x && y - py === ny - y) continue;
    outXY.push(x, y);
  }
  return outXY;
}

/** Signed area (shoelace) of x, y pairs. */
function area(p: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i += 2) {
    const j = (i + 2) % p.length;
    s += p[i] * p[j + 1] - p[j] * p[i + 1];
  }
  return s / 2;
}
