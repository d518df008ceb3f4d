// Fused kernels (reference): batch_norm_act_backward against finite differences of
// act(batch_norm_train(x)), and conv2d_act_forward / batch_norm_act_train_forward against the
// chains they fuse, by hand.
import { batch_norm_train_forward } from '../../src/backend/reference/batch_norm';
import { conv2d_forward } from '../../src/backend/reference/conv2d';
import { batch_norm_act_backward, batch_norm_act_train_forward, conv2d_act_forward } from '../../src/backend/reference/fused';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { randomArray } from '../util/rng';

const ACTS: Array<[string, number, number]> = [['relu', 0, 0], ['leaky_relu', 1, 0.1], ['relu6', 2, 0]];

describe('reference batch_norm_act gradients', () => {
  test.each(ACTS.flatMap(([name, code, alpha]) => [[name, code, alpha, 2, 3, 4], [name, code, alpha, 3, 2, 5]]))(
    '%s (code %i, alpha %f) N=%i C=%i HW=%i', (_name, code, alpha, N, C, HW) => {
      const n = N * C * HW;
      const p = [N, C, HW, code];
      const x = randomArray(n, 11 + code, -2, 3);
      // scale 2-4 and bias 1.5 spread the normalised values over both kinks of relu6
      const scale = randomArray(C, 12, 2, 4);
      const bias = randomArray(C, 13, 1, 2);
      const y = new Float64Array(n);
      const mean = new Float64Array(C), invstd = new Float64Array(C);
      const r = randomArray(n, 14);
      const loss = projectionLoss(() => {
        batch_norm_act_train_forward(x, scale, bias, y, mean, invstd, new Float64Array(C), new Float64Array(C).fill(1), p, 1e-5, 0.9, alpha);
        return y;
      }, r);
      loss();
      // no element may sit within the finite-difference step of a kink, or the check is meaningless
      const z = new Float64Array(n);
      batch_norm_train_forward(x, scale, bias, z, new Float64Array(C), new Float64Array(C), new Float64Array(C), new Float64Array(C), [N, C, HW], 1e-5, 0.9);
      expect(Math.min(...Array.from(z, (v) => Math.min(Math.abs(v), Math.abs(v - 6))))).toBeGreaterThan(1e-4);
      if (code === 2) expect(Array.from(z).some((v) => v > 6)).toBe(true);
      expect(Array.from(z).some((v) => v < 0)).toBe(true);
      const dx = new Float64Array(n).fill(NaN), dscale = new Float64Array(C).fill(NaN), dbias = new Float64Array(C).fill(NaN);
      batch_norm_act_backward(x, y, r, scale, mean, invstd, dx, dscale, dbias, p, alpha);
      checkGrad('batch_norm_act dx', loss, x, dx);
      checkGrad('batch_norm_act dscale', loss, scale, dscale);
      checkGrad('batch_norm_act dbias', loss, bias, dbias);
    });
});

describe('reference fused forwards by hand', () => {
  test('conv2d_act_forward: 1x1 conv with bias, then relu / leaky_relu / relu6', () => {
    // x = [1, 1, 1, 4], w = 2, b = -1: conv gives 2x - 1
    const x = Float64Array.of(-1, 0.25, 1, 4), w = Float64Array.of(2), b = Float64Array.of(-1);
    const geom = [1, 1, 1, 4, 1, 1, 1, 1, 4, 1, 1, 0, 0, 1, 1, 1];
    const plain = new Float64Array(4);
    conv2d_forward(x, w, b, plain, geom);
    expectClose(plain, [-3, -0.5, 1, 7], 0);
    const y = new Float64Array(4);
    conv2d_act_forward(x, w, b, y, [...geom, 0], 0);
    expectClose(y, [0, 0, 1, 7], 0);
    conv2d_act_forward(x, w, b, y, [...geom, 1], 0.5);
    expectClose(y, [-1.5, -0.25, 1, 7], 0);
    conv2d_act_forward(x, w, null, y, [...geom, 2], 0);
    expectClose(y, [0, 0.5, 2, 6], 0);
  });

  test('batch_norm_act_train_forward: statistics as batch norm, output activated, running update', () => {
    // one channel 1, 2, 3, 4: mean 2.5, biased var 1.25
    const x = Float64Array.of(1, 2, 3, 4), y = new Float64Array(4), m = new Float64Array(1), is = new Float64Array(1);
    const rm = Float64Array.of(1), rv = Float64Array.of(2);
    batch_norm_act_train_forward(x, Float64Array.of(1), Float64Array.of(0), y, m, is, rm, rv, [1, 1, 4, 0], 0, 0.9, 0);
    const s = 1 / Math.sqrt(1.25);
    expectClose(m, [2.5], 1e-15);
    expectClose(y, [0, 0, 0.5 * s, 1.5 * s], 1e-15);
    expectClose(rm, [0.9 + 0.25], 1e-15);
    expectClose(rv, [1.8 + 0.125], 1e-15);
  });

  test('batch_norm_act_backward: relu blocks dy where y = 0 even when dy is NaN; leaky_relu scales it', () => {
    const x = Float64Array.of(1, 2, 3, 4), dy = Float64Array.of(NaN, 1, 2, 3);
    const relu = new Float64Array(4), leaky = new Float64Array(4);
    const ds = new Float64Array(1), db = new Float64Array(1);
    const common = [Float64Array.of(1), Float64Array.of(2.5), Float64Array.of(1)] as const;
    batch_norm_act_backward(x, Float64Array.of(0, 0, 0.5, 1.5), dy, ...common, relu, ds, db, [1, 1, 4, 0], 0);
    expect(relu.every(Number.isFinite)).toBe(true);
    expect(db[0]).toBe(5); // dz = [0, 0, 2, 3]
    batch_norm_act_backward(x, Float64Array.of(-0.75, -0.25, 0.5, 1.5), Float64Array.of(4, 1, 2, 3), ...common, leaky, ds, db, [1, 1, 4, 1], 0.5);
    expect(db[0]).toBe(2 + 0.5 + 2 + 3); // dz = [2, 0.5, 2, 3]
  });
});
