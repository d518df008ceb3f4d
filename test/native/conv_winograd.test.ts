/**
 * 3x3 stride-1 convolutions with at least 64 channels in and out run through Winograd F(2x2, 3x3)
 * (native/conv_winograd.cc): the forward, the fused forward + activation and the stride-1 input
 * gradient (the flipped filter); their filter gradient through F(3x3, 2x2). Narrower ones (24 and
 * more channels) take it in the forward and input gradient where the CPU has AVX2 or AVX-512.
 * Checked here: against a float64 loop, as accurate as the direct path (setWinograd(false));
 * really taken (its bits differ from the direct path's);
 * odd sizes, partial tiles, asymmetric and wide padding, several passes; the same bits for 1 and
 * 2 threads and for an image alone and in a batch; and the direct path's exact bits where an input
 * or a filter holds Inf, NaN or a value over 2^50 (the transforms would turn Inf into NaN).
 */
import { loadAddon, nativeLoadError } from '../../src/backend/native';
import { randomArray } from '../util/rng';

const addon = loadAddon();
if (!addon) console.log(`skipping Winograd conv checks: ${nativeLoadError()}`);
const d = addon ? describe : describe.skip;

let seed = 7;
/** Values in [-0.5, 0.5), a new seeded stream per call. */
function fill(n: number): Float32Array {
  return Float32Array.from(randomArray(n, seed++, -0.5, 0.5));
}

interface Geo { N: number; C: number; H: number; W: number; OC: number; PT: number; PL: number; OH: number; OW: number }

function geo(N: number, C: number, H: number, W: number, OC: number, pad: number): Geo {
  return { N, C, H, W, OC, PT: pad, PL: pad, OH: H + 2 * pad - 2, OW: W + 2 * pad - 2 };
}

function params(g: Geo): Int32Array {
  return Int32Array.from([g.N, g.C, g.H, g.W, g.OC, 3, 3, g.OH, g.OW, 1, 1, g.PT, g.PL, 1, 1, 1]);
}

/** Calls tap(xi, wi, yi) for every in-bounds tap of the layer (x, w, y flat indices), in a fixed order. */
function forEachTap(g: Geo, tap: (xi: number, wi: number, yi: number) => void): void {
  const { N, C, H, W, OC, PT, PL, OH, OW } = g;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < OC; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++)
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < 3; kh++) {
              const ih = oh - PT + kh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < 3; kw++) {
                const iw = ow - PL + kw;
                if (iw >= 0 && iw < W) tap(((n * C + c) * H + ih) * W + iw, ((o * C + c) * 3 + kh) * 3 + kw, ((n * OC + o) * OH + oh) * OW + ow);
              }
            }
}

function convRef(x: Float32Array, w: Float32Array, b: Float32Array, g: Geo): Float64Array {
  const y = new Float64Array(g.N * g.OC * g.OH * g.OW);
  for (let i = 0; i < y.length; i++) y[i] = b[Math.floor(i / (g.OH * g.OW)) % g.OC];
  forEachTap(g, (xi, wi, yi) => (y[yi] += x[xi] * w[wi]));
  return y;
}

function inputGradRef(dy: Float32Array, w: Float32Array, g: Geo): Float64Array {
  const dx = new Float64Array(g.N * g.C * g.H * g.W);
  forEachTap(g, (xi, wi, yi) => (dx[xi] += dy[yi] * w[wi]));
  return dx;
}

function filterGradRef(x: Float32Array, dy: Float32Array, g: Geo): Float64Array {
  const dw = new Float64Array(g.OC * g.C * 9);
  forEachTap(g, (xi, wi, yi) => (dw[wi] += dy[yi] * x[xi]));
  return dw;
}

function maxErr(a: Float32Array, ref: Float64Array): number {
  let e = 0;
  for (let i = 0; i < ref.length; i++) e = Math.max(e, Math.abs(a[i] - ref[i]));
  return e;
}

/** The largest |a - ref| and the largest |ref|. */
function spread(a: Float32Array, ref: Float32Array): { worst: number; big: number } {
  let worst = 0, big = 0;
  for (let i = 0; i < ref.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - ref[i]));
    big = Math.max(big, Math.abs(ref[i]));
  }
  return { worst, big };
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.length === ub.length && ua.every((v, i) => v === ub[i]);
}

/** Runs fn with the Winograd path turned off. */
function direct<T>(fn: () => T): T {
  addon!.setWinograd(false);
  try {
    return fn();
  } finally {
    addon!.setWinograd(true);
  }
}

const CASES: Array<[string, Geo]> = [
  ['odd sizes, OC not a panel multiple', geo(2, 64, 9, 11, 70, 1)],
  ['no padding', geo(1, 64, 6, 7, 64, 0)],
  ['padding 2 (outputs larger than the input)', geo(3, 65, 5, 6, 64, 2)],
  ['a 2x3 map', geo(1, 64, 2, 3, 66, 1)],
  ['asymmetric padding (top 0, left 2; the rest implied)', { N: 1, C: 64, H: 7, W: 8, OC: 64, PT: 0, PL: 2, OH: 6, OW: 9 }],
  // transformed filters over 8 MiB: the per-group schedule (forward and input gradient)
  ['wide layer, 256 -> 600 channels on a 6x7 map', geo(2, 256, 6, 7, 600, 1)],
];

d('Winograd F(2x2, 3x3) convolutions', () => {
  test.each(CASES)('%s: forward, fused activation, input and filter gradients match float64', (_name, g) => {
    const k = addon!.kernels;
    const p = params(g);
    const { N, C, H, W, OC, OH, OW } = g;
    const x = fill(N * C * H * W), w = fill(OC * C * 9), b = fill(OC), dy = fill(N * OC * OH * OW);
    const y = new Float32Array(N * OC * OH * OW), yd = new Float32Array(y.length);
    k.conv2d_forward(x, w, b, y, p);
    direct(() => k.conv2d_forward(x, w, b, yd, p));
    const ref = convRef(x, w, b, g);
    const errW = maxErr(y, ref), errD = maxErr(yd, ref);
    // as accurate as the direct sum (a few ulp of the partial sums), and really a different path
    expect(errW).toBeLessThan(Math.max(4 * errD, 2e-6));
    expect(errW).toBeLessThan(2e-6 * Math.sqrt(9 * C));
    expect(bitsEqual(y, yd)).toBe(false);

    // fused leaky relu: the same bits as the activation applied to the forward output
    const ya = new Float32Array(y.length);
    k.conv2d_act_forward(x, w, b, ya, Int32Array.from([...p, 1]), 0.1);
    const a = Math.fround(0.1);
    const want = y.map((v) => (v < 0 ? Math.fround(a * v) : v));
    expect(bitsEqual(ya, want)).toBe(true);

    const dx = new Float32Array(N * C * H * W), dxd = new Float32Array(dx.length);
    k.conv2d_backward_input(dy, w, dx, p);
    direct(() => k.conv2d_backward_input(dy, w, dxd, p));
    const dref = inputGradRef(dy, w, g);
    const dErrW = maxErr(dx, dref), dErrD = maxErr(dxd, dref);
    expect(dErrW).toBeLessThan(Math.max(4 * dErrD, 2e-6));
    expect(dErrW).toBeLessThan(2e-6 * Math.sqrt(9 * OC));
    expect(bitsEqual(dx, dxd)).toBe(false);

    // the filter gradient sums over every position: its bound grows with N * OH * OW
    const dw = new Float32Array(OC * C * 9), dwd = new Float32Array(dw.length), db = new Float32Array(OC), dbd = new Float32Array(OC);
    k.conv2d_backward_filter(x, dy, dw, db, p);
    direct(() => k.conv2d_backward_filter(x, dy, dwd, dbd, p));
    const wref = filterGradRef(x, dy, g);
    const wErrW = maxErr(dw, wref), wErrD = maxErr(dwd, wref);
    expect(wErrW).toBeLessThan(Math.max(4 * wErrD, 2e-6));
    expect(wErrW).toBeLessThan(2e-6 * Math.sqrt(N * OH * OW));
    expect(bitsEqual(dw, dwd)).toBe(false);
    expect(bitsEqual(db, dbd)).toBe(true); // the bias gradient has one path
  });

  test('1 and 2 threads, a batch and its images alone: the same bits', () => {
    const k = addon!.kernels;
    const g = geo(3, 64, 12, 10, 72, 1), p = params(g);
    const { N, C, H, W, OC, OH, OW } = g;
    const x = fill(N * C * H * W), w = fill(OC * C * 9), b = fill(OC);
    const threads = addon!.getThreads();
    const y2 = new Float32Array(N * OC * OH * OW), y1 = new Float32Array(y2.length);
    try {
      addon!.setThreads(2);
      k.conv2d_forward(x, w, b, y2, p);
      addon!.setThreads(1);
      k.conv2d_forward(x, w, b, y1, p);
    } finally {
      addon!.setThreads(threads);
    }
    expect(bitsEqual(y1, y2)).toBe(true);
    const xs = C * H * W, ys = OC * OH * OW, p1 = params({ ...g, N: 1 });
    for (let n = 0; n < N; n++) {
      const yn = new Float32Array(ys);
      k.conv2d_forward(x.subarray(n * xs, (n + 1) * xs), w, b, yn, p1);
      expect([n, bitsEqual(yn, y2.subarray(n * ys, (n + 1) * ys))]).toEqual([n, true]);
    }
  });

  test('the filter gradient over several passes of tiles (2048 tiles) agrees with the direct path', () => {
    const k = addon!.kernels;
    const g = geo(2, 64, 64, 64, 64, 1), p = params(g);
    const x = fill(g.N * g.C * g.H * g.W), dy = fill(g.N * g.OC * g.OH * g.OW);
    const dw = new Float32Array(g.OC * g.C * 9), dwd = new Float32Array(dw.length);
    k.conv2d_backward_filter(x, dy, dw, null, p);
    direct(() => k.conv2d_backward_filter(x, dy, dwd, null, p));
    const { worst, big } = spread(dw, dwd);
    expect(big).toBeGreaterThan(5);
    expect(worst).toBeLessThan(1e-4);
    expect(bitsEqual(dw, dwd)).toBe(false);
    // and 1 thread gives the same bits as 2
    const threads = addon!.getThreads(), dw1 = new Float32Array(dw.length);
    try {
      addon!.setThreads(1);
      k.conv2d_backward_filter(x, dy, dw1, null, p);
    } finally {
      addon!.setThreads(threads);
    }
    expect(bitsEqual(dw1, dw)).toBe(true);
  });

  // Narrower layers take Winograd only in the forward (and input gradient) and only where the CPU
  // runs its transforms 8 or 16 tiles at a time (AVX2, AVX-512); the filter gradient stays direct.
  test.each([
    ['26 -> 51 on 9x11 (odd sizes)', geo(2, 26, 9, 11, 51, 1)],
    ['24 -> 30 on 6x7, padding 2', geo(1, 24, 6, 7, 30, 2)],
    ['24 -> 40 on 60x60', geo(1, 24, 60, 60, 40, 1)],
  ])('narrow layer %s: as accurate as the direct path; Winograd where the CPU has AVX2', (_name, g) => {
    const k = addon!.kernels;
    const p = params(g);
    const { N, C, H, W, OC, OH, OW } = g;
    const simd = addon!.cpuInfo().avx2 || addon!.cpuInfo().avx512;
    if (!simd) console.log('native/conv_winograd: this CPU lacks AVX2; narrow layers take the direct path here');
    const x = fill(N * C * H * W), w = fill(OC * C * 9), b = fill(OC), dy = fill(N * OC * OH * OW);
    const y = new Float32Array(N * OC * OH * OW), yd = new Float32Array(y.length);
    k.conv2d_forward(x, w, b, y, p);
    direct(() => k.conv2d_forward(x, w, b, yd, p));
    const ref = convRef(x, w, b, g);
    expect(maxErr(y, ref)).toBeLessThan(Math.max(4 * maxErr(yd, ref), 2e-6));
    expect(bitsEqual(y, yd)).toBe(!simd);
    const dx = new Float32Array(N * C * H * W), dxd = new Float32Array(dx.length);
    k.conv2d_backward_input(dy, w, dx, p);
    direct(() => k.conv2d_backward_input(dy, w, dxd, p));
    const dref = inputGradRef(dy, w, g);
    expect(maxErr(dx, dref)).toBeLessThan(Math.max(4 * maxErr(dxd, dref), 2e-6));
    expect(bitsEqual(dx, dxd)).toBe(!simd);
    const dw = new Float32Array(OC * C * 9), dwd = new Float32Array(dw.length);
    k.conv2d_backward_filter(x, dy, dw, null, p);
    direct(() => k.conv2d_backward_filter(x, dy, dwd, null, p));
    expect(bitsEqual(dw, dwd)).toBe(true);
  });

  test('under 24 channels, and 24 -> 24 on 80x80 and 160x160 maps: the direct path', () => {
    const k = addon!.kernels;
    for (const g of [geo(1, 20, 10, 10, 64, 1), geo(1, 64, 10, 10, 16, 1), geo(1, 24, 80, 80, 24, 1), geo(1, 24, 160, 160, 24, 1)]) {
      const p = params(g);
      const x = fill(g.N * g.C * g.H * g.W), w = fill(g.OC * g.C * 9), b = fill(g.OC);
      const y = new Float32Array(g.N * g.OC * g.OH * g.OW), yd = new Float32Array(y.length);
      k.conv2d_forward(x, w, b, y, p);
      direct(() => k.conv2d_forward(x, w, b, yd, p));
      expect([g.C, g.OC, g.H, bitsEqual(y, yd)]).toEqual([g.C, g.OC, g.H, true]);
    }
  });

  test('several passes of tiles (256 channels, 432 tiles) agree with the direct path', () => {
    const k = addon!.kernels;
    const g = geo(3, 256, 24, 24, 256, 1), p = params(g);
    const x = fill(g.N * g.C * g.H * g.W), w = fill(g.OC * g.C * 9), b = fill(g.OC);
    const y = new Float32Array(g.N * g.OC * g.OH * g.OW), yd = new Float32Array(y.length);
    k.conv2d_forward(x, w, b, y, p);
    direct(() => k.conv2d_forward(x, w, b, yd, p));
    const { worst, big } = spread(y, yd);
    expect(big).toBeGreaterThan(1);
    expect(worst).toBeLessThan(2e-5);
    expect(bitsEqual(y, yd)).toBe(false);
  });

  test.each([
    ['an Inf input', 'x', Infinity, null],
    ['a NaN input', 'x', NaN, null],
    ['an input of 1e30', 'x', 1e30, null],
    ['an input one float over 2^50', 'x', -(2 ** 50) * (1 + 2 ** -23), null],
    ['a NaN weight', 'w', NaN, null],
    ['a weight of -3e20', 'w', -3e20, null],
    ['a NaN weight, wide layer (per-group schedule)', 'w', NaN, geo(1, 256, 6, 6, 600, 1)],
  ] as const)('%s: the direct path runs (its exact bits)', (_name, where, v, shape: Geo | null) => {
    const k = addon!.kernels;
    const g = shape ?? geo(2, 64, 8, 8, 64, 1), p = params(g);
    const x = fill(g.N * g.C * g.H * g.W), w = fill(g.OC * g.C * 9), b = fill(g.OC);
    (where === 'x' ? x : w)[where === 'x' ? 3 * 64 + 9 : (g.OC - 3) * g.C * 9 + 5 * 9 + 4] = v;
    const y = new Float32Array(g.N * g.OC * g.OH * g.OW), yd = new Float32Array(y.length);
    k.conv2d_forward(x, w, b, y, p);
    direct(() => k.conv2d_forward(x, w, b, yd, p));
    expect(bitsEqual(y, yd)).toBe(true);
    // and the values are the direct sum's: non-finite where the bad value reaches
    expect(y.some((t) => !Number.isFinite(t) || Math.abs(t) > 1e10)).toBe(true);
  });

  test.each([
    ['an Inf in dy', 'dy', Infinity],
    ['a NaN in x', 'x', NaN],
    ['1e30 in dy', 'dy', 1e30],
  ] as const)('filter gradient with %s: the direct path runs (its exact bits)', (_name, where, v) => {
    const k = addon!.kernels;
    const g = geo(2, 64, 8, 8, 64, 1), p = params(g);
    const x = fill(g.N * g.C * g.H * g.W), dy = fill(g.N * g.OC * g.OH * g.OW);
    (where === 'x' ? x : dy)[200] = v;
    const dw = new Float32Array(g.OC * g.C * 9), dwd = new Float32Array(dw.length);
    k.conv2d_backward_filter(x, dy, dw, null, p);
    direct(() => k.conv2d_backward_filter(x, dy, dwd, null, p));
    expect(bitsEqual(dw, dwd)).toBe(true);
    expect(dw.some((t) => !Number.isFinite(t) || Math.abs(t) > 1e10)).toBe(true);
  });

  test('setWinograd takes one boolean', () => {
    expect(() => (addon!.setWinograd as (v: unknown) => void)(1)).toThrow(/setWinograd: expected one boolean for on, got/);
    expect(addon!.getWinograd()).toBe(true);
  });
});
