// Ratios from sensitivities: PaddleSlim's threshold rule with interpolation, and the FLOPs-target search.
import { backendByName } from '../../src/backend/loader';
import { GraphBuilder } from '../../src/graph/builder';
import { countFlops } from '../../src/graph/flops';
import { initParams } from '../../src/graph/init';
import { apply, plan } from '../../src/prune';
import { getRatiosByLoss, interpolatedLoss, ratiosForFlops } from '../../src/prune/ratios';
import type { SensitivityTable } from '../../src/prune/sensitivity_file';

describe('getRatiosByLoss', () => {
  const sens: SensitivityTable = {
    a: { '0.1': 0.01, '0.2': 0.03, '0.3': 0.07 },
    b: { '0.1': 0.001, '0.2': 0.002 },
    c: { '0.1': 0.05 },
    // non-monotonic: the largest measured ratio at or under the threshold wins
    d: { '0.1': 0.01, '0.2': 0.05, '0.3': 0.015, '0.4': 0.1 },
  };

  test('interpolates between the last point under the threshold and the next', () => {
    const r = getRatiosByLoss(sens, 0.02);
    // a: 0.1 + (0.02 - 0.01) * (0.2 - 0.1) / (0.03 - 0.01) = 0.15
    expect(r.a).toBeCloseTo(0.15, 12);
    // b: every point under: the largest measured ratio
    expect(r.b).toBe(0.2);
    // c: no point under: left out
    expect('c' in r).toBe(false);
    // d: scanned from the top, 0.3 (loss 0.015) qualifies: 0.3 + 0.005 * 0.1 / 0.085
    expect(r.d).toBeCloseTo(0.3 + (0.005 * 0.1) / 0.085, 12);
  });

  test('a threshold exactly on a point gives that ratio', () => {
    expect(getRatiosByLoss(sens, 0.03).a).toBeCloseTo(0.2, 12);
    expect(getRatiosByLoss(sens, 0.07).a).toBe(0.3);
  });

  test('the loss curve runs through (0, 0) and the measured points', () => {
    expect(interpolatedLoss(sens.a, 0)).toBe(0);
    expect(interpolatedLoss(sens.a, 0.05)).toBeCloseTo(0.005, 12);
    expect(interpolatedLoss(sens.a, 0.25)).toBeCloseTo(0.05, 12);
    expect(() => interpolatedLoss(sens.a, 0.35)).toThrow(/past the largest measured ratio 0.3/);
  });
});

describe('ratiosForFlops', () => {
  const net = () => {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 16, 16]);
    let y = b.conv2d(x, { name: 'c1', out: 16, k: 3, pad: 1, act: 'relu' });
    y = b.conv2d(y, { name: 'c2', out: 16, k: 3, pad: 1, act: 'relu' });
    y = b.conv2d(y, { name: 'c3', out: 16, k: 3, pad: 1, act: 'relu' });
    b.output(b.conv2d(y, { name: 'c4', out: 4, k: 1 }));
    return b.graph;
  };
  const grid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
  const curve = (f: (r: number) => number) => Object.fromEntries(grid.map((r) => [String(r), f(r)]));
  // c1 steep, c2 nearly flat, c3 in between (and convex)
  const sens: SensitivityTable = {
    c1_weights: curve((r) => r),
    c2_weights: curve((r) => 0.01 * r),
    c3_weights: curve((r) => 0.5 * r * r),
  };
  const summedLoss = (ratios: Record<string, number>) => Object.keys(sens).reduce((s, p) => s + interpolatedLoss(sens[p], ratios[p] ?? 0), 0);

  /** MACs after pruning with the real planner on initialised weights. */
  const realMacs = (ratios: Record<string, number>, roundTo = 1) => {
    const g = net();
    initParams(g, { seed: 3, backend: backendByName('reference') });
    const params = Object.keys(ratios);
    apply(g, plan(g, { params, ratios: params.map((p) => ratios[p]), roundTo, warn: () => undefined }), { mode: 'only_graph' });
    return countFlops(g).macs;
  };

  test.each([0.3, 0.5, 0.7])('meets a %p target and beats uniform ratios that remove as much', (target) => {
    const g = net();
    const before = countFlops(g).macs;
    const res = ratiosForFlops(g, sens, target);
    expect(countFlops(g).macs).toBe(before); // the graph is not changed
    expect(res.macsBefore).toBe(before);
    expect(res.fraction).toBeGreaterThanOrEqual(target);
    expect(realMacs(res.ratios)).toBe(res.macsAfter);
    expect(res.estimatedLoss).toBeCloseTo(summedLoss(res.ratios), 12);
    // the smallest uniform ratio (0.05 grid) removing at least as much
    let uniformLoss = Infinity;
    for (let k = 1; k <= 18; k++) {
      const u = k * 0.05;
      const all = Object.fromEntries(Object.keys(sens).map((p) => [p, u]));
      if (realMacs(all) <= res.macsAfter) {
        uniformLoss = summedLoss(all);
        break;
      }
    }
    expect(uniformLoss).toBeLessThan(Infinity);
    expect(res.estimatedLoss).toBeLessThan(uniformLoss);
    // the flat layer is pruned hardest
    expect(res.ratios.c2_weights).toBeGreaterThanOrEqual(Math.max(res.ratios.c1_weights ?? 0, res.ratios.c3_weights ?? 0));
  });

  test('roundTo: kept counts are multiples and the target still holds', () => {
    const res = ratiosForFlops(net(), sens, 0.4, { roundTo: 4 });
    expect(res.fraction).toBeGreaterThanOrEqual(0.4);
    expect(realMacs(res.ratios, 4)).toBe(res.macsAfter);
  });

  test('a target beyond the measured ratios is refused with what they reach', () => {
    expect(() => ratiosForFlops(net(), { c1_weights: { '0.5': 0.1 } }, 0.9)).toThrow(/expected to remove 90.00% of MACs, but the largest measured ratios remove \d/);
    expect(() => ratiosForFlops(net(), { c4_weights: { '0.5': 0.1 } }, 0.5)).toThrow(/c4_weights, got a path to graph output/);
    expect(() => ratiosForFlops(net(), { nope: { '0.5': 0.1 } }, 0.5)).toThrow(/param nope is not in this model/);
    expect(() => ratiosForFlops(net(), sens, 1)).toThrow(/expected a number in \(0, 1\), got 1/);
  });
});
