/**
 * Valid but extreme geometry on the native convolution kernels, against the float64 reference:
 * strides, paddings and dilations up to the 2^24 limit (taps and output rows that land wholly in
 * the padding must read zero, never a wrapped position inside the image), outputs larger or
 * smaller than the natural size, all three conv kernels. Also: typed arrays over a
 * SharedArrayBuffer are read and written in place, and the limits the addon refuses are the
 * ones documented (README "Limits").
 */
import { loadAddon, nativeLoadError } from '../../src/backend/native';
import { referenceKernels as R } from '../../src/backend/reference';
import { MAX_DIM } from '../../src/backend/limits';

const addon = loadAddon();
if (!addon) console.log(`skipping native extreme-geometry tests: ${nativeLoadError()}`);
const d = addon ? describe : describe.skip;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random small conv geometries whose strides/paddings/dilations are often huge. */
function geometries(count: number, seed: number): number[][] {
  const r = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const big = (): number => (r() < 0.5 ? int(1, 3) : r() < 0.5 ? int(4, 64) : int(MAX_DIM / 4, MAX_DIM));
  const out: number[][] = [];
  while (out.length < count) {
    const G = int(1, 2), C = G * int(1, 2), OC = G * int(1, 3), N = int(1, 2);
    const H = int(1, 6), W = int(1, 6), KH = int(1, 3), KW = int(1, 3);
    const SH = big(), SW = big(), DH = big(), DW = big();
    const PT = r() < 0.5 ? int(0, 2) : big(), PL = r() < 0.5 ? int(0, 2) : big();
    const PB = r() < 0.5 ? int(0, 2) : big(), PR = r() < 0.5 ? int(0, 2) : big();
    let OH = Math.floor((H + PT + PB - (KH - 1) * DH - 1) / SH) + 1;
    let OW = Math.floor((W + PL + PR - (KW - 1) * DW - 1) / SW) + 1;
    if (r() < 0.3) OH = int(1, 6); // any output at or below the implied-padding bound is valid
    if (r() < 0.3) OW = int(1, 6);
    if (OH < 1 || OW < 1 || OH * OW > 400) continue;
    if ((OH - 1) * SH + (KH - 1) * DH + 1 - H - PT > MAX_DIM) continue;
    if ((OW - 1) * SW + (KW - 1) * DW + 1 - W - PL > MAX_DIM) continue;
    out.push([N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G]);
  }
  return out;
}

function maxDiff(a: Float32Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

d('native conv kernels on extreme valid geometry', () => {
  const K = addon!.kernels;
  const cases = geometries(300, 8);

  test('forward, backward_input and backward_filter match the float64 reference', () => {
    const r = rng(99);
    const fails: string[] = [];
    for (const p of cases) {
      const [N, C, H, W, OC, KH, KW, OH, OW, , , , , , , G] = p;
      const nx = N * C * H * W, nw = (OC * C * KH * KW) / G, ny = N * OC * OH * OW;
      const x = Float32Array.from({ length: nx }, () => r() - 0.5);
      const w = Float32Array.from({ length: nw }, () => r() - 0.5);
      const b = Float32Array.from({ length: OC }, () => r() - 0.5);
      const dy = Float32Array.from({ length: ny }, () => r() - 0.5);
      const y = new Float32Array(ny), dx = new Float32Array(nx), dw = new Float32Array(nw), db = new Float32Array(OC);
      K.conv2d_forward(x, w, b, y, p);
      K.conv2d_backward_input(dy, w, dx, p);
      K.conv2d_backward_filter(x, dy, dw, db, p);
      const ry = new Float64Array(ny), rdx = new Float64Array(nx), rdw = new Float64Array(nw), rdb = new Float64Array(OC);
      R.conv2d_forward(Float64Array.from(x), Float64Array.from(w), Float64Array.from(b), ry, p);
      R.conv2d_backward_input(Float64Array.from(dy), Float64Array.from(w), rdx, p);
      R.conv2d_backward_filter(Float64Array.from(x), Float64Array.from(dy), rdw, rdb, p);
      const errs = [maxDiff(y, ry), maxDiff(dx, rdx), maxDiff(dw, rdw), maxDiff(db, rdb)];
      if (!errs.every((e) => e < 1e-4)) fails.push(`[${p.join(', ')}]: max |diff| y/dx/dw/db = ${errs.map((e) => e.toExponential(1)).join('/')}`);
    }
    expect(fails).toEqual([]);
  });

  test('the sample reaches the limits it is meant to exercise', () => {
    expect(cases.some((p) => p[9] >= MAX_DIM / 4 || p[10] >= MAX_DIM / 4)).toBe(true); // strides
    expect(cases.some((p) => p[13] >= MAX_DIM / 4 || p[14] >= MAX_DIM / 4)).toBe(true); // dilations
    expect(cases.some((p) => p[11] >= MAX_DIM / 4 || p[12] >= MAX_DIM / 4)).toBe(true); // paddings
  });
});

d('native addon: SharedArrayBuffer and detached buffers', () => {
  const K = addon!.kernels;

  test('views of a SharedArrayBuffer are read and written in place', () => {
    const sab = new SharedArrayBuffer(4 * 8);
    const x = new Float32Array(sab, 0, 4), y = new Float32Array(sab, 16, 4);
    x.set([1, 2, 3, 4]);
    y.set([10, 20, 30, 40]);
    K.axpy(x, y, [4], 2);
    expect(Array.from(new Float32Array(sab))).toEqual([1, 2, 3, 4, 12, 24, 36, 48]);
    // An index buffer and the geometry may be shared too.
    const idx = new Int32Array(new SharedArrayBuffer(8));
    idx.set([2, 0]);
    const p = new Int32Array(new SharedArrayBuffer(16));
    p.set([1, 3, 1, 2]);
    const out = new Float32Array(new SharedArrayBuffer(8));
    K.gather_axis(Float32Array.from([5, 6, 7]), idx, out, p);
    expect(Array.from(out)).toEqual([7, 5]);
  });

  test('a detached buffer counts as empty, and a zero-length call on it is harmless', () => {
    const b = new Float32Array(4);
    structuredClone(b.buffer, { transfer: [b.buffer] });
    expect(() => K.axpy(b, new Float32Array(4), [4], 1)).toThrow(/^axpy: expected at least 4 elements for x, got 0$/);
    const y = new Float32Array(0);
    expect(() => K.axpy(b, y, [0], 1)).not.toThrow();
  });

  test('the documented limits are the ones refused', () => {
    const f = (n: number): Float32Array => new Float32Array(n);
    const conv = (i: number, v: number): number[] => {
      const p = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1];
      p[i] = v;
      return p;
    };
    expect(() => K.conv2d_forward(f(1), f(1), null, f(1), conv(9, MAX_DIM))).not.toThrow();
    expect(() => K.conv2d_forward(f(1), f(1), null, f(1), conv(9, MAX_DIM + 1))).toThrow(
      /^conv2d_forward: expected an integer in \[1, 16777216\] for SH \(p\[9\]\), got 16777217$/,
    );
    expect(() => K.conv2d_forward(f(1), f(1), null, f(1), conv(11, MAX_DIM))).not.toThrow();
    expect(() => K.reduce_sum(f(1), f(1), [1, 2 ** 31 - 1, 1])).toThrow(/^reduce_sum: expected at least 2147483647 elements for x, got 1$/);
  });
});
