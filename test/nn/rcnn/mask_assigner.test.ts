/** rasterizePolygons at cell centres over a box, and generateMaskLabels' matching and layout. */
import { expandMaskTargets, generateMaskLabels, rasterizePolygons } from '../../../src/nn/rcnn';

const grid = (m: Uint8Array, M: number) => Array.from({ length: M }, (_, r) => Array.from(m.subarray(r * M, (r + 1) * M)).join(''));
const ones = (m: ArrayLike<number>) => Array.from(m).filter((v) => v === 1).length;
const square = [0, 0, 10, 0, 10, 10, 0, 10];

describe('rasterizePolygons', () => {
  test('a polygon covering the box fills every cell; a box twice as large the top-left quarter', () => {
    expect(ones(rasterizePolygons([square], [0, 0, 10, 10], 10))).toBe(100);
    const q = rasterizePolygons([square], [0, 0, 20, 20], 10);
    expect(ones(q)).toBe(25);
    expect(grid(q, 10)[4]).toBe('1111100000');
    expect(grid(q, 10)[5]).toBe('0000000000');
  });

  test('a right triangle: centres on the hypotenuse are outside', () => {
    const t = rasterizePolygons([[0, 0, 4, 0, 0, 4]], [0, 0, 4, 4], 4);
    expect(grid(t, 4)).toEqual(['1110', '1100', '1000', '0000']);
    // the same triangle listed the other way round
    expect(grid(rasterizePolygons([[0, 4, 4, 0, 0, 0]], [0, 0, 4, 4], 4), 4)).toEqual(['1110', '1100', '1000', '0000']);
  });

  test('image coordinates are mapped onto the box; pieces are OR-ed, not XOR-ed', () => {
    const left = [100, 50, 105, 50, 105, 60, 100, 60];
    const m = rasterizePolygons([left], [100, 50, 110, 60], 10);
    expect(ones(m)).toBe(50);
    expect(grid(m, 10).every((r) => r === '1111100000')).toBe(true);
    // two overlapping squares: 6 x 6 each, overlap 2 x 2 -> union 68
    const a = [0, 0, 6, 0, 6, 6, 0, 6];
    const b = [4, 4, 10, 4, 10, 10, 4, 10];
    expect(ones(rasterizePolygons([a, b], [0, 0, 10, 10], 10))).toBe(68);
    // parts outside the box are cut off
    expect(ones(rasterizePolygons([[-20, -20, 5, -20, 5, 30, -20, 30]], [0, 0, 10, 10], 10))).toBe(50);
  });

  test('a concave polygon (an L) and a degenerate box side of zero', () => {
    const L = [0, 0, 2, 0, 2, 2, 4, 2, 4, 4, 0, 4];
    expect(grid(rasterizePolygons([L], [0, 0, 4, 4], 4), 4)).toEqual(['1100', '1100', '1111', '1111']);
    // w = max(x2 - x1, 1): a zero-width box still maps one pixel onto the grid
    expect(ones(rasterizePolygons([[5, 0, 6, 0, 6, 4, 5, 4]], [5, 0, 5, 4], 4))).toBe(16);
  });

  test('bad polygons get one clear error', () => {
    expect(() => rasterizePolygons([[0, 0, 1, 1]], [0, 0, 4, 4], 4)).toThrow(/rasterizePolygons: expected a polygon of at least 3 \(x, y\) points as a flat even-length list for polygon, got "4 numbers"/);
    expect(() => rasterizePolygons([square], [0, 0, 4, 4], 0)).toThrow(/resolution/);
  });
});

describe('generateMaskLabels', () => {
  const polys = [[square], [[50, 50, 60, 50, 60, 60, 50, 60]], [square]];
  const classes = [2, 1, 1];
  const crowd = [0, 0, 1];
  // rois on an image resized by 2; r0 covers gt0's box four times over, r1 = gt1, r2 bg
  const rois = [0, 0, 40, 40, 100, 100, 120, 120, 0, 0, 20, 20];

  test('fg rois matched by polygon-box IoU, rasterised over the roi, class blocks with -1 elsewhere', () => {
    const t = generateMaskLabels(rois, [2, 1, 0], 3, polys, classes, crowd, [200, 200, 2], 3, 4);
    expect(t.count).toBe(2);
    expect(Array.from(t.roiHasMask)).toEqual([0, 1]);
    expect(Array.from(t.maskClasses)).toEqual([2, 1]);
    expect(Array.from(t.maskRois)).toEqual(rois.slice(0, 8));
    expect(grid(t.masks.subarray(0, 16), 4)).toEqual(['1100', '1100', '0000', '0000']);
    expect(ones(t.masks.subarray(16, 32))).toBe(16);
    expect(t.maskInt32.length).toBe(2 * 3 * 16);
    const block = (k: number, c: number) => Array.from(t.maskInt32.subarray((k * 3 + c) * 16, (k * 3 + c + 1) * 16));
    expect(block(0, 0)).toEqual(new Array(16).fill(-1));
    expect(block(0, 1)).toEqual(new Array(16).fill(-1));
    expect(block(0, 2)).toEqual(Array.from(t.masks.subarray(0, 16)));
    expect(block(1, 1)).toEqual(new Array(16).fill(1));
    expect(block(1, 2)).toEqual(new Array(16).fill(-1));
  });

  test('crowd gts are never matched', () => {
    // the roi sits exactly on a crowd gt's square; the only other gt lies far away (IoU 0) but
    // is the one matched, so the target is empty
    const t = generateMaskLabels([0, 0, 20, 20], [1], 1, [polys[2], polys[1]], [1, 1], [1, 0], [200, 200, 2], 2, 2);
    expect(Array.from(t.masks)).toEqual([0, 0, 0, 0]);
  });

  test('no fg roi: the first bg roi with an all -1 target', () => {
    const t = generateMaskLabels(rois, [0, 0, 0], 3, polys, classes, crowd, [200, 200, 2], 3, 4);
    expect(t.count).toBe(1);
    expect(Array.from(t.roiHasMask)).toEqual([0]);
    expect(Array.from(t.maskClasses)).toEqual([0]);
    expect(Array.from(t.maskInt32).every((v) => v === -1)).toBe(true);
  });

  test('expandMaskTargets and errors', () => {
    const e = expandMaskTargets(Uint8Array.from([1, 0, 0, 1]), [1], 1, 2, 2);
    expect(Array.from(e)).toEqual([-1, -1, -1, -1, 1, 0, 0, 1]);
    expect(() => generateMaskLabels(rois, [1, 0, 0], 3, [[]], [1], null, [200, 200, 2], 3, 4)).toThrow(/generateMaskLabels: expected at least one polygon for segmentation of gt 0, got \[\]/);
  });
});
