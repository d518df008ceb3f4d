/**
 * Learning rate and optimizer. LearningRate: lr(iter) = base_lr times every scheduler's
 * factor (PiecewiseDecay: gamma^k after the k-th milestone, or `values[k]` when given;
 * LinearWarmup: from start_factor to 1 over `steps`; CosineDecay: half a cosine over
 * max_iters). OptimizerBuilder's optimizer/regularizer are mappings whose `type` names an
 * entry of the optimizer/regularizer tables (PaddleDetection's plain-dict style).
 */
import { table, f, int, float, bool, list, either, nullable, component, typed, obj } from '../schema';

export const OPTIM = table('optim', {
  LearningRate: {
    base_lr: f(float({ min: 0 }), 0.01),
    schedulers: f(list(component('scheduler')), [obj('PiecewiseDecay'), obj('LinearWarmup')]),
  },
  OptimizerBuilder: {
    clip_grad_by_norm: f(nullable(float({ min: 0 })), null),
    regularizer: f(nullable(typed('regularizer')), obj('L2', { factor: 0.0001 })),
    optimizer: f(typed('optimizer'), obj('Momentum', { momentum: 0.9 })),
  },
});

export const SCHEDULERS = table('scheduler', {
  PiecewiseDecay: {
    gamma: f(either(float(), list(float())), 0.1),
    milestones: f(list(int({ min: 0 })), [60000, 80000]),
    values: f(nullable(list(float())), null),
  },
  LinearWarmup: {
    steps: f(int({ min: 0 }), 500),
    start_factor: f(float({ min: 0 }), 1 / 3),
  },
  CosineDecay: {
    max_iters: f(int({ min: 1 }), 180000),
  },
});

export const OPTIMIZERS = table('optimizer', {
  Momentum: { momentum: f(float({ min: 0 }), 0.9), use_nesterov: f(bool(), false) },
  SGD: {},
  Adam: { beta1: f(float(), 0.9), beta2: f(float(), 0.999), epsilon: f(float(), 1e-8) },
});

export const REGULARIZERS = table('regularizer', {
  L2: { factor: f(float({ min: 0 }), 0.0001) },
  L1: { factor: f(float({ min: 0 }), 0.0001) },
});
