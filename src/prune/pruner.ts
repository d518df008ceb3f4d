/**
 * plan(): which channels each listed conv keeps. For every listed param, in order: its group
 * (groups.ts), the ranking of its channels (score.ts), the count from the ratio (count.ts),
 * and the kept indices. A param whose group an earlier listed param already owns is reported
 * (warning naming both) and pruned with the first one's ratio, as PaddleSlim does silently.
 *
 * apply(): removes the channels. Each group's removed root indices are mapped onto every member
 * and unioned per (parameter, axis) first, then each parameter is sliced once per axis:
 *   default     tensors gathered (backend gatherAxis kernel), shapes, depthwise `groups` and
 *               split `sections` attributes and every value shape (inferShapes) updated
 *   lazy        the removed slices set to zero in place; shapes and attributes unchanged
 *   only_graph  shapes and attributes only; no tensor data read or written (rebuild a pruned
 *               graph before loading pruned weights)
 * Optimizer slots of a pruned parameter (any tensor of the parameter's shape stored under its
 * name) get the same slice; slots of another shape (Adam's step powers) are left alone.
 * Everything is checked before anything is changed.
 */
import * as ops from '../backend/ops';
import type { Tensor } from '../backend/tensor';
import type { Graph } from '../graph/graph';
import { keptCount } from './count';
import { keptByScore } from './criteria';
import { groupOf, PruneError } from './groups';
import { complement, mapIndices } from './mapping';
import { scoreGroup } from './score';
import type { ApplyOptions, OptimizerSlots, Plan, PlanOptions, PlannedGroup, PruneRecord } from './types';
import { checkPlanOptions } from './validate';

export function plan(graph: Graph, options: PlanOptions): Plan {
  const o = checkPlanOptions(graph, options);
  const warn = options.warn ?? ((m: string) => process.stderr.write(`slimprune: warning: ${m}\n`));
  const warnings: string[] = [];
  const owner = new Map<string, { param: string; ratio: number }>();
  const groups: PlannedGroup[] = [];
  o.params.forEach((param, i) => {
    const group = groupOf(graph, param);
    const ratio = o.ratios[i];
    const first = owner.get(`${param}:${group.rootAxis}`);
    if (first) {
      const msg = `${param} and ${first.param} are in one group: both pruned with the first ratio ${first.ratio} (${param}'s ratio ${ratio} is ignored)`;
      warnings.push(msg);
      warn(msg);
      return;
    }
    for (const m of group.members) if (m.kind === 'param' && m.role !== 'consumer') owner.set(`${m.param}:${m.axis}`, { param, ratio });
    const n = group.channels;
    const scores = scoreGroup(graph, group, o.criterion, o.groupReduction);
    const kept = keptByScore(scores, n - keptCount(n, ratio, o.roundTo));
    groups.push({ master: param, ratio, channels: n, kept, scores, group });
  });
  return { criterion: o.criterion, groups, warnings };
}

export function recordOf(p: Plan): PruneRecord {
  return {
    format: 'slimprune.prune',
    version: 1,
    criterion: p.criterion,
    groups: p.groups.map((g) => ({ master: g.master, ratio: g.ratio, channels: g.channels, kept: [...g.kept] })),
  };
}

function slotTensor(slots: OptimizerSlots[string], name: string): Tensor | undefined {
  return slots instanceof Map ? slots.get(name) : slots[name];
}

function setSlot(slots: OptimizerSlots[string], name: string, t: Tensor): void {
  if (slots instanceof Map) slots.set(name, t);
  else slots[name] = t;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Zeroes the slices of t not in `keep` along axis, in place. */
function zeroOutside(t: Tensor, axis: number, keep: number[]): void {
  const g = ops.gatherAxis(t, axis, keep);
  const z = ops.scatterAddAxis(g, axis, keep, t.shape);
  g.dispose();
  t.set(z.toArray());
  z.dispose();
}

export function apply(graph: Graph, p: Plan, options: ApplyOptions = {}): PruneRecord {
  const mode = options.mode ?? 'default';
  if (!['default', 'lazy', 'only_graph'].includes(mode)) throw new PruneError(`prune: expected mode default, lazy or only_graph, got ${JSON.stringify(mode)}`);
  const consumersOnly = mode === 'lazy' && options.lazyMembers === 'consumers';
  if (options.lazyMembers !== undefined && !['all', 'consumers'].includes(options.lazyMembers)) {
    throw new PruneError(`prune: expected lazyMembers 'all' or 'consumers', got ${JSON.stringify(options.lazyMembers)}`);
  }

  // removed indices per parameter axis, per depthwise node, per value
  const params = new Map<string, Map<number, Set<number>>>();
  const attrs = new Map<string, Set<number>>(); // key: node id + '\0' + attribute
  const values = new Map<string, Set<number>>();
  const addTo = <K>(m: Map<K, Set<number>>, k: K, idx: number[]) => {
    const s = m.get(k) ?? new Set<number>();
    for (const i of idx) s.add(i);
    m.set(k, s);
  };
  for (const g of p.groups) {
    const { root, rootAxis } = g.group;
    const cur = graph.param(root).shape[rootAxis];
    if (cur !== g.channels) {
      throw new PruneError(`prune: expected ${root} with ${g.channels} channels on axis ${rootAxis} (as planned), got ${cur} (plan already applied, or made for another graph)`);
    }
    const ok = g.kept.length >= 1 && g.kept.every((k, i) => Number.isInteger(k) && k >= 0 && k < g.channels && (i === 0 || k > g.kept[i - 1]));
    if (!ok) throw new PruneError(`prune: expected kept channels of ${g.master}: ascending distinct integers in [0, ${g.channels}), at least one, got ${JSON.stringify(g.kept)}`);
    const removed = complement(g.channels, g.kept);
    if (!removed.length) continue;
    for (const m of g.group.members) {
      if (m.kind === 'param') {
        if (consumersOnly && m.role !== 'consumer') continue;
        const axes = params.get(m.param) ?? new Map<number, Set<number>>();
        params.set(m.param, axes);
        addTo(axes, m.axis, mapIndices(m.map, removed));
      } else if (m.kind === 'attr') addTo(attrs, `${m.node}\0${m.attr}`, mapIndices(m.map, removed));
      else addTo(values, m.value, mapIndices(m.map, removed));
    }
  }

  // checks, before any change
  const keeps = new Map<string, Array<{ axis: number; keep: number[] }>>();
  for (const [name, axes] of params) {
    const prm = graph.param(name);
    if (mode !== 'only_graph') {
      if (!prm.tensor) throw new PruneError(`prune: expected data for parameter ${name} in mode ${mode} (initialise or load weights, or use mode only_graph), got none`);
      if (!sameShape(prm.tensor.shape, prm.shape)) throw new PruneError(`prune: expected data of shape [${prm.shape.join(', ')}] for ${name}, got [${prm.tensor.shape.join(', ')}]`);
    }
    const list: Array<{ axis: number; keep: number[] }> = [];
    for (const [axis, set] of [...axes].sort((a, b) => a[0] - b[0])) {
      const keep = complement(prm.shape[axis], set);
      if (!keep.length) throw new PruneError(`prune: expected at least one channel left on axis ${axis} of ${name}, got none`);
      list.push({ axis, keep });
    }
    keeps.set(name, list);
  }
  for (const [v, set] of values) {
    if (graph.shapeOf(v)[1] - set.size < 1) throw new PruneError(`prune: expected at least one channel left in value ${v}, got none`);
  }
  const newAttrs: Array<{ id: string; name: string; value: number | number[] }> = [];
  for (const [key, set] of attrs) {
    const [id, name] = key.split('\0');
    const node = graph.node(id);
    if (name === 'groups') newAttrs.push({ id, name, value: (node.attrs.groups as number) - set.size });
    else {
      const cin = graph.shapeOf(node.inputs[0])[1];
      const s = node.attrs.sections;
      const sizes = Array.isArray(s) && s.length ? [...s] : new Array<number>(node.outputs.length).fill(cin / node.outputs.length);
      let start = 0;
      const left = sizes.map((len) => {
        let r = 0;
        for (const i of set) if (i >= start && i < start + len) r++;
        start += len;
        return len - r;
      });
      if (left.some((c) => c < 1)) throw new PruneError(`split: expected at least one channel left in every part of node ${id}, got parts of [${left.join(', ')}] channels`);
      newAttrs.push({ id, name, value: left });
    }
  }

  for (const [name, list] of keeps) {
    const prm = graph.param(name);
    const shape0 = [...prm.shape];
    const slots = Object.values(options.optimizerState ?? {}).filter((s) => {
      const t = slotTensor(s, name);
      return t && sameShape(t.shape, shape0);
    });
    for (const { axis, keep } of list) {
      if (mode === 'default') {
        const t = ops.gatherAxis(prm.tensor!, axis, keep);
        prm.tensor!.dispose();
        prm.tensor = t;
        for (const s of slots) {
          const old = slotTensor(s, name)!;
          setSlot(s, name, ops.gatherAxis(old, axis, keep));
          old.dispose();
        }
      } else if (mode === 'lazy') {
        zeroOutside(prm.tensor!, axis, keep);
        for (const s of slots) zeroOutside(slotTensor(s, name)!, axis, keep);
      }
      if (mode !== 'lazy') prm.shape = prm.shape.map((d, i) => (i === axis ? keep.length : d));
    }
  }
  if (mode !== 'lazy') {
    for (const a of newAttrs) graph.node(a.id).attrs[a.name] = a.value;
    graph.inferShapes();
  }
  return recordOf(p);
}
