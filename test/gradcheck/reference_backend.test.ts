// The reference backend object: found by the loader, implements every kernel of the contract
// with its flat signature (buffers, p, floats), and on buffers of exactly the contract's sizes
// writes every element of each overwritten output without reading past any input.
import { backendByName, listBackends } from '../../src/backend/loader';
import { KERNEL_NAMES, kernelSpec, type KernelName } from '../../src/backend/kernels';
import { referenceBackend } from '../../src/backend/reference';
import { randomArray, randomInts } from '../util/rng';

/** A valid geometry and float attributes for every kernel (small, odd sizes, padding, groups). */
const SAMPLES: Record<KernelName, { p: number[]; floats: number[] }> = {
  gemm: { p: [1, 0, 3, 5, 4, 0], floats: [1] },
  conv2d_forward: { p: [2, 4, 5, 6, 6, 3, 2, 3, 4, 2, 2, 1, 0, 1, 1, 2], floats: [] },
  conv2d_backward_input: { p: [2, 4, 5, 6, 6, 3, 2, 3, 4, 2, 2, 1, 0, 1, 1, 2], floats: [] },
  conv2d_backward_filter: { p: [2, 4, 5, 6, 6, 3, 2, 3, 4, 2, 2, 1, 0, 1, 1, 2], floats: [] },
  batch_norm_train_forward: { p: [2, 3, 5], floats: [1e-5, 0.9] },
  batch_norm_infer_forward: { p: [2, 3, 5], floats: [1e-5] },
  batch_norm_backward: { p: [2, 3, 5], floats: [] },
  affine_channel_forward: { p: [2, 3, 5], floats: [] },
  affine_channel_backward: { p: [2, 3, 5], floats: [] },
  bn_fold: { p: [3, 7], floats: [1e-5] },
  gather_axis: { p: [2, 5, 3, 4], floats: [] },
  scatter_add_axis: { p: [2, 5, 3, 4], floats: [] },
  activation_forward: { p: [11, 4], floats: [0.2] },
  activation_backward: { p: [11, 3], floats: [0.2] },
  pool2d_forward: { p: [2, 3, 5, 5, 3, 3, 3, 3, 2, 2, 1, 1, 0, 0], floats: [] },
  pool2d_backward: { p: [2, 3, 5, 5, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1], floats: [] },
  upsample_forward: { p: [2, 3, 3, 4, 5, 7, 1, 0], floats: [] },
  upsample_backward: { p: [2, 3, 3, 4, 5, 7, 1, 1], floats: [] },
  binary_forward: { p: [2, 3, 4, 2, 1], floats: [] },
  binary_backward: { p: [2, 3, 4, 2, 0], floats: [] },
  channel_copy: { p: [2, 3, 1, 5, 2, 2, 4, 0], floats: [] },
  sgd_momentum: { p: [9], floats: [0.1, 0.9, 1e-4] },
  reduce_sum: { p: [2, 5, 3], floats: [] },
  softmax_forward: { p: [2, 5, 3], floats: [] },
  softmax_backward: { p: [2, 5, 3], floats: [] },
  sigmoid_bce_forward: { p: [9], floats: [] },
  sigmoid_bce_backward: { p: [9], floats: [] },
  axpy: { p: [9], floats: [0.5] },
  conv2d_act_forward: { p: [2, 4, 5, 6, 6, 3, 2, 3, 4, 2, 2, 1, 0, 1, 1, 2, 1], floats: [0.1] },
  dwpw_act_forward: { p: [2, 4, 5, 6, 4, 3, 2, 3, 4, 2, 2, 1, 0, 1, 1, 4, 1, 3, 0], floats: [0.1, 0] },
  batch_norm_act_train_forward: { p: [2, 3, 5, 2], floats: [1e-5, 0.9, 0] },
  batch_norm_act_backward: { p: [2, 3, 5, 0], floats: [0] },
  // batch indices are drawn in [0, p[1]): C = 2 keeps them below N = 3
  roi_align_forward: { p: [3, 2, 5, 6, 4, 3, 2, 0], floats: [0.5] },
  roi_align_backward: { p: [3, 2, 5, 6, 4, 2, 3, 2], floats: [0.5] },
};

describe('reference backend object', () => {
  test('the loader finds it and it is available', () => {
    expect(backendByName('reference')).toBe(referenceBackend);
    expect(listBackends().find((b) => b.name === 'reference')).toEqual({ name: 'reference', available: true, reason: undefined });
    expect(referenceBackend.precision).toBe('float64');
    expect(referenceBackend.supports('conv2d_forward')).toBe(true);
  });

  test('storage round trip', () => {
    const b = referenceBackend;
    const s = b.alloc(4);
    expect(s).toBeInstanceOf(Float64Array);
    b.fill(s, 4, 2);
    b.write(s, [1, 0.1]);
    expect(Array.from(b.read(s, 3))).toEqual([1, 0.1, 2]);
    expect(Array.from(b.read(b.fromArray([5, 6]), 2))).toEqual([5, 6]);
  });

  test.each(KERNEL_NAMES)('%s: flat signature of the contract', (k) => {
    const spec = kernelSpec(k);
    expect(typeof referenceBackend.kernels[k]).toBe('function');
    expect(referenceBackend.kernels[k].length).toBe(spec.bufs.length + 1 + spec.floats.length);
    expect(SAMPLES[k].p.length).toBe(spec.params.length);
    expect(SAMPLES[k].floats.length).toBe(spec.floats.length);
  });

  test.each(KERNEL_NAMES)('%s: exact-size buffers, outputs fully written, nothing read out of range', (k) => {
    const spec = kernelSpec(k);
    const { p, floats } = SAMPLES[k];
    const sizes = spec.sizes(p);
    const bufs = spec.bufs.map((bs, i) => {
      if (bs.i32) return randomInts(sizes[i], p[1], 7 + i); // index buffers: entries in [0, axis)
      if (bs.role === 'out') return new Float64Array(sizes[i]).fill(NaN);
      // inputs in [0.1, 1): valid as variances, scales and labels; distinct enough for max pooling
      return randomArray(sizes[i], 17 + i, 0.1, 1);
    });
    referenceBackend.kernels[k](...bufs, Int32Array.from(p), ...floats);
    spec.bufs.forEach((bs, i) => {
      if (bs.role === 'in') return;
      const out = bufs[i] as Float64Array;
      const bad = out.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new Error(`${k}: ${bs.name}[${bad}] = ${out[bad]} (not written, or computed from an out-of-range read)`);
    });
  });
});
