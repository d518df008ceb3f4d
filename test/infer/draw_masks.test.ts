/**
 * Masks drawn by drawDetections: a translucent fill of the class colour over exactly the mask's
 * pixels (image blended with MASK_ALPHA), untouched pixels elsewhere, boxes still on top, and
 * a mask of the wrong size refused.
 */
import { drawDetections, classRgb, maskLayer, MASK_ALPHA, classColour } from '../../src/infer';
import { loadSharp } from '../../src/data/image';

const W = 40, H = 30;

async function grey(): Promise<Buffer> {
  return loadSharp()({ create: { width: W, height: H, channels: 3, background: { r: 100, g: 100, b: 100 } } }).png().toBuffer();
}

test('classRgb is classColour in numbers', () => {
  // class 0: hue 0, saturation 85%, lightness 50% -> (0.925, 0.075, 0.075) * 255
  expect(classRgb(0)).toEqual([236, 19, 19]);
  expect(classColour(0)).toBe('hsl(0.0, 85%, 50%)');
  const [r, g, b] = classRgb(3);
  expect(Math.max(r, g, b) + Math.min(r, g, b)).toBeCloseTo(255, -1); // lightness 50%
});

test('a mask fills its pixels translucently; pixels outside keep the image', async () => {
  const mask = new Uint8Array(W * H);
  for (let y = 5; y < 15; y++) for (let x = 5; x < 20; x++) mask[y * W + x] = 1;
  const out = await drawDetections(await grey(), [{ classId: 2, label: '2', score: 0.9, box: [30, 20, 38, 28], mask }], 'png');
  const { data, info } = await loadSharp()(out).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
  const [r, g, b] = classRgb(2);
  const blend = (c: number) => Math.round(100 * (1 - MASK_ALPHA) + c * MASK_ALPHA);
  for (const [x, y] of [[6, 6], [18, 13], [10, 10]]) {
    at(x, y).forEach((v, i) => expect(Math.abs(v - blend([r, g, b][i]))).toBeLessThanOrEqual(2));
  }
  expect(at(2, 2)).toEqual([100, 100, 100]);
  expect(at(25, 10)).toEqual([100, 100, 100]);
  // the box of the same detection is still drawn (its top edge), outside the mask
  expect(at(34, 20)).not.toEqual([100, 100, 100]);
});

test('later instances cover earlier ones; detections without masks add no layer', () => {
  const a = new Uint8Array(4).fill(1);
  const b = Uint8Array.from([0, 1, 0, 0]);
  const layer = maskLayer(2, 2, [
    { classId: 0, label: '0', score: 1, box: [0, 0, 1, 1], mask: a },
    { classId: 5, label: '5', score: 1, box: [0, 0, 1, 1], mask: b },
  ])!;
  expect(Array.from(layer.subarray(0, 3))).toEqual(classRgb(0));
  expect(Array.from(layer.subarray(4, 7))).toEqual(classRgb(5));
  expect(layer[3]).toBe(Math.round(MASK_ALPHA * 255));
  expect(maskLayer(2, 2, [{ classId: 0, label: '0', score: 1, box: [0, 0, 1, 1] }])).toBeNull();
});

test('a mask not of the image size is refused, naming the sizes', async () => {
  await expect(drawDetections(await grey(), [{ classId: 0, label: '0', score: 1, box: [0, 0, 1, 1], mask: new Uint8Array(10) }])).rejects.toThrow(
    /expected the mask of detection 0 to have the image's 30 x 40 = 1200 pixels, got 10/,
  );
});
