/**
 * The kernel contract: every kernel of the engine, declared once.
 *
 * Every backend (native C++, CUDA, AssemblyScript, emscripten, float64 reference) implements
 * exactly these kernels with exactly this flat signature:
 *
 *     kernel(buf0, buf1, ..., p: Int32Array, ...floats)
 *
 * - `bufs` are tensors' storages in the order declared here (optional ones may be null);
 *   index buffers (`i32`) are plain Int32Arrays on every backend.
 * - `p` is the integer geometry, computed once in TypeScript (src/backend/ops.ts), same layout on
 *   every backend; its entries are named in `params`.
 * - trailing float attributes are named in `floats`.
 * - `sizes(p)` gives the minimum element count of each buffer; the N-API layer checks the
 *   same sizes in C++ (native/addon.cc) so that a wrong call throws instead of crashing.
 *
 * Layout is NCHW fp32 throughout. "Overwritten" outputs are fully written by the kernel;
 * "accumulated" outputs are added to (the caller zeroes them when it needs a plain result).
 */

export type BufRole = 'in' | 'out' | 'inout';
export interface BufSpec {
  name: string;
  role: BufRole;
  optional?: boolean;
  /** index buffer (Int32Array) instead of a float tensor storage */
  i32?: boolean;
}
export interface KernelSpec {
  name: string;
  bufs: BufSpec[];
  params: string[];
  floats: string[];
  /** minimum element count of each buffer, in `bufs` order */
  sizes(p: ArrayLike<number>): number[];
}

const b = (name: string, role: BufRole, extra: Partial<BufSpec> = {}): BufSpec => ({ name, role, ...extra });

/** Convolution geometry, 16 integers, shared by the three conv kernels. */
export const CONV_GEOM = ['N', 'C', 'H', 'W', 'OC', 'KH', 'KW', 'OH', 'OW', 'SH', 'SW', 'PT', 'PL', 'DH', 'DW', 'G'] as const;
export const CG = Object.fromEntries(CONV_GEOM.map((k, i) => [k, i])) as Record<(typeof CONV_GEOM)[number], number>;
const convSizes = (p: ArrayLike<number>) => {
  // indexed reads: this runs on every kernel call that is checked, and Array.from costs microseconds
  const N = p[0], C = p[1], H = p[2], W = p[3], OC = p[4], KH = p[5], KW = p[6], OH = p[7], OW = p[8], G = p[15];
  return { x: N * C * H * W, w: OC * (C / G) * KH * KW, b: OC, y: N * OC * OH * OW };
};

/** Pooling geometry, 14 integers. kind: 0 max, 1 avg. exclusive: avg divides by the in-bounds count. */
export const POOL_GEOM = ['N', 'C', 'H', 'W', 'OH', 'OW', 'KH', 'KW', 'SH', 'SW', 'PT', 'PL', 'kind', 'exclusive'] as const;
/** Upsampling geometry, 8 integers. mode: 0 nearest, 1 bilinear. */
export const UPSAMPLE_GEOM = ['N', 'C', 'H', 'W', 'OH', 'OW', 'mode', 'align_corners'] as const;

/** RoIAlign geometry, 8 integers: rois R, output bins PH x PW, samples per bin axis (0: adaptive). */
export const ROI_GEOM = ['N', 'C', 'H', 'W', 'R', 'PH', 'PW', 'sampling_ratio'] as const;
/** The largest explicit sampling_ratio (samples per bin axis) RoIAlign takes; 0 is adaptive. */
export const ROI_MAX_SAMPLING_RATIO = 64;
/** Activation kinds for activation_forward / activation_backward (p[1]). */
export const ACT = { relu: 0, leaky_relu: 1, relu6: 2, sigmoid: 3, hardswish: 4, hardsigmoid: 5 } as const;
export type ActivationName = keyof typeof ACT;
/**
 * Activations a fused kernel applies (conv2d_act_forward's p[16], the batch_norm_act kernels' p[3]):
 * those whose derivative is known from their output, so a fused backward reads the output only.
 * Same codes as ACT. leaky_relu qualifies with alpha >= 0 (the op layer refuses a negative one).
 */
export const FUSED_ACT = { relu: 0, leaky_relu: 1, relu6: 2 } as const;
export type FusedActivationName = keyof typeof FUSED_ACT;
/** Binary elementwise ops (p[3]) and how b broadcasts (p[4]): 0 same shape as a, 1 per channel [C], 2 scalar [1]. */
export const BINOP = { add: 0, sub: 1, mul: 2 } as const;
export const BMODE = { same: 0, channel: 1, scalar: 2 } as const;

const bSize = (p: ArrayLike<number>) => {
  const outer = p[0], C = p[1], inner = p[2], mode = p[4];
  return mode === 0 ? outer * C * inner : mode === 1 ? C : 1;
};

export const KERNELS = {
  /**
   * Row-major SGEMM. A is M x K (K x M if transA), B is K x N (N x K if transB), C is M x N.
   * C = alpha * op(A) op(B) + (accumulate ? C : 0).
   */
  gemm: {
    bufs: [b('a', 'in'), b('b', 'in'), b('c', 'inout')],
    params: ['transA', 'transB', 'M', 'N', 'K', 'accumulate'],
    floats: ['alpha'],
    sizes: (p) => [p[2] * p[4], p[4] * p[3], p[2] * p[3]],
  },
  /** y[n,oc,oh,ow] = b[oc] + sum_{c in group, kh, kw} x[n,c,oh*SH-PT+kh*DH, ow*SW-PL+kw*DW] * w[oc,c',kh,kw]. y overwritten. */
  conv2d_forward: {
    bufs: [b('x', 'in'), b('w', 'in'), b('b', 'in', { optional: true }), b('y', 'out')],
    params: [...CONV_GEOM],
    floats: [],
    sizes: (p) => { const s = convSizes(p); return [s.x, s.w, s.b, s.y]; },
  },
  /** dx = conv2d_forward's gradient wrt x given dy. dx overwritten. */
  conv2d_backward_input: {
    bufs: [b('dy', 'in'), b('w', 'in'), b('dx', 'out')],
    params: [...CONV_GEOM],
    floats: [],
    sizes: (p) => { const s = convSizes(p); return [s.y, s.w, s.x]; },
  },
  /** dw (and db = sum of dy over n,oh,ow when given) of conv2d_forward. dw, db overwritten. */
  conv2d_backward_filter: {
    bufs: [b('x', 'in'), b('dy', 'in'), b('dw', 'out'), b('db', 'out', { optional: true })],
    params: [...CONV_GEOM],
    floats: [],
    sizes: (p) => { const s = convSizes(p); return [s.x, s.y, s.w, s.b]; },
  },
  /**
   * Training-mode batch norm over [N, C, HW]: batch mean and biased variance per channel,
   * y = (x - mean) * invstd * scale + bias, invstd = 1/sqrt(var + eps);
   * running = running * momentum + batch * (1 - momentum) (Paddle's convention; running_var takes the biased batch variance).
   * saved_mean, saved_invstd are written for the backward pass.
   */
  batch_norm_train_forward: {
    bufs: [b('x', 'in'), b('scale', 'in'), b('bias', 'in'), b('y', 'out'), b('saved_mean', 'out'), b('saved_invstd', 'out'), b('running_mean', 'inout'), b('running_var', 'inout')],
    params: ['N', 'C', 'HW'],
    floats: ['eps', 'momentum'],
    sizes: (p) => { const n = p[0] * p[1] * p[2], c = p[1]; return [n, c, c, n, c, c, c, c]; },
  },
  /** Inference batch norm with given statistics: y = (x - mean) / sqrt(var + eps) * scale + bias. */
  batch_norm_infer_forward: {
    bufs: [b('x', 'in'), b('scale', 'in'), b('bias', 'in'), b('mean', 'in'), b('var', 'in'), b('y', 'out')],
    params: ['N', 'C', 'HW'],
    floats: ['eps'],
    sizes: (p) => { const n = p[0] * p[1] * p[2], c = p[1]; return [n, c, c, c, c, n]; },
  },
  /** Backward of batch_norm_train_forward (batch statistics). dx, dscale, dbias overwritten. */
  batch_norm_backward: {
    bufs: [b('x', 'in'), b('dy', 'in'), b('scale', 'in'), b('saved_mean', 'in'), b('saved_invstd', 'in'), b('dx', 'out'), b('dscale', 'out'), b('dbias', 'out')],
    params: ['N', 'C', 'HW'],
    floats: [],
    sizes: (p) => { const n = p[0] * p[1] * p[2], c = p[1]; return [n, n, c, c, c, n, c, c]; },
  },
  /** y = x * scale[c] + bias[c] over [N, C, HW]. */
  affine_channel_forward: {
    bufs: [b('x', 'in'), b('scale', 'in'), b('bias', 'in'), b('y', 'out')],
    params: ['N', 'C', 'HW'],
    floats: [],
    sizes: (p) => { const n = p[0] * p[1] * p[2], c = p[1]; return [n, c, c, n]; },
  },
  /** dx = dy * scale[c]; dscale = sum dy * x; dbias = sum dy. Each output optional, overwritten. */
  affine_channel_backward: {
    bufs: [b('x', 'in'), b('dy', 'in'), b('scale', 'in'), b('dx', 'out', { optional: true }), b('dscale', 'out', { optional: true }), b('dbias', 'out', { optional: true })],
    params: ['N', 'C', 'HW'],
    floats: [],
    sizes: (p) => { const n = p[0] * p[1] * p[2], c = p[1]; return [n, n, c, n, c, c]; },
  },
  /**
   * Fold a batch norm into the preceding conv: with f = scale / sqrt(var + eps),
   * w_out[oc, k] = w[oc, k] * f[oc]; b_out[oc] = (b[oc] or 0 - mean[oc]) * f[oc] + offset[oc].
   * w is [OC, K] (K = C/G * KH * KW).
   */
  bn_fold: {
    bufs: [b('w', 'in'), b('b', 'in', { optional: true }), b('scale', 'in'), b('offset', 'in'), b('mean', 'in'), b('var', 'in'), b('w_out', 'out'), b('b_out', 'out')],
    params: ['OC', 'K'],
    floats: ['eps'],
    sizes: (p) => { const c = p[0]; return [c * p[1], c, c, c, c, c, c * p[1], c]; },
  },
  /**
   * Gather along one axis: x viewed as [outer, axis, inner], y as [outer, count, inner];
   * y[o, j, i] = x[o, idx[j], i]. Every idx[j] must be in [0, axis).
   */
  gather_axis: {
    bufs: [b('x', 'in'), b('idx', 'in', { i32: true }), b('y', 'out')],
    params: ['outer', 'axis', 'inner', 'count'],
    floats: [],
    sizes: (p) => [p[0] * p[1] * p[2], p[3], p[0] * p[3] * p[2]],
  },
  /** Backward of gather_axis: dx[o, idx[j], i] += dy[o, j, i] (dx accumulated). */
  scatter_add_axis: {
    bufs: [b('dy', 'in'), b('idx', 'in', { i32: true }), b('dx', 'inout')],
    params: ['outer', 'axis', 'inner', 'count'],
    floats: [],
    sizes: (p) => [p[0] * p[3] * p[2], p[3], p[0] * p[1] * p[2]],
  },
  /**
   * y = act(x) elementwise, act by ACT code p[1]: relu; leaky_relu (x < 0: alpha * x);
   * relu6 (min(max(x,0),6)); sigmoid; hardswish (x * relu6(x+3)/6); hardsigmoid (clip(alpha*x + 0.5, 0, 1)).
   */
  activation_forward: {
    bufs: [b('x', 'in'), b('y', 'out')],
    params: ['n', 'kind'],
    floats: ['alpha'],
    sizes: (p) => [p[0], p[0]],
  },
  /** dx = dy * act'(x) (sigmoid uses y). dx overwritten. Derivative at kinks: the right-hand one is not used; x > 0 (relu), 0 < x < 6 (relu6). */
  activation_backward: {
    bufs: [b('x', 'in'), b('y', 'in'), b('dy', 'in'), b('dx', 'out')],
    params: ['n', 'kind'],
    floats: ['alpha'],
    sizes: (p) => [p[0], p[0], p[0], p[0]],
  },
  /**
   * Max (kind 0; padding never wins; a NaN tap gives NaN) or average (kind 1) pooling; exclusive
   * avg divides by in-bounds taps. A window wholly in the padding gives 0 for both kinds.
   */
  pool2d_forward: {
    bufs: [b('x', 'in'), b('y', 'out')],
    params: [...POOL_GEOM],
    floats: [],
    sizes: (p) => [p[0] * p[1] * p[2] * p[3], p[0] * p[1] * p[4] * p[5]],
  },
  /** dx overwritten. Max: the gradient goes to the first NaN tap, else the first maximal tap in scan order (kh then kw). */
  pool2d_backward: {
    bufs: [b('x', 'in'), b('dy', 'in'), b('dx', 'out')],
    params: [...POOL_GEOM],
    floats: [],
    sizes: (p) => [p[0] * p[1] * p[2] * p[3], p[0] * p[1] * p[4] * p[5], p[0] * p[1] * p[2] * p[3]],
  },
  /**
   * Nearest (mode 0) or bilinear (mode 1) resize.
   * Nearest, align_corners 0: src = floor(dst * H / OH); 1: src = floor(dst * (H-1)/(OH-1) + 1/2) (0 when OH == 1).
   * Bilinear, align_corners 0: src = (dst + 0.5) * H/OH - 0.5 clamped at 0; 1: src = dst * (H-1)/(OH-1).
   */
  upsample_forward: {
    bufs: [b('x', 'in'), b('y', 'out')],
    params: [...UPSAMPLE_GEOM],
    floats: [],
    sizes: (p) => [p[0] * p[1] * p[2] * p[3], p[0] * p[1] * p[4] * p[5]],
  },
  /** dx overwritten. */
  upsample_backward: {
    bufs: [b('dy', 'in'), b('dx', 'out')],
    params: [...UPSAMPLE_GEOM],
    floats: [],
    sizes: (p) => [p[0] * p[1] * p[4] * p[5], p[0] * p[1] * p[2] * p[3]],
  },
  /** y = a (op) b over a = [outer, C, inner]; b broadcast by BMODE p[4]. */
  binary_forward: {
    bufs: [b('a', 'in'), b('b', 'in'), b('y', 'out')],
    params: ['outer', 'C', 'inner', 'op', 'bmode'],
    floats: [],
    sizes: (p) => { const n = p[0] * p[1] * p[2]; return [n, bSize(p), n]; },
  },
  /** Gradients of binary_forward; da is a's shape, db is b's (reduced over broadcast). Both optional, overwritten. */
  binary_backward: {
    bufs: [b('a', 'in'), b('b', 'in'), b('dy', 'in'), b('da', 'out', { optional: true }), b('db', 'out', { optional: true })],
    params: ['outer', 'C', 'inner', 'op', 'bmode'],
    floats: [],
    sizes: (p) => { const n = p[0] * p[1] * p[2]; return [n, bSize(p), n, n, bSize(p)]; },
  },
  /**
   * Channel-range copy for concat and split: src [outer, srcC, inner], dst [outer, dstC, inner];
   * dst[o, dstOff + c, i] = src[o, srcOff + c, i] for c < count (accumulate: +=).
   */
  channel_copy: {
    bufs: [b('src', 'in'), b('dst', 'inout')],
    params: ['outer', 'srcC', 'srcOff', 'dstC', 'dstOff', 'count', 'inner', 'accumulate'],
    floats: [],
    sizes: (p) => [p[0] * p[1] * p[6], p[0] * p[3] * p[6]],
  },
  /**
   * Momentum SGD with L2 decay (Paddle's Momentum + L2Decay):
   * v = momentum * v + (g + l2 * param); param -= lr * v.
   */
  sgd_momentum: {
    bufs: [b('param', 'inout'), b('grad', 'in'), b('velocity', 'inout')],
    params: ['n'],
    floats: ['lr', 'momentum', 'l2'],
    sizes: (p) => [p[0], p[0], p[0]],
  },
  /** y[o, i] = sum_l x[o, l, i] over x viewed as [outer, len, inner]. y overwritten. */
  reduce_sum: {
    bufs: [b('x', 'in'), b('y', 'out')],
    params: ['outer', 'len', 'inner'],
    floats: [],
    sizes: (p) => [p[0] * p[1] * p[2], p[0] * p[2]],
  },
  /** Softmax along the middle axis of [outer, len, inner] (max-subtracted). */
  softmax_forward: {
    bufs: [b('x', 'in'), b('y', 'out')],
    params: ['outer', 'len', 'inner'],
    floats: [],
    sizes: (p) => { const n = p[0] * p[1] * p[2]; return [n, n]; },
  },
  /** dx = y * (dy - sum_l(dy * y)). */
  softmax_backward: {
    bufs: [b('y', 'in'), b('dy', 'in'), b('dx', 'out')],
    params: ['outer', 'len', 'inner'],
    floats: [],
    sizes: (p) => { const n = p[0] * p[1] * p[2]; return [n, n, n]; },
  },
  /** Elementwise sigmoid cross entropy with logits: loss = max(x,0) - x*z + log(1 + exp(-|x|)). */
  sigmoid_bce_forward: {
    bufs: [b('x', 'in'), b('label', 'in'), b('loss', 'out')],
    params: ['n'],
    floats: [],
    sizes: (p) => [p[0], p[0], p[0]],
  },
  /** dx = dloss * (sigmoid(x) - z). dx overwritten. */
  sigmoid_bce_backward: {
    bufs: [b('x', 'in'), b('label', 'in'), b('dloss', 'in'), b('dx', 'out')],
    params: ['n'],
    floats: [],
    sizes: (p) => [p[0], p[0], p[0], p[0]],
  },
  /** y += alpha * x (gradient accumulation). */
  axpy: {
    bufs: [b('x', 'in'), b('y', 'inout')],
    params: ['n'],
    floats: ['alpha'],
    sizes: (p) => [p[0], p[0]],
  },
  /**
   * Fused conv2d_forward + activation: y = act(conv2d(x, w) + b), act by FUSED_ACT code p[16]
   * (relu, leaky_relu with alpha >= 0, relu6). y overwritten.
   */
  conv2d_act_forward: {
    bufs: [b('x', 'in'), b('w', 'in'), b('b', 'in', { optional: true }), b('y', 'out')],
    params: [...CONV_GEOM, 'act'],
    floats: ['alpha'],
    sizes: (p) => { const s = convSizes(p); return [s.x, s.w, s.b, s.y]; },
  },
  /**
   * A depthwise 3x3-or-any layer and the 1x1 layer that reads it, fused for inference:
   * y = act2(conv1x1(act(conv2d(x, wd) + bd), wp) + bp). p = the depthwise layer's CONV_GEOM (G ==
   * C == OC) + [act, OC2, act2]; wp is [OC2, OC, 1, 1], y [N, OC2, OH, OW]. The same numbers as
   * conv2d_act_forward twice; the depthwise output never exists as a tensor. y overwritten.
   */
  dwpw_act_forward: {
    bufs: [b('x', 'in'), b('wd', 'in'), b('bd', 'in', { optional: true }), b('wp', 'in'), b('bp', 'in', { optional: true }), b('y', 'out')],
    params: [...CONV_GEOM, 'act', 'OC2', 'act2'],
    floats: ['alpha', 'alpha2'],
    sizes: (p) => { const s = convSizes(p), oc2 = p[17]; return [s.x, s.w, s.b, oc2 * p[4], oc2, p[0] * oc2 * p[7] * p[8]]; },
  },
  /**
   * Fused batch_norm_train_forward + activation: y = act(batch norm of x with batch statistics),
   * act by FUSED_ACT code p[3]; statistics, saved and running values as batch_norm_train_forward.
   */
  batch_norm_act_train_forward: {
    bufs: [b('x', 'in'), b('scale', 'in'), b('bias', 'in'), b('y', 'out'), b('saved_mean', 'out'), b('saved_invstd', 'out'), b('running_mean', 'inout'), b('running_var', 'inout')],
    params: ['N', 'C', 'HW', 'act'],
    floats: ['eps', 'momentum', 'alpha'],
    sizes: (p) => { const n = p[0] * p[1] * p[2], c = p[1]; return [n, c, c, n, c, c, c, c]; },
  },
  /**
   * Backward of batch_norm_act_train_forward from x (the batch norm's input), y (the activation's
   * output) and dy: dz = dy * act'(y) (the fused activations' derivative is known from y; relu and
   * relu6 select, leaky_relu multiplies, as activation_backward), then batch_norm_backward with dz.
   * dx, dscale, dbias overwritten.
   */
  batch_norm_act_backward: {
    bufs: [b('x', 'in'), b('y', 'in'), b('dy', 'in'), b('scale', 'in'), b('saved_mean', 'in'), b('saved_invstd', 'in'), b('dx', 'out'), b('dscale', 'out'), b('dbias', 'out')],
    params: ['N', 'C', 'HW', 'act'],
    floats: ['alpha'],
    sizes: (p) => { const n = p[0] * p[1] * p[2], c = p[1]; return [n, n, n, c, c, c, n, c, c]; },
  },
  /**
   * RoIAlign (PaddleDetection's roi_align, not the "aligned" half-pixel variant): x [N, C, H, W],
   * rois [R, 4] (x1, y1, x2, y2 in input-image pixels), batch [R] (each roi's image, in [0, N)),
   * y [R, C, PH, PW]. A roi is scaled by spatial_scale, its width and height clamped to at least 1,
   * and cut into PH x PW bins of gh x gw samples (sampling_ratio, at most 64, or ceil(roi_h / PH) x
   * ceil(roi_w / PW) when 0) at y = y1 + ph * bin_h + (iy + 0.5) * bin_h / gh (x alike); y is the
   * mean of the samples' bilinear values. A sample beyond -1 or H (W) on either axis counts as 0
   * (it stays in the mean's divisor); otherwise it is clamped at 0 and at H-1 (W-1). A roi whose
   * scaled coordinates are not finite or beyond 2^24 gives 0 (the op layer refuses such rois).
   * y overwritten.
   */
  roi_align_forward: {
    bufs: [b('x', 'in'), b('rois', 'in'), b('batch', 'in', { i32: true }), b('y', 'out')],
    params: [...ROI_GEOM],
    floats: ['spatial_scale'],
    sizes: (p) => [p[0] * p[1] * p[2] * p[3], p[4] * 4, p[4], p[4] * p[1] * p[5] * p[6]],
  },
  /** Gradient of roi_align_forward for x (rois get none): dx[batch[r], c] += each sample's share dy / (gh*gw) times its bilinear weights. dx accumulated. */
  roi_align_backward: {
    bufs: [b('dy', 'in'), b('rois', 'in'), b('batch', 'in', { i32: true }), b('dx', 'inout')],
    params: [...ROI_GEOM],
    floats: ['spatial_scale'],
    sizes: (p) => [p[4] * p[1] * p[5] * p[6], p[4] * 4, p[4], p[0] * p[1] * p[2] * p[3]],
  },
} satisfies Record<string, Omit<KernelSpec, 'name'>>;

export type KernelName = keyof typeof KERNELS;
export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];
export function kernelSpec(name: KernelName): KernelSpec {
  return { name, ...(KERNELS[name] as Omit<KernelSpec, 'name'>) };
}
