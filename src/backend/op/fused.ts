/**
 * Fused ops: a conv or a training batch norm together with the activation that follows it, and
 * the batch norm's backward with that activation's derivative folded in (kernels
 * conv2d_act_forward, batch_norm_act_train_forward, batch_norm_act_backward). Each equals the
 * chain it replaces (conv2d then activation; batchNormTrain then activation; activationBackward
 * then batchNormBackward) in meaning, with one tensor and one pass over memory fewer.
 *
 * Fusable activations are relu, leaky_relu with alpha >= 0, and relu6: their derivative is a
 * function of their output, so the fused backward reads the activation's output y (kept anyway
 * as the next layer's input) and the batch norm's input x, never the pre-activation tensor.
 */
import type { Backend } from '../backend';
import { FUSED_ACT, type FusedActivationName } from '../kernels';
import type { Tensor } from '../tensor';
import { DEFAULT_ALPHA } from './activation';
import { commonBackend, empty, fail, formatShapeOf, launch, numArg, packGeometry, prod, rankArg, shapeArg, show } from './check';
import type { FilterCache } from '../prepared';
import { convGeometry, launchPrepared, type Conv2dAttrs } from './conv';

export type { FusedActivationName };
export const FUSED_ACTIVATIONS = Object.keys(FUSED_ACT) as FusedActivationName[];

/** Whether an activation (with this alpha) can be fused: relu, relu6, leaky_relu with alpha >= 0. */
export function isFusableActivation(kind: string, alpha?: number): kind is FusedActivationName {
  if (!(kind in FUSED_ACT)) return false;
  return kind !== 'leaky_relu' || (alpha ?? DEFAULT_ALPHA.leaky_relu) >= 0;
}

function actArg(op: string, kind: unknown, alpha: unknown): { code: number; alpha: number } {
  if (typeof kind !== 'string' || !(kind in FUSED_ACT)) fail(op, `a fusable activation (one of ${FUSED_ACTIVATIONS.join(', ')})`, 'act', show(kind));
  const k = kind as FusedActivationName;
  const a = numArg(op, 'alpha', alpha, DEFAULT_ALPHA[k]);
  if (k === 'leaky_relu' && !(a >= 0)) fail(op, 'alpha >= 0 for a fused leaky_relu (its derivative must follow from its output)', 'alpha', show(a));
  return { code: FUSED_ACT[k], alpha: a };
}

function nchw(op: string, x: Tensor): { N: number; C: number; HW: number } {
  rankArg(op, 'x', x, [2, 3, 4, 5], 'input');
  if (x.shape.some((d) => d < 1)) fail(op, 'a non-empty input (every dimension >= 1)', 'x', formatShapeOf(x.shape));
  return { N: x.shape[0], C: x.shape[1], HW: prod(x.shape.slice(2)) };
}

/** y = act(conv2d(x, w) + b); `cache`: w's filter cache for repeated inference (src/backend/prepared.ts). */
export function conv2dAct(
  x: Tensor, w: Tensor, b: Tensor | null, attrs: Conv2dAttrs | undefined, act: FusedActivationName, alpha?: number, cache?: FilterCache | null,
): Tensor {
  const op = 'conv2dAct';
  rankArg(op, 'x', x, 4, 'input');
  rankArg(op, 'w', w, 4);
  const g = convGeometry(op, x.shape, 'x', w.shape, 'w', attrs);
  if (b !== null && b !== undefined) shapeArg(op, 'b', b, [g.OC]);
  const a = actArg(op, act, alpha);
  const be = commonBackend(op, { x, w, b });
  const y = empty([g.N, g.OC, g.OH, g.OW], be);
  if (!launchPrepared(be, cache, x, w, b ?? null, y, g, a.code, a.alpha)) {
    launch(op, 'conv2d_act_forward', be, [x, w, b ?? null, y], packGeometry('conv2d_act_forward', { ...g, act: a.code }), [a.alpha]);
  }
  return y;
}

/**
 * act2(conv2d(act(conv2d(x, wd) + bd), wp) + bp) for a depthwise layer (groups == C, one output
 * channel per group) followed by a 1x1, stride-1, unpadded, one-group layer: the numbers of
 * conv2dAct twice, in one kernel (dwpw_act_forward) that never makes the depthwise output.
 */
export function dwpwAct(
  x: Tensor, wd: Tensor, bd: Tensor | null, dwAttrs: Conv2dAttrs | undefined, act: FusedActivationName, alpha: number | undefined,
  wp: Tensor, bp: Tensor | null, act2: FusedActivationName, alpha2?: number,
): Tensor {
  const op = 'dwpwAct';
  rankArg(op, 'x', x, 4, 'input');
  rankArg(op, 'wd', wd, 4);
  rankArg(op, 'wp', wp, 4);
  const g = convGeometry(op, x.shape, 'x', wd.shape, 'wd', dwAttrs);
  if (g.G !== g.C || g.OC !== g.C) fail(op, `a depthwise filter (groups == C == OC = ${g.C})`, 'wd', `${formatShapeOf(wd.shape)} with groups ${g.G}`);
  const OC2 = wp.shape[0];
  if (!(OC2 >= 1)) fail(op, 'a pointwise filter with at least 1 output channel', 'wp', formatShapeOf(wp.shape));
  shapeArg(op, 'wp', wp, [OC2, g.C, 1, 1]);
  if (bd !== null && bd !== undefined) shapeArg(op, 'bd', bd, [g.C]);
  if (bp !== null && bp !== undefined) shapeArg(op, 'bp', bp, [OC2]);
  const a = actArg(op, act, alpha);
  const a2 = actArg(op, act2, alpha2);
  const be = commonBackend(op, { x, wd, bd, wp, bp });
  const y = empty([g.N, OC2, g.OH, g.OW], be);
  launch(op, 'dwpw_act_forward', be, [x, wd, bd ?? null, wp, bp ?? null, y],
    packGeometry('dwpw_act_forward', { ...g, act: a.code, OC2, act2: a2.code }), [a.alpha, a2.alpha]);
  return y;
}

/**
 * Whether `backend` prefers dwpw_act_forward to two conv2d_act_forward calls for this pair: a
 * depthwise layer (groups == C == OC) then a 1x1 / stride 1 / unpadded / one-group layer on its
 * output, and the backend's prefersFused for the geometry. False (use the two kernels) for any
 * pair outside that form, including one with bad shapes: the unfused ops then report them.
 */
export function dwpwPrefers(
  backend: Backend<any>, xs: readonly number[], wds: readonly number[], dwAttrs: Conv2dAttrs | undefined, wps: readonly number[], pwAttrs: Conv2dAttrs | undefined,
): boolean {
  if (!backend.prefersFused || xs.length !== 4 || wds.length !== 4 || wps.length !== 4) return false;
  try {
    const g = convGeometry('dwpwAct', xs, 'x', wds, 'wd', dwAttrs);
    if (g.G !== g.C || g.OC !== g.C) return false;
    const q = convGeometry('dwpwAct', [g.N, g.OC, g.OH, g.OW], 'mid', wps, 'wp', pwAttrs);
    const pointwise = q.KH === 1 && q.KW === 1 && q.SH === 1 && q.SW === 1 && q.DH === 1 && q.DW === 1 && q.G === 1 &&
      q.PT === 0 && q.PB === 0 && q.PL === 0 && q.PR === 0;
    if (!pointwise) return false;
    return backend.prefersFused('dwpw_act_forward', packGeometry('dwpw_act_forward', { ...g, act: 0, OC2: q.OC, act2: 0 }));
  } catch {
    return false;
  }
}

/** act(batchNormTrain(x)): y and the saved batch statistics; running statistics updated in place. */
export function batchNormActTrain(
  x: Tensor, scale: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
  attrs: { eps?: number; momentum?: number } | undefined, act: FusedActivationName, alpha?: number,
): { y: Tensor; savedMean: Tensor; savedInvstd: Tensor } {
  const op = 'batchNormActTrain';
  const g = nchw(op, x);
  for (const [n, t] of [['scale', scale], ['bias', bias], ['runningMean', runningMean], ['runningVar', runningVar]] as const) shapeArg(op, n, t, [g.C]);
  const eps = numArg(op, 'eps', attrs?.eps, 1e-5);
  if (eps < 0) fail(op, 'a non-negative number', 'eps', show(eps));
  const momentum = numArg(op, 'momentum', attrs?.momentum, 0.9);
  if (momentum < 0 || momentum > 1) fail(op, 'a number in [0, 1]', 'momentum', show(momentum));
  const a = actArg(op, act, alpha);
  const be = commonBackend(op, { x, scale, bias, runningMean, runningVar });
  const y = empty(x.shape, be);
  const savedMean = empty([g.C], be);
  const savedInvstd = empty([g.C], be);
  launch(op, 'batch_norm_act_train_forward', be, [x, scale, bias, y, savedMean, savedInvstd, runningMean, runningVar],
    packGeometry('batch_norm_act_train_forward', { ...g, act: a.code }), [eps, momentum, a.alpha]);
  return { y, savedMean, savedInvstd };
}

/** Gradients of batchNormActTrain from x, its output y, dy and the saved statistics. */
export function batchNormActBackward(
  x: Tensor, y: Tensor, dy: Tensor, scale: Tensor, savedMean: Tensor, savedInvstd: Tensor, act: FusedActivationName, alpha?: number,
): { dx: Tensor; dscale: Tensor; dbias: Tensor } {
  const op = 'batchNormActBackward';
  const g = nchw(op, x);
  shapeArg(op, 'y', y, x.shape);
  shapeArg(op, 'dy', dy, x.shape);
  for (const [n, t] of [['scale', scale], ['savedMean', savedMean], ['savedInvstd', savedInvstd]] as const) shapeArg(op, n, t, [g.C]);
  const a = actArg(op, act, alpha);
  const be = commonBackend(op, { x, y, dy, scale, savedMean, savedInvstd });
  const dx = empty(x.shape, be);
  const dscale = empty([g.C], be);
  const dbias = empty([g.C], be);
  launch(op, 'batch_norm_act_backward', be, [x, y, dy, scale, savedMean, savedInvstd, dx, dscale, dbias],
    packGeometry('batch_norm_act_backward', { ...g, act: a.code }), [a.alpha]);
  return { dx, dscale, dbias };
}
