/**
 * Elementwise activations (kernels activation_forward / activation_backward, kind codes in
 * kernels.ts ACT): relu, leaky_relu (x < 0: alpha x), relu6, sigmoid, hardswish
 * (x relu6(x + 3) / 6) and hardsigmoid (clip(alpha x + 0.5, 0, 1)). alpha defaults follow
 * Paddle's static API: leaky_relu 0.02, hard_sigmoid slope 0.2.
 */
import { ACT, type ActivationName } from '../kernels';
import type { Tensor } from '../tensor';
import { commonBackend, empty, fail, launch, numArg, packGeometry, shapeArg, show, tensorArg } from './check';

export type { ActivationName };
export const ACTIVATIONS = Object.keys(ACT) as ActivationName[];

/** The alpha an activation uses when none is given. */
export const DEFAULT_ALPHA: Record<ActivationName, number> = {
  relu: 0, leaky_relu: 0.02, relu6: 0, sigmoid: 0, hardswish: 0, hardsigmoid: 0.2,
};

function kindArg(op: string, kind: unknown): ActivationName {
  if (typeof kind !== 'string' || !(kind in ACT)) fail(op, `one of ${ACTIVATIONS.join(', ')}`, 'kind', show(kind));
  return kind as ActivationName;
}

/** y = act(x). */
export function activation(x: Tensor, kind: ActivationName, alpha?: number): Tensor {
  const op = 'activation';
  tensorArg(op, 'x', x);
  const k = kindArg(op, kind);
  const a = numArg(op, 'alpha', alpha, DEFAULT_ALPHA[k]);
  const be = commonBackend(op, { x });
  const y = empty(x.shape, be);
  if (x.size) launch(op, 'activation_forward', be, [x, y], packGeometry('activation_forward', { n: x.size, kind: ACT[k] }), [a]);
  return y;
}

/** dx = dy * act'(x); y (the forward output) is needed for sigmoid and may be null otherwise. */
export function activationBackward(x: Tensor, y: Tensor | null, dy: Tensor, kind: ActivationName, alpha?: number): Tensor {
  const op = 'activationBackward';
  tensorArg(op, 'x', x);
  const k = kindArg(op, kind);
  if (y === null || y === undefined) {
    if (k === 'sigmoid') fail(op, 'the forward output (sigmoid differentiates through y)', 'y', show(y));
  } else shapeArg(op, 'y', y, x.shape);
  shapeArg(op, 'dy', dy, x.shape);
  const a = numArg(op, 'alpha', alpha, DEFAULT_ALPHA[k]);
  const be = commonBackend(op, { x, y, dy });
  const dx = empty(x.shape, be);
  if (x.size) launch(op, 'activation_backward', be, [x, y ?? x, dy, dx], packGeometry('activation_backward', { n: x.size, kind: ACT[k] }), [a]);
  return dx;
}
