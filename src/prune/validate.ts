/**
 * Strict checks of what a user asks to prune, before anything is computed: as many ratios
 * as params, each a number in [0, 1), every name a parameter of the graph (an unknown name is
 * answered with the closest existing ones), a known criterion, a positive integer roundTo.
 */
import type { Graph } from '../graph/graph';
import { PruneError } from './groups';
import { CRITERIA, type Criterion, type PlanOptions } from './types';

/** Levenshtein distance (insert, delete, substitute, each 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** Up to `k` names closest to `name` (edit distance, then name order). */
export function closestNames(name: string, names: Iterable<string>, k = 3): string[] {
  return [...names]
    .map((n) => ({ n, d: editDistance(name, n) }))
    .sort((x, y) => x.d - y.d || (x.n < y.n ? -1 : x.n > y.n ? 1 : 0))
    .slice(0, k)
    .map((x) => x.n);
}

export interface CheckedOptions {
  params: string[];
  ratios: number[];
  criterion: Criterion;
  roundTo: number;
  groupReduction: 'master' | 'mean';
}

export function checkPlanOptions(graph: Graph, o: PlanOptions): CheckedOptions {
  if (!o || typeof o !== 'object') throw new PruneError(`prune: expected options {params, ratios}, got ${String(o)}`);
  if (!Array.isArray(o.params) || !o.params.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new PruneError(`prune: expected a list of parameter names for params, got ${JSON.stringify(o.params)}`);
  }
  if (!Array.isArray(o.ratios)) throw new PruneError(`prune: expected a list of numbers for ratios, got ${JSON.stringify(o.ratios)}`);
  if (o.ratios.length !== o.params.length) {
    throw new PruneError(`prune: expected one ratio per pruned param (${o.params.length}) for ratios, got ${o.ratios.length}`);
  }
  o.ratios.forEach((r, i) => {
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r >= 1) {
      throw new PruneError(`prune: expected a ratio in [0, 1) for ${o.params[i]}, got ${JSON.stringify(r)}`);
    }
  });
  for (const p of o.params) {
    if (!graph.params.has(p)) {
      throw new PruneError(`prune: expected the name of a parameter of the model for pruned param, got ${p} (closest: ${closestNames(p, graph.params.keys()).join(', ')})`);
    }
  }
  const criterion = o.criterion ?? 'l1_norm';
  if (!CRITERIA.includes(criterion)) throw new PruneError(`prune: expected a criterion among ${CRITERIA.join(', ')} for criterion, got ${JSON.stringify(criterion)}`);
  const roundTo = o.roundTo ?? 1;
  if (!Number.isInteger(roundTo) || roundTo < 1) throw new PruneError(`prune: expected a positive integer for roundTo, got ${JSON.stringify(roundTo)}`);
  const groupReduction = o.groupReduction ?? 'master';
  if (groupReduction !== 'master' && groupReduction !== 'mean') throw new PruneError(`prune: expected 'master' or 'mean' for groupReduction, got ${JSON.stringify(groupReduction)}`);
  return { params: [...o.params], ratios: [...o.ratios], criterion, roundTo, groupReduction };
}
