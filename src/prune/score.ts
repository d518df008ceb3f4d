/**
 * The ranking of a group's channels, in the listed conv's channel space.
 *   groupReduction 'master' (default, PaddleSlim's): the listed conv's own scores; bn_scale
 *     reads the batch_norm / affine_channel directly after it.
 *   groupReduction 'mean': every producer of the group is scored (each conv whose output
 *     channels are in the group, e.g. all convs feeding one residual sum; for bn_scale, every
 *     norm in the group), each member's scores are divided by its largest score (so every
 *     member weighs the same whatever its scale), brought into the root's space through the
 *     member's index mapping (a root channel that maps to several indices takes their mean),
 *     and averaged over the members that hold that channel.
 */
import type { Graph } from '../graph/graph';
import { channelScores } from './criteria';
import { PruneError } from './groups';
import { mapIndices } from './mapping';
import type { Criterion, Group, ParamMember, Step } from './types';

function dataOf(graph: Graph, param: string, criterion: Criterion): ArrayLike<number> {
  const p = graph.param(param);
  if (!p.tensor) throw new PruneError(`${criterion}: expected parameter data for ${param} (initialise the parameters or load weights first), got none`);
  if (p.tensor.size !== p.shape.reduce((a, b) => a * b, 1)) {
    throw new PruneError(`${criterion}: expected data of shape [${p.shape.join(', ')}] for ${param}, got [${p.tensor.shape.join(', ')}]`);
  }
  // Host backends (native, reference) keep the data in a typed array on the JS heap: read it
  // in place rather than copying tens of MB per plan; other backends copy it out.
  const st: unknown = p.tensor.storage;
  if ((st instanceof Float32Array || st instanceof Float64Array) && st.length >= p.tensor.size) return st.subarray(0, p.tensor.size);
  return p.tensor.toArray();
}

const isNorm = (graph: Graph, m: ParamMember) => m.paramRole === 'scale' && ['batch_norm', 'affine_channel'].includes(graph.node(m.node).type);

/** The scale member of the norm reading the root conv's output directly. */
function normAfterRoot(graph: Graph, group: Group): ParamMember {
  const out = graph.node(group.rootNode).outputs[0];
  for (const m of group.members) {
    if (m.kind === 'param' && m.map.length === 0 && isNorm(graph, m) && graph.node(m.node).inputs[0] === out) return m;
  }
  const got = graph.consumers(out).map((n) => `${n.type} ${n.id}`).join(', ') || 'no consumer';
  throw new PruneError(`bn_scale: expected a batch_norm or affine_channel reading the output of ${group.root}, got ${got}`);
}

export function scoreGroup(graph: Graph, group: Group, criterion: Criterion, reduction: 'master' | 'mean'): number[] {
  const n = group.channels;
  if (reduction === 'master') {
    if (criterion === 'bn_scale') {
      const m = normAfterRoot(graph, group);
      return channelScores(dataOf(graph, m.param, criterion), graph.param(m.param).shape, 0, criterion);
    }
    return channelScores(dataOf(graph, group.root, criterion), graph.param(group.root).shape, group.rootAxis, criterion);
  }
  const scored: Array<{ param: string; axis: number; map: Step[] }> = [];
  if (criterion === 'bn_scale') {
    for (const m of group.members) if (m.kind === 'param' && isNorm(graph, m)) scored.push(m);
    if (!scored.length) throw new PruneError(`bn_scale: expected a batch_norm or affine_channel in the group of ${group.root}, got none`);
  } else {
    scored.push({ param: group.root, axis: group.rootAxis, map: [] });
    for (const m of group.members) {
      if (m.kind === 'param' && m.role === 'producer' && m.paramRole === 'weight' && m.param !== group.root) scored.push(m);
    }
  }
  const acc = new Float64Array(n);
  const cnt = new Float64Array(n);
  for (const m of scored) {
    const s = channelScores(dataOf(graph, m.param, criterion), graph.param(m.param).shape, m.axis, criterion);
    let max = 0;
    for (const v of s) if (v > max) max = v;
    const norm = max > 0 ? 1 / max : 0;
    for (let i = 0; i < n; i++) {
      const idx = m.map.length ? mapIndices(m.map, [i]) : [i];
      if (!idx.length) continue;
      let t = 0;
      for (const j of idx) t += s[j];
      acc[i] += (t / idx.length) * norm;
      cnt[i] += 1;
    }
  }
  return Array.from(acc, (v, i) => (cnt[i] ? v / cnt[i] : 0));
}
