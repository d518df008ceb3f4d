/**
 * Training helpers: the momentum SGD step with L2 decay (Paddle's Momentum + L2Decay, in
 * place), sigmoid cross entropy with logits (elementwise loss and its gradient), y += alpha x
 * for gradient accumulation, and tensors shaped like another.
 */
import { Tensor } from '../tensor';
import { attrsArg, commonBackend, empty, fail, launch, numArg, packGeometry, sameShape, shapeArg, show, tensorArg } from './check';

export interface SgdAttrs {
  lr: number;
  /** default 0.9 */
  momentum?: number;
  /** L2 decay coefficient; default 0 */
  l2?: number;
}

/** v = momentum v + (grad + l2 param); param -= lr v. Updates param and velocity in place. */
export function sgdMomentum(param: Tensor, grad: Tensor, velocity: Tensor, attrsIn: SgdAttrs): void {
  const op = 'sgdMomentum';
  const attrs = attrsArg(op, attrsIn);
  tensorArg(op, 'param', param);
  shapeArg(op, 'grad', grad, param.shape);
  shapeArg(op, 'velocity', velocity, param.shape);
  const lr = numArg(op, 'lr', attrs.lr);
  const momentum = numArg(op, 'momentum', attrs.momentum, 0.9);
  const l2 = numArg(op, 'l2', attrs.l2, 0);
  const be = commonBackend(op, { param, grad, velocity });
  if (param.size) launch(op, 'sgd_momentum', be, [param, grad, velocity], packGeometry('sgd_momentum', { n: param.size }), [lr, momentum, l2]);
}

/** Elementwise loss max(x, 0) - x z + log(1 + exp(-|x|)) for logits x and labels z. */
export function sigmoidBce(x: Tensor, label: Tensor): Tensor {
  const op = 'sigmoidBce';
  tensorArg(op, 'x', x);
  shapeArg(op, 'label', label, x.shape);
  const be = commonBackend(op, { x, label });
  const loss = empty(x.shape, be);
  if (x.size) launch(op, 'sigmoid_bce_forward', be, [x, label, loss], packGeometry('sigmoid_bce_forward', { n: x.size }));
  return loss;
}

/** dx = dloss (sigmoid(x) - z). */
export function sigmoidBceBackward(x: Tensor, label: Tensor, dloss: Tensor): Tensor {
  const op = 'sigmoidBceBackward';
  tensorArg(op, 'x', x);
  shapeArg(op, 'label', label, x.shape);
  shapeArg(op, 'dloss', dloss, x.shape);
  const be = commonBackend(op, { x, label, dloss });
  const dx = empty(x.shape, be);
  if (x.size) launch(op, 'sigmoid_bce_backward', be, [x, label, dloss, dx], packGeometry('sigmoid_bce_backward', { n: x.size }));
  return dx;
}

/** y += alpha x, in place; returns y. x and y must have the same number of elements. */
export function axpy(x: Tensor, y: Tensor, alpha = 1): Tensor {
  const op = 'axpy';
  tensorArg(op, 'x', x);
  tensorArg(op, 'y', y);
  if (!sameShape(x.shape, y.shape) && x.size !== y.size) fail(op, `${x.size} elements (as x)`, 'y', show(y));
  const a = numArg(op, 'alpha', alpha);
  const be = commonBackend(op, { x, y });
  if (x.size) launch(op, 'axpy', be, [x, y], packGeometry('axpy', { n: x.size }), [a]);
  return y;
}

export function zerosLike(x: Tensor): Tensor {
  return Tensor.zeros(tensorArg('zerosLike', 'x', x).shape, x.backend);
}

export function onesLike(x: Tensor): Tensor {
  return Tensor.full(tensorArg('onesLike', 'x', x).shape, 1, x.backend);
}

export function fullLike(x: Tensor, value: number): Tensor {
  tensorArg('fullLike', 'x', x);
  return Tensor.full(x.shape, numArg('fullLike', 'value', value), x.backend);
}

export function emptyLike(x: Tensor): Tensor {
  return Tensor.empty(tensorArg('emptyLike', 'x', x).shape, x.backend);
}
