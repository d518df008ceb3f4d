/**
 * The expected IEEE-754 behaviour of every kernel, written down once, and the comparison that
 * holds the float32 backends to it (used by fuzz.test.ts).
 *
 * Rules for all kernels:
 * - The oracle is the float64 reference run on the same float32 inputs; float attributes are
 *   float32 values too. NaN, +-Inf, denormals and -0 behave in float64 as in float32, so:
 * - NaN: an output is NaN exactly where the reference's is. Every kernel propagates NaN through
 *   arithmetic; the choices a kernel makes beyond that (relu(NaN) = NaN, a NaN tap wins a max
 *   pool) are stated per kernel below and are what the reference does.
 * - Infinity: where the reference (rounded to float32) is +-Inf the backend gives the same
 *   infinity, and nowhere else. Inf - Inf and 0 * Inf are NaN as IEEE says, wherever the
 *   maths evaluates them; terms the maths never forms (padding taps, the old C of a gemm without
 *   accumulate, the unused side of a relu) never turn an output into NaN.
 * - Denormals are not flushed to zero: data-movement kernels return them bit for bit.
 * - The sign of a zero result is not part of the contract (-0 and +0 compare equal).
 * - Huge magnitudes: inputs go up to `huge` per kernel, 1e30 where outputs are sums of inputs,
 *   less where the maths squares or multiplies two inputs, so that no exact result leaves the
 *   float32 range (a float32 intermediate overflowing where float64 does not is outside the
 *   contract: no float32 backend can represent it).
 * - Batch-norm kernels (`nonFinite: 'class'`): an output is non-finite exactly where the
 *   reference's is, but which of NaN, +Inf, -Inf it is may differ, since it depends on how the
 *   backend groups its sums and folds (x - mean) * a into x * a - mean * a.
 * - Finite results are compared by `tol`: 'exact' (equal to the reference rounded to float32),
 *   'elementwise' (relative to the value), 'sum' (relative to the same sum over |terms|, which
 *   the reference computes on |inputs|, so cancellation of large terms is judged fairly) or
 *   'stat' (relative to the largest finite value of the buffer: statistics such as batch norm,
 *   whose float32 accumulation error scales with the data, not with each output).
 */
import type { KernelName } from '../../src/backend/kernels';

export type TolKind = 'exact' | 'elementwise' | 'sum' | 'stat';

export interface IeeeContract {
  /** how finite outputs are compared, by geometry when it depends on it */
  tol: TolKind | ((p: readonly number[]) => TolKind);
  /** largest magnitude among the special values fed to the kernel */
  huge: number;
  /** for tol 'sum': the input buffers replaced by their absolute values in the bound run (default all float inputs) */
  absBufs?: string[];
  /** 'class': NaN and +-Inf are interchangeable (see the header); default: they must match */
  nonFinite?: 'class';
  /** the kernel's IEEE behaviour beyond the general rules, in words */
  rules: string;
}

const SUM = 1e30;
const PRODUCT = 1e15;
/** three factors: x * wd * wp (dwpw_act_forward) */
const TRIPLE = 1e11;
/** batch norm multiplies up to five inputs (scale, invstd, dy, x - mean, invstd again) */
const STATS = 1e4;

export const IEEE: Record<KernelName, IeeeContract> = {
  gemm: { tol: 'sum', huge: PRODUCT, rules: 'C = alpha*op(A)op(B) (+ C when accumulate); without accumulate the old C is never read, so a NaN or Inf there does not reach the result; alpha = 0 still forms 0 * A*B (an Inf in A*B gives NaN).' },
  conv2d_forward: { tol: 'sum', huge: PRODUCT, rules: 'Sums over in-bounds taps; an Inf tap against a zero weight is NaN. Where a padding tap faces an Inf or NaN weight, the output is either the in-bounds sum (the reference, direct depthwise loops) or NaN (im2col multiplies the padding zero): both allowed (conv_padding.ts).' },
  conv2d_backward_input: { tol: 'sum', huge: PRODUCT, rules: 'dx sums dy*w over the outputs each input tap reaches; a tap no output reaches (stride > kernel) gets 0, or NaN when its weight is Inf or NaN and the backend multiplies a zero-extended dy (allowed, conv_padding.ts).' },
  conv2d_backward_filter: { tol: 'sum', huge: PRODUCT, rules: 'dw sums x*dy over in-bounds taps, or NaN where a padding tap meets an Inf or NaN dy in a backend that multiplies the padding zero (allowed); db sums dy.' },
  batch_norm_train_forward: { tol: 'stat', huge: STATS, nonFinite: 'class', rules: 'A NaN or Inf anywhere in a channel makes its mean or variance NaN/Inf and so its whole output NaN (Inf - Inf in x - mean); running statistics follow the same values.' },
  batch_norm_infer_forward: { tol: 'stat', huge: STATS, nonFinite: 'class', rules: 'Elementwise with given statistics: (x - mean) / sqrt(var + eps) * scale + bias; var + eps < 0 gives NaN.' },
  batch_norm_backward: { tol: 'stat', huge: STATS, nonFinite: 'class', rules: 'Channel sums of dy and dy*xhat; a NaN/Inf in a channel poisons that channel only.' },
  affine_channel_forward: { tol: 'sum', huge: PRODUCT, rules: 'x*scale + bias, per element.' },
  affine_channel_backward: { tol: 'sum', huge: PRODUCT, rules: 'dx = dy*scale; dscale, dbias are channel sums.' },
  bn_fold: { tol: 'stat', huge: STATS, nonFinite: 'class', rules: 'f = scale/sqrt(var + eps): var + eps <= 0 gives Inf or NaN factors, which reach every weight of the channel.' },
  gather_axis: { tol: 'exact', huge: SUM, rules: 'Pure data movement: values, NaN payload aside, denormals and infinities come out bit for bit.' },
  scatter_add_axis: { tol: 'sum', huge: SUM, rules: 'Adds in idx order; repeated indices sum (Inf + -Inf = NaN).' },
  activation_forward: {
    tol: (p) => (p[1] <= 2 ? 'exact' : 'elementwise'),
    huge: SUM,
    rules: 'NaN in, NaN out for every kind (relu(NaN) = relu6(NaN) = hardsigmoid(NaN) = sigmoid(NaN) = NaN, never 0 or 1, so a diverging model is not hidden). relu(+Inf) = +Inf, relu(-Inf) = 0, relu6(+-Inf) = 6 / 0, sigmoid(+Inf) = 1, sigmoid(-Inf) = 0, hardswish(+Inf) = +Inf, hardswish(-Inf) = NaN (-Inf * 0, as the formula forms it), hardsigmoid(+-Inf) = 1 / 0 (alpha > 0). relu, leaky_relu and relu6 are exact (one rounding at most).',
  },
  activation_backward: { tol: 'elementwise', huge: SUM, rules: "relu, relu6, hardsigmoid select: where the derivative is 0, or x is NaN (every comparison false), dx = 0 whatever dy is, so a NaN or Inf gradient does not leak through an inactive unit. leaky_relu: x > 0 ? dy : alpha*dy (NaN x takes alpha*dy). sigmoid: dy*y*(1-y). hardswish: dy * d(x), d(NaN) = NaN." },
  pool2d_forward: {
    tol: (p) => (p[12] === 0 ? 'exact' : 'sum'),
    huge: SUM,
    rules: 'Max: a NaN tap makes the output NaN (the first NaN in scan order is the picked tap), otherwise the largest in-bounds tap, bit for bit. Avg: sum of in-bounds taps in float64 or with float32 terms that cannot overflow before the division (a 65536x65536 window divides by 2^32, it does not overflow). A window wholly in the padding gives 0 for both kinds.',
  },
  pool2d_backward: { tol: 'sum', huge: SUM, absBufs: ['dy'], rules: 'Max: dy goes to the picked tap (first NaN, else first maximum); empty windows send nothing. Avg: dy/divisor to each in-bounds tap.' },
  upsample_forward: {
    tol: (p) => (p[6] === 0 ? 'exact' : 'sum'),
    huge: SUM,
    rules: 'Nearest copies bit for bit (either align_corners rule). Bilinear forms every one of its four weighted taps, so an Inf neighbour with weight 0 gives NaN (0 * Inf), as in the reference.',
  },
  upsample_backward: { tol: 'sum', huge: SUM, rules: 'Scatters dy along the forward weights; a zero weight times an Inf dy is NaN.' },
  binary_forward: { tol: 'elementwise', huge: PRODUCT, rules: 'add/sub/mul with one rounding: Inf - Inf and 0 * Inf are NaN.' },
  binary_backward: { tol: 'sum', huge: PRODUCT, rules: 'da = dy (sub: -dy for db; mul: dy*b); db reduced over the broadcast axes with the same IEEE sums.' },
  channel_copy: { tol: (p) => (p[7] === 0 ? 'exact' : 'sum'), huge: SUM, rules: 'Copy is bit for bit; accumulate adds (Inf + -Inf = NaN). Channels outside the copied range are untouched.' },
  sgd_momentum: { tol: 'stat', huge: PRODUCT, rules: 'v = momentum*v + g + l2*param; param -= lr*v, elementwise: a NaN/Inf gradient poisons that element only.' },
  reduce_sum: { tol: 'sum', huge: SUM, rules: 'Sum with Inf and -Inf is NaN; +Inf only is +Inf.' },
  softmax_forward: { tol: 'elementwise', huge: SUM, rules: 'Max-subtracted: a row with a NaN is all NaN; a row with +Inf is all NaN (Inf - Inf); -Inf entries give 0 when the row has a finite maximum; a row of all -Inf is NaN.' },
  softmax_backward: { tol: 'stat', huge: PRODUCT, rules: 'dx = y*(dy - sum(dy*y)): a NaN or Inf in a row of dy or y reaches the whole row through the sum.' },
  sigmoid_bce_forward: { tol: 'elementwise', huge: SUM, rules: 'max(x,0) - x*z + log(1 + exp(-|x|)): x = +-Inf gives Inf or NaN per the formula (Inf - Inf*z is NaN for z = 1); no overflow for large finite x.' },
  sigmoid_bce_backward: { tol: 'elementwise', huge: SUM, rules: 'dloss*(sigmoid(x) - z): sigmoid(+-Inf) = 1 / 0.' },
  axpy: { tol: 'sum', huge: SUM, rules: 'y += alpha*x: alpha = 0 still forms 0 * x (0 * Inf = NaN).' },
  conv2d_act_forward: { tol: 'sum', huge: PRODUCT, rules: 'conv2d_forward (padding taps included), then the activation as activation_forward: relu(NaN) = NaN, relu(-Inf) = 0, relu6(+Inf) = 6.' },
  dwpw_act_forward: { tol: 'sum', huge: TRIPLE, rules: 'conv2d_act_forward of the depthwise layer (padding taps as conv2d_forward), then conv2d_act_forward of the 1x1 layer on its output: a NaN the depthwise half makes from a padding tap (allowed there) reaches every output channel at that position.' },
  batch_norm_act_train_forward: { tol: 'stat', huge: STATS, nonFinite: 'class', rules: 'batch_norm_train_forward, then the activation: a NaN or Inf in a channel makes its output NaN (which relu keeps).' },
  batch_norm_act_backward: { tol: 'stat', huge: STATS, nonFinite: 'class', rules: 'dz = dy * act\'(y) as activation_backward given y (relu and relu6 select: dz = 0 where y is NaN or outside the pass band, whatever dy is; leaky_relu: alpha*dy there), then batch_norm_backward: a NaN/Inf in a channel of dz poisons that channel only.' },
  roi_align_forward: { tol: 'sum', huge: SUM, absBufs: ['x'], rules: 'Mean of bilinear samples: samples outside the map are skipped (never multiplied), a sample inside forms all four weighted taps (a zero weight against an Inf tap is NaN). Rois whose scaled coordinates are NaN, infinite or beyond 2^24 give 0.' },
  roi_align_backward: { tol: 'sum', huge: SUM, absBufs: ['dy'], rules: 'dx += dy times each in-map sample\'s four bilinear weights over the sample count (0 * Inf = NaN where a weight is 0); rois as in the forward (none: no gradient).' },
};

export const tolKind = (k: KernelName, p: readonly number[]): TolKind => {
  const t = IEEE[k].tol;
  return typeof t === 'function' ? t(p) : t;
};

const { abs, fround } = Math;

export interface Mismatch {
  at: number;
  got: number;
  want: number;
  why: string;
}

/**
 * The first element of `got` (float32 backend) that breaks the contract against `want` (float64
 * reference), or null. `bound` is the reference on |inputs| for tol 'sum'; `nanOk` marks
 * elements where NaN is allowed as well.
 */
export function ieeeMismatch(got: ArrayLike<number>, want: ArrayLike<number>, kind: TolKind, bound: ArrayLike<number> | null, nonFiniteClass = false, nanOk: Uint8Array | null = null, rtol = 1e-4, atol = 1e-5): Mismatch | null {
  let scale = 0;
  if (kind === 'stat') for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i])) scale = Math.max(scale, abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (nanOk && nanOk[i] && Number.isNaN(g)) continue;
    if (nonFiniteClass && !Number.isFinite(fround(w))) {
      if (Number.isFinite(g)) return { at: i, got: g, want: w, why: 'finite where the reference is not' };
      continue;
    }
    if (nonFiniteClass && !Number.isFinite(g)) return { at: i, got: g, want: w, why: 'non-finite where the reference is finite' };
    if (Number.isNaN(w)) {
      if (!Number.isNaN(g)) return { at: i, got: g, want: w, why: 'the reference is NaN here' };
      continue;
    }
    if (Number.isNaN(g)) return { at: i, got: g, want: w, why: 'NaN where the reference is not' };
    const w32 = fround(w);
    if (!Number.isFinite(w32) || !Number.isFinite(g)) {
      if (g !== w32) return { at: i, got: g, want: w, why: 'infinities differ' };
      continue;
    }
    if (kind === 'exact') {
      if (g !== w32) return { at: i, got: g, want: w, why: 'not the exact float32 value' };
      continue;
    }
    const ref = kind === 'sum' && bound ? Math.max(abs(bound[i]), abs(w)) : kind === 'stat' ? Math.max(scale, abs(w)) : abs(w);
    if (!(abs(g - w) <= atol + rtol * (Number.isFinite(ref) ? ref : abs(w)))) return { at: i, got: g, want: w, why: `beyond tolerance (${kind})` };
  }
  return null;
}

/**
 * Worked examples of the rules above, checked on the reference and on every backend
 * (ieee.test.ts). Buffers are given in the kernel's order; `expect` names the written buffers.
 */
export interface IeeeExample {
  what: string;
  kernel: KernelName;
  p: number[];
  floats?: number[];
  bufs: Array<number[] | null>;
  expect: Record<string, number[]>;
}

const W16 = 65536;
export const IEEE_EXAMPLES: IeeeExample[] = [
  { what: 'relu(NaN) = NaN, relu(-Inf) = 0, denormals pass', kernel: 'activation_forward', p: [6, 0], floats: [0], bufs: [[NaN, Infinity, -Infinity, -0, 1e-40, -2], [0, 0, 0, 0, 0, 0]], expect: { y: [NaN, Infinity, 0, 0, Math.fround(1e-40), 0] } },
  { what: 'relu6(NaN) = NaN, relu6(+-Inf) = 6 / 0', kernel: 'activation_forward', p: [3, 2], floats: [0], bufs: [[NaN, Infinity, -Infinity], [0, 0, 0]], expect: { y: [NaN, 6, 0] } },
  { what: 'sigmoid(NaN) = NaN, sigmoid(+-Inf) = 1 / 0', kernel: 'activation_forward', p: [3, 3], floats: [0], bufs: [[NaN, Infinity, -Infinity], [0, 0, 0]], expect: { y: [NaN, 1, 0] } },
  { what: 'hardsigmoid(NaN) = NaN', kernel: 'activation_forward', p: [3, 5], floats: [0.2], bufs: [[NaN, Infinity, -Infinity], [0, 0, 0]], expect: { y: [NaN, 1, 0] } },
  { what: 'relu backward selects: NaN or Inf dy on an inactive unit gives 0', kernel: 'activation_backward', p: [4, 0], floats: [0], bufs: [[-1, -1, 2, NaN], [0, 0, 2, NaN], [NaN, Infinity, NaN, 5], [9, 9, 9, 9]], expect: { dx: [0, 0, NaN, 0] } },
  { what: 'sum with Inf and -Inf is NaN; +Inf alone is +Inf', kernel: 'reduce_sum', p: [2, 3, 1], bufs: [[1, Infinity, -Infinity, 1, Infinity, 2], [0, 0]], expect: { y: [NaN, Infinity] } },
  { what: 'softmax: a row with +Inf is NaN; -Inf gives 0 beside a finite maximum', kernel: 'softmax_forward', p: [2, 3, 1], bufs: [[0, Infinity, 1, 0, -Infinity, 0], [0, 0, 0, 0, 0, 0]], expect: { y: [NaN, NaN, NaN, 0.5, 0, 0.5] } },
  { what: 'max pool: a NaN tap wins wherever it is in the window', kernel: 'pool2d_forward', p: [1, 2, 2, 2, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0], bufs: [[NaN, 1, 2, 3, 4, 5, NaN, 6], [0, 0]], expect: { y: [NaN, NaN] } },
  { what: 'max pool backward: the gradient goes to the first NaN tap', kernel: 'pool2d_backward', p: [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0], bufs: [[1, NaN, 9, NaN], [5], [0, 0, 0, 0]], expect: { dx: [0, 5, 0, 0] } },
  { what: 'avg pool over a 65536x65536 window divides by 2^32 without overflow', kernel: 'pool2d_forward', p: [1, 1, 2, 2, 1, 1, W16, W16, 1, 1, W16 / 2, W16 / 2, 1, 0], bufs: [[1, 2, 3, 4], [0]], expect: { y: [Math.fround(10 / 2 ** 32)] } },
  { what: 'avg pool (exclusive) over a 65536x65536 window averages the in-bounds taps', kernel: 'pool2d_forward', p: [1, 1, 2, 2, 1, 1, W16, W16, 1, 1, W16 / 2, W16 / 2, 1, 1], bufs: [[1, 2, 3, 4], [0]], expect: { y: [2.5] } },
  { what: 'pool windows wholly in the padding give 0 (max and avg)', kernel: 'pool2d_forward', p: [1, 1, 1, 1, 3, 1, 1, 1, 1, 1, 1, 0, 0, 1], bufs: [[-7], [9, 9, 9]], expect: { y: [0, -7, 0] } },
  { what: 'avg pool of taps near FLT_MAX does not overflow before the division', kernel: 'pool2d_forward', p: [1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 0, 0, 1, 1], bufs: [[3e38, 3e38], [0]], expect: { y: [Math.fround(3e38)] } },
  { what: 'gemm without accumulate never reads the old C', kernel: 'gemm', p: [0, 0, 1, 2, 1, 0], floats: [1], bufs: [[2], [3, 4], [NaN, Infinity]], expect: { c: [6, 8] } },
  { what: 'gemm: alpha scales the product (a denormal times Inf stays Inf)', kernel: 'gemm', p: [0, 0, 1, 1, 1, 0], floats: [0.37], bufs: [[1.401298464324817e-45], [-Infinity], [0]], expect: { c: [-Infinity] } },
  { what: 'nearest upsample, align_corners 1: 3 -> 5 picks 0, 1, 1, 2, 2', kernel: 'upsample_forward', p: [1, 1, 1, 3, 1, 5, 0, 1], bufs: [[0, 10, 20], [0, 0, 0, 0, 0]], expect: { y: [0, 10, 10, 20, 20] } },
  { what: 'conv: an Inf tap against a zero weight is NaN, against the others Inf', kernel: 'conv2d_forward', p: [1, 1, 1, 2, 2, 1, 1, 1, 2, 1, 1, 0, 0, 1, 1, 1], bufs: [[Infinity, 1], [0, 2], null, [0, 0, 0, 0]], expect: { y: [NaN, 0, Infinity, 2] } },
];
