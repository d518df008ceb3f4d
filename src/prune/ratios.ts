/**
 * Pruning ratios chosen from a sensitivities table.
 *
 * getRatiosByLoss follows PaddleSlim's get_ratios_by_loss (prune/sensitive.py):
 *   - each param's measured (ratio, loss) points are sorted by ratio;
 *   - they are scanned from the largest ratio down, and the first point whose loss is at or
 *     under the threshold is taken (so a non-monotonic curve gives the largest such ratio, not
 *     the largest ratio below the first crossing);
 *   - if that point is the largest measured ratio, its ratio is the answer; otherwise the
 *     answer is the linear interpolation between it and the next measured point, at the
 *     threshold: r0 + (loss - l0) * (r1 - r0) / (l1 - l0);
 *   - a param with no point at or under the threshold is left out (not pruned).
 *
 * ratiosForFlops (slimprune) picks ratios on a grid that remove at least a FLOPs fraction with
 * the smallest summed estimated loss. The loss of a ratio is the piecewise-linear curve
 * through (0, 0) and the measured points (no extrapolation past the largest measured ratio).
 * The search is greedy on the exchange rate: from all-zero ratios, repeatedly raise the one
 * param whose next grid step (the next that prunes another channel) saves the most FLOPs per unit of added loss (FLOPs counted on the
 * actually pruned graph, so interactions between neighbouring layers are exact), until the
 * target is met; then each param is lowered as far as the target still holds, costliest first.
 * ratiosForCost is the same search for another additive cost (measured latency: see
 * layer_latency.ts).
 */
import type { Graph } from '../graph/graph';
import { countFlops } from '../graph/flops';
import { keptCount } from './count';
import { groupOf, PruneError } from './groups';
import { apply } from './pruner';
import type { Group, Plan } from './types';
import type { SensitivityTable } from './sensitivity_file';

/** Sorted (ratio, loss) points of one param. */
function pointsOf(row: Record<string, number>): Array<[number, number]> {
  return Object.entries(row)
    .map(([r, l]) => [Number(r), l] as [number, number])
    .sort((a, b) => a[0] - b[0]);
}

export function getRatiosByLoss(sens: SensitivityTable, loss: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [param, row] of Object.entries(sens)) {
    const pts = pointsOf(row);
    for (let i = pts.length - 1; i >= 0; i--) {
      const [r0, l0] = pts[i];
      if (l0 > loss) continue;
      if (i === pts.length - 1) {
        out[param] = r0;
      } else {
        const [r1, l1] = pts[i + 1];
        out[param] = r0 + ((loss - l0) * (r1 - r0)) / (l1 - l0);
      }
      break;
    }
  }
  return out;
}

/** Loss at `ratio` on the piecewise-linear curve through (0, 0) and the measured points. */
export function interpolatedLoss(row: Record<string, number>, ratio: number): number {
  const pts = pointsOf(row);
  if (pts.length === 0 || pts[0][0] > 0) pts.unshift([0, 0]);
  if (ratio <= pts[0][0]) return pts[0][1];
  for (let i = 1; i < pts.length; i++) {
    const [r1, l1] = pts[i];
    if (ratio <= r1) {
      const [r0, l0] = pts[i - 1];
      return l0 + ((ratio - r0) * (l1 - l0)) / (r1 - r0);
    }
  }
  throw new RangeError(`ratio ${ratio} is past the largest measured ratio ${pts[pts.length - 1][0]}`);
}

export interface FlopsRatios {
  /** param -> ratio (params left at 0 are omitted) */
  ratios: Record<string, number>;
  macsBefore: number;
  macsAfter: number;
  /** removed share of MACs, (before - after) / before */
  fraction: number;
  /** sum of the interpolated losses of the chosen ratios */
  estimatedLoss: number;
}

/**
 * A copy of `graph` with `ratios` applied to its shapes (the graph is unchanged). Params of one
 * group: the first listed wins, as the pruner does.
 */
export function prunedCopy(graph: Graph, groups: ReadonlyMap<string, Group>, ratios: Record<string, number>, roundTo = 1): Graph {
  const g = graph.clone();
  const plan: Plan = { criterion: 'l1_norm', groups: [], warnings: [] };
  const owned = new Set<string>();
  for (const [param, ratio] of Object.entries(ratios)) {
    if (!(ratio > 0)) continue;
    const group = groups.get(param)!;
    const key = `${group.root}:${group.rootAxis}`;
    if (owned.has(key)) continue;
    owned.add(key);
    const n = group.channels;
    // Which channels go does not change any count: keep the first ones.
    const kept = Array.from({ length: keptCount(n, ratio, roundTo) }, (_, i) => i);
    plan.groups.push({ master: param, ratio, channels: n, kept, scores: new Array<number>(n).fill(0), group });
  }
  apply(g, plan, { mode: 'only_graph' });
  return g;
}

/** MACs of `graph` with `ratios` applied (shapes only, on a copy; the graph is unchanged). */
export function macsWithRatios(graph: Graph, groups: ReadonlyMap<string, Group>, ratios: Record<string, number>, roundTo = 1): number {
  return countFlops(prunedCopy(graph, groups, ratios, roundTo)).macs;
}

/** Ratio grid of a param: multiples of `step` and the measured ratios, up to the largest measured. */
function gridOf(row: Record<string, number>, step: number): number[] {
  const measured = pointsOf(row).map(([r]) => r);
  const top = measured.length ? measured[measured.length - 1] : 0;
  const set = new Set<number>([0, ...measured]);
  for (let k = 1; k * step <= top + 1e-12; k++) set.add(Number((k * step).toFixed(6)));
  return [...set].filter((r) => r <= top).sort((a, b) => a - b);
}

export function ratiosForFlops(
  graph: Graph,
  sens: SensitivityTable,
  targetFraction: number,
  opts: { roundTo?: number; step?: number } = {},
): FlopsRatios {
  const roundTo = opts.roundTo ?? 1;
  const r = ratiosForCost(graph, sens, targetFraction, (g, groups, ratios) => macsWithRatios(g, groups, ratios, roundTo), { ...opts, what: 'FLOPs', unit: 'MACs' });
  return { ratios: r.ratios, macsBefore: r.before, macsAfter: r.after, fraction: r.fraction, estimatedLoss: r.estimatedLoss };
}

export interface CostRatios {
  ratios: Record<string, number>;
  before: number;
  after: number;
  fraction: number;
  estimatedLoss: number;
}

/**
 * The search of ratiosForFlops for any additive cost of the pruned model: `cost(graph, groups,
 * ratios)` prices the model with those ratios applied (it must not change `graph`); `what`
 * names the cost in errors, `unit` what it is counted in.
 */
export function ratiosForCost(
  graph: Graph,
  sens: SensitivityTable,
  targetFraction: number,
  cost: (graph: Graph, groups: ReadonlyMap<string, Group>, ratios: Record<string, number>) => number,
  opts: { roundTo?: number; step?: number; what?: string; unit?: string } = {},
): CostRatios {
  const what = opts.what ?? 'cost';
  const unit = opts.unit ?? what;
  if (!(targetFraction > 0 && targetFraction < 1)) throw new RangeError(`target ${what} fraction: expected a number in (0, 1), got ${targetFraction}`);
  const roundTo = opts.roundTo ?? 1;
  const step = opts.step ?? 0.05;
  const params = Object.keys(sens).filter((p) => Object.keys(sens[p]).length > 0);
  if (params.length === 0) throw new RangeError('sensitivities: expected at least one param with measurements, got none');
  const groups = new Map<string, Group>();
  for (const p of params) {
    if (!graph.params.has(p)) throw new PruneError(`sensitivities: param ${p} is not in this model`);
    groups.set(p, groupOf(graph, p));
  }
  const grids = new Map(params.map((p) => [p, gridOf(sens[p], step)]));
  const level = new Map(params.map((p) => [p, 0]));
  const ratiosAt = (lv: Map<string, number>) => Object.fromEntries(params.map((p) => [p, grids.get(p)![lv.get(p)!]]));
  const lossAt = (p: string, i: number) => interpolatedLoss(sens[p], grids.get(p)![i]);
  const before = cost(graph, groups, {});
  const target = before * (1 - targetFraction);
  let macs = before;

  while (macs > target) {
    let best: { p: string; level: number; macs: number; rate: number } | null = null;
    for (const p of params) {
      const i = level.get(p)!;
      const grid = grids.get(p)!;
      const n = groups.get(p)!.channels;
      // The next level that prunes more channels (grid steps rounding to the same count are skipped).
      let j = i + 1;
      while (j < grid.length && keptCount(n, grid[j], roundTo) === keptCount(n, grid[i], roundTo)) j++;
      if (j >= grid.length) continue;
      const trial = new Map(level).set(p, j);
      const m = cost(graph, groups, ratiosAt(trial));
      const saved = macs - m;
      if (saved <= 0) continue;
      const dLoss = Math.max(lossAt(p, j) - lossAt(p, i), 1e-12);
      const rate = saved / dLoss;
      if (!best || rate > best.rate) best = { p, level: j, macs: m, rate };
    }
    if (!best) {
      throw new RangeError(
        `target ${what}: expected to remove ${(targetFraction * 100).toFixed(2)}% of ${unit}, but the largest measured ratios remove ${(((before - macs) / before) * 100).toFixed(2)}%`,
      );
    }
    level.set(best.p, best.level);
    macs = best.macs;
  }

  // Lower what the target does not need, costliest loss first.
  const byLoss = [...params].sort((a, b) => lossAt(b, level.get(b)!) - lossAt(a, level.get(a)!));
  for (const p of byLoss) {
    while (level.get(p)! > 0) {
      const trial = new Map(level).set(p, level.get(p)! - 1);
      const m = cost(graph, groups, ratiosAt(trial));
      if (m > target) break;
      level.set(p, level.get(p)! - 1);
      macs = m;
    }
  }

  const ratios: Record<string, number> = {};
  let estimatedLoss = 0;
  for (const p of params) {
    const r = grids.get(p)![level.get(p)!];
    if (r > 0) ratios[p] = r;
    estimatedLoss += lossAt(p, level.get(p)!);
  }
  return { ratios, before, after: macs, fraction: (before - macs) / before, estimatedLoss };
}
