// Latency as a pruning cost: the per-conv table and how a pruned layer is scaled from it. The
// scaling is checked on a table with chosen times (measured times are never asserted on).
import { GraphBuilder } from '../../src/graph/builder';
import { groupOf } from '../../src/prune/groups';
import { latencyWithRatios, measureLayerLatency, type LayerLatency } from '../../src/prune/layer_latency';
import { ratiosForCost } from '../../src/prune/ratios';
import type { Group } from '../../src/prune/types';
import type { SensitivityTable } from '../../src/prune/sensitivity_file';

/** c1 (3->16) -> dw (depthwise 16) -> c2 (16->16) -> c3 (16->16) -> out (16->4) */
function net() {
  const b = new GraphBuilder();
  const x = b.input('image', [1, 3, 16, 16]);
  let y = b.conv2d(x, { name: 'c1', out: 16, k: 3, pad: 1, act: 'relu' });
  y = b.conv2d(y, { name: 'dw', out: 16, k: 3, pad: 1, groups: 16, act: 'relu' });
  y = b.conv2d(y, { name: 'c2', out: 16, k: 1, act: 'relu' });
  y = b.conv2d(y, { name: 'c3', out: 16, k: 3, pad: 1, act: 'relu' });
  b.output(b.conv2d(y, { name: 'out', out: 4, k: 1 }));
  return b.graph;
}

/** A table with chosen milliseconds per conv, shaped like a measured one. */
function table(g: ReturnType<typeof net>, ms: Record<string, number>): LayerLatency {
  const layers = new Map(Object.entries(ms).map(([id, t]) => [id, { weight: `${id}_weights`, ms: t, shape: [...g.param(`${id}_weights`).shape] }]));
  return { layers, total: Object.values(ms).reduce((a, b) => a + b, 0) };
}

const groupsOf = (g: ReturnType<typeof net>, ps: string[]) => new Map<string, Group>(ps.map((p) => [p, groupOf(g, p)]));

test('every conv2d is timed once per geometry; the graph is not changed', () => {
  const g = net();
  const shapes = [...g.params.values()].map((p) => [...p.shape]);
  const t = measureLayerLatency(g, { runs: 1 });
  expect([...t.layers.keys()]).toEqual(['c1', 'dw', 'c2', 'c3', 'out']);
  expect(t.layers.get('dw')!.shape).toEqual([16, 1, 3, 3]);
  expect(t.total).toBeCloseTo([...t.layers.values()].reduce((s, l) => s + l.ms, 0), 9);
  // the second table comes from the cache: the same numbers
  const again = measureLayerLatency(g, { runs: 1 });
  expect([...again.layers.values()].map((l) => l.ms)).toEqual([...t.layers.values()].map((l) => l.ms));
  expect([...g.params.values()].map((p) => [...p.shape])).toEqual(shapes);
});

test('a pruned layer costs time x kept_in/in x kept_out/out; depthwise scales once', () => {
  const g = net();
  const t = table(g, { c1: 1, dw: 2, c2: 4, c3: 8, out: 16 });
  const groups = groupsOf(g, ['c1_weights', 'c3_weights']);
  expect(latencyWithRatios(g, t, groups, {})).toBe(31);
  // c1 keeps 8 of 16: c1 out x0.5, dw (its group) x0.5 once, c2 in x0.5
  expect(latencyWithRatios(g, t, groups, { c1_weights: 0.5 })).toBeCloseTo(0.5 + 1 + 2 + 8 + 16, 12);
  // c3 keeps 4 of 16 (0.75): c3 out x0.25, out in x0.25
  expect(latencyWithRatios(g, t, groups, { c3_weights: 0.75 })).toBeCloseTo(1 + 2 + 4 + 2 + 4, 12);
  // both: c2 is untouched on its output side, c3 loses nothing on its input side
  expect(latencyWithRatios(g, t, groups, { c1_weights: 0.5, c3_weights: 0.75 })).toBeCloseTo(0.5 + 1 + 2 + 2 + 4, 12);
  // round_to 8 keeps a multiple of 8: 0.6 of 16 keeps 8 (instead of 6)
  expect(latencyWithRatios(g, t, groups, { c3_weights: 0.6 }, 8)).toBeCloseTo(1 + 2 + 4 + 4 + 8, 12);
});

test('the search on latency meets its target with the cheapest losses', () => {
  const g = net();
  const t = table(g, { c1: 1, dw: 2, c2: 4, c3: 8, out: 16 });
  const grid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
  const sens: SensitivityTable = {
    c1_weights: Object.fromEntries(grid.map((r) => [String(r), 0.01 * r])),
    c3_weights: Object.fromEntries(grid.map((r) => [String(r), r])),
  };
  const groups = groupsOf(g, Object.keys(sens));
  const res = ratiosForCost(g, sens, 0.1, (gr, gs, ratios) => latencyWithRatios(gr, t, gs, ratios), { what: 'latency' });
  expect(res.before).toBe(31);
  expect(res.fraction).toBeGreaterThanOrEqual(0.1);
  expect(res.after).toBeCloseTo(latencyWithRatios(g, t, groups, res.ratios), 12);
  // c1's losses are a hundredth of c3's and it saves up to 3.5 ms (11%): it is pruned first
  expect(res.ratios.c1_weights).toBeGreaterThan(0);
  expect(() => ratiosForCost(g, sens, 0.9, (gr, gs, ratios) => latencyWithRatios(gr, t, gs, ratios), { what: 'latency' })).toThrow(
    /target latency: expected to remove 90\.00% of latency, but the largest measured ratios remove \d+\.\d\d%/,
  );
});
