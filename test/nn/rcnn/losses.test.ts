/** The R-CNN losses: hand-worked values, Paddle's normalisers, gradients by finite differences in float64. */
import { bboxBoxLoss, bboxClsLoss, maskLoss, rpnBoxLoss, rpnClsLoss, sigmoidCrossEntropy, smoothL1, softmaxCrossEntropy } from '../../../src/nn/rcnn';
import { Rng } from '../../../src/data/rng';

/** Central differences of f at x, compared with the analytic gradient g. */
function checkGrad(f: (x: Float64Array) => number, x: Float64Array, g: ArrayLike<number>): void {
  const h = 1e-6;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v + h;
    const up = f(x);
    x[i] = v - h;
    const down = f(x);
    x[i] = v;
    const fd = (up - down) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - g[i]) / Math.max(1e-3, Math.abs(fd)));
  }
  expect(worst).toBeLessThan(1e-5);
}

test('softmax CE: log 2 for two equal logits; mean over rows; gradient', () => {
  const r = softmaxCrossEntropy([0, 0, 0, 0], [0, 1], 2, 2, new Float64Array(4));
  expect(r.loss).toBeCloseTo(Math.log(2), 12);
  expect(Array.from(r.grad)).toEqual([-0.25, 0.25, 0.25, -0.25]);
  const rng = new Rng(1);
  const N = 5, C = 4;
  const x = Float64Array.from({ length: N * C }, () => rng.normal() * 3);
  const y = [0, 3, 1, 1, 2];
  const res = bboxClsLoss(x, y, N, C, new Float64Array(N * C));
  checkGrad((z) => softmaxCrossEntropy(z, y, N, C, new Float64Array(N * C)).loss, x, res.grad);
  expect(() => softmaxCrossEntropy([0, 0], [2], 1, 2)).toThrow(/softmaxCrossEntropy: expected a label in 0..1 for label 0, got 2/);
});

test("smooth L1 as Paddle's: quadratic under 1 / sigma^2, linear above, weights, normaliser", () => {
  // sigma 1: d = 0.5 -> 0.125; d = -2 -> 1.5
  expect(smoothL1([0.5, -2], [0, 0], null, null, 2, 1, 1).loss).toBeCloseTo(1.625, 12);
  // sigma 3: d = 0.1 -> 0.5 * 9 * 0.01; d = 1 -> 1 - 0.5 / 9
  expect(smoothL1([0.1, 1], [0, 0], null, null, 2, 3, 1).loss).toBeCloseTo(0.045 + 1 - 0.5 / 9, 12);
  // inside scales the difference, outside the term; zero weights drop an element
  expect(smoothL1([1, 5], [0, 0], [0.5, 0], [2, 1], 2, 1, 1).loss).toBeCloseTo(2 * 0.125, 12);
  const rng = new Rng(2);
  const n = 24;
  // keep |d| away from the knee so the finite differences stay on one side
  const x = Float64Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1) * (i < 12 ? rng.uniform(0.01, 0.09) : rng.uniform(0.2, 3)));
  const t = new Float64Array(n);
  const wi = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 1));
  const wo = Float64Array.from({ length: n }, () => rng.uniform(0.5, 2));
  const g = smoothL1(x, t, wi, wo, n, 3, 7, new Float64Array(n));
  checkGrad((z) => smoothL1(z, t, wi, wo, n, 3, 7, new Float64Array(n)).loss, x, g.grad);
});

test('RPN box loss: sigma 3, divided by the sampled-anchor count, not the fg count', () => {
  const one = rpnBoxLoss([1, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1], 1, 4);
  expect(one.loss).toBeCloseTo((1 - 0.5 / 9) / 4, 7);
  expect(one.grad[0]).toBeCloseTo(1 / 4, 7);
  const rng = new Rng(3);
  const x = Float64Array.from({ length: 12 }, () => rng.uniform(0.2, 2) * (rng.random() < 0.5 ? -1 : 1));
  const t = Float64Array.from({ length: 12 }, () => 0);
  const g = rpnBoxLoss(x, t, null, 3, 10, new Float64Array(12));
  checkGrad((z) => rpnBoxLoss(z, t, null, 3, 10, new Float64Array(12)).loss, x, g.grad);
});

test('BBoxHead box loss: sigma 1, summed per roi, averaged over rois; only the class slot counts', () => {
  const N = 2, C = 3;
  const pred = new Float64Array(N * 4 * C).fill(0.7);
  const tgt = new Float64Array(N * 4 * C);
  const w = new Float64Array(N * 4 * C);
  w.fill(1, 1 * 4, 2 * 4); // roi 0, class 1
  const r = bboxBoxLoss(pred, tgt, w, w, N, C, new Float64Array(N * 4 * C));
  expect(r.loss).toBeCloseTo((4 * 0.5 * 0.49) / 2, 12);
  expect(Array.from(r.grad).filter((v) => v !== 0).length).toBe(4);
  checkGrad((z) => bboxBoxLoss(z, tgt, w, w, N, C, new Float64Array(N * 4 * C)).loss, pred, r.grad);
});

test('sigmoid CE: stable form, RPN mean over samples, mask mean over non-ignored', () => {
  expect(rpnClsLoss([0, 0], [1, 0], 2).loss).toBeCloseTo(Math.log(2), 7);
  // large logits stay finite
  expect(rpnClsLoss([800, -800], [1, 0], 2).loss).toBeCloseTo(0, 12);
  expect(rpnClsLoss([-800], [1], 1).loss).toBeCloseTo(800, 9);
  const m = maskLoss([0, 0, 5], [1, -1, 0], 3, new Float64Array(3));
  expect(m.loss).toBeCloseTo((Math.log(2) + 5 + Math.log1p(Math.exp(-5))) / 2, 12);
  expect(m.grad[1]).toBe(0);
  expect(maskLoss([1, 2], [-1, -1], 2).loss).toBe(0);
  const rng = new Rng(4);
  const n = 30;
  const x = Float64Array.from({ length: n }, () => rng.normal() * 4);
  const z = Int32Array.from({ length: n }, () => rng.randint(-1, 2));
  const g = maskLoss(x, z, n, new Float64Array(n));
  checkGrad((v) => maskLoss(v, z, n, new Float64Array(n)).loss, x, g.grad);
  const zr = z.map((v) => Math.max(v, 0));
  const gr = rpnClsLoss(x, zr, n, new Float64Array(n));
  checkGrad((v) => sigmoidCrossEntropy(v, zr, n, { normalize: 'all' }, new Float64Array(n)).loss, x, gr.grad);
});
