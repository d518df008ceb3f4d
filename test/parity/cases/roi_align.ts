/**
 * Parity cases for RoIAlign forward and backward: rois inside, partly outside and wholly outside
 * the map, tiny ones (clamped to 1 map pixel) and huge ones (many adaptive samples), several
 * images per batch, overlapping rois (the backward adds them up), sampling_ratio 0 (adaptive)
 * and 1 / 2, output grids smaller and larger than the map, 1 to 17 channels, odd sizes.
 * Rois are seeded random corners in image pixels (float32 values); the geometry is computed
 * in float64 on every backend, so the sampling grids agree and only the sums differ in rounding.
 */
import * as ops from '../../../src/backend/ops';
import { Tensor } from '../../../src/backend/tensor';
import { rng } from '../../util/rng';
import type { ParityCase } from '../harness';

interface RoiCase {
  x: [number, number, number, number];
  /** rois in image pixels (image = map / scale) */
  rois: number[][];
  batch: number[];
  PH: number;
  PW: number;
  sr: number;
  scale: number;
}

/** n seeded random rois over an image of h x w pixels, corners up to `spill` of the size outside. */
function randomRois(n: number, seed: number, h: number, w: number, spill = 0.25): number[][] {
  const next = rng(seed);
  const r = () => (next() + 1) / 2;
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const xa = (r() * (1 + 2 * spill) - spill) * w, xb = (r() * (1 + 2 * spill) - spill) * w;
    const ya = (r() * (1 + 2 * spill) - spill) * h, yb = (r() * (1 + 2 * spill) - spill) * h;
    out.push([Math.min(xa, xb), Math.min(ya, yb), Math.max(xa, xb), Math.max(ya, yb)].map(Math.fround));
  }
  return out;
}

const CASES: RoiCase[] = [
  // one roi inside a 6x6 map, 2x2 bins of 2x2 samples
  { x: [1, 1, 6, 6], rois: [[0.5, 1, 4.5, 5]], batch: [0], PH: 2, PW: 2, sr: 0, scale: 1 },
  // PaddleDetection's extractor setting: scale 1/16, 14x14 bins (more bins than map pixels)
  { x: [2, 3, 7, 9], rois: randomRois(5, 11, 7 * 16, 9 * 16), batch: [0, 1, 1, 0, 1], PH: 14, PW: 14, sr: 0, scale: 0.0625 },
  { x: [2, 3, 7, 9], rois: randomRois(5, 12, 7 * 16, 9 * 16), batch: [1, 0, 1, 0, 0], PH: 3, PW: 4, sr: 2, scale: 0.0625 },
  // partly outside, wholly outside, tiny (below one map pixel), huge (3x the image), degenerate (x2 < x1)
  {
    x: [1, 4, 8, 5],
    rois: [[-20, -8, 12, 30], [100, 100, 140, 150], [3.3, 2.1, 3.4, 2.2], [-40, -80, 60, 100], [15, 20, 5, 10], [-8, 6, 2, 20]],
    batch: [0, 0, 0, 0, 0, 0], PH: 3, PW: 2, sr: 0, scale: 0.5,
  },
  { x: [1, 4, 8, 5], rois: [[-20, -8, 12, 30], [-40, -80, 60, 100], [3.3, 2.1, 3.4, 2.2]], batch: [0, 0, 0], PH: 5, PW: 5, sr: 2, scale: 0.5 },
  // overlapping rois on three images, one sample per bin
  { x: [3, 5, 8, 8], rois: [[2, 2, 20, 20], [4, 4, 24, 28], [2, 2, 20, 20], [0, 0, 32, 32], [10, 1, 30, 7]], batch: [2, 2, 0, 1, 2], PH: 4, PW: 4, sr: 1, scale: 0.25 },
  // odd sizes, channel counts around SIMD widths
  { x: [1, 17, 5, 5], rois: randomRois(4, 21, 10, 10, 0.5), batch: [0, 0, 0, 0], PH: 7, PW: 7, sr: 0, scale: 0.5 },
  { x: [2, 8, 13, 11], rois: randomRois(6, 22, 13, 11), batch: [0, 1, 0, 1, 1, 0], PH: 2, PW: 3, sr: 0, scale: 1 },
  { x: [1, 1, 3, 1], rois: [[0, 0, 1, 3], [-1, -1, 2, 4]], batch: [0, 0], PH: 1, PW: 1, sr: 0, scale: 1 },
];

/** The most samples any bin of the case holds: bounds the reduction length of y and of a dx entry. */
function maxSamples(c: RoiCase): number {
  let m = 1;
  for (const [x1, y1, x2, y2] of c.rois) {
    const rh = Math.max((y2 - y1) * c.scale, 1), rw = Math.max((x2 - x1) * c.scale, 1);
    const n = c.sr > 0 ? c.sr * c.sr : Math.ceil(rh / c.PH) * Math.ceil(rw / c.PW);
    m = Math.max(m, n);
  }
  return m;
}

export const ROI_ALIGN_CASES: ParityCase[] = CASES.map((c) => {
  const attrs = { pooledH: c.PH, pooledW: c.PW, samplingRatio: c.sr, spatialScale: c.scale };
  const R = c.rois.length;
  const k = maxSamples(c);
  return {
    name: `roi_align x [${c.x.join(',')}] R ${R} ${c.PH}x${c.PW} sr ${c.sr} scale ${c.scale}`,
    inputs: { x: c.x, dy: [R, c.x[1], c.PH, c.PW] },
    run: (t) => {
      const rois = Tensor.from(c.rois.flat(), [R, 4], t.x.backend);
      const y = ops.roiAlign(t.x, rois, c.batch, attrs);
      const dx = ops.roiAlignBackward(t.dy, rois, c.batch, t.x.shape, attrs);
      rois.dispose();
      return { y, dx };
    },
    // y: a mean of k samples of 4 taps; dx: every roi's every bin may reach one entry
    reduce: { y: 4 * k, dx: 4 * k * R * c.PH * c.PW },
    kernels: ['roi_align_forward', 'roi_align_backward'],
  };
});
