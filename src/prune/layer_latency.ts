/**
 * Latency as a pruning cost (`slimprune ratios --target_latency`): every conv2d of the graph is
 * timed once, alone, on this machine with the current backend (random data of its input and
 * weight shapes; one warm-up run, then the median of `runs`), and the table is kept in memory
 * for the life of the process, keyed by backend and layer geometry.
 *
 * A pruned layer is estimated from its unpruned time, scaled by what is left of its input
 * channels (per group) and of its output channels:
 *   t' = t x (C'/C) x (OC'/OC)
 * which is the share of its multiply-adds that remains. Depthwise convs keep one input channel
 * per group, so they scale with their channel count only. Layers other than conv2d (batch
 * norm, activations, upsampling, NMS) are not counted: they are a small part of a detector's
 * time and change little with pruning.
 */
import { getBackend } from '../backend/loader';
import { conv2d } from '../backend/ops';
import { Tensor } from '../backend/tensor';
import { convAttrs } from '../graph/ops/conv2d';
import type { Graph } from '../graph/graph';
import type { Group } from './types';
import { prunedCopy } from './ratios';

const measured = new Map<string, number>();

/** Milliseconds of one conv2d node of `graph` alone (median of `runs` after a warm-up). */
function timeConv(graph: Graph, nodeId: string, runs: number): number {
  const node = graph.node(nodeId);
  const xShape = graph.shapeOf(node.inputs[0]);
  const wShape = graph.param(node.params.weight).shape;
  const attrs = convAttrs(node, node.attrs);
  const backend = getBackend();
  const key = `${backend.name}|${xShape.join('x')}|${wShape.join('x')}|${JSON.stringify(attrs)}|${runs}`;
  const hit = measured.get(key);
  if (hit !== undefined) return hit;
  const fill = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const x = Tensor.from(fill(xShape.reduce((a, d) => a * d, 1)), xShape);
  const w = Tensor.from(fill(wShape.reduce((a, d) => a * d, 1)), wShape);
  const times: number[] = [];
  try {
    for (let k = 0; k <= runs; k++) {
      const t0 = process.hrtime.bigint();
      conv2d(x, w, null, attrs).dispose();
      if (k > 0) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    x.dispose();
    w.dispose();
  }
  times.sort((a, b) => a - b);
  const ms = times[times.length >> 1];
  measured.set(key, ms);
  return ms;
}

export interface LayerLatency {
  /** conv2d node id -> its weight param and measured milliseconds */
  layers: Map<string, { weight: string; ms: number; shape: readonly number[] }>;
  /** the sum over the layers */
  total: number;
}

/** Times every conv2d of `graph` (cached per backend and geometry). */
export function measureLayerLatency(graph: Graph, o: { runs?: number } = {}): LayerLatency {
  const runs = o.runs ?? 3;
  const layers = new Map<string, { weight: string; ms: number; shape: readonly number[] }>();
  let total = 0;
  for (const node of graph.nodes) {
    if (node.type !== 'conv2d') continue;
    const ms = timeConv(graph, node.id, runs);
    const weight = node.params.weight;
    layers.set(node.id, { weight, ms, shape: [...graph.param(weight).shape] });
    total += ms;
  }
  return { layers, total };
}

/**
 * Estimated milliseconds of the conv layers of `graph` with `ratios` applied (shapes only, on a
 * copy): each layer's measured time scaled by its remaining input and output channels.
 */
export function latencyWithRatios(graph: Graph, table: LayerLatency, groups: ReadonlyMap<string, Group>, ratios: Record<string, number>, roundTo = 1): number {
  const g = prunedCopy(graph, groups, ratios, roundTo);
  let ms = 0;
  for (const [id, layer] of table.layers) {
    const now = g.param(g.node(id).params.weight).shape;
    ms += layer.ms * (now[0] / layer.shape[0]) * (now[1] / layer.shape[1]);
  }
  return ms;
}
