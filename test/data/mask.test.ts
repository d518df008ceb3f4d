/**
 * Instance masks: COCO run-length encoding (runs, compressed strings, area, box, IoU with
 * crowd), polygon rasterisation pixel for pixel as the COCO tools do it, mask tracing back to
 * polygons, and pasting a mask head's output into the image.
 */
import {
  MaskError, encodeMask, decodeRle, countsToString, countsFromString, fromCocoRle, toCocoRle, rleArea, rleToBbox,
  rleIntersection, rleMerge, rleIou, polygonToRle, segmentationToRle, maskToPolygons, pasteMask, type Rle,
} from '../../src/data/mask';
import { Rng } from '../../src/data/rng';

const grid = (rows: string[]) => Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0));
const show = (m: Uint8Array, w: number) => Array.from({ length: m.length / w }, (_, y) => Array.from(m.subarray(y * w, y * w + w), (v) => (v ? '#' : '.')).join(''));

describe('RLE', () => {
  test('runs are column-major, start with zeros', () => {
    // h 3, w 2: columns (0,1,0) then (1,1,0)
    const r = encodeMask(grid(['.#', '##', '..']), 3, 2);
    expect(r).toEqual({ size: [3, 2], counts: [1, 1, 1, 2, 1] });
    expect(encodeMask(grid(['#.', '..']), 2, 2).counts).toEqual([0, 1, 3]);
    expect(Array.from(decodeRle(r))).toEqual(Array.from(grid(['.#', '##', '..'])));
  });

  test('compressed strings: deltas from two back, 5-bit groups, sign bit', () => {
    expect(countsToString([1, 1, 1, 2, 1])).toBe('11110');
    // 2 - 5 = -3: one group 0b11101 (sign set, no more) = 'M'
    expect(countsToString([0, 5, 10, 2])).toBe('05:M');
    // 100 = 4 + 3 * 32: groups 4 | more, 3
    expect(countsToString([100])).toBe('T3');
    for (const s of ['11110', '05:M', 'T3']) expect(countsToString(countsFromString(s))).toBe(s);
    expect(countsFromString('05:M')).toEqual([0, 5, 10, 2]);
  });

  test('strings as the COCO tools write them', () => {
    // a 4 x 6 mask with rows 1-2 of columns 1-4 set, and pixel (5, 3): COCO writes '522000002O'
    const m = new Uint8Array(24);
    for (let y = 1; y < 3; y++) for (let x = 1; x < 5; x++) m[y * 6 + x] = 1;
    m[3 * 6 + 5] = 1;
    const r = encodeMask(m, 4, 6);
    expect(toCocoRle(r)).toEqual({ size: [4, 6], counts: '522000002O' });
    expect(fromCocoRle({ size: [4, 6], counts: '522000002O' }, 'x').counts).toEqual(r.counts);
    expect(rleArea(r)).toBe(9);
    expect(rleToBbox(r)).toEqual([1, 1, 5, 3]);
  });

  test('random masks: decode(encode(m)) = m and string round trips', () => {
    const rng = new Rng(3);
    for (let t = 0; t < 50; t++) {
      const h = rng.randint(1, 30), w = rng.randint(1, 30);
      const m = Uint8Array.from({ length: h * w }, () => (rng.uniform(0, 1) < 0.4 ? 1 : 0));
      const r = encodeMask(m, h, w);
      expect(Array.from(decodeRle(r))).toEqual(Array.from(m));
      expect(countsFromString(countsToString(r.counts))).toEqual(r.counts);
      expect(rleArea(r)).toBe(m.reduce((s, v) => s + v, 0));
    }
  });

  test('intersection, union, IoU, crowd IoU', () => {
    const h = 4, w = 4;
    const a = encodeMask(grid(['##..', '##..', '....', '....']), h, w); // 4 px
    const b = encodeMask(grid(['.##.', '.##.', '.##.', '....']), h, w); // 6 px, 2 shared
    expect(rleIntersection(a, b)).toBe(2);
    expect(rleArea(rleMerge([a, b]))).toBe(8);
    expect(rleArea(rleMerge([a, b], true))).toBe(2);
    // det a vs gt b: 2 / 8; against a crowd gt: 2 / area(det) = 2 / 4
    expect(rleIou([a], [b, b], [0, 1])).toEqual([[2 / 8, 2 / 4]]);
    expect(() => rleIou([a], [encodeMask(new Uint8Array(6), 2, 3)], [0])).toThrow(/one size/);
  });

  test('bad RLE objects name what is wrong', () => {
    expect(() => fromCocoRle({ size: [2, 2], counts: [1, 2] }, 'ann 7')).toThrow(/ann 7: expected RLE counts summing to h \* w = 4, got 3/);
    expect(() => fromCocoRle({ size: [2], counts: [4] }, 'ann 7')).toThrow(/size \[h, w\]/);
    expect(() => fromCocoRle({ size: [2, 2], counts: '0~' }, 'ann 7')).toThrow(/characters/);
    expect(() => fromCocoRle({ size: [2, 2], counts: [4] }, 'ann 7', [3, 3])).toThrow(/image's size \[3, 3\]/);
    expect(() => countsFromString('T')).toThrow(MaskError);
  });
});

describe('polygon rasterisation', () => {
  test('a square on pixel corners covers the pixels inside', () => {
    const r = polygonToRle([1, 1, 3, 1, 3, 3, 1, 3], 5, 5);
    expect(toCocoRle(r).counts).toBe('62309'); // as the COCO tools give it
    expect(show(decodeRle(r), 5)).toEqual(['.....', '.##..', '.##..', '.....', '.....']);
  });

  test('a triangle off the grid, as the COCO tools rasterise it', () => {
    const r = polygonToRle([0.5, 0.5, 6.2, 1.0, 3.0, 5.7], 7, 8);
    expect(toCocoRle(r).counts).toBe('8163M00N2O>');
    expect(rleArea(r)).toBe(12);
    expect(rleToBbox(r)).toEqual([1, 1, 5, 4]);
    expect(show(decodeRle(r), 8).slice(0, 5)).toEqual(['........', '.#####..', '..###...', '..##....', '..##....']);
  });

  test('segmentations: polygons unioned, RLE checked against the image size', () => {
    const two = segmentationToRle([[0, 0, 2, 0, 2, 2, 0, 2], [1, 1, 3, 1, 3, 3, 1, 3]], 4, 4);
    expect(rleArea(two)).toBe(7);
    const u = segmentationToRle({ size: [4, 4], counts: [5, 2, 9] }, 4, 4);
    expect(rleArea(u)).toBe(2);
    expect(() => segmentationToRle([[0, 0, 1]], 4, 4, 'a.json: annotation 3')).toThrow(/a.json: annotation 3: expected polygons/);
    expect(() => segmentationToRle({ size: [5, 4], counts: [20] }, 4, 4, 'a.json: annotation 3')).toThrow(/annotation 3: expected an RLE of the image's size/);
  });
});

describe('maskToPolygons', () => {
  test('a ring traced with its hole: one polygon, the hole cut out', () => {
    const m = grid(['.....', '.###.', '.#.#.', '.###.', '.....']);
    const polys = maskToPolygons(m, 5, 5);
    expect(polys).toHaveLength(1);
    expect(Array.from(decodeRle(segmentationToRle(polys, 5, 5)))).toEqual(Array.from(m));
  });

  test('diagonal neighbours are separate groups; straight runs keep only their corners', () => {
    const polys = maskToPolygons(grid(['#.', '.#']), 2, 2);
    expect(polys).toHaveLength(2);
    for (const p of polys) expect(p).toHaveLength(8);
    expect(maskToPolygons(grid(['####']), 1, 4)[0]).toHaveLength(8);
  });

  test('random masks rasterise back to themselves exactly', () => {
    const rng = new Rng(11);
    for (let t = 0; t < 100; t++) {
      const h = rng.randint(1, 24), w = rng.randint(1, 24);
      const p = rng.uniform(0.1, 0.9);
      const m = Uint8Array.from({ length: h * w }, () => (rng.uniform(0, 1) < p ? 1 : 0));
      const back = decodeRle(segmentationToRle(maskToPolygons(m, h, w), h, w));
      expect(show(back, w)).toEqual(show(m, w));
    }
  });
});

describe('pasteMask', () => {
  test('a full mask: the widened box, less the border the zero padding fades out', () => {
    // box x 2..5, y 1..4: half sizes 1.5 * 6/4 = 2.25 about (3.5, 2.5) -> x 1..5, y 0..4 (cut
    // toward zero), 5 x 5 px; the 6 x 6 padded grid resized to 5 at (d + 0.5) * 1.2 - 0.5 =
    // 0.1, 1.3, 2.5, 3.7, 4.9: the first and last read 0.1 of a set cell, so 3 px each way
    const out = pasteMask(new Float32Array(16).fill(1), [2, 1, 5, 4], 8, 10);
    expect(show(out, 10)).toEqual(['..........', '..###.....', '..###.....', '..###.....', '..........', '..........', '..........', '..........']);
  });

  test('the left column of a 2 x 2 grid set: the left part of the box', () => {
    // box 0..9: half 4.5 * 2 = 9 about 4.5 -> x -4..13, 18 px over 4 padded cells; cell 1 alone
    // reads above 0.5 for 0.5 < s < 1.5 -> d 5..8 -> x 1..4; rows: cells 1-2 -> d 5..12 -> y 1..8;
    // the corners are products: row 0.722 x column 0.611 = 0.44 stays below 0.5
    const out = pasteMask([1, 0, 1, 0], [0, 0, 9, 9], 10, 10);
    expect(show(out, 10)).toEqual(['..........', '.###......', ...new Array(6).fill('.####.....'), '.###......', '..........']);
  });

  test('parts outside the image are cut; bad input is refused', () => {
    const out = pasteMask(new Float32Array(9).fill(1), [-5, -5, 2, 2], 4, 4);
    expect(out[0]).toBe(1);
    expect(out[3 * 4 + 3]).toBe(0);
    expect(() => pasteMask([1, 2, 3], [0, 0, 1, 1], 4, 4)).toThrow(/M x M/);
    expect(() => pasteMask([1], [0, 0, 1], 4, 4)).toThrow(/box/);
  });
});
