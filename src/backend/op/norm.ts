/**
 * Per-channel normalisation over x [N, C, ...] (viewed as [N, C, HW]; [N, C] has HW = 1):
 * batch norm in training mode (batch statistics, running stats updated in place with Paddle's
 * momentum convention: running = running * momentum + batch * (1 - momentum)), in inference
 * mode (given statistics), affine_channel (y = x * scale + bias), and folding a batch norm
 * into the preceding conv's weight and bias for export.
 */
import type { Tensor } from '../tensor';
import { attrsArg, boolArg, commonBackend, empty, fail, formatShapeOf, launch, numArg, packGeometry, prod, rankArg, shapeArg, show, tensorArg } from './check';

export interface BatchNormAttrs {
  /** default 1e-5 (Paddle's) */
  eps?: number;
  /** default 0.9 (Paddle's) */
  momentum?: number;
}

function nchw(op: string, x: Tensor): { N: number; C: number; HW: number } {
  rankArg(op, 'x', x, [2, 3, 4, 5], 'input');
  if (x.shape.some((d) => d < 1)) fail(op, 'a non-empty input (every dimension >= 1)', 'x', formatShapeOf(x.shape));
  return { N: x.shape[0], C: x.shape[1], HW: prod(x.shape.slice(2)) };
}

function epsArg(op: string, v: unknown): number {
  const eps = numArg(op, 'eps', v, 1e-5);
  if (eps < 0) fail(op, 'a non-negative number', 'eps', show(v));
  return eps;
}

/** Training batch norm: y and the saved batch mean / inverse std; runningMean and runningVar are updated in place. */
export function batchNormTrain(
  x: Tensor, scale: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor, attrsIn?: BatchNormAttrs,
): { y: Tensor; savedMean: Tensor; savedInvstd: Tensor } {
  const op = 'batchNormTrain';
  const attrs = attrsArg(op, attrsIn);
  const g = nchw(op, x);
  for (const [n, t] of [['scale', scale], ['bias', bias], ['runningMean', runningMean], ['runningVar', runningVar]] as const) shapeArg(op, n, t, [g.C]);
  const eps = epsArg(op, attrs.eps);
  const momentum = numArg(op, 'momentum', attrs.momentum, 0.9);
  if (momentum < 0 || momentum > 1) fail(op, 'a number in [0, 1]', 'momentum', show(momentum));
  const be = commonBackend(op, { x, scale, bias, runningMean, runningVar });
  const y = empty(x.shape, be);
  const savedMean = empty([g.C], be);
  const savedInvstd = empty([g.C], be);
  launch(op, 'batch_norm_train_forward', be, [x, scale, bias, y, savedMean, savedInvstd, runningMean, runningVar],
    packGeometry('batch_norm_train_forward', g), [eps, momentum]);
  return { y, savedMean, savedInvstd };
}

/** Inference batch norm: y = (x - mean) / sqrt(var + eps) * scale + bias. */
export function batchNormInfer(x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, attrsIn?: { eps?: number }): Tensor {
  const op = 'batchNormInfer';
  const attrs = attrsArg(op, attrsIn);
  const g = nchw(op, x);
  for (const [n, t] of [['scale', scale], ['bias', bias], ['mean', mean], ['var', variance]] as const) shapeArg(op, n, t, [g.C]);
  const eps = epsArg(op, attrs.eps);
  const be = commonBackend(op, { x, scale, bias, mean, var: variance });
  const y = empty(x.shape, be);
  launch(op, 'batch_norm_infer_forward', be, [x, scale, bias, mean, variance, y], packGeometry('batch_norm_infer_forward', g), [eps]);
  return y;
}

/** Gradients of batchNormTrain (batch statistics) from x, dy, scale and the saved statistics. */
export function batchNormBackward(
  x: Tensor, dy: Tensor, scale: Tensor, savedMean: Tensor, savedInvstd: Tensor,
): { dx: Tensor; dscale: Tensor; dbias: Tensor } {
  const op = 'batchNormBackward';
  const g = nchw(op, x);
  shapeArg(op, 'dy', dy, x.shape);
  for (const [n, t] of [['scale', scale], ['savedMean', savedMean], ['savedInvstd', savedInvstd]] as const) shapeArg(op, n, t, [g.C]);
  const be = commonBackend(op, { x, dy, scale, savedMean, savedInvstd });
  const dx = empty(x.shape, be);
  const dscale = empty([g.C], be);
  const dbias = empty([g.C], be);
  launch(op, 'batch_norm_backward', be, [x, dy, scale, savedMean, savedInvstd, dx, dscale, dbias], packGeometry('batch_norm_backward', g));
  return { dx, dscale, dbias };
}

/** y = x * scale[c] + bias[c]. */
export function affineChannel(x: Tensor, scale: Tensor, bias: Tensor): Tensor {
  const op = 'affineChannel';
  const g = nchw(op, x);
  shapeArg(op, 'scale', scale, [g.C]);
  shapeArg(op, 'bias', bias, [g.C]);
  const be = commonBackend(op, { x, scale, bias });
  const y = empty(x.shape, be);
  launch(op, 'affine_channel_forward', be, [x, scale, bias, y], packGeometry('affine_channel_forward', g));
  return y;
}

/** Gradients of affineChannel; each can be skipped with need.<name> = false (then null). */
export function affineChannelBackward(
  x: Tensor, dy: Tensor, scale: Tensor, need: { dx?: boolean; dscale?: boolean; dbias?: boolean } = {},
): { dx: Tensor | null; dscale: Tensor | null; dbias: Tensor | null } {
  const op = 'affineChannelBackward';
  const g = nchw(op, x);
  shapeArg(op, 'dy', dy, x.shape);
  shapeArg(op, 'scale', scale, [g.C]);
  const be = commonBackend(op, { x, dy, scale });
  const dx = boolArg(op, 'need.dx', need.dx, true) ? empty(x.shape, be) : null;
  const dscale = boolArg(op, 'need.dscale', need.dscale, true) ? empty([g.C], be) : null;
  const dbias = boolArg(op, 'need.dbias', need.dbias, true) ? empty([g.C], be) : null;
  if (dx || dscale || dbias) {
    launch(op, 'affine_channel_backward', be, [x, dy, scale, dx, dscale, dbias], packGeometry('affine_channel_backward', g));
  }
  return { dx, dscale, dbias };
}

/**
 * Folds a batch norm (scale, offset, mean, var, eps) into the conv or fc before it:
 * w [OC, ...] scaled per output channel, b [OC] (zeros when null) shifted. New tensors.
 */
export function bnFold(
  w: Tensor, b: Tensor | null, scale: Tensor, offset: Tensor, mean: Tensor, variance: Tensor, eps = 1e-5,
): { w: Tensor; b: Tensor } {
  const op = 'bnFold';
  tensorArg(op, 'w', w);
  rankArg(op, 'w', w, [1, 2, 3, 4, 5]);
  const OC = w.shape[0];
  if (OC < 1) fail(op, 'at least one output channel', 'w', show(w));
  const K = w.size / OC;
  if (b !== null && b !== undefined) shapeArg(op, 'b', b, [OC]);
  for (const [n, t] of [['scale', scale], ['offset', offset], ['mean', mean], ['var', variance]] as const) shapeArg(op, n, t, [OC]);
  const e = epsArg(op, eps);
  const be = commonBackend(op, { w, b, scale, offset, mean, var: variance });
  const wOut = empty(w.shape, be);
  const bOut = empty([OC], be);
  launch(op, 'bn_fold', be, [w, b ?? null, scale, offset, mean, variance, wOut, bOut], packGeometry('bn_fold', { OC, K }), [e]);
  return { w: wOut, b: bOut };
}
