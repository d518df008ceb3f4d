// Max and average pooling: gradient checks (max on tie-free inputs; avg exclusive and not, with
// padding, implicit bottom/right padding, windows wholly in the padding, stride > kernel) and
// hand-computed cases for padding and ties.
import { pool2d_backward, pool2d_forward } from '../../src/backend/reference/pool2d';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { distinctArray, randomArray } from '../util/rng';

interface Case { name: string; N: number; C: number; H: number; W: number; KH: number; KW: number; SH: number; SW: number; PT: number; PB: number; PL: number; PR: number }

const cases: Case[] = [
  { name: '2x2 stride 2', N: 2, C: 2, H: 4, W: 6, KH: 2, KW: 2, SH: 2, SW: 2, PT: 0, PB: 0, PL: 0, PR: 0 },
  { name: '3x3 stride 2 pad 1 (overlapping)', N: 1, C: 3, H: 7, W: 6, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PB: 1, PL: 1, PR: 1 },
  { name: '3x2 stride 1, asymmetric padding', N: 1, C: 2, H: 5, W: 5, KH: 3, KW: 2, SH: 1, SW: 1, PT: 1, PB: 0, PL: 0, PR: 1 },
  { name: 'ceil-mode extra bottom/right', N: 1, C: 1, H: 5, W: 5, KH: 2, KW: 2, SH: 2, SW: 2, PT: 0, PB: 1, PL: 0, PR: 1 },
  { name: '5x5 stride 1 pad 2 (SPP-like)', N: 1, C: 2, H: 4, W: 4, KH: 5, KW: 5, SH: 1, SW: 1, PT: 2, PB: 2, PL: 2, PR: 2 },
  // padding >= kernel: some windows lie wholly in the padding (output 0, no gradient)
  { name: '2x2 stride 1 pad 3 (empty windows)', N: 1, C: 2, H: 3, W: 2, KH: 2, KW: 2, SH: 1, SW: 1, PT: 3, PB: 3, PL: 2, PR: 2 },
  // stride larger than the kernel: inputs between windows get no gradient
  { name: '1x2 stride 3 (stride > kernel)', N: 2, C: 1, H: 7, W: 8, KH: 1, KW: 2, SH: 3, SW: 3, PT: 0, PB: 0, PL: 0, PR: 0 },
];

function geometry(c: Case, kind: number, exclusive: number): Int32Array {
  const OH = Math.floor((c.H + c.PT + c.PB - c.KH) / c.SH) + 1, OW = Math.floor((c.W + c.PL + c.PR - c.KW) / c.SW) + 1;
  return Int32Array.from([c.N, c.C, c.H, c.W, OH, OW, c.KH, c.KW, c.SH, c.SW, c.PT, c.PL, kind, exclusive]);
}

describe('reference pool2d gradients', () => {
  const modes: Array<[string, number, number]> = [['max', 0, 0], ['avg exclusive', 1, 1], ['avg inclusive', 1, 0]];
  cases.forEach((c, ci) => {
    modes.forEach(([mode, kind, exclusive]) => {
      test(`${mode}: ${c.name}`, () => {
        const p = geometry(c, kind, exclusive);
        const n = c.N * c.C * c.H * c.W;
        // Distinct values 0.05 apart: a 1e-6 step never changes which tap is the maximum.
        const x = kind === 0 ? distinctArray(n, 70 + ci) : randomArray(n, 70 + ci);
        const y = new Float64Array(c.N * c.C * p[4] * p[5]), r = randomArray(y.length, 80 + ci);
        const loss = projectionLoss(() => {
          pool2d_forward(x, y, p);
          return y;
        }, r);
        const dx = new Float64Array(n).fill(NaN);
        pool2d_backward(x, r, dx, p);
        checkGrad(`${mode} ${c.name} dx`, loss, x, dx);
      });
    });
  });
});

describe('reference pool2d by hand', () => {
  // One 3x3 plane, one 3x3 window with padding 1 at output (0,0): taps are rows/cols 0..1.
  const p = (kind: number, exclusive: number) => [1, 1, 3, 3, 1, 1, 3, 3, 1, 1, 1, 1, kind, exclusive];

  test('padding never wins a max', () => {
    const x = Float64Array.of(-5, -2, -9, -3, -4, -9, -9, -9, -9);
    const y = new Float64Array(1);
    pool2d_forward(x, y, p(0, 0));
    expect(y[0]).toBe(-2);
  });

  test('exclusive avg divides by in-bounds taps, inclusive by KH*KW', () => {
    const x = Float64Array.of(1, 2, 100, 3, 4, 100, 100, 100, 100);
    const y = new Float64Array(1);
    pool2d_forward(x, y, p(1, 1));
    expect(y[0]).toBe(10 / 4);
    pool2d_forward(x, y, p(1, 0));
    expect(y[0]).toBe(10 / 9);
    const dx = new Float64Array(9);
    pool2d_backward(x, Float64Array.of(9), dx, p(1, 0));
    expectClose(dx, [1, 1, 0, 1, 1, 0, 0, 0, 0], 0);
  });

  test('max gradient goes to the first maximal tap, kh then kw', () => {
    // 2x2 window over a plane of equal values except one larger value later in scan order.
    const x = Float64Array.of(7, 7, 7, 7);
    const dx = new Float64Array(4);
    pool2d_backward(x, Float64Array.of(1), dx, [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0]);
    expectClose(dx, [1, 0, 0, 0], 0);
    const x2 = Float64Array.of(1, 5, 5, 2);
    pool2d_backward(x2, Float64Array.of(1), dx, [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0]);
    expectClose(dx, [0, 1, 0, 0], 0);
  });

  test('overlapping windows add their gradients', () => {
    // 1x3 row, windows of width 2 at stride 1: the middle maximum wins both windows.
    const dx = new Float64Array(3);
    pool2d_backward(Float64Array.of(1, 9, 2), Float64Array.of(2, 3), dx, [1, 1, 1, 3, 1, 2, 1, 2, 1, 1, 0, 0, 0, 0]);
    expectClose(dx, [0, 5, 0], 0);
  });
});
