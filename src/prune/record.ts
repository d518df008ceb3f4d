/**
 * The pruning record: per group, the listed conv, its ratio, its channel count before pruning
 * and the indices it kept. It is JSON, stored with every checkpoint, and enough to rebuild the
 * pruned shapes on a freshly built graph (groups are recomputed there, so concat offsets,
 * residual partners and depthwise convs follow) before loading pruned weights. Several
 * records (a model pruned more than once) replay in order.
 */
import type { Graph } from '../graph/graph';
import { groupOf, PruneError } from './groups';
import { apply } from './pruner';
import { CRITERIA, type ApplyMode, type OptimizerSlots, type Plan, type PruneRecord } from './types';

/** Throws unless `r` is a well-formed record (e.g. parsed from a checkpoint file). */
export function checkRecord(r: unknown): asserts r is PruneRecord {
  const bad = (what: string, got: unknown): never => {
    throw new PruneError(`prune record: expected ${what}, got ${JSON.stringify(got)?.slice(0, 200)}`);
  };
  if (!r || typeof r !== 'object') bad('an object', r);
  const o = r as Record<string, unknown>;
  if (o.format !== 'slimprune.prune') bad("format 'slimprune.prune'", o.format);
  if (o.version !== 1) bad('version 1', o.version);
  if (!CRITERIA.includes(o.criterion as never)) bad(`a criterion among ${CRITERIA.join(', ')}`, o.criterion);
  if (!Array.isArray(o.groups)) bad('a list of groups', o.groups);
  for (const g of o.groups as unknown[]) {
    const x = g as Record<string, unknown>;
    if (!x || typeof x !== 'object' || typeof x.master !== 'string') bad('a group {master, ratio, channels, kept}', g);
    if (typeof x.ratio !== 'number' || !(x.ratio >= 0 && x.ratio < 1)) bad(`a ratio in [0, 1) for ${x.master}`, x.ratio);
    if (!Number.isInteger(x.channels) || (x.channels as number) < 1) bad(`a positive channel count for ${x.master}`, x.channels);
    const n = x.channels as number;
    const kept = x.kept as unknown[];
    const ok = Array.isArray(kept) && kept.length >= 1 && kept.every((k, i) => Number.isInteger(k) && (k as number) >= 0 && (k as number) < n && (i === 0 || (k as number) > (kept[i - 1] as number)));
    if (!ok) bad(`kept channels of ${x.master}: ascending distinct integers in [0, ${n})`, kept);
  }
}

/** The plan a record describes, on this graph (its groups recomputed here). */
export function planFromRecord(graph: Graph, r: PruneRecord): Plan {
  checkRecord(r);
  return {
    criterion: r.criterion,
    warnings: [],
    groups: r.groups.map((g) => {
      if (!graph.params.has(g.master)) throw new PruneError(`prune record: expected a parameter of this model for master, got ${g.master}`);
      const group = groupOf(graph, g.master);
      if (group.channels !== g.channels) {
        throw new PruneError(`prune record: expected ${g.master} with ${g.channels} channels (as recorded), got ${group.channels}`);
      }
      return { master: g.master, ratio: g.ratio, channels: g.channels, kept: [...g.kept], scores: [], group };
    }),
  };
}

/**
 * Rebuilds a recorded pruning on `graph` (built the same way as the pruned one). Default mode
 * only_graph: shapes only, for loading pruned weights next; 'default' slices the graph's
 * current (unpruned) weights; 'lazy' zeroes them.
 */
export function replayRecord(graph: Graph, record: PruneRecord | PruneRecord[], opts: { mode?: ApplyMode; optimizerState?: OptimizerSlots } = {}): void {
  for (const r of Array.isArray(record) ? record : [record]) {
    apply(graph, planFromRecord(graph, r), { mode: opts.mode ?? 'only_graph', optimizerState: opts.optimizerState });
  }
}
