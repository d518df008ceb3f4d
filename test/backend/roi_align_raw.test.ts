/**
 * Raw calls of the RoIAlign kernels on every compiled backend (native addon, wasm-as, wasm-em),
 * past the op layer: a batch index outside [0, N) is a JS error naming the kernel, never a
 * crash; rois with NaN, infinite or huge coordinates give zeros (no sampling grid) instead of
 * reading outside x; a wrong buffer type is refused. Backends that are not built are skipped
 * with the reason.
 */
import type { Backend } from '../../src/backend/backend';
import { backendByName, listBackends } from '../../src/backend/loader';

const P = [2, 1, 3, 3, 2, 2, 2, 0]; // N, C, H, W, R, PH, PW, sampling_ratio

for (const name of ['native', 'wasm-as', 'wasm-em']) {
  const info = listBackends().find((b) => b.name === name);
  if (!info?.available) {
    console.log(`roi_align raw calls: skipping ${name}: ${info?.reason ?? 'not listed'}`);
    continue;
  }
  describe(`roi_align kernels called raw on ${name}`, () => {
    const be = backendByName(name) as Backend<any>;
    const K = be.kernels as Record<string, (...a: unknown[]) => void>;
    const x = be.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90]);

    test('a batch index outside [0, N) is an error naming the kernel', () => {
      const rois = be.fromArray([0, 0, 2, 2, 0, 0, 3, 3]);
      const y = be.alloc(8), dx = be.alloc(18);
      for (const bad of [2, -1, 2 ** 31 - 1]) {
        expect(() => K.roi_align_forward(x, rois, Int32Array.of(0, bad), y, P, 1)).toThrow(/roi_align_forward: expected a batch index in \[0, 2\) for batch\[1\], got -?\d+/);
        expect(() => K.roi_align_backward(y, rois, Int32Array.of(bad, 0), dx, P, 1)).toThrow(/roi_align_backward: expected a batch index in \[0, 2\) for batch\[0\], got -?\d+/);
      }
      expect(() => K.roi_align_forward(x, rois, Float32Array.of(0, 1), y, P, 1)).toThrow(/roi_align_forward: expected an Int32Array for batch/);
      [rois, y, dx].forEach((s) => be.free(s));
    });

    test('rois without a finite sampling grid give zeros; the others are unaffected', () => {
      for (const badRoi of [[NaN, 0, 2, 2], [0, 0, Infinity, 2], [-Infinity, 0, 1, 1], [0, 0, 1e30, 2], [3e7, 0, 1, 1]]) {
        const rois = be.fromArray([...badRoi, 0, 0, 2, 2]);
        const y = be.fromArray(new Array(8).fill(7));
        K.roi_align_forward(x, rois, Int32Array.of(1, 0), y, P, 1);
        const out = Array.from(be.read(y, 8));
        expect(out.slice(0, 4)).toEqual([0, 0, 0, 0]);
        // roi (0, 0, 2, 2) of image 0, 2x2 bins of one sample each at 0.5 and 1.5
        expect(out.slice(4)).toEqual([3, 4, 6, 7]);
        const dx = be.fromArray(new Array(18).fill(0));
        const dy = be.fromArray([1, 1, 1, 1, 1, 1, 1, 1]);
        K.roi_align_backward(dy, rois, Int32Array.of(1, 0), dx, P, 1);
        const g = Array.from(be.read(dx, 18));
        expect(g.slice(9).every((v) => v === 0)).toBe(true); // image 1: only the bad roi pointed there
        expect(g.slice(0, 9).reduce((a, b) => a + b, 0)).toBeCloseTo(4, 5);
        [rois, y, dx, dy].forEach((s) => be.free(s));
      }
    });
  });
}
