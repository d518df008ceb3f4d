/**
 * Runs one kernel call on a backend and on the float64 reference with the same inputs and
 * compares every buffer the kernel writes. Inputs are seeded random numbers rounded to float32
 * first, so both sides see identical values; output and in-out buffers start random too, so an
 * "overwritten" output that the kernel forgets to write shows up as a mismatch.
 */
import type { Backend } from '../../src/backend/backend';
import { KERNELS, type KernelName } from '../../src/backend/kernels';
import { referenceKernels } from '../../src/backend/reference';
import { expectClose, type Tolerance } from './allclose';
import { randomArray } from './rng';
// Bound once: global lookups are slow inside vm contexts (the test environment).
const { floor } = Math;

export interface KernelCase {
  kernel: KernelName;
  p: number[];
  floats?: number[];
  /** the index buffer, for gather_axis / scatter_add_axis */
  idx?: number[];
  /** optional buffers passed as null */
  omit?: string[];
  /** input range [lo, hi) per buffer name (default [-1, 1); variances are positive) */
  range?: Record<string, [number, number]>;
  tol?: Tolerance;
}

const POSITIVE = new Set(['var', 'running_var', 'saved_invstd']);

/** A readable one-line name for a case. */
export function caseName(c: KernelCase): string {
  const extra = [c.floats?.length ? `f=${c.floats.join(',')}` : '', c.omit?.length ? `no ${c.omit.join(',')}` : ''].filter(Boolean);
  return `${c.kernel} p=[${c.p.join(',')}]${extra.length ? ' ' + extra.join(' ') : ''}`;
}

/** The inputs of a case, as float32-representable float64 arrays (null for omitted buffers). */
export function caseInputs(c: KernelCase, seed: number): Array<Float64Array | Int32Array | null> {
  const spec = KERNELS[c.kernel];
  const sizes = spec.sizes(c.p);
  return spec.bufs.map((b, i) => {
    if (c.omit?.includes(b.name)) return null;
    if ('i32' in b && b.i32) return Int32Array.from(c.idx ?? []);
    const [lo, hi] = c.range?.[b.name] ?? (POSITIVE.has(b.name) ? [0.25, 2] : [-1, 1]);
    return Float64Array.from(Float32Array.from(randomArray(sizes[i], seed * 31 + i, lo, hi)));
  });
}

/** Runs the case on `backend` and on the reference; throws when a written buffer differs. */
export function checkKernel<S>(backend: Backend<S>, c: KernelCase, seed = 1): void {
  const spec = KERNELS[c.kernel];
  const inputs = caseInputs(c, seed);
  const floats = c.floats ?? [];
  const ref = inputs.map((a) => (a instanceof Float64Array ? a.slice() : a));
  (referenceKernels[c.kernel] as unknown as (...a: unknown[]) => void)(...ref, c.p, ...floats);
  const st = inputs.map((a) => (a instanceof Float64Array ? backend.fromArray(a) : a));
  try {
    (backend.kernels[c.kernel] as (...a: unknown[]) => void)(...st, Int32Array.from(c.p), ...floats);
    spec.bufs.forEach((b, i) => {
      if (b.role === 'in' || !(inputs[i] instanceof Float64Array)) return;
      const n = (inputs[i] as Float64Array).length;
      const got = backend.read(st[i] as S, n);
      expectClose(got, ref[i] as Float64Array, c.tol ?? { rtol: 1e-4, atol: 1e-5 }, `${backend.name} ${caseName(c)}: ${b.name}`);
    });
  } finally {
    for (const s of st) if (s !== null && !(s instanceof Int32Array)) backend.free(s as S);
  }
}

const pool = (N: number, C: number, H: number, W: number, K: number, S: number, P: number, kind: number, excl: number, ceil = false) => {
  const o = (n: number) => floor((n + 2 * P - K + (ceil ? S - 1 : 0)) / S) + 1;
  return [N, C, H, W, o(H), o(W), K, K, S, S, P, P, kind, excl];
};

/**
 * Small cases for every kernel except gemm and the convolutions, around vector widths
 * (1, 3, 4, 5, 8, 17 elements), odd spatial sizes, padding, stride 2 and every enum value.
 */
export const MISC_CASES: KernelCase[] = [
  { kernel: 'batch_norm_train_forward', p: [3, 5, 17], floats: [1e-5, 0.9] },
  { kernel: 'batch_norm_train_forward', p: [1, 1, 1], floats: [1e-3, 0.1] },
  { kernel: 'batch_norm_train_forward', p: [2, 8, 49], floats: [1e-5, 0.99] },
  { kernel: 'batch_norm_infer_forward', p: [2, 4, 9], floats: [1e-5] },
  { kernel: 'batch_norm_backward', p: [2, 5, 13] },
  { kernel: 'batch_norm_backward', p: [4, 3, 1] },
  { kernel: 'affine_channel_forward', p: [2, 3, 17] },
  { kernel: 'affine_channel_backward', p: [2, 3, 17] },
  { kernel: 'affine_channel_backward', p: [3, 4, 5], omit: ['dx'] },
  { kernel: 'affine_channel_backward', p: [3, 4, 5], omit: ['dscale', 'dbias'] },
  { kernel: 'bn_fold', p: [5, 27], floats: [1e-5] },
  { kernel: 'bn_fold', p: [3, 1], floats: [1e-3], omit: ['b'] },
  { kernel: 'gather_axis', p: [2, 6, 5, 4], idx: [5, 0, 3, 3] },
  { kernel: 'gather_axis', p: [1, 4, 1, 1], idx: [2] },
  { kernel: 'scatter_add_axis', p: [2, 6, 5, 4], idx: [5, 0, 3, 3] },
  { kernel: 'scatter_add_axis', p: [3, 2, 1, 3], idx: [1, 1, 1] },
  ...[0, 1, 2, 3, 4, 5].flatMap((kind): KernelCase[] => [
    { kernel: 'activation_forward', p: [37, kind], floats: [kind === 5 ? 0.2 : 0.1], range: { x: [-8, 8] } },
    { kernel: 'activation_backward', p: [37, kind], floats: [kind === 5 ? 0.2 : 0.1], range: { x: [-8, 8], y: [0, 1] } },
  ]),
  ...[0, 1].flatMap((kind) => [0, 1].flatMap((excl): KernelCase[] => [
    { kernel: 'pool2d_forward', p: pool(2, 3, 7, 9, 3, 2, 1, kind, excl) },
    { kernel: 'pool2d_backward', p: pool(2, 3, 7, 9, 3, 2, 1, kind, excl) },
    { kernel: 'pool2d_forward', p: pool(1, 2, 5, 5, 2, 2, 0, kind, excl, true) },
    { kernel: 'pool2d_backward', p: pool(1, 2, 5, 5, 2, 2, 0, kind, excl, true) },
    { kernel: 'pool2d_forward', p: pool(1, 1, 6, 6, 5, 1, 2, kind, excl) },
    { kernel: 'pool2d_backward', p: pool(1, 1, 6, 6, 5, 1, 2, kind, excl) },
  ])),
  ...[[0, 0], [1, 0], [1, 1]].flatMap(([mode, align]): KernelCase[] => [
    { kernel: 'upsample_forward', p: [2, 3, 4, 5, 8, 10, mode, align] },
    { kernel: 'upsample_backward', p: [2, 3, 4, 5, 8, 10, mode, align] },
    { kernel: 'upsample_forward', p: [1, 2, 5, 3, 7, 4, mode, align] },
    { kernel: 'upsample_backward', p: [1, 2, 5, 3, 7, 4, mode, align] },
    { kernel: 'upsample_forward', p: [1, 1, 6, 6, 3, 1, mode, align] },
    { kernel: 'upsample_backward', p: [1, 1, 6, 6, 3, 1, mode, align] },
  ]),
  ...[0, 1, 2].flatMap((op) => [0, 1, 2].flatMap((bmode): KernelCase[] => [
    { kernel: 'binary_forward', p: [2, 3, 5, op, bmode] },
    { kernel: 'binary_backward', p: [2, 3, 5, op, bmode] },
  ])),
  { kernel: 'binary_backward', p: [3, 4, 1, 2, 1], omit: ['da'] },
  { kernel: 'binary_backward', p: [3, 4, 1, 0, 2], omit: ['db'] },
  { kernel: 'channel_copy', p: [2, 5, 1, 8, 3, 3, 7, 0] },
  { kernel: 'channel_copy', p: [3, 4, 0, 4, 0, 4, 1, 1] },
  { kernel: 'sgd_momentum', p: [33], floats: [0.01, 0.9, 5e-4] },
  { kernel: 'reduce_sum', p: [3, 7, 5] },
  { kernel: 'reduce_sum', p: [4, 9, 1] },
  { kernel: 'reduce_sum', p: [1, 5, 17] },
  { kernel: 'softmax_forward', p: [3, 7, 1], range: { x: [-20, 20] } },
  { kernel: 'softmax_forward', p: [2, 5, 9] },
  { kernel: 'softmax_backward', p: [3, 7, 1], range: { y: [0, 1] } },
  { kernel: 'softmax_backward', p: [2, 5, 9], range: { y: [0, 1] } },
  { kernel: 'sigmoid_bce_forward', p: [29], range: { x: [-30, 30], label: [0, 1] } },
  { kernel: 'sigmoid_bce_backward', p: [29], range: { x: [-30, 30], label: [0, 1] } },
  { kernel: 'axpy', p: [19], floats: [-0.5] },
];
