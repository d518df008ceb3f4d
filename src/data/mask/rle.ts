/**
 * COCO run-length encoding of binary masks, as the COCO tools define it, so masks written
 * here are read by any COCO tool and the other way round.
 *
 * A mask of h x w pixels is read column by column (x outer, y inner: Fortran order); `counts`
 * alternates runs of 0s and 1s and always starts with a run of 0s (of length 0 when pixel
 * (0, 0) is set). The compressed string form stores each count, from the third one on, as
 * the difference to the count two places before, in signed groups of 5 bits (low bits first,
 * bit 5 = more groups follow), each group + 48 as one ASCII character.
 *
 * Masks passed in and out of this module are row-major Uint8Array(h * w), as the rest of the
 * code stores images; only the run order is column-major.
 */

export class MaskError extends Error {
  override name = 'MaskError';
}

/** A mask as runs. size is [h, w] as COCO writes it. */
export interface Rle {
  size: [number, number];
  counts: number[];
}

/** COCO's JSON forms of a run-length mask: compressed (string) or uncompressed (numbers). */
export interface CocoRle {
  size: number[];
  counts: string | number[];
}

/** Runs of a row-major h x w mask (any non-zero value counts as set). */
export function encodeMask(mask: ArrayLike<number>, h: number, w: number): Rle {
  checkSize(h, w, 'encodeMask');
  if (mask.length !== h * w) throw new MaskError(`encodeMask: expected a mask of ${h} x ${w} = ${h * w} values, got ${mask.length}`);
  const counts: number[] = [];
  let cur = 0;
  let run = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = mask[y * w + x] ? 1 : 0;
      if (v !== cur) {
        counts.push(run);
        run = 0;
        cur = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [h, w], counts };
}

/** The row-major h x w mask (0/1) of `rle`. */
export function decodeRle(rle: Rle): Uint8Array {
  const [h, w] = rle.size;
  const out = new Uint8Array(h * w);
  let p = 0;
  let v = 0;
  for (const c of rle.counts) {
    if (v) {
      for (let i = p; i < p + c; i++) {
        const x = Math.floor(i / h);
        out[(i - x * h) * w + x] = 1;
      }
    }
    p += c;
    v ^= 1;
  }
  return out;
}

/** COCO's compressed string of `counts`. */
export function countsToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    for (let more = true; more; ) {
      let c = x & 0x1f;
      x >>= 5;
      // the sign bit (0x10) of the last group tells whether the rest is all ones or zeros
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

/** The counts of COCO's compressed string `s`. */
export function countsFromString(s: string, what = 'RLE counts'): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    let c = 0;
    while (more) {
      if (p >= s.length) throw new MaskError(`${what}: expected a COCO compressed RLE string, got one that ends inside a count (at character ${p})`);
      c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new MaskError(`${what}: expected COCO compressed RLE characters '0'..'o', got ${JSON.stringify(s[p])} at character ${p}`);
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}

/** `rle` in COCO's compressed JSON form. */
export function toCocoRle(rle: Rle): { size: [number, number]; counts: string } {
  return { size: [rle.size[0], rle.size[1]], counts: countsToString(rle.counts) };
}

/**
 * A COCO RLE object (compressed or uncompressed) as runs, checked against the image size
 * when given: counts non-negative whole numbers summing to h * w.
 */
export function fromCocoRle(obj: unknown, what: string, imSize?: readonly [number, number]): Rle {
  const o = obj as CocoRle;
  if (!o || typeof o !== 'object' || !Array.isArray(o.size) || o.size.length !== 2 || !o.size.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new MaskError(`${what}: expected an RLE object with size [h, w] of two whole numbers, got ${JSON.stringify(o)?.slice(0, 80)}`);
  }
  const [h, w] = o.size as [number, number];
  if (imSize && (h !== imSize[0] || w !== imSize[1])) throw new MaskError(`${what}: expected an RLE of the image's size [${imSize[0]}, ${imSize[1]}], got size [${h}, ${w}]`);
  let counts: number[];
  if (typeof o.counts === 'string') counts = countsFromString(o.counts, what);
  else if (Array.isArray(o.counts) && o.counts.every((c) => Number.isInteger(c) && c >= 0)) counts = o.counts.slice();
  else throw new MaskError(`${what}: expected RLE counts as a compressed string or a list of whole numbers >= 0, got ${JSON.stringify(o.counts)?.slice(0, 80)}`);
  let sum = 0;
  for (const c of counts) {
    if (c < 0) throw new MaskError(`${what}: expected RLE counts >= 0, got ${c}`);
    sum += c;
  }
  if (sum !== h * w) throw new MaskError(`${what}: expected RLE counts summing to h * w = ${h * w}, got ${sum}`);
  return { size: [h, w], counts };
}

/** Number of set pixels. */
export function rleArea(rle: Rle): number {
  let a = 0;
  for (let i = 1; i < rle.counts.length; i += 2) a += rle.counts[i];
  return a;
}

/** Tight box [x, y, w, h] of the set pixels ([0, 0, 0, 0] for an empty mask), as COCO's toBbox. */
export function rleToBbox(rle: Rle): [number, number, number, number] {
  const h = rle.size[0];
  let p = 0;
  let x0 = Infinity, x1 = -1, y0 = Infinity, y1 = -1;
  for (let i = 0; i < rle.counts.length; i++) {
    const c = rle.counts[i];
    if (i % 2 === 1 && c > 0) {
      const e = p + c - 1;
      const xs = Math.floor(p / h), xe = Math.floor(e / h);
      x0 = Math.min(x0, xs);
      x1 = Math.max(x1, xe);
      // a run that goes on into the next column covers whole columns in between
      y0 = Math.min(y0, xe > xs ? 0 : p - xs * h);
      y1 = Math.max(y1, xe > xs ? h - 1 : e - xe * h);
    }
    p += c;
  }
  if (x1 < 0) return [0, 0, 0, 0];
  return [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/** Set pixels in both `a` and `b` (same size), walking the runs of both. */
export function rleIntersection(a: Rle, b: Rle): number {
  let ia = 0, ib = 0;
  let ra = a.counts[0] ?? 0, rb = b.counts[0] ?? 0;
  let va = 0, vb = 0;
  let inter = 0;
  const na = a.counts.length, nb = b.counts.length;
  while (ia < na && ib < nb) {
    const step = Math.min(ra, rb);
    if (va && vb) inter += step;
    ra -= step;
    rb -= step;
    while (ra === 0 && ++ia < na) {
      ra = a.counts[ia];
      va ^= 1;
    }
    while (rb === 0 && ++ib < nb) {
      rb = b.counts[ib];
      vb ^= 1;
    }
  }
  return inter;
}

/** Union (intersect false) or intersection of same-size masks, as runs. */
export function rleMerge(rles: readonly Rle[], intersect = false): Rle {
  if (rles.length === 0) throw new MaskError('rleMerge: expected at least one mask, got none');
  const [h, w] = rles[0].size;
  for (const r of rles) if (r.size[0] !== h || r.size[1] !== w) throw new MaskError(`rleMerge: expected masks of one size [${h}, ${w}], got [${r.size[0]}, ${r.size[1]}]`);
  if (rles.length === 1) return { size: [h, w], counts: rles[0].counts.slice() };
  // boundaries of every run, then each interval's value from each mask
  const acc = new Uint8Array(h * w);
  const n = rles.length;
  const hits = new Uint16Array(h * w);
  for (const r of rles) {
    let p = 0;
    r.counts.forEach((c, i) => {
      if (i % 2 === 1) for (let q = p; q < p + c; q++) hits[q]++;
      p += c;
    });
  }
  for (let q = 0; q < h * w; q++) acc[q] = intersect ? (hits[q] === n ? 1 : 0) : hits[q] > 0 ? 1 : 0;
  return runsOfColumnMajor(acc, h, w);
}

/** Runs of a mask already stored in column-major order. */
export function runsOfColumnMajor(colMajor: ArrayLike<number>, h: number, w: number): Rle {
  const counts: number[] = [];
  let cur = 0;
  let run = 0;
  for (let i = 0; i < h * w; i++) {
    const v = colMajor[i] ? 1 : 0;
    if (v !== cur) {
      counts.push(run);
      run = 0;
      cur = v;
    }
    run++;
  }
  counts.push(run);
  return { size: [h, w], counts };
}

/**
 * IoU of every detection mask with every gt mask, [dts.length][gts.length], as COCO's iou:
 * against a crowd gt the union is the detection's own area. Masks of different sizes are an
 * error.
 */
export function rleIou(dts: readonly Rle[], gts: readonly Rle[], iscrowd: readonly (boolean | number)[]): number[][] {
  if (iscrowd.length !== gts.length) throw new MaskError(`rleIou: expected one iscrowd flag per gt mask (${gts.length}), got ${iscrowd.length}`);
  const ga = gts.map(rleArea);
  return dts.map((d, i) => {
    const da = rleArea(d);
    return gts.map((g, j) => {
      if (d.size[0] !== g.size[0] || d.size[1] !== g.size[1]) {
        throw new MaskError(`rleIou: expected masks of one size, got detection ${i} of [${d.size.join(', ')}] and gt ${j} of [${g.size.join(', ')}]`);
      }
      const inter = rleIntersection(d, g);
      const u = iscrowd[j] ? da : da + ga[j] - inter;
      return u > 0 ? inter / u : 0;
    });
  });
}

function checkSize(h: number, w: number, who: string): void {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) throw new MaskError(`${who}: expected a mask size of two whole numbers >= 0, got ${h} x ${w}`);
}
