// Batch norm (train forward/backward, infer), Paddle's running-stat update, affine_channel and
// bn_fold: gradient checks and hand-computed forward cases.
import { affine_channel_backward, affine_channel_forward } from '../../src/backend/reference/affine_channel';
import { batch_norm_backward, batch_norm_infer_forward, batch_norm_train_forward } from '../../src/backend/reference/batch_norm';
import { bn_fold } from '../../src/backend/reference/bn_fold';
import { conv2d_forward } from '../../src/backend/reference/conv2d';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { randomArray } from '../util/rng';

describe('reference batch_norm_train gradients', () => {
  test.each([
    [2, 3, 4, 1e-5],
    [1, 2, 6, 1e-3],
    [3, 1, 1, 1e-5],
  ])('N=%i C=%i HW=%i eps=%f', (N, C, HW, eps) => {
    const n = N * C * HW;
    const p = [N, C, HW];
    const x = randomArray(n, 1, -2, 3);
    const scale = randomArray(C, 2, 0.5, 1.5);
    const bias = randomArray(C, 3);
    const y = new Float64Array(n);
    const mean = new Float64Array(C), invstd = new Float64Array(C);
    const rm = new Float64Array(C), rv = new Float64Array(C).fill(1);
    const r = randomArray(n, 4);
    const loss = projectionLoss(() => {
      batch_norm_train_forward(x, scale, bias, y, mean, invstd, rm, rv, p, eps, 0.9);
      return y;
    }, r);
    loss(); // saved statistics of the unperturbed x
    const dx = new Float64Array(n).fill(NaN), dscale = new Float64Array(C).fill(NaN), dbias = new Float64Array(C).fill(NaN);
    batch_norm_backward(x, r, scale, mean, invstd, dx, dscale, dbias, p);
    checkGrad('batch_norm dx', loss, x, dx);
    checkGrad('batch_norm dscale', loss, scale, dscale);
    checkGrad('batch_norm dbias', loss, bias, dbias);
  });
});

describe('reference batch norm forward by hand', () => {
  test('train: batch statistics, biased variance, Paddle running update', () => {
    // One channel holds 1, 2, 3, 4 (N=2, HW=2); the other 0, 0, 2, 2; laid out [N, C, HW].
    const x = Float64Array.of(1, 2, 0, 0, 3, 4, 2, 2);
    const scale = Float64Array.of(2, 1), bias = Float64Array.of(0.5, -1);
    const y = new Float64Array(8), mean = new Float64Array(2), invstd = new Float64Array(2);
    const rm = Float64Array.of(1, 0), rv = Float64Array.of(2, 1);
    batch_norm_train_forward(x, scale, bias, y, mean, invstd, rm, rv, [2, 2, 2], 0, 0.9);
    // channel 0: mean 2.5, biased var (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
    // channel 1: mean 1,   biased var 1
    expectClose(mean, [2.5, 1], 1e-15);
    expectClose(invstd, [1 / Math.sqrt(1.25), 1], 1e-15);
    const s = 1 / Math.sqrt(1.25);
    expectClose(y, [-1.5 * s * 2 + 0.5, -0.5 * s * 2 + 0.5, -2, -2, 0.5 * s * 2 + 0.5, 1.5 * s * 2 + 0.5, 0, 0], 1e-14);
    // running = running * 0.9 + batch * 0.1, with the biased batch variance
    expectClose(rm, [1 * 0.9 + 2.5 * 0.1, 0 * 0.9 + 1 * 0.1], 1e-15);
    expectClose(rv, [2 * 0.9 + 1.25 * 0.1, 1 * 0.9 + 1 * 0.1], 1e-15);
  });

  test('train: eps enters the inverse standard deviation', () => {
    const y = new Float64Array(2), mean = new Float64Array(1), invstd = new Float64Array(1);
    batch_norm_train_forward(Float64Array.of(-1, 1), Float64Array.of(1), Float64Array.of(0), y, mean, invstd, new Float64Array(1), new Float64Array(1), [1, 1, 2], 3, 0.5);
    // var 1, eps 3 -> invstd 1/2
    expect(invstd[0]).toBe(0.5);
    expectClose(y, [-0.5, 0.5], 0);
  });

  test('infer: given statistics', () => {
    const y = new Float64Array(4);
    // mean 1, var 3, eps 1 -> divide by 2; scale 4, bias 1
    batch_norm_infer_forward(Float64Array.of(1, 3, 5, -1), Float64Array.of(4), Float64Array.of(1), Float64Array.of(1), Float64Array.of(3), y, [1, 1, 4], 1);
    expectClose(y, [1, 5, 9, -3], 1e-15);
  });
});

describe('reference affine_channel', () => {
  test('forward by hand', () => {
    const y = new Float64Array(4);
    affine_channel_forward(Float64Array.of(1, 2, 3, 4), Float64Array.of(2, -1), Float64Array.of(0, 10), y, [1, 2, 2]);
    expectClose(y, [2, 4, 7, 6], 0);
  });

  test('gradients of x, scale, bias; absent outputs are skipped', () => {
    const N = 2, C = 3, HW = 5, n = N * C * HW, p = [N, C, HW];
    const x = randomArray(n, 11), scale = randomArray(C, 12), bias = randomArray(C, 13), r = randomArray(n, 14);
    const y = new Float64Array(n);
    const loss = projectionLoss(() => {
      affine_channel_forward(x, scale, bias, y, p);
      return y;
    }, r);
    const dx = new Float64Array(n), ds = new Float64Array(C), db = new Float64Array(C);
    affine_channel_backward(x, r, scale, dx, ds, db, p);
    checkGrad('affine_channel dx', loss, x, dx);
    checkGrad('affine_channel dscale', loss, scale, ds);
    checkGrad('affine_channel dbias', loss, bias, db);
    const onlyScale = new Float64Array(C);
    affine_channel_backward(x, r, scale, null, onlyScale, null, p);
    expectClose(onlyScale, ds, 0);
  });
});

describe('reference bn_fold', () => {
  test.each([
    ['with conv bias, groups 2', true, 2],
    ['without conv bias', false, 1],
  ])('%s: conv then bn-infer equals the folded conv', (_name, withBias, G) => {
    const N = 2, C = 4, H = 5, W = 5, OC = 4, KH = 3, KW = 3, eps = 1e-5;
    const p = [N, C, H, W, OC, KH, KW, H, W, 1, 1, 1, 1, 1, 1, G];
    const K = (C / G) * KH * KW;
    const x = randomArray(N * C * H * W, 21), w = randomArray(OC * K, 22), b = withBias ? randomArray(OC, 23) : null;
    const scale = randomArray(OC, 24, 0.5, 2), offset = randomArray(OC, 25), mean = randomArray(OC, 26), variance = randomArray(OC, 27, 0.1, 2);
    const conv = new Float64Array(N * OC * H * W), ref = new Float64Array(conv.length);
    conv2d_forward(x, w, b, conv, p);
    batch_norm_infer_forward(conv, scale, offset, mean, variance, ref, [N, OC, H * W], eps);
    const wf = new Float64Array(OC * K), bf = new Float64Array(OC), folded = new Float64Array(conv.length);
    bn_fold(w, b, scale, offset, mean, variance, wf, bf, [OC, K], eps);
    conv2d_forward(x, wf, bf, folded, p);
    expectClose(folded, ref, { rtol: 1e-12, atol: 1e-12 });
  });
});
