// Learning-rate schedules: exact values at and around every boundary.
import { buildLearningRate, SCHEDULER_NAMES } from '../../src/train/lr';

describe('buildLearningRate', () => {
  test('PiecewiseDecay alone: base_lr * gamma^k after the k-th milestone', () => {
    const lr = buildLearningRate({ base_lr: 0.001, schedulers: [{ __type__: 'PiecewiseDecay', gamma: 0.1, milestones: [100, 200] }] });
    expect(lr(0)).toBe(0.001);
    expect(lr(99)).toBe(0.001);
    expect(lr(100)).toBeCloseTo(1e-4, 15);
    expect(lr(199)).toBeCloseTo(1e-4, 15);
    expect(lr(200)).toBeCloseTo(1e-5, 15);
    expect(lr(10 ** 6)).toBeCloseTo(1e-5, 15);
  });

  test('PiecewiseDecay with explicit values, and with a list of gammas', () => {
    const v = buildLearningRate({ base_lr: 1, schedulers: [{ __type__: 'PiecewiseDecay', milestones: [3, 6], values: [0.5, 0.2, 0.05] }] });
    expect([0, 2, 3, 5, 6, 9].map(v)).toEqual([0.5, 0.5, 0.2, 0.2, 0.05, 0.05]);
    const g = buildLearningRate({ base_lr: 2, schedulers: [{ __type__: 'PiecewiseDecay', milestones: [3, 6], gamma: [0.5, 0.1] }] });
    expect([0, 3, 6].map(g)).toEqual([2, 1, 0.2]);
  });

  test('LinearWarmup wraps PiecewiseDecay (the yolov3_mobilenet_v1_voc schedule)', () => {
    // base 0.001, warmup from 0 over 1000 iterations, then 0.001 until 55000, 1e-4 until 62000, 1e-5.
    const lr = buildLearningRate({
      base_lr: 0.001,
      schedulers: [{ __type__: 'PiecewiseDecay', gamma: 0.1, milestones: [55000, 62000] }, { __type__: 'LinearWarmup', start_factor: 0, steps: 1000 }],
    });
    expect(lr(0)).toBe(0);
    expect(lr(1)).toBeCloseTo(1e-6, 18);
    expect(lr(500)).toBeCloseTo(5e-4, 15);
    expect(lr(999)).toBeCloseTo(0.000999, 15);
    expect(lr(1000)).toBe(0.001);
    expect(lr(54999)).toBe(0.001);
    expect(lr(55000)).toBeCloseTo(1e-4, 15);
    expect(lr(62000)).toBeCloseTo(1e-5, 15);
  });

  test('LinearWarmup ends at base_lr even when the wrapped schedule has already decayed', () => {
    // start_factor 1/3: start = 0.1 / 3; at iter 5 of 10: 0.1/3 + (0.1 - 0.1/3) * 0.5 = 0.0666...
    // The piecewise value at 5 is already 0.01, but warmup still ramps towards base_lr.
    const lr = buildLearningRate({
      base_lr: 0.1,
      schedulers: [{ __type__: 'PiecewiseDecay', gamma: 0.1, milestones: [4] }, { __type__: 'LinearWarmup', steps: 10 }],
    });
    expect(lr(0)).toBeCloseTo(0.1 / 3, 15);
    expect(lr(5)).toBeCloseTo(0.2 / 3, 15);
    expect(lr(10)).toBeCloseTo(0.01, 15);
  });

  test('CosineDecay with max_iters, optionally warmed up', () => {
    const lr = buildLearningRate({ base_lr: 0.01, schedulers: [{ __type__: 'CosineDecay', max_iters: 100 }] });
    expect(lr(0)).toBe(0.01);
    expect(lr(50)).toBeCloseTo(0.005, 15);
    expect(lr(25)).toBeCloseTo(0.01 * 0.5 * (Math.SQRT1_2 + 1), 15);
    expect(lr(100)).toBeCloseTo(0, 15);
    expect(lr(150)).toBeCloseTo(0.005, 15); // the cosine continues past max_iters
    const w = buildLearningRate({ base_lr: 0.01, schedulers: [{ __type__: 'CosineDecay', max_iters: 100 }, { __type__: 'LinearWarmup', start_factor: 0.1, steps: 10 }] });
    expect(w(0)).toBeCloseTo(0.001, 15);
    expect(w(9)).toBeCloseTo(0.001 + 0.009 * 0.9, 15);
    expect(w(10)).toBeCloseTo(0.01 * 0.5 * (Math.cos(Math.PI / 10) + 1), 15);
  });

  test('no schedulers: constant base_lr; defaults as PaddleDetection (gamma 0.1, warmup 1/3 over 500)', () => {
    expect(buildLearningRate({ base_lr: 0.02 })(12345)).toBe(0.02);
    const d = buildLearningRate({ base_lr: 0.03, schedulers: [{ __type__: 'PiecewiseDecay' }, { __type__: 'LinearWarmup' }] });
    expect(d(0)).toBeCloseTo(0.01, 15);
    expect(d(500)).toBe(0.03);
    expect(d(60000)).toBeCloseTo(0.003, 15);
    expect(d(80000)).toBeCloseTo(0.0003, 15);
  });

  test('unknown scheduler and bad values: one clear error', () => {
    expect(SCHEDULER_NAMES).toEqual(['PiecewiseDecay', 'LinearWarmup', 'CosineDecay']);
    expect(() => buildLearningRate({ base_lr: 0.1, schedulers: [{ __type__: 'ExponentialDecay', gamma: 0.9 }] }))
      .toThrow('LearningRate: expected one of PiecewiseDecay, LinearWarmup, CosineDecay for schedulers[0] type, got "ExponentialDecay"');
    expect(() => buildLearningRate({ base_lr: 0.1, schedulers: [{ __type__: 'PiecewiseDecay', milestones: [5, 2] }] })).toThrow(/non-decreasing/);
    expect(() => buildLearningRate({ base_lr: 0.1, schedulers: [{ __type__: 'PiecewiseDecay', milestones: [5], values: [1] }] })).toThrow(/2 values/);
    expect(() => buildLearningRate({ base_lr: -1 })).toThrow(/base_lr/);
    expect(() => buildLearningRate({ base_lr: 0.1 })(-1)).toThrow(/iter/);
  });
});
