// Nearest and bilinear resizing (each in both align_corners modes): gradient checks on up- and
// down-scaling, and hand-computed values of the source-coordinate rules.
import { upsample_backward, upsample_forward } from '../../src/backend/reference/upsample';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { randomArray } from '../util/rng';

describe('reference upsample gradients', () => {
  const sizes: Array<[number, number, number, number]> = [
    [3, 4, 6, 8], // x2
    [3, 3, 5, 7], // non-integer factors
    [5, 6, 3, 4], // downscaling
    [2, 3, 1, 1], // to a single pixel
  ];
  const modes: Array<[string, number, number]> = [['nearest', 0, 0], ['nearest align 1', 0, 1], ['bilinear align 0', 1, 0], ['bilinear align 1', 1, 1]];
  modes.forEach(([mode, m, align]) => {
    sizes.forEach(([H, W, OH, OW], si) => {
      test(`${mode}: ${H}x${W} -> ${OH}x${OW}`, () => {
        const N = 2, C = 2, p = [N, C, H, W, OH, OW, m, align];
        const x = randomArray(N * C * H * W, 90 + si), y = new Float64Array(N * C * OH * OW), r = randomArray(y.length, 95 + si);
        const loss = projectionLoss(() => {
          upsample_forward(x, y, p);
          return y;
        }, r);
        const dx = new Float64Array(x.length).fill(NaN);
        upsample_backward(r, dx, p);
        checkGrad(`${mode} dx`, loss, x, dx);
      });
    });
  });
});

describe('reference upsample by hand', () => {
  const row = Float64Array.of(0, 10, 20); // one 1x3 plane, resized along W only

  const resize = (OW: number, mode: number, align: number, x = row) => {
    const y = new Float64Array(OW);
    upsample_forward(x, y, [1, 1, 1, x.length, 1, OW, mode, align]);
    return y;
  };

  test('nearest: src = floor(dst * W / OW)', () => {
    expectClose(resize(6, 0, 0), [0, 0, 10, 10, 20, 20], 0);
    // 3 -> 4: floor(0), floor(0.75), floor(1.5), floor(2.25)
    expectClose(resize(4, 0, 0), [0, 0, 10, 20], 0);
  });

  test('nearest align_corners 1: src = floor(dst * (W-1)/(OW-1) + 1/2), ties round up', () => {
    // 3 -> 5: src = 0, 0.5, 1, 1.5, 2 -> 0, 1, 1, 2, 2 (the plain rule gives 0, 0, 10, 10, 20)
    expectClose(resize(5, 0, 1), [0, 10, 10, 20, 20], 0);
    expectClose(resize(5, 0, 0), [0, 0, 10, 10, 20], 0);
    // 3 -> 4: src = 0, 2/3, 4/3, 2 -> 0, 1, 1, 2
    expectClose(resize(4, 0, 1), [0, 10, 10, 20], 0);
    // 3 -> 2 (down): src = 0, 2; -> 1: the first pixel
    expectClose(resize(2, 0, 1), [0, 20], 0);
    expectClose(resize(1, 0, 1), [0], 0);
    // at 2x both rules pick the same pixels
    expectClose(resize(6, 0, 1), resize(6, 0, 0), 0);
  });

  test('nearest align_corners 1 backward: each dy lands on the picked pixel', () => {
    const dx = new Float64Array(3);
    upsample_backward(Float64Array.of(1, 2, 4, 8, 16), dx, [1, 1, 1, 3, 1, 5, 0, 1]);
    expectClose(dx, [1, 6, 24], 0);
  });

  test('bilinear align_corners 1: corners map to corners', () => {
    expectClose(resize(5, 1, 1), [0, 5, 10, 15, 20], 1e-12);
    expectClose(resize(1, 1, 1), [0], 0);
  });

  test('bilinear align_corners 0: half-pixel centres, clamped at 0', () => {
    // 3 -> 6: src = (d + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25, 1.75, 2.25 (upper tap clamped)
    expectClose(resize(6, 1, 0), [0, 2.5, 7.5, 12.5, 17.5, 20], 1e-12);
    // 2 -> 1: src = 0.5 * 2 - 0.5 = 0.5: the mean of both
    expectClose(resize(1, 1, 0, Float64Array.of(4, 8)), [6], 1e-12);
  });

  test('bilinear mixes rows and columns', () => {
    // 2x2 -> 3x3 with corners aligned: the centre is the mean of the four corners.
    const y = new Float64Array(9);
    upsample_forward(Float64Array.of(0, 4, 8, 16), y, [1, 1, 2, 2, 3, 3, 1, 1]);
    expectClose(y, [0, 2, 4, 4, 7, 10, 8, 12, 16], 1e-12);
  });
});
