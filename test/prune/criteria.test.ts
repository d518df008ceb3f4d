/** Criteria against hand-computed scores, ratio-to-count rounding, and the group mean reduction. */
import { backendByName } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { GraphBuilder } from '../../src/graph/builder';
import type { Graph } from '../../src/graph/graph';
import { initParams } from '../../src/graph/init';
import { channelScores, keptByScore, keptCount, plan, roundHalfToEven } from '../../src/prune';

const ref = backendByName('reference');
// three filters of a conv weight [3, 2, 1, 1]: c0 = (1, -2), c1 = (0.5, 0.5), c2 = (-2.5, 0)
const W = [1, -2, 0.5, 0.5, -2.5, 0];

describe('channelScores', () => {
  test('l1_norm, l2_norm on axis 0', () => {
    expect(channelScores(W, [3, 2, 1, 1], 0, 'l1_norm')).toEqual([3, 1, 2.5]);
    const l2 = channelScores(W, [3, 2, 1, 1], 0, 'l2_norm');
    [Math.sqrt(5), Math.sqrt(0.5), 2.5].forEach((v, i) => expect(l2[i]).toBeCloseTo(v, 12));
  });

  test('geometry_median: sum of L2 distances to the other filters', () => {
    const d01 = Math.sqrt(0.25 + 6.25), d02 = Math.sqrt(12.25 + 4), d12 = Math.sqrt(9 + 0.25);
    const s = channelScores(W, [3, 2, 1, 1], 0, 'geometry_median');
    [d01 + d02, d01 + d12, d02 + d12].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 12));
  });

  test('scores along axis 1 (inner and outer dims summed)', () => {
    expect(channelScores([1, -2, 3, 4, 5, -6], [2, 3], 1, 'l1_norm')).toEqual([5, 7, 9]);
  });

  test('bn_scale is |gamma|', () => {
    expect(channelScores([0.5, -2, 0.1], [3], 0, 'bn_scale')).toEqual([0.5, 2, 0.1]);
  });

  test('keptByScore drops the lowest, ties at the lower index first', () => {
    expect(keptByScore([3, 1, 3], 2)).toEqual([2]);
    expect(keptByScore([3, 1, 2.5, 0], 2)).toEqual([0, 2]);
  });
});

describe('ratio to count', () => {
  test('round half to even, as PaddleSlim', () => {
    expect(keptCount(512, 0.2)).toBe(410);
    expect(keptCount(512, 0.4)).toBe(307);
    expect(keptCount(3, 0.5)).toBe(1); // 1.5 -> 2 pruned
    expect(keptCount(5, 0.5)).toBe(3); // 2.5 -> 2 pruned
    expect(keptCount(10, 0.25)).toBe(8); // 2.5 -> 2
    expect(keptCount(10, 0.35)).toBe(6); // 3.5 -> 4
    expect(roundHalfToEven(0.5)).toBe(0);
    expect(roundHalfToEven(1.5)).toBe(2);
    expect(roundHalfToEven(2.6)).toBe(3);
  });

  test('at most n - 1 pruned; one channel is never pruned', () => {
    expect(keptCount(1, 0.9)).toBe(1);
    expect(keptCount(2, 0.9)).toBe(1);
    expect(keptCount(4, 0)).toBe(4);
  });

  test('roundTo keeps a multiple of K, rounding the kept count down', () => {
    expect(keptCount(64, 0.3, 8)).toBe(40); // 45 kept -> 40
    expect(keptCount(64, 0.5, 8)).toBe(32);
    expect(keptCount(6, 0.9, 8)).toBe(6); // fewer than K: keeps all
    expect(keptCount(64, 0, 8)).toBe(64);
    expect(keptCount(64, 0.95, 8)).toBe(8);
  });
});

function tiny(): Graph {
  const b = new GraphBuilder();
  const x = b.input('image', [1, 2, 3, 3]);
  const y = b.batchNorm(b.conv2d(x, { name: 'c', out: 3, k: 1 }), { name: 'c_bn', act: 'relu' });
  const mid = b.conv2d(y, { name: 'mid', out: 3, k: 1, act: 'relu' });
  b.output(b.conv2d(mid, { name: 'out', out: 2, k: 1 }));
  initParams(b.graph, { backend: ref });
  const g = b.graph;
  g.param('c_weights').tensor!.set(W);
  g.param('c_bn_scale').tensor!.set([0.5, -2, 0.1]);
  return g;
}

describe('plan with each criterion', () => {
  const kept = (criterion: 'l1_norm' | 'l2_norm' | 'geometry_median' | 'bn_scale', ratio: number) =>
    plan(tiny(), { params: ['c_weights'], ratios: [ratio], criterion }).groups[0].kept;
  test('l1_norm is the default', () => {
    expect(plan(tiny(), { params: ['c_weights'], ratios: [0.5] }).criterion).toBe('l1_norm');
    expect(kept('l1_norm', 0.5)).toEqual([0]); // l1 (3, 1, 2.5): 2 pruned
    expect(kept('l1_norm', 0.34)).toEqual([0, 2]);
  });
  test('l2_norm, geometry_median, bn_scale', () => {
    expect(kept('l2_norm', 0.5)).toEqual([2]); // (2.24, 0.71, 2.5)
    expect(kept('geometry_median', 0.5)).toEqual([2]); // (6.58, 5.59, 7.07)
    expect(kept('bn_scale', 0.5)).toEqual([1]); // |gamma| (0.5, 2, 0.1)
  });
  test('bn_scale without a norm after the conv is an error naming it', () => {
    expect(() => plan(tiny(), { params: ['mid_weights'], ratios: [0.5], criterion: 'bn_scale' })).toThrow(/bn_scale: expected a batch_norm or affine_channel reading the output of mid_weights, got relu/);
  });
  test('scores need data', () => {
    const b = new GraphBuilder();
    b.output(b.conv2d(b.conv2d(b.input('image', [1, 2, 3, 3]), { name: 'c', out: 3, k: 1 }), { name: 'o', out: 1, k: 1 }));
    expect(() => plan(b.graph, { params: ['c_weights'], ratios: [0.5] })).toThrow(/l1_norm: expected parameter data for c_weights/);
  });
});

describe('groupReduction', () => {
  // two 1x1 convs feeding one sum: P filters (1, 3), Q filters (4, 2)
  function sum(): Graph {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 1, 2, 2]);
    const p = b.conv2d(x, { name: 'P', out: 2, k: 1 });
    const q = b.conv2d(x, { name: 'Q', out: 2, k: 1 });
    b.output(b.conv2d(b.add(p, q), { name: 'out', out: 1, k: 1 }));
    initParams(b.graph, { backend: ref });
    b.graph.param('P_weights').tensor!.set([1, 3]);
    b.graph.param('Q_weights').tensor!.set([4, 2]);
    return b.graph;
  }
  test("'master' ranks by the listed conv only", () => {
    expect(plan(sum(), { params: ['Q_weights'], ratios: [0.5] }).groups[0].kept).toEqual([0]);
  });
  test("'mean' averages each producer's scores divided by its largest", () => {
    const p = plan(sum(), { params: ['Q_weights'], ratios: [0.5], groupReduction: 'mean' });
    expect(p.groups[0].scores[0]).toBeCloseTo((1 / 3 + 1) / 2, 12);
    expect(p.groups[0].scores[1]).toBeCloseTo((1 + 0.5) / 2, 12);
    expect(p.groups[0].kept).toEqual([1]);
  });
  test('data on another backend is read the same', () => {
    const g = sum();
    const t = g.param('Q_weights').tensor!;
    expect(t).toBeInstanceOf(Tensor);
    expect(plan(g, { params: ['P_weights'], ratios: [0.5] }).groups[0].kept).toEqual([1]);
  });
});
