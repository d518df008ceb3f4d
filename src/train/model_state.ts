/**
 * Between a Graph's parameters and checkpoint tensors: read every parameter out as float32,
 * and load a checkpoint's tensors into a graph, strictly (resume: every parameter present with
 * its shape) or leniently (pretrained weights: a parameter of another shape is skipped and
 * reported, as PaddleDetection does, a parameter absent keeps its initial value).
 */
import type { Backend } from '../backend/backend';
import { Tensor } from '../backend/tensor';
import type { Graph } from '../graph/graph';
import { replayRecord } from '../prune/record';
import type { PruneRecord } from '../prune/types';
import { CheckpointError, type Checkpoint, type NamedArray } from './checkpoint';

export function toFloat32(t: Tensor): Float32Array {
  const a = t.toArray();
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

/** Every parameter with data, in graph order. */
export function graphParams(graph: Graph): NamedArray[] {
  const out: NamedArray[] = [];
  for (const p of graph.paramList()) {
    if (!p.tensor) throw new CheckpointError(`checkpoint: expected data for parameter ${p.name}, got none (initialise or load weights first)`);
    out.push({ name: p.name, shape: [...p.shape], data: toFloat32(p.tensor) });
  }
  return out;
}

/** Applies pruning records to a freshly built graph (shapes only), before its data is created. */
export function replayPruning(graph: Graph, records: readonly PruneRecord[]): void {
  if (records.length) replayRecord(graph, [...records], { mode: 'only_graph' });
}

export interface LoadReport {
  loaded: string[];
  /** present in the checkpoint with another shape than the graph's */
  skipped: Array<{ name: string; want: number[]; got: number[] }>;
  /** graph parameters the checkpoint does not have */
  missing: string[];
  /** checkpoint tensors the graph does not have */
  unused: string[];
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Loads `ckpt`'s parameters into `graph` (whose pruning must already match). strict: any
 * skipped or missing parameter is an error listing them all; otherwise they are reported.
 */
export function loadIntoGraph(graph: Graph, ckpt: Pick<Checkpoint, 'dir' | 'params'>, o: { strict: boolean; backend?: Backend<any> }): LoadReport {
  const r: LoadReport = { loaded: [], skipped: [], missing: [], unused: [] };
  for (const p of graph.paramList()) {
    const t = ckpt.params.get(p.name);
    if (!t) r.missing.push(p.name);
    else if (!same(t.shape, p.shape)) r.skipped.push({ name: p.name, want: [...p.shape], got: [...t.shape] });
  }
  for (const name of ckpt.params.keys()) if (!graph.params.has(name)) r.unused.push(name);
  if (o.strict && (r.skipped.length || r.missing.length)) {
    const parts = [
      ...r.skipped.map((s) => `${s.name} (model [${s.want.join(', ')}], checkpoint [${s.got.join(', ')}])`),
      ...r.missing.map((n) => `${n} (not in the checkpoint)`),
    ];
    throw new CheckpointError(`weights ${ckpt.dir}: expected every parameter of the model with its shape, got mismatches: ${parts.slice(0, 8).join('; ')}${parts.length > 8 ? `; and ${parts.length - 8} more` : ''}`);
  }
  const skip = new Set([...r.missing, ...r.skipped.map((s) => s.name)]);
  for (const p of graph.paramList()) {
    if (skip.has(p.name)) continue;
    const t = ckpt.params.get(p.name)!;
    const backend = o.backend ?? p.tensor?.backend;
    const next = backend ? Tensor.from(t.data, t.shape, backend) : Tensor.from(t.data, t.shape);
    p.tensor?.dispose();
    p.tensor = next;
    r.loaded.push(p.name);
  }
  return r;
}

/** One warning line for a lenient load, or null when everything matched. */
export function describeLoad(source: string, r: LoadReport): string | null {
  const parts: string[] = [];
  if (r.skipped.length) parts.push(`skipped ${r.skipped.length} parameter(s) whose shape differs: ${r.skipped.map((s) => `${s.name} (model [${s.want.join(', ')}], weights [${s.got.join(', ')}])`).join(', ')}`);
  if (r.missing.length) parts.push(`${r.missing.length} parameter(s) not in the weights keep their initial values: ${r.missing.slice(0, 10).join(', ')}${r.missing.length > 10 ? ', ...' : ''}`);
  return parts.length ? `weights ${source}: ${parts.join('; ')}` : null;
}
