/** resizeImage against values worked out from OpenCV's sampling rules. */
import { resizeImage, INTER } from '../../src/data/resize';
import type { Img } from '../../src/data/types';

function row(values: number[], uint8 = false): Img {
  const data = new Float32Array(values.length * 3);
  values.forEach((v, i) => data.fill(v, i * 3, i * 3 + 3));
  return { data, h: 1, w: values.length, c: 3, chw: false, uint8 };
}
const ch0 = (img: Img) => Array.from({ length: img.w }, (_, x) => img.data[x * 3]);

test('linear: half-pixel centres, edges replicated', () => {
  const out = resizeImage(row([0, 10, 20, 30]), 2, 1, INTER.linear);
  expect(ch0(out)).toEqual([0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30]);
});
test('nearest: src = floor(dst / f)', () => {
  expect(ch0(resizeImage(row([0, 10, 20, 30]), 2, 1, INTER.nearest))).toEqual([0, 0, 10, 10, 20, 20, 30, 30]);
  expect(ch0(resizeImage(row([0, 10, 20, 30, 40, 50]), 0.5, 1, INTER.nearest))).toEqual([0, 20, 40]);
});
test('area: box average when shrinking', () => {
  expect(ch0(resizeImage(row([0, 10, 20, 30]), 0.5, 1, INTER.area))).toEqual([5, 25]);
  const third = ch0(resizeImage(row([0, 0, 0, 30, 30, 30]), 1 / 3, 1, INTER.area, { w: 2, h: 1 }));
  expect(third).toEqual([0, 30]);
});
test('cubic and lanczos4 keep a constant image constant', () => {
  for (const interp of [INTER.cubic, INTER.lanczos4, INTER.linear, INTER.area]) {
    const out = resizeImage(row([7, 7, 7, 7, 7]), 1.7, 3, interp);
    expect(out.w).toBe(Math.round(5 * 1.7));
    expect(out.h).toBe(3);
    for (const v of out.data) expect(v).toBeCloseTo(7, 4);
  }
});
test('uint8 images are rounded and saturated', () => {
  const out = resizeImage(row([0, 1], true), 2, 1, INTER.linear);
  expect(ch0(out)).toEqual([0, 0, 1, 1]);
  const ring = resizeImage(row([0, 255, 0, 255], true), 2.5, 1, INTER.lanczos4);
  for (const v of ring.data) expect(v >= 0 && v <= 255 && Number.isInteger(v)).toBe(true);
});
test('CHW images and bad interpolation codes are refused', () => {
  expect(() => resizeImage({ ...row([1, 2]), chw: true }, 2, 2, 1)).toThrow(/expected an HWC image/);
  expect(() => resizeImage(row([1, 2]), 2, 2, 7)).toThrow(/interpolation 0..4/);
});
