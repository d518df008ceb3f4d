/**
 * The flat convolution path tiles the GEMM columns of all images of a batch together (a tile may
 * end inside one image and go on into the next), and the filter gradient reduces over units of
 * positions that span images. These shapes put tile and image boundaries in
 * different places; each output must match a float64 loop, and every image of a batch must get
 * the same bits as the same image convolved alone (forward, and the stride-1 input gradient that
 * runs as a forward convolution), 1x1 layers included.
 */
import { loadAddon, nativeLoadError } from '../../src/backend/native';

const addon = loadAddon();
if (!addon) console.log(`skipping batch-tiling conv checks: ${nativeLoadError()}`);
const d = addon ? describe : describe.skip;

let seed = 99;
function fill(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    a[i] = seed / 4294967296 - 0.5;
  }
  return a;
}

// [N, C, H, W, OC, K, pad]: stride 1, dilation 1, one group.
const SHAPES: Array<[number, number, number, number, number, number, number]> = [
  [3, 40, 7, 7, 50, 3, 1], // every image in one tile
  [5, 8, 13, 11, 20, 3, 1], // tiles end inside images
  [4, 24, 9, 10, 70, 5, 2], // wide taps, rows of 14 with 4 dropped columns
  [2, 600, 4, 4, 33, 3, 1], // long K: several K-blocks per tile
  [16, 64, 4, 4, 96, 1, 0], // 1x1 on RoI-sized maps, 16 images
  [3, 20, 7, 9, 30, 1, 0], // 1x1, 63 positions per image
  [5, 300, 1, 1, 7, 1, 0], // 1x1 on 1x1 maps, long K
  [2, 9, 20, 20, 12, 1, 0], // 1x1, 400 positions per image
];

function geom(N: number, C: number, H: number, W: number, OC: number, K: number, pad: number): Int32Array {
  return Int32Array.from([N, C, H, W, OC, K, K, H + 2 * pad - K + 1, W + 2 * pad - K + 1, 1, 1, pad, pad, 1, 1, 1]);
}

function convRef(x: Float32Array, w: Float32Array, b: Float32Array, p: Int32Array): Float64Array {
  const [N, C, H, W, OC, KH, KW, OH, OW, , , PT, PL] = Array.from(p);
  const y = new Float64Array(N * OC * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < OC; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = b[o];
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh - PT + kh, iw = ow - PL + kw;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                  s += x[((n * C + c) * H + ih) * W + iw] * w[((o * C + c) * KH + kh) * KW + kw];
              }
          y[((n * OC + o) * OH + oh) * OW + ow] = s;
        }
  return y;
}

function filterGradRef(x: Float32Array, dy: Float32Array, p: Int32Array): Float64Array {
  const [N, C, H, W, OC, KH, KW, OH, OW, , , PT, PL] = Array.from(p);
  const dw = new Float64Array(OC * C * KH * KW);
  for (let o = 0; o < OC; o++)
    for (let c = 0; c < C; c++)
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++) {
          let s = 0;
          for (let n = 0; n < N; n++)
            for (let oh = 0; oh < OH; oh++)
              for (let ow = 0; ow < OW; ow++) {
                const ih = oh - PT + kh, iw = ow - PL + kw;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) s += dy[((n * OC + o) * OH + oh) * OW + ow] * x[((n * C + c) * H + ih) * W + iw];
              }
          dw[((o * C + c) * KH + kh) * KW + kw] = s;
        }
  return dw;
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.length === ub.length && ua.every((v, i) => v === ub[i]);
}

d('flat convolution tiles across the images of a batch', () => {
  test.each(SHAPES.map((s) => [s.join('x'), s] as const))('%s', (_name, [N, C, H, W, OC, K, pad]) => {
    const k = addon!.kernels;
    const p = geom(N, C, H, W, OC, K, pad);
    const OH = p[7], OW = p[8];
    const x = fill(N * C * H * W), w = fill(OC * C * K * K), b = fill(OC), dy = fill(N * OC * OH * OW);
    const y = new Float32Array(N * OC * OH * OW);
    k.conv2d_forward(x, w, b, y, p);
    const ref = convRef(x, w, b, p);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(y[i] - ref[i]));
    expect(worst).toBeLessThan(1e-4 * Math.sqrt(C * K * K));

    // The filter gradient sums over every image's positions in units that may span images.
    const dw = new Float32Array(OC * C * K * K);
    k.conv2d_backward_filter(x, dy, dw, null, p);
    const dwRef = filterGradRef(x, dy, p);
    let worstDw = 0;
    for (let i = 0; i < dwRef.length; i++) worstDw = Math.max(worstDw, Math.abs(dw[i] - dwRef[i]));
    expect(worstDw).toBeLessThan(1e-4 * Math.sqrt(N * OH * OW));

    const dx = new Float32Array(N * C * H * W);
    k.conv2d_backward_input(dy, w, dx, p);
    const p1 = geom(1, C, H, W, OC, K, pad);
    const ys = OC * OH * OW, xs = C * H * W;
    for (let n = 0; n < N; n++) {
      const y1 = new Float32Array(ys), dx1 = new Float32Array(xs);
      k.conv2d_forward(x.subarray(n * xs, (n + 1) * xs), w, b, y1, p1);
      k.conv2d_backward_input(dy.subarray(n * ys, (n + 1) * ys), w, dx1, p1);
      expect([n, bitsEqual(y.subarray(n * ys, (n + 1) * ys), y1)]).toEqual([n, true]);
      expect([n, bitsEqual(dx.subarray(n * xs, (n + 1) * xs), dx1)]).toEqual([n, true]);
    }
  });
});
