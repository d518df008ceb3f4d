// RoIAlign: finite-difference gradient checks of the float64 reference (rois inside, across the
// border and outside the map, overlapping rois, both sampling modes), values worked out by hand
// on a 4x4 map on every available backend, and the op layer's argument errors.
import * as ops from '../../src/backend/ops';
import { availableBackends } from '../../src/backend/loader';
import { roi_align_backward, roi_align_forward } from '../../src/backend/reference/roi_align';
import { Tensor } from '../../src/backend/tensor';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { randomArray } from '../util/rng';

describe('reference roi_align gradients', () => {
  const cases: Array<{ name: string; x: [number, number, number, number]; rois: number[]; batch: number[]; PH: number; PW: number; sr: number; scale: number }> = [
    { name: 'rois inside, adaptive', x: [1, 2, 5, 6], rois: [0.5, 0.7, 3.9, 4.2, 1.1, 0.2, 5.3, 2.9], batch: [0, 0], PH: 2, PW: 3, sr: 0, scale: 1 },
    { name: 'across the border and outside', x: [2, 2, 4, 5], rois: [-6, -3, 4, 7, 2, 1, 22, 18, -30, -30, -20, -25], batch: [1, 0, 1], PH: 3, PW: 2, sr: 0, scale: 0.5 },
    { name: 'overlapping, sampling_ratio 2', x: [2, 3, 6, 6], rois: [4, 4, 20, 16, 0, 8, 12, 24, 4, 4, 20, 16], batch: [1, 1, 0], PH: 2, PW: 2, sr: 2, scale: 0.25 },
    { name: 'tiny roi (clamped to 1 pixel)', x: [1, 1, 4, 4], rois: [1.2, 1.3, 1.25, 1.31], batch: [0], PH: 2, PW: 2, sr: 0, scale: 1 },
  ];
  cases.forEach((c, ci) => {
    test(c.name, () => {
      const [N, C, H, W] = c.x;
      const R = c.batch.length;
      const p = [N, C, H, W, R, c.PH, c.PW, c.sr];
      const rois = Float64Array.from(c.rois), batch = Int32Array.from(c.batch);
      const x = randomArray(N * C * H * W, 300 + ci), y = new Float64Array(R * C * c.PH * c.PW), r = randomArray(y.length, 310 + ci);
      const loss = projectionLoss(() => {
        roi_align_forward(x, rois, batch, y, p, c.scale);
        return y;
      }, r);
      const dx = new Float64Array(x.length); // accumulated: starts at zero
      roi_align_backward(r, rois, batch, dx, p, c.scale);
      checkGrad(`roi_align ${c.name} dx`, loss, x, dx);
    });
  });

  test('backward accumulates into dx', () => {
    const p = [1, 1, 4, 4, 1, 1, 1, 0];
    const rois = Float64Array.of(0, 0, 2, 2), batch = Int32Array.of(0);
    const fresh = new Float64Array(16), ones = new Float64Array(16).fill(1);
    roi_align_backward(Float64Array.of(2), rois, batch, fresh, p, 1);
    roi_align_backward(Float64Array.of(2), rois, batch, ones, p, 1);
    expectClose(ones, fresh.map((v) => v + 1), 0);
    expect(fresh.reduce((a, b) => a + b, 0)).toBeCloseTo(2, 12);
  });
});

/*
 * By hand, on the 4x4 map x[i][j] = 4i + j (one image, one channel). Bilinear interpolation
 * reproduces a linear map, so a sample at (y, x) inside the map is worth 4y + x once y and x
 * are clamped; the rules under test are the sample positions, clamping and the border.
 *
 * A: roi (1, 0.5, 6, 3.5), scale 1, 1x2 bins, sampling_ratio 0.
 *    roi_w = 5, roi_h = 3; bin 2.5 wide, 3 high; gh = ceil(3/1) = 3, gw = ceil(5/2) = 3, 9 samples.
 *    rows y = 0.5 + (iy + 0.5) * 3/3 = 1, 2, 3 (3 >= H-1: clamped to row 3, weight 1).
 *    bin 0 columns x = 1 + (ix + 0.5) * 2.5/3 = 17/12, 9/4, 37/12 (the last clamped to 3):
 *      sum = 3 * 4 * (1 + 2 + 3) + 3 * (17/12 + 27/12 + 36/12) = 72 + 20 = 92, mean 92/9.
 *    bin 1 columns x = 3.5 + (ix + 0.5) * 2.5/3 = 47/12 (clamped to 3), 4.75 and 67/12 (beyond
 *      W = 4: worth 0, still counted): sum = (4+3) + (8+3) + (12+3) = 33, mean 33/9.
 *    Backward of dy = (0, 1): only bin 1's three in-map samples, each pinned to column 3,
 *      so dx[1][3] = dx[2][3] = dx[3][3] = 1/9 and every other entry is 0.
 * B: roi (1.2, 1.2, 1.3, 1.3), 1x1 bin: width and height clamp to 1, one sample at
 *    (1.7, 1.7): 4 * 1.7 + 1.7 = 8.5 (the half-pixel "aligned" variant would give 6).
 * C: roi (-2, 1, 0, 3), 1x1 bin: 2x2 samples at y = 1.5, 2.5 and x = -1.5 (beyond -1: 0),
 *    -0.5 (clamped to 0): (6 + 10) / 4 = 4.
 * D: roi (-6, -6, -2, -2): every sample beyond -1, so 0.
 */
describe('roi_align by hand on every available backend', () => {
  const map = Array.from({ length: 16 }, (_, k) => 4 * Math.floor(k / 4) + (k % 4));
  for (const be of availableBackends()) {
    test(`${be.name}`, () => {
      const x = Tensor.from(map, [1, 1, 4, 4], be);
      const run = (roi: number[], PH: number, PW: number) => {
        const rois = Tensor.from(roi, [1, 4], be);
        const y = ops.roiAlign(x, rois, [0], { pooledH: PH, pooledW: PW, samplingRatio: 0, spatialScale: 1 });
        const out = Array.from(y.toArray());
        y.dispose();
        rois.dispose();
        return out;
      };
      expectClose(run([1, 0.5, 6, 3.5], 1, 2), [92 / 9, 33 / 9], 1e-6);
      expectClose(run([1.2, 1.2, 1.3, 1.3], 1, 1), [8.5], 1e-6);
      expectClose(run([-2, 1, 0, 3], 1, 1), [4], 1e-6);
      expectClose(run([-6, -6, -2, -2], 1, 1), [0], 0);

      const rois = Tensor.from([1, 0.5, 6, 3.5], [1, 4], be);
      const dy = Tensor.from([0, 1], [1, 1, 1, 2], be);
      const dx = ops.roiAlignBackward(dy, rois, Int32Array.of(0), [1, 1, 4, 4], { pooledH: 1, pooledW: 2, samplingRatio: 0, spatialScale: 1 });
      const want = new Array(16).fill(0);
      want[7] = want[11] = want[15] = 1 / 9;
      expectClose(dx.toArray(), want, 1e-7);
      [x, rois, dy, dx].forEach((t) => t.dispose());
    });
  }
});

describe('roiAlign arguments', () => {
  const be = availableBackends()[0];
  const x = Tensor.from(new Array(2 * 16).fill(1), [2, 1, 4, 4], be);
  const attrs = { pooledH: 2, pooledW: 2, samplingRatio: 0, spatialScale: 0.5 };
  const rois = (v: number[]) => Tensor.from(v, [v.length / 4, 4], be);

  test('a batch index outside [0, N)', () => {
    expect(() => ops.roiAlign(x, rois([0, 0, 4, 4, 1, 1, 3, 3]), [0, 2], attrs)).toThrow(/^roiAlign: expected an image index in \[0, 2\) for roisBatch\[1\] \(array\), got 2$/);
    expect(() => ops.roiAlign(x, rois([0, 0, 4, 4]), Tensor.from([0.5], [1], be), attrs)).toThrow(/^roiAlign: expected an image index in \[0, 2\) for roisBatch\[0\] \(tensor\), got 0.5$/);
  });
  test('one batch index per roi', () => {
    expect(() => ops.roiAlign(x, rois([0, 0, 4, 4]), [0, 1], attrs)).toThrow(/^roiAlign: expected 1 image indices \(one per roi\) for roisBatch, got 2$/);
  });
  test('rois [R, 4] with finite coordinates', () => {
    expect(() => ops.roiAlign(x, Tensor.from([0, 0, 4], [1, 3], be), [0], attrs)).toThrow(/^roiAlign: expected shape \[R, 4\] \(x1, y1, x2, y2\) for rois, got \[1, 3\]$/);
    expect(() => ops.roiAlign(x, rois([0, 0, NaN, 4]), [0], attrs)).toThrow(/^roiAlign: expected finite roi coordinates within 16777216 map pixels once scaled by spatialScale for rois\[0\]\[2\], got NaN$/);
  });
  test('attributes', () => {
    expect(() => ops.roiAlign(x, rois([0, 0, 4, 4]), [0], { ...attrs, pooledH: 0 })).toThrow(/^roiAlign: expected an integer in \[1, 16777216\] for pooledH, got 0$/);
    expect(() => ops.roiAlign(x, rois([0, 0, 4, 4]), [0], { ...attrs, samplingRatio: -1 })).toThrow(/^roiAlign: expected an integer in \[0, 64\] \(0: adaptive\) for samplingRatio, got -1$/);
    expect(() => ops.roiAlign(x, rois([0, 0, 4, 4]), [0], { ...attrs, samplingRatio: 65 })).toThrow(/^roiAlign: expected an integer in \[0, 64\] \(0: adaptive\) for samplingRatio, got 65$/);
    expect(() => ops.roiAlign(x, rois([0, 0, 4, 4]), [0], { ...attrs, spatialScale: 0 })).toThrow(/^roiAlign: expected a positive finite number for spatialScale, got 0$/);
  });
  test('no rois: an empty output and a zero gradient', () => {
    const none = Tensor.empty([0, 4], be);
    const y = ops.roiAlign(x, none, [], attrs);
    expect(y.shape).toEqual([0, 1, 2, 2]);
    const dx = ops.roiAlignBackward(y, none, [], x.shape, attrs);
    expect(Array.from(dx.toArray())).toEqual(new Array(32).fill(0));
  });
});
