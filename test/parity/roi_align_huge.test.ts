/**
 * RoIAlign with rois far larger than the map and sampling_ratio 0: a bin then holds
 * ceil(roi_h / PH) x ceil(roi_w / PW) samples (up to about 10^13 here), nearly all outside the
 * map. Every backend visits only the samples inside [-1, H] x [-1, W] while dividing by the full
 * count, so these cases run in a blink and must agree with the float64 reference.
 * On a mid-sized roi (a few thousand samples per bin, most outside) the CPU and WASM kernels must
 * also give exactly the float32 bits of walking every sample and skipping those outside, the
 * kernels' order of operations emulated here.
 */
import type { Backend } from '../../src/backend/backend';
import { backendByName } from '../../src/backend/loader';
import * as ops from '../../src/backend/ops';
import { Tensor } from '../../src/backend/tensor';
import { rng } from '../util/rng';
import { parityTargets } from './harness';

interface HugeCase {
  name: string;
  x: [number, number, number, number];
  rois: number[][];
  batch: number[];
  PH: number;
  PW: number;
  scale: number;
}

const HUGE: HugeCase[] = [
  { name: 'a roi of 2e6 pixels around a 6x5 map, 3x3 bins', x: [1, 2, 6, 5], rois: [[-1e6, -1e6, 1e6, 1e6]], batch: [0], PH: 3, PW: 3, scale: 1 },
  {
    name: 'rois near the 2^24 coordinate limit, one far off the map, one normal',
    x: [2, 3, 7, 9],
    rois: [[-1.6e7, -1.2e7, 1.5e7, 1.6e7], [2e6, 3e6, 1.6e7, 1.6e7], [1, 2, 5, 6], [-5e5, 3, 4, 5e5]],
    batch: [1, 0, 1, 0],
    PH: 7,
    PW: 5,
    scale: 1,
  },
  { name: 'a huge roi at scale 1/16, more bins than map pixels', x: [1, 4, 5, 4], rois: [[-2e7, -2e7, 2.4e8, 2.4e8]], batch: [0], PH: 14, PW: 14, scale: 0.0625 },
];

function inputs(c: HugeCase, seed: number): { x: number[]; dy: number[] } {
  const next = rng(seed);
  const [N, C, H, W] = c.x;
  const x = Array.from({ length: N * C * H * W }, () => Math.fround(next()));
  const dy = Array.from({ length: c.rois.length * C * c.PH * c.PW }, () => Math.fround(next()));
  return { x, dy };
}

function run(be: Backend<any>, c: HugeCase, x: number[], dy: number[]): { y: Float32Array | Float64Array; dx: Float32Array | Float64Array } {
  const attrs = { pooledH: c.PH, pooledW: c.PW, samplingRatio: 0, spatialScale: c.scale };
  const R = c.rois.length;
  const tx = Tensor.from(x, [...c.x], be), tdy = Tensor.from(dy, [R, c.x[1], c.PH, c.PW], be);
  const rois = Tensor.from(c.rois.flat().map(Math.fround), [R, 4], be);
  const y = ops.roiAlign(tx, rois, c.batch, attrs);
  const dx = ops.roiAlignBackward(tdy, rois, c.batch, tx.shape, attrs);
  const out = { y: y.toArray(), dx: dx.toArray() };
  [tx, tdy, rois, y, dx].forEach((t) => t.dispose());
  return out;
}

/**
 * |a - b| within rtol of the largest reference magnitude in the element's block (one roi and
 * channel's bins for y, the whole of dx): the values are sums of a few dozen products, and a
 * block keeps a tiny huge-roi mean from hiding behind a normal roi's.
 */
function expectClose(name: string, a: ArrayLike<number>, ref: ArrayLike<number>, block: number, rtol = 1e-5): void {
  expect(a.length).toBe(ref.length);
  for (let b0 = 0; b0 < ref.length; b0 += block) {
    let scale = 0;
    for (let i = b0; i < b0 + block; i++) scale = Math.max(scale, Math.abs(ref[i]));
    for (let i = b0; i < b0 + block; i++) {
      if (!(Math.abs(a[i] - ref[i]) <= rtol * scale)) throw new Error(`${name}: element ${i} is ${a[i]}, the reference ${ref[i]} (block scale ${scale})`);
    }
  }
}

describe('roi_align with huge rois against the reference', () => {
  const ref = backendByName('reference') as Backend<any>;
  for (const t of parityTargets()) {
    if (!t.backend) {
      console.log(`roi_align huge rois: skipping backend ${t.name}: ${t.reason}`);
      continue;
    }
    const be = t.backend;
    for (const [i, c] of HUGE.entries()) {
      test(`${t.name}: ${c.name}`, () => {
        const { x, dy } = inputs(c, 40 + i);
        const want = run(ref, c, x, dy);
        const got = run(be, c, x, dy);
        expectClose('y', got.y, want.y, c.PH * c.PW);
        expectClose('dx', got.dx, want.dx, want.dx.length);
        // the huge rois reach the map: their means are not all zero
        expect(Array.from(want.y.subarray(0, c.PH * c.PW)).some((v) => v !== 0)).toBe(true);
      });
    }
  }
});

// ---- bit-exactness against every sample walked in float32 ----

const f = Math.fround;

interface Tap { lo: number; hi: number; l: number; h: number }
/** A sample's taps as the kernels make them (weights rounded to float32), null outside the map. */
function tap(v: number, size: number): Tap | null {
  if (!(v >= -1 && v <= size)) return null;
  if (v <= 0) v = 0;
  let lo = Math.trunc(v), hi: number;
  if (lo >= size - 1) {
    hi = lo = size - 1;
    v = lo;
  } else hi = lo + 1;
  const l = v - lo;
  return { lo, hi, l: f(l), h: f(1 - l) };
}

/** Forward and backward of one image and its rois, every sample visited, float32 as in the kernels. */
function walkAll(c: HugeCase, x: number[], dy: number[], sr: number): { y: Float32Array; dx: Float32Array } {
  const [, C, H, W] = c.x, R = c.rois.length, PH = c.PH, PW = c.PW;
  const y = new Float32Array(R * C * PH * PW), dx = new Float32Array(x.length);
  for (let r = 0; r < R; r++) {
    const [x1, y1, x2, y2] = c.rois[r].map((v) => f(v) * f(c.scale));
    const rh = Math.max(y2 - y1, 1), rw = Math.max(x2 - x1, 1);
    const gh = sr > 0 ? sr : Math.ceil(rh / PH), gw = sr > 0 ? sr : Math.ceil(rw / PW);
    const count = f(gh * gw), bh = rh / PH, bw = rw / PW;
    for (let ch = 0; ch < C; ch++) {
      const base = (c.batch[r] * C + ch) * H * W;
      for (let ph = 0; ph < PH; ph++) {
        for (let pw = 0; pw < PW; pw++) {
          const o = ((r * C + ch) * PH + ph) * PW + pw;
          const gv = f(dy[o]);
          let acc = 0;
          for (let iy = 0; iy < gh; iy++) {
            const ty = tap(y1 + ph * bh + ((iy + 0.5) * bh) / gh, H);
            if (!ty) continue;
            for (let ix = 0; ix < gw; ix++) {
              const tx = tap(x1 + pw * bw + ((ix + 0.5) * bw) / gw, W);
              if (!tx) continue;
              const q = [
                [ty.lo, tx.lo, f(ty.h * tx.h)],
                [ty.lo, tx.hi, f(ty.h * tx.l)],
                [ty.hi, tx.lo, f(ty.l * tx.h)],
                [ty.hi, tx.hi, f(ty.l * tx.l)],
              ];
              for (const [i, j, w] of q) {
                const at = base + i * W + j;
                acc = f(acc + f(w * x[at]));
                dx[at] = f(dx[at] + f(f(gv * w) / count));
              }
            }
          }
          y[o] = f(acc / count);
        }
      }
    }
  }
  return { y, dx };
}

const MID: HugeCase = {
  name: 'mid-sized rois reaching far outside a 5x6 map',
  x: [1, 2, 5, 6],
  rois: [[-150.3, -40.7, 90.1, 130.2], [2.2, -300.5, 4.9, 3.1], [-3, 1, 250, 4.5]],
  batch: [0, 0, 0],
  PH: 2,
  PW: 3,
  scale: 0.75,
};

describe('roi_align on rois mostly outside the map: exactly the bits of visiting every sample', () => {
  for (const name of ['native', 'wasm-as', 'wasm-em']) {
    const t = parityTargets().find((b) => b.name === name);
    if (!t?.backend) {
      const why = t ? t.reason : 'not the backend under test (SLIMPRUNE_BACKEND)';
      console.log(`roi_align mid-sized rois: skipping backend ${name}: ${why}`);
      continue;
    }
    const be = t.backend;
    test(`${name}: forward and backward`, () => {
      const { x, dy } = inputs(MID, 7);
      const want = walkAll(MID, x, dy, 0);
      // the case is what it claims: many samples per bin, most of them outside
      expect(Math.ceil((130.2 + 40.7) * 0.75 / 2) * Math.ceil((90.1 + 150.3) * 0.75 / 3)).toBeGreaterThan(2000);
      const got = run(be, MID, x, dy);
      expect(Array.from(got.y)).toEqual(Array.from(want.y));
      expect(Array.from(got.dx)).toEqual(Array.from(want.dx));
      expect(want.y.some((v) => v !== 0)).toBe(true);
    });
  }
});
