// The native CPU kernels other than gemm and the convolutions, on small shapes, against the
// float64 reference (the full parity suite covers more shapes; this file keeps the native
// build honest on its own).
import { loadAddon, nativeBackend, nativeLoadError } from '../../src/backend/native';
import { caseName, checkKernel, MISC_CASES } from '../util/kernel_check';

const addon = loadAddon();
if (!addon) console.log(`skipping native kernel checks: ${nativeLoadError()}`);
const d = addon ? describe : describe.skip;

d('native kernels (non-conv) against the reference', () => {
  test.each(MISC_CASES.map((c) => [caseName(c), c] as const))('%s', (_name, c) => {
    checkKernel(nativeBackend, c);
  });

  test('a kernel writes only through the typed array view it is given (byteOffset honoured)', () => {
    const buf = new Float32Array(16).fill(-7);
    const y = buf.subarray(4, 10);
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    addon!.kernels.gather_axis(x, Int32Array.from([2, 0]), y, [3, 3, 1, 2]);
    expect(Array.from(buf)).toEqual([-7, -7, -7, -7, 3, 1, 6, 4, 9, 7, -7, -7, -7, -7, -7, -7]);
  });

  test('max pooling sends the gradient to the first of equal maxima only', () => {
    const x = Float32Array.from([1, 1, 1, 1]);
    const dx = new Float32Array(4);
    addon!.kernels.pool2d_backward(x, Float32Array.from([2]), dx, [1, 1, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0]);
    expect(Array.from(dx)).toEqual([2, 0, 0, 0]);
  });

  test('running statistics follow Paddle: running * momentum + batch * (1 - momentum), biased variance', () => {
    const x = Float32Array.from([1, 3]); // mean 2, biased var 1
    const one = () => Float32Array.from([1]);
    const rm = Float32Array.from([10]), rv = Float32Array.from([10]);
    addon!.kernels.batch_norm_train_forward(x, one(), new Float32Array(1), new Float32Array(2), new Float32Array(1), new Float32Array(1), rm, rv, [1, 1, 2], 0, 0.9);
    expect(rm[0]).toBeCloseTo(10 * 0.9 + 2 * 0.1, 5);
    expect(rv[0]).toBeCloseTo(10 * 0.9 + 1 * 0.1, 5);
  });
});
