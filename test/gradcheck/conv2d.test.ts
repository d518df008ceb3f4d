// Gradient checks of the reference conv2d (input, filter, bias) over strides, groups, depthwise,
// dilation and asymmetric/implicit padding, plus hand-computed forward cases.
import { conv2d_backward_filter, conv2d_backward_input, conv2d_forward } from '../../src/backend/reference/conv2d';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { randomArray } from '../util/rng';

interface Case {
  name: string;
  N: number; C: number; H: number; W: number; OC: number; KH: number; KW: number;
  SH?: number; SW?: number; PT?: number; PB?: number; PL?: number; PR?: number; DH?: number; DW?: number; G?: number;
  bias?: boolean;
}

/** Output extent for padding before/after, as a conv with explicit (possibly asymmetric) padding gives it. */
const outSize = (H: number, K: number, S: number, P0: number, P1: number, D: number) => Math.floor((H + P0 + P1 - D * (K - 1) - 1) / S) + 1;

function geometry(c: Case): Int32Array {
  const SH = c.SH ?? 1, SW = c.SW ?? 1, PT = c.PT ?? 0, PL = c.PL ?? 0, DH = c.DH ?? 1, DW = c.DW ?? 1;
  const OH = outSize(c.H, c.KH, SH, PT, c.PB ?? PT, DH), OW = outSize(c.W, c.KW, SW, PL, c.PR ?? PL, DW);
  return Int32Array.from([c.N, c.C, c.H, c.W, c.OC, c.KH, c.KW, OH, OW, SH, SW, PT, PL, DH, DW, c.G ?? 1]);
}

const cases: Case[] = [
  { name: '3x3 pad 1 with bias', N: 2, C: 3, H: 5, W: 5, OC: 4, KH: 3, KW: 3, PT: 1, PL: 1, bias: true },
  { name: 'stride 2, asymmetric padding', N: 1, C: 2, H: 7, W: 6, OC: 3, KH: 3, KW: 2, SH: 2, SW: 2, PT: 1, PB: 2, PL: 0, PR: 1, bias: true },
  { name: 'groups 2', N: 2, C: 4, H: 5, W: 4, OC: 6, KH: 3, KW: 3, PT: 1, PL: 1, G: 2, bias: true },
  { name: 'depthwise', N: 1, C: 3, H: 6, W: 5, OC: 3, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, G: 3, bias: true },
  { name: 'depthwise multiplier 2', N: 1, C: 3, H: 4, W: 4, OC: 6, KH: 3, KW: 3, PT: 1, PL: 1, G: 3 },
  { name: 'dilation 2', N: 1, C: 2, H: 7, W: 7, OC: 2, KH: 3, KW: 3, PT: 2, PL: 2, DH: 2, DW: 2, bias: true },
  { name: 'dilation 2x1, stride 1x2, rect kernel', N: 2, C: 2, H: 6, W: 7, OC: 3, KH: 2, KW: 3, SW: 2, PT: 1, PB: 0, PL: 1, PR: 2, DH: 2 },
  { name: '1x1 without bias', N: 2, C: 3, H: 3, W: 4, OC: 5, KH: 1, KW: 1 },
  { name: 'ceil-mode-like extra bottom/right padding', N: 1, C: 2, H: 6, W: 6, OC: 2, KH: 3, KW: 3, SH: 2, SW: 2, PT: 0, PB: 1, PL: 0, PR: 1, bias: true },
];

describe('reference conv2d gradients', () => {
  cases.forEach((c, ci) => {
    test(c.name, () => {
      const p = geometry(c);
      const [N, C, H, W, OC, KH, KW, OH, OW, , , , , , , G] = Array.from(p);
      const x = randomArray(N * C * H * W, 100 + ci);
      const w = randomArray(OC * (C / G) * KH * KW, 200 + ci);
      const b = c.bias ? randomArray(OC, 300 + ci) : null;
      const y = new Float64Array(N * OC * OH * OW);
      const r = randomArray(y.length, 400 + ci);
      const loss = projectionLoss(() => {
        conv2d_forward(x, w, b, y, p);
        return y;
      }, r);

      const dx = new Float64Array(x.length).fill(NaN); // overwritten, so stale contents must not leak in
      conv2d_backward_input(r, w, dx, p);
      checkGrad(`${c.name}: dx`, loss, x, dx);

      const dw = new Float64Array(w.length).fill(NaN);
      const db = b ? new Float64Array(OC).fill(NaN) : null;
      conv2d_backward_filter(x, r, dw, db, p);
      checkGrad(`${c.name}: dw`, loss, w, dw);
      if (b && db) checkGrad(`${c.name}: db`, loss, b, db);
    });
  });
});

/** The contract's formula read literally, one output at a time (independent of the kernel's loop order). */
function directConv(x: Float64Array, w: Float64Array, b: Float64Array | null, p: Int32Array): Float64Array {
  const [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G] = Array.from(p);
  const Cg = C / G, OCg = OC / G;
  const y = new Float64Array(N * OC * OH * OW);
  for (let n = 0; n < N; n++) for (let oc = 0; oc < OC; oc++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let s = b ? b[oc] : 0;
    for (let c = 0; c < Cg; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * SH - PT + kh * DH, iw = ow * SW - PL + kw * DW;
      const ic = Math.floor(oc / OCg) * Cg + c;
      const xv = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[((n * C + ic) * H + ih) * W + iw] : 0;
      s += xv * w[((oc * Cg + c) * KH + kh) * KW + kw];
    }
    y[((n * OC + oc) * OH + oh) * OW + ow] = s;
  }
  return y;
}

describe('reference conv2d forward equals the formula read directly', () => {
  cases.forEach((c, ci) => {
    test(c.name, () => {
      const p = geometry(c);
      const [N, C, H, W, OC, KH, KW, OH, OW, , , , , , , G] = Array.from(p);
      const x = randomArray(N * C * H * W, 500 + ci), w = randomArray(OC * (C / G) * KH * KW, 600 + ci);
      const b = c.bias ? randomArray(OC, 700 + ci) : null;
      const y = new Float64Array(N * OC * OH * OW).fill(NaN);
      conv2d_forward(x, w, b, y, p);
      expectClose(y, directConv(x, w, b, p), { rtol: 1e-12, atol: 1e-12 });
    });
  });
});

describe('reference conv2d forward by hand', () => {
  // x is the 4x4 ramp 0..15 (x[i, j] = 4i + j); w is 3x3 of ones.
  const ramp = Float64Array.from({ length: 16 }, (_, i) => i);
  const ones = new Float64Array(9).fill(1);

  test('valid 3x3 sums of a ramp, plus bias', () => {
    const y = new Float64Array(4);
    conv2d_forward(ramp, ones, Float64Array.of(1), y, [1, 1, 4, 4, 1, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1]);
    // Each 3x3 window of a linear ramp sums to 9 times its centre: centres 5, 6, 9, 10.
    expectClose(y, [46, 55, 82, 91], 1e-12);
  });

  test('pad 1: border windows see zeros', () => {
    const y = new Float64Array(16);
    conv2d_forward(ramp, ones, null, y, [1, 1, 4, 4, 1, 3, 3, 4, 4, 1, 1, 1, 1, 1, 1, 1]);
    expect(y[0]).toBe(0 + 1 + 4 + 5);
    expect(y[3]).toBe(2 + 3 + 6 + 7);
    expect(y[5]).toBe(45);
    expect(y[15]).toBe(10 + 11 + 14 + 15);
  });

  test('horizontal difference filter, stride 2', () => {
    const w = Float64Array.of(-1, 0, 1, -1, 0, 1, -1, 0, 1);
    const y = new Float64Array(4);
    // pad 1, stride 2 -> 2x2 outputs centred at (0,0), (0,2), (2,0), (2,2).
    conv2d_forward(ramp, w, null, y, [1, 1, 4, 4, 1, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1]);
    // (0,0): rows 0..1 in bounds, column -1 is padding: x[0,1] + x[1,1] = 1 + 5 = 6.
    // (0,2): rows 0..1, columns 3 minus 1: 2 * (3 - 1) = 4.
    // (2,0): rows 1..3, column -1 is padding: x[1,1] + x[2,1] + x[3,1] = 5 + 9 + 13 = 27.
    // (2,2): rows 1..3, columns 3 minus 1: 3 * 2 = 6.
    expectClose(y, [6, 4, 27, 6], 1e-12);
  });

  test('groups keep channels apart', () => {
    // Two 1x1 groups: y0 = 2 * x0, y1 = 3 * x1.
    const x = Float64Array.of(1, 2, 3, 4, 10, 20, 30, 40);
    const y = new Float64Array(8);
    conv2d_forward(x, Float64Array.of(2, 3), null, y, [1, 2, 2, 2, 2, 1, 1, 2, 2, 1, 1, 0, 0, 1, 1, 2]);
    expectClose(y, [2, 4, 6, 8, 30, 60, 90, 120], 0);
  });
});
