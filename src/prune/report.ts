/**
 * FLOPs, parameters and size before and after pruning, counted by src/graph/flops.ts
 * (PaddleSlim's convention: one multiply-add per "FLOP", convs and fc, GFLOPs / 2^30),
 * with the reduction of each in percent.
 */
import type { Graph } from '../graph/graph';
import { countFlops, reduction, type FlopsReport } from '../graph/flops';

export interface PruneReport {
  before: FlopsReport;
  after: FlopsReport;
  /** percent, positive when smaller */
  macsReduction: number;
  paramsReduction: number;
  sizeReduction: number;
}

export function compareFlops(before: FlopsReport, after: FlopsReport): PruneReport {
  return {
    before,
    after,
    macsReduction: reduction(before.macs, after.macs),
    paramsReduction: reduction(before.params, after.params),
    sizeReduction: reduction(before.sizeMB, after.sizeMB),
  };
}

/** Counts the graph, runs `prune` on it, counts again. */
export function measurePruning<T>(graph: Graph, prune: () => T): { result: T; report: PruneReport } {
  const before = countFlops(graph);
  const result = prune();
  return { result, report: compareFlops(before, countFlops(graph)) };
}

/** Lines for a log: FLOPs (MACs and GFLOPs), params and size, before -> after (-x%). */
export function formatPruneReport(r: PruneReport): string {
  const pct = (x: number) => `${x >= 0 ? '-' : '+'}${Math.abs(x).toFixed(2)}%`;
  return [
    `FLOPs: ${r.before.macs} -> ${r.after.macs} MACs, ${r.before.gflops.toFixed(4)} -> ${r.after.gflops.toFixed(4)} GFLOPs (${pct(r.macsReduction)})`,
    `params: ${r.before.params} -> ${r.after.params} (${pct(r.paramsReduction)})`,
    `size: ${r.before.sizeMB.toFixed(2)} -> ${r.after.sizeMB.toFixed(2)} MB (${pct(r.sizeReduction)})`,
  ].join('\n');
}
