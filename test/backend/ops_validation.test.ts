/**
 * The op layer's argument checking: every op names itself, the expectation, the argument and
 * what it found; output shapes follow the documented formulas; tensors on two backends are
 * refused; a kernel a backend does not support runs elsewhere. Runs on the float64 reference.
 */
import type { Backend } from '../../src/backend/backend';
import * as ops from '../../src/backend/ops';
import { referenceBackend } from '../../src/backend/reference';
import { Tensor } from '../../src/backend/tensor';
import { randomArray } from '../util/rng';

const ref = referenceBackend as Backend<any>;
/** A second backend object with the same kernels: tensors on it are "elsewhere" for the op layer. */
const other: Backend<any> = { ...ref, name: 'other' };

let seed = 1;
const T = (shape: number[], be: Backend<any> = ref) => Tensor.from(randomArray(shape.reduce((a, b) => a * b, 1), seed++), shape, be);
const dot = (a: Tensor, b: Tensor) => {
  const x = a.toArray();
  const y = b.toArray();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
};

describe('conv2d', () => {
  test('output shape follows OH = floor((H + pt + pb - dh*(KH-1) - 1)/sh) + 1', () => {
    expect(ops.conv2d(T([2, 3, 7, 9]), T([8, 3, 3, 3]), T([8]), {}).shape).toEqual([2, 8, 5, 7]);
    expect(ops.conv2d(T([1, 3, 7, 9]), T([8, 3, 3, 3]), null, { stride: 2, padding: 1 }).shape).toEqual([1, 8, 4, 5]);
    expect(ops.conv2d(T([1, 4, 8, 8]), T([6, 2, 3, 3]), null, { groups: 2, padding: [0, 1, 2, 3], stride: [1, 2] }).shape).toEqual([1, 6, 7, 6]);
    expect(ops.conv2d(T([1, 4, 9, 9]), T([4, 1, 3, 3]), null, { groups: 4, dilation: 2 }).shape).toEqual([1, 4, 5, 5]);
    expect(ops.conv2d(T([1, 3, 7, 8]), T([2, 3, 3, 3]), null, { stride: 2, padding: 'SAME' }).shape).toEqual([1, 2, 4, 4]);
  });
  test('names the argument, the expectation and what it found', () => {
    expect(() => ops.conv2d(T([3, 32, 32]), T([8, 3, 3, 3]), null)).toThrow('conv2d: expected 4-D input for x, got [3, 32, 32]');
    expect(() => ops.conv2d(T([1, 3, 8, 8]), T([8, 4, 3, 3]), null)).toThrow('conv2d: expected w of shape [OC, C/groups, KH, KW] = [*, 3, *, *], got [8, 4, 3, 3]');
    expect(() => ops.conv2d(T([1, 3, 8, 8]), T([8, 3, 3]), null)).toThrow('conv2d: expected 4-D tensor for w, got [8, 3, 3]');
    expect(() => ops.conv2d(T([1, 3, 8, 8]), T([8, 3, 3, 3]), T([4]))).toThrow('conv2d: expected shape [8] for b, got [4]');
    expect(() => ops.conv2d(T([1, 4, 8, 8]), T([6, 2, 3, 3]), null, { groups: 3 })).toThrow('conv2d: expected a divisor of the input channels C = 4 for groups, got 3');
    expect(() => ops.conv2d(T([1, 4, 8, 8]), T([3, 2, 3, 3]), null, { groups: 2 })).toThrow('conv2d: expected OC divisible by groups = 2');
    expect(() => ops.conv2d(T([1, 3, 2, 2]), T([8, 3, 3, 3]), null)).toThrow('conv2d: expected an output of at least 1x1 (kernel 3x3, dilation 1x1, padding [0, 0, 0, 0], stride 1x1) for x, got [1, 3, 2, 2], which gives 0x0');
  });
  test('bad attributes', () => {
    const x = T([1, 3, 8, 8]);
    const w = T([4, 3, 3, 3]);
    expect(() => ops.conv2d(x, w, null, { stride: 0 })).toThrow('conv2d: expected a positive integer or a pair [h, w] of them for stride, got 0');
    expect(() => ops.conv2d(x, w, null, { stride: [1, 2, 3] as unknown as [number, number] })).toThrow('for stride, got [1, 2, 3]');
    expect(() => ops.conv2d(x, w, null, { dilation: 1.5 })).toThrow('for dilation, got 1.5');
    expect(() => ops.conv2d(x, w, null, { padding: [1, 2, 3] as unknown as number })).toThrow("conv2d: expected a non-negative integer, [ph, pw], [pt, pb, pl, pr], 'SAME' or 'VALID' for padding, got [1, 2, 3]");
    expect(() => ops.conv2d(x, w, null, { padding: -1 })).toThrow('for padding, got -1');
    expect(() => ops.conv2d(x, w, null, { groups: 0 })).toThrow('conv2d: expected a positive integer for groups, got 0');
    expect(() => ops.conv2d(x, w, null, 5 as unknown as ops.Conv2dAttrs)).toThrow('conv2d: expected an attributes object for attrs, got 5');
    expect(() => ops.conv2d([1, 2] as unknown as Tensor, w, null)).toThrow('conv2d: expected a Tensor for x, got [1, 2]');
  });
  test('refuses tensors on two backends', () => {
    expect(() => ops.conv2d(T([1, 3, 8, 8]), T([4, 3, 3, 3], other), null)).toThrow('conv2d: expected the backend of x (reference) for w, got a tensor on other');
  });
  test('backward ops check dy against the forward geometry', () => {
    const w = T([4, 3, 3, 3]);
    expect(ops.conv2dBackwardInput(T([2, 4, 3, 3]), w, [2, 3, 7, 7], { stride: 2 }).shape).toEqual([2, 3, 7, 7]);
    expect(() => ops.conv2dBackwardInput(T([2, 4, 4, 4]), w, [2, 3, 7, 7], { stride: 2 })).toThrow('conv2dBackwardInput: expected shape [2, 4, 3, 3] for dy, got [2, 4, 4, 4]');
    expect(() => ops.conv2dBackwardInput(T([2, 4, 3, 3]), w, [2, 3, 7], {})).toThrow('conv2dBackwardInput: expected a 4-D shape (non-negative integers) for xShape, got [2, 3, 7]');
    const r = ops.conv2dBackwardFilter(T([2, 3, 7, 7]), T([2, 4, 5, 5]), [4, 3, 3, 3], {}, true);
    expect(r.dw.shape).toEqual([4, 3, 3, 3]);
    expect(r.db!.shape).toEqual([4]);
    expect(ops.conv2dBackwardFilter(T([2, 3, 7, 7]), T([2, 4, 5, 5]), [4, 3, 3, 3]).db).toBeNull();
    expect(() => ops.conv2dBackwardFilter(T([2, 3, 7, 7]), T([2, 4, 5, 5]), [4, 1, 3, 3])).toThrow('conv2dBackwardFilter: expected wShape of shape [OC, C/groups, KH, KW] = [*, 3, *, *], got [4, 1, 3, 3]');
  });
  test('backward input is the adjoint of the forward pass', () => {
    const attrs: ops.Conv2dAttrs = { stride: 2, padding: [1, 0, 2, 1], groups: 2, dilation: [1, 2] };
    const x = T([2, 4, 9, 8]);
    const w = T([6, 2, 3, 2]);
    const y = ops.conv2d(x, w, null, attrs);
    const r = T(y.shape);
    const dx = ops.conv2dBackwardInput(r, w, x.shape, attrs);
    expect(dot(dx, x)).toBeCloseTo(dot(y, r), 10);
    const { dw } = ops.conv2dBackwardFilter(x, r, w.shape, attrs);
    expect(dot(dw, w)).toBeCloseTo(dot(y, r), 10);
  });
});

describe('conv2dTranspose', () => {
  test('output shape OH = (H-1)*sh - pt - pb + dh*(KH-1) + 1 + outputPadding', () => {
    expect(ops.conv2dTranspose(T([2, 4, 5, 6]), T([4, 3, 3, 3]), T([3])).shape).toEqual([2, 3, 7, 8]);
    expect(ops.conv2dTranspose(T([1, 4, 5, 6]), T([4, 3, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 }).shape).toEqual([1, 3, 10, 12]);
    expect(ops.conv2dTranspose(T([1, 4, 5, 6]), T([4, 2, 4, 4]), null, { stride: 2, padding: 1, groups: 2 }).shape).toEqual([1, 4, 10, 12]);
    expect(ops.conv2dTranspose(T([1, 4, 5, 6]), T([4, 3, 3, 3]), null, { stride: 2, outputSize: [12, 14] }).shape).toEqual([1, 3, 12, 14]);
  });
  test('errors', () => {
    expect(() => ops.conv2dTranspose(T([1, 4, 5, 6]), T([3, 3, 3, 3]), null)).toThrow('conv2dTranspose: expected w of shape [C_in, C_out/groups, KH, KW] = [4, *, *, *], got [3, 3, 3, 3]');
    expect(() => ops.conv2dTranspose(T([1, 4, 5, 6]), T([4, 3, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrow('conv2dTranspose: expected values smaller than the stride [2, 2] for outputPadding, got 2');
    expect(() => ops.conv2dTranspose(T([1, 4, 5, 6]), T([4, 3, 3, 3]), null, { outputSize: [9, 9] })).toThrow('conv2dTranspose: expected an output size in [7, 8) x [8, 9] for outputSize, got [9, 9]');
    expect(() => ops.conv2dTranspose(T([1, 4, 5, 6]), T([4, 3, 3, 3]), T([4]))).toThrow('conv2dTranspose: expected shape [3] for b, got [4]');
    expect(() => ops.conv2dTranspose(T([1, 4, 2, 2]), T([4, 3, 1, 1]), null, { padding: 1 })).toThrow('conv2dTranspose: expected an output of at least 1x1');
  });
  test('forward, backward input and backward filter are adjoint; the bias is added per channel', () => {
    const attrs: ops.Conv2dTransposeAttrs = { stride: 2, padding: [1, 0, 0, 1], groups: 2, outputPadding: [1, 0] };
    const x = T([2, 4, 3, 4]);
    const w = T([4, 3, 3, 2]);
    const y = ops.conv2dTranspose(x, w, null, attrs);
    const r = T(y.shape);
    expect(dot(ops.conv2dTransposeBackwardInput(r, w, x.shape, attrs), x)).toBeCloseTo(dot(y, r), 10);
    const { dw, db } = ops.conv2dTransposeBackwardFilter(x, r, w.shape, attrs, true);
    expect(dot(dw, w)).toBeCloseTo(dot(y, r), 10);
    const rr = r.toArray();
    const [N, C, H, W] = y.shape;
    const want = new Float64Array(C);
    for (let i = 0; i < rr.length; i++) want[Math.floor(i / (H * W)) % C] += rr[i];
    expect(Array.from(db!.toArray()).map((v, i) => v - want[i]).every((d) => Math.abs(d) < 1e-12)).toBe(true);
    const b = T([C]);
    const yb = ops.conv2dTranspose(x, w, b, attrs).toArray();
    const y0 = y.toArray();
    const bv = b.toArray();
    expect(N).toBe(2);
    for (let i = 0; i < yb.length; i++) expect(yb[i]).toBeCloseTo(y0[i] + bv[Math.floor(i / (H * W)) % C], 12);
  });
});

describe('gemm and fully connected', () => {
  test('shapes for every transpose combination', () => {
    expect(ops.gemm(T([3, 5]), T([5, 4])).shape).toEqual([3, 4]);
    expect(ops.gemm(T([5, 3]), T([5, 4]), { transA: true }).shape).toEqual([3, 4]);
    expect(ops.gemm(T([3, 5]), T([4, 5]), { transB: true }).shape).toEqual([3, 4]);
    expect(ops.gemm(T([5, 3]), T([4, 5]), { transA: true, transB: true }).shape).toEqual([3, 4]);
  });
  test('errors', () => {
    expect(() => ops.gemm(T([3, 5]), T([4, 3]))).toThrow('gemm: expected b of shape [K, N] = [5, *], got [4, 3]');
    expect(() => ops.gemm(T([3, 5]), T([4, 3]), { transB: true })).toThrow('gemm: expected b of shape [N, K] = [*, 5], got [4, 3]');
    expect(() => ops.gemm(T([3, 5, 1]), T([5, 3]))).toThrow('gemm: expected 2-D tensor for a, got [3, 5, 1]');
    expect(() => ops.gemm(T([3, 5]), T([5, 4]), { accumulate: true })).toThrow('gemm: expected a tensor c to accumulate into for c, got undefined');
    expect(() => ops.gemm(T([3, 5]), T([5, 4]), { c: T([4, 3]) })).toThrow('gemm: expected shape [3, 4] for c, got [4, 3]');
    expect(() => ops.gemm(T([3, 5]), T([5, 4]), { alpha: NaN })).toThrow('gemm: expected a finite number for alpha, got NaN');
    expect(() => ops.gemm(T([3, 5]), T([5, 4], other))).toThrow('gemm: expected the backend of a (reference) for b, got a tensor on other');
  });
  test('accumulate adds alpha * a b to c', () => {
    const a = T([2, 3]);
    const b = T([3, 2]);
    const c = T([2, 2]);
    const c0 = c.toArray();
    const ab = ops.matmul(a, b).toArray();
    const out = ops.gemm(a, b, { alpha: 0.5, c, accumulate: true });
    expect(out).toBe(c);
    c.toArray().forEach((v, i) => expect(v).toBeCloseTo(c0[i] + 0.5 * ab[i], 12));
  });
  test('fc flattens x after axis 0 and takes w as [in, out]', () => {
    expect(ops.fullyConnected(T([2, 3, 2, 2]), T([12, 5]), T([5])).shape).toEqual([2, 5]);
    expect(() => ops.fullyConnected(T([2, 3, 2, 2]), T([5, 12]), null)).toThrow('fullyConnected: expected w of shape [in, out] = [12, *], got [5, 12]');
    expect(() => ops.fullyConnected(T([2, 12]), T([12, 5]), T([12]))).toThrow('fullyConnected: expected shape [5] for b, got [12]');
    const g = ops.fullyConnectedBackward(T([2, 3, 2, 2]), T([12, 5]), T([2, 5]));
    expect(g.dx!.shape).toEqual([2, 3, 2, 2]);
    expect(g.dw.shape).toEqual([12, 5]);
    expect(g.db!.shape).toEqual([5]);
    expect(() => ops.fullyConnectedBackward(T([2, 12]), T([12, 5]), T([5, 2]))).toThrow('fullyConnectedBackward: expected shape [2, 5] for dy, got [5, 2]');
  });
  test('matmul backward is the adjoint for all transpose combinations', () => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = T(transA ? [4, 3] : [3, 4]);
        const b = T(transB ? [5, 4] : [4, 5]);
        const y = ops.matmul(a, b, { transA, transB });
        const r = T(y.shape);
        const { da, db } = ops.matmulBackward(a, b, r, { transA, transB });
        expect(dot(da, a)).toBeCloseTo(dot(y, r), 10);
        expect(dot(db, b)).toBeCloseTo(dot(y, r), 10);
      }
    }
  });
});

describe('normalisation', () => {
  test('batch norm shapes and errors', () => {
    const C = 3;
    const r = ops.batchNormTrain(T([2, C, 4, 4]), T([C]), T([C]), T([C]), T([C]), { eps: 1e-5, momentum: 0.9 });
    expect(r.y.shape).toEqual([2, C, 4, 4]);
    expect(r.savedMean.shape).toEqual([C]);
    expect(ops.batchNormInfer(T([5, C]), T([C]), T([C]), T([C]), Tensor.full([C], 1, ref)).shape).toEqual([5, C]);
    expect(() => ops.batchNormTrain(T([2, C, 4, 4]), T([4]), T([C]), T([C]), T([C]))).toThrow('batchNormTrain: expected shape [3] for scale, got [4]');
    expect(() => ops.batchNormTrain(T([2, C, 4, 4]), T([C]), T([C]), T([C]), T([C]), { momentum: 2 })).toThrow('batchNormTrain: expected a number in [0, 1] for momentum, got 2');
    expect(() => ops.batchNormInfer(T([6]), T([C]), T([C]), T([C]), T([C]))).toThrow('batchNormInfer: expected 2-D, 3-D, 4-D or 5-D input for x, got [6]');
    expect(() => ops.batchNormInfer(T([2, C]), T([C]), T([C]), T([C]), T([C]), { eps: -1 })).toThrow('batchNormInfer: expected a non-negative number for eps, got -1');
    const g = ops.batchNormBackward(T([2, C, 4, 4]), T([2, C, 4, 4]), T([C]), r.savedMean, r.savedInvstd);
    expect([g.dx.shape, g.dscale.shape, g.dbias.shape]).toEqual([[2, C, 4, 4], [C], [C]]);
    expect(() => ops.batchNormBackward(T([2, C, 4, 4]), T([2, C, 4, 3]), T([C]), r.savedMean, r.savedInvstd)).toThrow('batchNormBackward: expected shape [2, 3, 4, 4] for dy, got [2, 3, 4, 3]');
  });
  test('batchNormTrain updates the running statistics in place', () => {
    const rm = Tensor.zeros([2], ref);
    const rv = Tensor.full([2], 1, ref);
    const x = Tensor.from([1, 2, 3, 5, 1, 2, 3, 5], [2, 2, 2], ref);
    ops.batchNormTrain(x, Tensor.full([2], 1, ref), Tensor.zeros([2], ref), rm, rv, { momentum: 0.9 });
    // channel 0 holds 1, 2, 1, 2 (mean 1.5, var 0.25); channel 1 holds 3, 5, 3, 5 (mean 4, var 1)
    expect(Array.from(rm.toArray())).toEqual([expect.closeTo(0.15, 12), expect.closeTo(0.4, 12)]);
    expect(Array.from(rv.toArray())).toEqual([expect.closeTo(0.925, 12), expect.closeTo(1, 12)]);
  });
  test('affine channel and bn fold', () => {
    expect(ops.affineChannel(T([2, 3, 2, 2]), T([3]), T([3])).shape).toEqual([2, 3, 2, 2]);
    expect(() => ops.affineChannel(T([2, 3, 2, 2]), T([3]), T([2]))).toThrow('affineChannel: expected shape [3] for bias, got [2]');
    const g = ops.affineChannelBackward(T([2, 3, 2, 2]), T([2, 3, 2, 2]), T([3]), { dx: false });
    expect(g.dx).toBeNull();
    expect(g.dscale!.shape).toEqual([3]);
    const f = ops.bnFold(T([4, 3, 3, 3]), null, T([4]), T([4]), T([4]), Tensor.full([4], 2, ref), 1e-5);
    expect([f.w.shape, f.b.shape]).toEqual([[4, 3, 3, 3], [4]]);
    expect(() => ops.bnFold(T([4, 3, 3, 3]), T([3]), T([4]), T([4]), T([4]), T([4]))).toThrow('bnFold: expected shape [4] for b, got [3]');
  });
});

describe('gather, scatter, concat, split', () => {
  test('gather keeps the chosen indices along any axis', () => {
    const x = Tensor.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [2, 3, 2], ref);
    const y = ops.gatherAxis(x, 1, [2, 0]);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(Array.from(y.toArray())).toEqual([4, 5, 0, 1, 10, 11, 6, 7]);
    expect(Array.from(ops.gatherAxis(x, -1, new Int32Array([1])).toArray())).toEqual([1, 3, 5, 7, 9, 11]);
    expect(() => ops.gatherAxis(x, 1, [0, 3])).toThrow('gatherAxis: expected an integer index in [0, 3) for indices[1], got 3');
    expect(() => ops.gatherAxis(x, 3, [0])).toThrow('gatherAxis: expected an integer axis in [-3, 3) for axis, got 3');
    expect(() => ops.gatherAxis(x, 0, 'a' as unknown as number[])).toThrow("gatherAxis: expected an array or Int32Array of indices for indices, got 'a'");
  });
  test('scatterAddAxis is gather backward (repeated indices add)', () => {
    const dy = Tensor.from([1, 2, 3], [1, 3], ref);
    const dx = ops.scatterAddAxis(dy, 1, [2, 0, 2], [1, 4]);
    expect(Array.from(dx.toArray())).toEqual([2, 0, 4, 0]);
    expect(() => ops.scatterAddAxis(dy, 1, [2, 0], [1, 4])).toThrow('scatterAddAxis: expected shape [1, 2] for dy, got [1, 3]');
  });
  test('concat and split along channels and other axes', () => {
    const a = Tensor.from([1, 2, 3, 4], [2, 1, 2], ref);
    const b = Tensor.from([5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 2], ref);
    const y = ops.concat([a, b]);
    expect(y.shape).toEqual([2, 3, 2]);
    expect(Array.from(y.toArray())).toEqual([1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12]);
    const [p, q] = ops.split(y, [1, 2]);
    expect(Array.from(p.toArray())).toEqual(Array.from(a.toArray()));
    expect(Array.from(q.toArray())).toEqual(Array.from(b.toArray()));
    expect(ops.concat([a, a], 0).shape).toEqual([4, 1, 2]);
    expect(ops.split(b, [1, 0, 1], -1).map((t) => t.shape)).toEqual([[2, 2, 1], [2, 2, 0], [2, 2, 1]]);
    expect(() => ops.concat([a, Tensor.zeros([3, 2, 2], ref)])).toThrow('concat: expected shape [2, *, 2] for xs[1], got [3, 2, 2]');
    expect(() => ops.concat([])).toThrow('concat: expected a non-empty array of tensors for xs, got []');
    expect(() => ops.concat([a, Tensor.zeros([2, 1, 2], other)])).toThrow('concat: expected the backend of xs[0] (reference) for xs[1], got a tensor on other');
    expect(() => ops.split(y, [1, 1])).toThrow('split: expected sizes summing to 3 (dimension 1 of x [2, 3, 2]) for sizes, got [1, 1] (sum 2)');
    expect(Array.from(ops.copy(y).toArray())).toEqual(Array.from(y.toArray()));
  });
  test('channelCopy copies or accumulates a channel range in place', () => {
    const src = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], ref);
    const dst = Tensor.full([2, 2], 10, ref);
    expect(ops.channelCopy(src, 1, dst, 0, 2, 1, true)).toBe(dst);
    expect(Array.from(dst.toArray())).toEqual([12, 13, 15, 16]);
    ops.channelCopy(src, 0, dst, 1, 1);
    expect(Array.from(dst.toArray())).toEqual([12, 1, 15, 4]);
    expect(() => ops.channelCopy(src, 2, dst, 0, 2)).toThrow('channelCopy: expected an integer in [0, 1] for srcOff, got 2');
    expect(() => ops.channelCopy(src, 0, dst, 0, 3)).toThrow('channelCopy: expected an integer in [0, 2] for count, got 3');
    expect(() => ops.channelCopy(src, 0, Tensor.zeros([3, 2], ref), 0, 1)).toThrow('channelCopy: expected shape [2, *] for dst, got [3, 2]');
  });
});

describe('activations', () => {
  test('kinds, alpha and shapes', () => {
    const x = Tensor.from([-2, -0.5, 0.5, 7], [4], ref);
    expect(Array.from(ops.activation(x, 'relu').toArray())).toEqual([0, 0, 0.5, 7]);
    expect(Array.from(ops.activation(x, 'leaky_relu', 0.1).toArray())).toEqual([expect.closeTo(-0.2, 12), expect.closeTo(-0.05, 12), 0.5, 7]);
    expect(Array.from(ops.activation(x, 'leaky_relu').toArray())[0]).toBeCloseTo(-0.04, 12);
    expect(Array.from(ops.activation(x, 'relu6').toArray())).toEqual([0, 0, 0.5, 6]);
    expect(() => ops.activation(x, 'gelu' as ops.ActivationName)).toThrow("activation: expected one of relu, leaky_relu, relu6, sigmoid, hardswish, hardsigmoid for kind, got 'gelu'");
    expect(() => ops.activation(x, 'relu', Infinity)).toThrow('activation: expected a finite number for alpha, got Infinity');
    expect(ops.activationBackward(x, null, x, 'relu').shape).toEqual([4]);
    expect(() => ops.activationBackward(x, null, x, 'sigmoid')).toThrow('activationBackward: expected the forward output (sigmoid differentiates through y) for y, got null');
    expect(() => ops.activationBackward(x, x, T([3]), 'relu')).toThrow('activationBackward: expected shape [4] for dy, got [3]');
  });
});

describe('pool2d', () => {
  test('output shapes', () => {
    expect(ops.pool2d(T([1, 3, 7, 7]), { kind: 'max', kernel: 3, stride: 2, padding: 1 }).shape).toEqual([1, 3, 4, 4]);
    expect(ops.pool2d(T([1, 3, 6, 6]), { kind: 'avg', kernel: 2, stride: 2 }).shape).toEqual([1, 3, 3, 3]);
    expect(ops.pool2d(T([2, 3, 5, 7]), { kind: 'avg', global: true }).shape).toEqual([2, 3, 1, 1]);
    expect(ops.pool2d(T([1, 1, 6, 6]), { kind: 'max', kernel: 3, stride: 2, ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
    expect(ops.pool2d(T([1, 1, 6, 6]), { kind: 'max', kernel: 3, stride: 2 }).shape).toEqual([1, 1, 2, 2]);
    expect(ops.pool2d(T([1, 1, 5, 5]), { kind: 'max', kernel: 2, stride: 2, padding: [0, 1, 0, 1] }).shape).toEqual([1, 1, 3, 3]);
  });
  test('errors', () => {
    expect(() => ops.pool2d(T([3, 7, 7]), { kind: 'max', kernel: 2 })).toThrow('pool2d: expected 4-D input for x, got [3, 7, 7]');
    expect(() => ops.pool2d(T([1, 3, 7, 7]), { kind: 'min' as 'max', kernel: 2 })).toThrow("pool2d: expected 'max' or 'avg' for kind, got 'min'");
    expect(() => ops.pool2d(T([1, 3, 7, 7]), { kind: 'max' })).toThrow('pool2d: expected a kernel size (or global: true) for kernel, got undefined');
    expect(() => ops.pool2d(T([1, 3, 7, 7]), { kind: 'max', kernel: 2, padding: 2 })).toThrow('pool2d: expected each padding smaller than the kernel 2x2 for padding, got [2, 2, 2, 2]');
    expect(() => ops.pool2d(T([1, 3, 2, 2]), { kind: 'max', kernel: 3 })).toThrow('pool2d: expected an output of at least 1x1');
    expect(() => ops.pool2dBackward(T([1, 3, 6, 6]), T([1, 3, 2, 2]), { kind: 'avg', kernel: 2, stride: 2 })).toThrow('pool2dBackward: expected shape [1, 3, 3, 3] for dy, got [1, 3, 2, 2]');
    expect(ops.pool2dBackward(T([1, 3, 6, 6]), T([1, 3, 3, 3]), { kind: 'avg', kernel: 2, stride: 2 }).shape).toEqual([1, 3, 6, 6]);
  });
});

describe('upsample', () => {
  test('shapes from scale or size', () => {
    expect(ops.upsample(T([1, 2, 3, 4]), { mode: 'nearest', scale: 2 }).shape).toEqual([1, 2, 6, 8]);
    expect(ops.upsample(T([1, 2, 3, 4]), { mode: 'bilinear', scale: [1.5, 0.5] }).shape).toEqual([1, 2, 4, 2]);
    expect(ops.upsample(T([1, 2, 3, 4]), { mode: 'bilinear', size: [5, 7], alignCorners: true }).shape).toEqual([1, 2, 5, 7]);
    expect(ops.upsampleBackward(T([1, 2, 6, 8]), [1, 2, 3, 4], { mode: 'nearest', scale: 2 }).shape).toEqual([1, 2, 3, 4]);
  });
  test('errors', () => {
    const x = T([1, 2, 3, 4]);
    expect(() => ops.upsample(x, { mode: 'cubic' as 'nearest', scale: 2 })).toThrow("upsample: expected 'nearest' or 'bilinear' for mode, got 'cubic'");
    expect(() => ops.upsample(x, { mode: 'nearest' })).toThrow('upsample: expected exactly one of scale and size for attrs');
    expect(() => ops.upsample(x, { mode: 'nearest', scale: 2, size: [6, 8] })).toThrow('upsample: expected exactly one of scale and size for attrs');
    expect(() => ops.upsample(x, { mode: 'nearest', scale: -1 })).toThrow('upsample: expected a positive number or a pair [sh, sw] of them for scale, got -1');
    expect(() => ops.upsample(x, { mode: 'nearest', scale: 0.1 })).toThrow('upsample: expected a scale giving an output of at least 1x1 for input [1, 2, 3, 4] for scale, got 0.1, which gives 0x0');
    expect(() => ops.upsample(x, { mode: 'nearest', size: [0, 3] })).toThrow('upsample: expected a pair [OH, OW] of positive integers for size, got [0, 3]');
    expect(() => ops.upsample(x, { mode: 'nearest', scale: 2, alignCorners: 1 as unknown as boolean })).toThrow('upsample: expected');
    expect(() => ops.upsampleBackward(T([1, 2, 6, 7]), [1, 2, 3, 4], { mode: 'nearest', scale: 2 })).toThrow('upsampleBackward: expected shape [1, 2, 6, 8] for dy, got [1, 2, 6, 7]');
  });
});

describe('binary ops', () => {
  test('same shape, per channel and scalar broadcasting', () => {
    const a = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2], ref);
    expect(Array.from(ops.add(a, a).toArray())).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
    expect(Array.from(ops.sub(a, Tensor.from([1, 2], [2], ref)).toArray())).toEqual([0, 1, 2, 3, 3, 4, 5, 6]);
    expect(Array.from(ops.mul(a, Tensor.from([1, 2], [1, 2, 1, 1], ref)).toArray())).toEqual([1, 2, 3, 4, 10, 12, 14, 16]);
    expect(Array.from(ops.mul(a, Tensor.from([3], [1], ref)).toArray())).toEqual([3, 6, 9, 12, 15, 18, 21, 24]);
    expect(Array.from(ops.add(Tensor.from([1, 2, 3, 4], [2, 2], ref), Tensor.from([10, 20], [2], ref)).toArray())).toEqual([11, 22, 13, 24]);
    expect(Array.from(ops.scale(a, 0.5).toArray())).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]);
  });
  test('gradients of a broadcast b are reduced to b', () => {
    const a = T([2, 3, 2, 2]);
    const b = T([3]);
    const dy = Tensor.full([2, 3, 2, 2], 1, ref);
    const g = ops.binaryBackward(a, b, dy, 'add');
    expect(Array.from(g.db!.toArray())).toEqual([8, 8, 8]);
    expect(g.da!.shape).toEqual([2, 3, 2, 2]);
    expect(ops.binaryBackward(a, b, dy, 'mul', { a: false }).da).toBeNull();
  });
  test('errors', () => {
    expect(() => ops.add(T([2, 3, 4, 4]), T([4]))).toThrow('add: expected the shape of a [2, 3, 4, 4], per channel [3] or [1, 3, 1, 1], or [1] for b, got [4]');
    expect(() => ops.mul(T([5]), T([2]))).toThrow('mul: expected the shape of a [5], or [1] for b, got [2]');
    expect(() => ops.sub(T([2, 3]), T([2, 3], other))).toThrow('sub: expected the backend of a (reference) for b, got a tensor on other');
    expect(() => ops.binaryBackward(T([2]), T([2]), T([2]), 'div' as ops.BinaryOp)).toThrow("binaryBackward: expected one of add, sub, mul for kind, got 'div'");
    expect(() => ops.binaryBackward(T([2]), T([2]), T([3]), 'add')).toThrow('binaryBackward: expected shape [2] for dy, got [3]');
  });
});

describe('reductions, softmax, losses, optimiser', () => {
  test('reduceSum over axes and mean', () => {
    const x = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2], ref);
    expect(Array.from(ops.reduceSum(x, 1).toArray())).toEqual([9, 12, 27, 30]);
    expect(ops.reduceSum(x, 1).shape).toEqual([2, 2]);
    expect(Array.from(ops.reduceSum(x, [0, 2]).toArray())).toEqual([1 + 2 + 7 + 8, 3 + 4 + 9 + 10, 5 + 6 + 11 + 12]);
    expect(ops.reduceSum(x, [0, 2], true).shape).toEqual([1, 3, 1]);
    expect(Array.from(ops.reduceSum(x).toArray())).toEqual([78]);
    expect(ops.reduceSum(x).shape).toEqual([1]);
    expect(Array.from(ops.reduceSum(x, [1, 2]).toArray())).toEqual([21, 57]);
    expect(Array.from(ops.mean(x).toArray())).toEqual([6.5]);
    expect(() => ops.reduceSum(x, [1, 1])).toThrow('reduceSum: expected distinct axes for axes, got [1, 1]');
    expect(() => ops.reduceSum(x, [4])).toThrow('reduceSum: expected an integer axis in [-3, 3) for axes[0], got 4');
  });
  test('softmax along an axis', () => {
    const y = ops.softmax(Tensor.from([0, 0, 1, 1], [2, 2], ref), 0);
    expect(Array.from(y.toArray())).toEqual([expect.closeTo(0.2689414, 6), expect.closeTo(0.2689414, 6), expect.closeTo(0.7310586, 6), expect.closeTo(0.7310586, 6)]);
    expect(() => ops.softmax(T([2, 2]), 2)).toThrow('softmax: expected an integer axis in [-2, 2) for axis, got 2');
    expect(() => ops.softmaxBackward(T([2, 2]), T([2, 3]))).toThrow('softmaxBackward: expected shape [2, 2] for dy, got [2, 3]');
  });
  test('sigmoid cross entropy, axpy, sgd', () => {
    const loss = ops.sigmoidBce(Tensor.from([0], [1], ref), Tensor.from([1], [1], ref));
    expect(loss.toArray()[0]).toBeCloseTo(Math.log(2), 12);
    expect(() => ops.sigmoidBce(T([3]), T([2]))).toThrow('sigmoidBce: expected shape [3] for label, got [2]');
    expect(() => ops.sigmoidBceBackward(T([3]), T([3]), T([1]))).toThrow('sigmoidBceBackward: expected shape [3] for dloss, got [1]');
    const y = Tensor.full([3], 1, ref);
    ops.axpy(Tensor.full([3], 2, ref), y, 0.5);
    expect(Array.from(y.toArray())).toEqual([2, 2, 2]);
    expect(() => ops.axpy(T([3]), T([4]))).toThrow('axpy: expected 3 elements (as x) for y');
    const p = Tensor.full([2], 1, ref);
    const v = Tensor.zeros([2], ref);
    ops.sgdMomentum(p, Tensor.full([2], 1, ref), v, { lr: 0.1, momentum: 0.9, l2: 0.5 });
    // v = 0.9*0 + (1 + 0.5*1) = 1.5; p = 1 - 0.1*1.5
    expect(Array.from(v.toArray())).toEqual([1.5, 1.5]);
    expect(Array.from(p.toArray())).toEqual([expect.closeTo(0.85, 12), expect.closeTo(0.85, 12)]);
    expect(() => ops.sgdMomentum(p, T([3]), v, { lr: 0.1 })).toThrow('sgdMomentum: expected shape [2] for grad, got [3]');
    expect(() => ops.sgdMomentum(p, p, v, {} as ops.SgdAttrs)).toThrow('sgdMomentum: expected a finite number for lr, got undefined');
    expect(ops.zerosLike(p).toArray()).toEqual(new Float64Array(2));
    expect(Array.from(ops.fullLike(p, 3).toArray())).toEqual([3, 3]);
  });
});

describe('backend support', () => {
  // the fallback is whichever other backend is available; keep it to the reference here so the
  // test does not depend on which native or WASM builds are lying around
  const keep = process.env.SLIMPRUNE_ADDON;
  beforeAll(() => { process.env.SLIMPRUNE_ADDON = '/nonexistent/slimprune.node'; });
  afterAll(() => { if (keep === undefined) delete process.env.SLIMPRUNE_ADDON; else process.env.SLIMPRUNE_ADDON = keep; });
  test('a kernel the backend does not support runs on another one and the result comes back', () => {
    const partial: Backend<any> = { ...ref, name: 'partial', supports: (k) => k !== 'conv2d_forward', kernels: { ...ref.kernels, conv2d_forward: () => { throw new Error('must not be called'); } } };
    const x = T([1, 2, 5, 5]);
    const w = T([3, 2, 3, 3]);
    const want = ops.conv2d(x, w, null, { padding: 1 }).toArray();
    const y = ops.conv2d(x.to(partial), w.to(partial), null, { padding: 1 });
    expect(y.backend).toBe(partial);
    // it may have run on a float32 backend
    y.toArray().forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
  });
});
