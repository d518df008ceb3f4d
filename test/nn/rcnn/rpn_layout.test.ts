/** The RPN's NCHW outputs against anchor rows: index mapping and the gather/scatter adjoint. */
import { anchorGenerator, anchorMajor, gatherAnchorValues, scatterAnchorGrads } from '../../../src/nn/rcnn';
import { Rng } from '../../../src/data/rng';

const A = 2, H = 2, W = 3, k = 4;
// value at NCHW channel a * k + j, row h, column w encodes (a, j, h, w)
const code = (a: number, j: number, h: number, w: number) => a * 1000 + j * 100 + h * 10 + w;
const nchw = new Float64Array(A * k * H * W);
for (let a = 0; a < A; a++) for (let j = 0; j < k; j++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) nchw[((a * k + j) * H + h) * W + w] = code(a, j, h, w);

test('anchor (h, w, a) reads channels a * k .. a * k + k - 1 at (h, w), as the generator numbers it', () => {
  const idx = [(1 * W + 2) * A + 1, 0, (0 * W + 1) * A + 0];
  const g = gatherAnchorValues(nchw, A, H, W, k, idx);
  expect(Array.from(g.subarray(0, 4))).toEqual([0, 1, 2, 3].map((j) => code(1, j, 1, 2)));
  expect(Array.from(g.subarray(4, 8))).toEqual([0, 1, 2, 3].map((j) => code(0, j, 0, 0)));
  expect(Array.from(g.subarray(8, 12))).toEqual([0, 1, 2, 3].map((j) => code(0, j, 0, 1)));
  const all = anchorMajor(nchw, A, H, W, k);
  const every = Array.from({ length: H * W * A }, (_, i) => i);
  expect(Array.from(all)).toEqual(Array.from(gatherAnchorValues(nchw, A, H, W, k, every)));
  expect(anchorGenerator(H, W, { anchorSizes: [32, 64], aspectRatios: [1], stride: [16, 16], variance: [1, 1, 1, 1] }).count * k).toBe(all.length);
});

test('scatter is the adjoint of gather (repeated indices accumulate)', () => {
  const r = new Rng(3);
  const x = Float64Array.from({ length: A * k * H * W }, () => r.normal());
  const idx = [5, 0, 5, 11, 7];
  const y = Float64Array.from({ length: idx.length * k }, () => r.normal());
  const gx = gatherAnchorValues(x, A, H, W, k, idx, new Float64Array(idx.length * k));
  const sy = new Float64Array(x.length);
  scatterAnchorGrads(y, A, H, W, k, idx, sy);
  let lhs = 0, rhs = 0;
  for (let i = 0; i < y.length; i++) lhs += gx[i] * y[i];
  for (let i = 0; i < x.length; i++) rhs += x[i] * sy[i];
  expect(lhs).toBeCloseTo(rhs, 12);
});
