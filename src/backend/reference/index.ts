/**
 * The float64 reference backend: every kernel of the contract (src/backend/kernels.ts) as plain
 * TypeScript loops over Float64Arrays. It is the oracle the other backends are tested against
 * and the backend of last resort, so it favours being obviously right over being fast. Kernels
 * live one family per file (forward and backward side by side), named after the kernel.
 */
import type { Availability, Backend, KernelFn } from '../backend';
import type { KernelName } from '../kernels';
import { activation_backward, activation_forward } from './activation';
import { affine_channel_backward, affine_channel_forward } from './affine_channel';
import { axpy } from './axpy';
import { batch_norm_backward, batch_norm_infer_forward, batch_norm_train_forward } from './batch_norm';
import { binary_backward, binary_forward } from './binary';
import { bn_fold } from './bn_fold';
import { channel_copy } from './channel_copy';
import { conv2d_backward_filter, conv2d_backward_input, conv2d_forward } from './conv2d';
import { batch_norm_act_backward, batch_norm_act_train_forward, conv2d_act_forward, dwpw_act_forward } from './fused';
import { gather_axis, scatter_add_axis } from './gather_axis';
import { gemm } from './gemm';
import { pool2d_backward, pool2d_forward } from './pool2d';
import { reduce_sum } from './reduce_sum';
import { roi_align_backward, roi_align_forward } from './roi_align';
import { sgd_momentum } from './sgd_momentum';
import { sigmoid_bce_backward, sigmoid_bce_forward } from './sigmoid_bce';
import { softmax_backward, softmax_forward } from './softmax';
import { upsample_backward, upsample_forward } from './upsample';

/** The kernels with their precise signatures; `satisfies` makes a missing or unknown name a compile error. */
export const referenceKernels = {
  gemm,
  conv2d_forward,
  conv2d_backward_input,
  conv2d_backward_filter,
  batch_norm_train_forward,
  batch_norm_infer_forward,
  batch_norm_backward,
  affine_channel_forward,
  affine_channel_backward,
  bn_fold,
  gather_axis,
  scatter_add_axis,
  activation_forward,
  activation_backward,
  pool2d_forward,
  pool2d_backward,
  upsample_forward,
  upsample_backward,
  binary_forward,
  binary_backward,
  channel_copy,
  sgd_momentum,
  reduce_sum,
  softmax_forward,
  softmax_backward,
  sigmoid_bce_forward,
  sigmoid_bce_backward,
  axpy,
  roi_align_forward,
  roi_align_backward,
  conv2d_act_forward,
  dwpw_act_forward,
  batch_norm_act_train_forward,
  batch_norm_act_backward,
} satisfies Record<KernelName, (...args: never[]) => void>;

export const referenceBackend: Backend<Float64Array> = {
  name: 'reference',
  precision: 'float64',
  available: (): Availability => ({ ok: true }),
  supports: () => true,
  alloc: (n) => new Float64Array(n),
  fromArray: (d) => (ArrayBuffer.isView(d) ? new Float64Array(d as unknown as ArrayLike<number>) : Float64Array.from(d)),
  read: (s, n) => s.slice(0, n),
  write: (s, d) => s.set(d),
  fill: (s, n, v) => void s.fill(v, 0, n),
  free: () => undefined,
  kernels: referenceKernels as unknown as Record<KernelName, KernelFn<Float64Array>>,
};
