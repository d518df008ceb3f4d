/** Apply modes, optimizer state, strict option checks, stops with errors, FLOPs before/after. */
import { backendByName } from '../../src/backend/loader';
import * as ops from '../../src/backend/ops';
import { Tensor } from '../../src/backend/tensor';
import { GraphBuilder } from '../../src/graph/builder';
import { countFlops } from '../../src/graph/flops';
import type { Graph } from '../../src/graph/graph';
import { registerOp, opDef } from '../../src/graph/ops';
import { apply, measurePruning, formatPruneReport, plan, PruneError } from '../../src/prune';
import { complement } from '../../src/prune/mapping';
import { initNet, nets } from './nets';

const ref = backendByName('reference');
const chain = () => initNet(nets.chain(), ref);
const quiet = { warn: () => undefined };
const arr = (g: Graph, p: string) => Array.from(g.param(p).tensor!.toArray());

describe('apply modes', () => {
  test('lazy: removed slices zeroed, everything else and every shape kept', () => {
    const g = chain();
    const before = new Map([...g.params].map(([k, p]) => [k, Array.from(p.tensor!.toArray())]));
    const p = plan(g, { params: ['c1_weights'], ratios: [0.5] });
    apply(g, p, { mode: 'lazy' });
    const removed = complement(8, p.groups[0].kept);
    expect(g.param('c1_weights').shape).toEqual([8, 3, 3, 3]);
    const w = arr(g, 'c1_weights');
    for (let c = 0; c < 8; c++) {
      const slice = w.slice(c * 27, c * 27 + 27);
      if (removed.includes(c)) expect(slice.every((v) => v === 0)).toBe(true);
      else expect(slice).toEqual(before.get('c1_weights')!.slice(c * 27, c * 27 + 27));
    }
    const scale = arr(g, 'c1_bn_scale');
    removed.forEach((c) => expect(scale[c]).toBe(0));
    const w2 = arr(g, 'c2_weights'); // [6, 8, 3, 3], axis 1
    for (let o = 0; o < 6; o++) for (const c of removed) for (let k = 0; k < 9; k++) expect(w2[(o * 8 + c) * 9 + k]).toBe(0);
    expect(arr(g, 'c3_weights')).toEqual(before.get('c3_weights'));
  });

  test('only_graph: shapes and value shapes change, tensor data untouched', () => {
    const g = chain();
    const t = g.param('c1_weights').tensor!;
    const data = Array.from(t.toArray());
    const p = plan(g, { params: ['c1_weights'], ratios: [0.25] });
    apply(g, p, { mode: 'only_graph' });
    expect(g.param('c1_weights').shape).toEqual([6, 3, 3, 3]);
    expect(g.param('c1_weights').tensor).toBe(t);
    expect(t.shape).toEqual([8, 3, 3, 3]);
    expect(Array.from(t.toArray())).toEqual(data);
    expect(g.shapeOf(g.node('c1').outputs[0])).toEqual([2, 6, 8, 8]);
  });

  test('only_graph needs no data; default does', () => {
    const g = nets.chain();
    const p = plan(initNet(nets.chain(), ref), { params: ['c2_weights'], ratios: [0.5] });
    expect(() => apply(g, p)).toThrow(/prune: expected data for parameter c2_weights in mode default/);
    apply(g, p, { mode: 'only_graph' });
    expect(g.param('c3_weights').shape).toEqual([4, 3, 1, 1]);
  });

  test('default: optimizer slots of the params sliced alike; other shapes left alone', () => {
    const g = chain();
    const velocity = new Map<string, Tensor>();
    const beta: Record<string, Tensor> = {};
    for (const p of g.params.values()) {
      velocity.set(p.name, ops.copy(p.tensor!));
      beta[p.name] = Tensor.full([1], 0.9, ref);
    }
    const p = plan(g, { params: ['c1_weights'], ratios: [0.5] });
    const kept = p.groups[0].kept;
    const w2 = g.param('c2_weights').tensor!;
    const want = Array.from(ops.gatherAxis(w2, 1, kept).toArray());
    apply(g, p, { optimizerState: { velocity, beta } });
    for (const q of g.params.values()) {
      expect(velocity.get(q.name)!.shape).toEqual(q.shape);
      expect(Array.from(velocity.get(q.name)!.toArray())).toEqual(Array.from(q.tensor!.toArray()));
      expect(beta[q.name].shape).toEqual([1]);
    }
    expect(arr(g, 'c2_weights')).toEqual(want);
  });

  test('a plan applies once', () => {
    const g = chain();
    const p = plan(g, { params: ['c1_weights'], ratios: [0.5] });
    apply(g, p);
    expect(() => apply(g, p)).toThrow(/prune: expected c1_weights with 8 channels on axis 0 \(as planned\), got 4/);
  });

  test('unknown mode', () => {
    const g = chain();
    const p = plan(g, { params: ['c1_weights'], ratios: [0.5] });
    expect(() => apply(g, p, { mode: 'fast' as never })).toThrow(/expected mode default, lazy or only_graph, got "fast"/);
  });
});

describe('options are validated strictly', () => {
  const g = chain();
  test('counts, ranges, names', () => {
    expect(() => plan(g, { params: ['c1_weights', 'c2_weights'], ratios: [0.5] })).toThrow(/expected one ratio per pruned param \(2\) for ratios, got 1/);
    expect(() => plan(g, { params: ['c1_weights'], ratios: [1] })).toThrow(/expected a ratio in \[0, 1\) for c1_weights, got 1/);
    expect(() => plan(g, { params: ['c1_weights'], ratios: [-0.1] })).toThrow(/got -0.1/);
    expect(() => plan(g, { params: ['c1_weights'], ratios: [NaN] })).toThrow(/expected a ratio in \[0, 1\)/);
    expect(() => plan(g, { params: ['c1_weight'], ratios: [0.5] })).toThrow(/got c1_weight \(closest: c1_weights, c2_weights, c3_weights\)/);
    expect(() => plan(g, { params: ['c1_weights'], ratios: [0.5], criterion: 'l3' as never })).toThrow(/expected a criterion among l1_norm, l2_norm, geometry_median, bn_scale/);
    expect(() => plan(g, { params: ['c1_weights'], ratios: [0.5], roundTo: 0 })).toThrow(/positive integer for roundTo/);
  });
  test('a param that is not a conv weight', () => {
    expect(() => plan(g, { params: ['c1_bn_scale'], ratios: [0.5] })).toThrow(/expected the weight of one conv2d \/ conv2d_transpose \/ fc node for c1_bn_scale, got batch_norm c1_bn \(role scale\)/);
  });
  test('two params of one group: warning naming both, first ratio used', () => {
    const r = initNet(nets.residual(), ref);
    const warnings: string[] = [];
    const p = plan(r, { params: ['a_weights', 'stem_weights'], ratios: [0.25, 0.75], warn: (m) => warnings.push(m) });
    expect(warnings).toEqual(['stem_weights and a_weights are in one group: both pruned with the first ratio 0.25 (stem_weights\'s ratio 0.75 is ignored)']);
    expect(p.warnings).toEqual(warnings);
    expect(p.groups).toHaveLength(1);
    expect(p.groups[0].kept).toHaveLength(6);
  });
  test('roundTo applies to the count', () => {
    const p = plan(g, { params: ['c1_weights'], ratios: [0.3], roundTo: 4, ...quiet });
    expect(p.groups[0].kept).toHaveLength(4); // 8 - round(2.4) = 6 kept, down to a multiple of 4
  });
});

describe('the walk stops with an error, never silently', () => {
  test('an op without a pruning rule names the op and the param', () => {
    const base = opDef('relu');
    registerOp({ ...base, type: 'my_norm' });
    const b = new GraphBuilder();
    const y = b.conv2d(b.input('image', [1, 3, 4, 4]), { name: 'c1', out: 4, k: 3 });
    const z = b.node('my_norm', [y], { id: 'mine' })[0];
    b.output(b.conv2d(z, { name: 'c2', out: 2, k: 1 }));
    expect(() => plan(initNet(b.graph, ref), { params: ['c1_weights'], ratios: [0.5] })).toThrow(new PruneError('prune: expected an op the pruner can walk through from its input for c1_weights (node mine), got my_norm'));
  });
  test('channels reaching a graph input or output', () => {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 4, 4]);
    const y = b.conv2d(x, { name: 'c1', out: 3, k: 3 });
    b.output(b.conv2d(b.add(y, x), { name: 'c2', out: 2, k: 1 }));
    const g = initNet(b.graph, ref);
    expect(() => plan(g, { params: ['c1_weights'], ratios: [0.5] })).toThrow(/for c1_weights, got a path to graph input image/);
    expect(() => plan(g, { params: ['c2_weights'], ratios: [0.5] })).toThrow(/for c2_weights, got a path to graph output c2/);
  });
  test('a grouped (not depthwise) conv', () => {
    const b = new GraphBuilder();
    const y = b.conv2d(b.input('image', [1, 3, 4, 4]), { name: 'c1', out: 4, k: 3 });
    b.output(b.conv2d(b.conv2d(y, { name: 'g', out: 4, k: 1, groups: 2 }), { name: 'c3', out: 2, k: 1 }));
    expect(() => plan(initNet(b.graph, ref), { params: ['c1_weights'], ratios: [0.5] })).toThrow(/conv2d: expected groups 1 or equal to the input channels 4 \(depthwise\) for c1_weights \(node g\), got 2/);
  });
});

describe('FLOPs before and after (PaddleSlim counting)', () => {
  test('chain: conv multiply-adds by hand', () => {
    const g = chain();
    const p = plan(g, { params: ['c1_weights', 'c2_weights'], ratios: [0.5, 0.5] });
    const { report } = measurePruning(g, () => apply(g, p));
    // 8x8x8x27 + 4x4x6x72 + 4x4x4x6  ->  8x8x4x27 + 4x4x3x36 + 4x4x4x3
    // (conv bias not counted, as PaddleSlim counts a static graph: its conv ops carry no bias)
    expect(report.before.macs).toBe(13824 + 6912 + 384);
    expect(report.after.macs).toBe(6912 + 1728 + 192);
    expect(report.after.macs).toBe(countFlops(g).macs);
    expect(report.macsReduction).toBeCloseTo(((21120 - 8832) / 21120) * 100, 10);
    expect(report.paramsReduction).toBeGreaterThan(0);
    expect(formatPruneReport(report)).toMatch(/FLOPs: 21120 -> 8832 MACs/);
  });
});
