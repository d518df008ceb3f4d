/**
 * Dependency groups: from a conv's output channels, walk the graph (handlers.ts) and collect
 * every parameter slice, value and depthwise `groups` attribute that must lose the same
 * channels. The walk goes both ways: forward from a value to each consumer, and back to its
 * producer, so the other operand of a residual sum pulls in the convs feeding it, and their
 * other consumers in turn.
 *
 * Groups depend only on the graph's structure and shapes: they are computed once and cached
 * per graph, keyed by a signature of the node count, every parameter and input shape and the
 * channel-counting attributes, so a pruned or reshaped graph gets fresh groups.
 */
import type { Graph } from '../graph/graph';
import type { Dims, Node } from '../graph/types';
import { PRUNE_HANDLERS, ROOT_AXIS, type Walk } from './handlers';
import { mapIndices, mapKey, range } from './mapping';
import type { Group, GroupListing, Member, MemberRole, Step } from './types';

export class PruneError extends Error {
  override name = 'PruneError';
}

/** Consumers, producers and param users of a graph, indexed once. */
interface GraphIndex {
  consumers: Map<string, Array<{ node: Node; index: number }>>;
  producer: Map<string, { node: Node; index: number }>;
  paramUsers: Map<string, Node[]>;
  outputs: Set<string>;
}

function indexGraph(graph: Graph): GraphIndex {
  const consumers = new Map<string, Array<{ node: Node; index: number }>>();
  const producer = new Map<string, { node: Node; index: number }>();
  const paramUsers = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    node.inputs.forEach((v, index) => {
      const l = consumers.get(v) ?? [];
      l.push({ node, index });
      consumers.set(v, l);
    });
    node.outputs.forEach((v, index) => producer.set(v, { node, index }));
    for (const p of new Set(Object.values(node.params))) {
      const l = paramUsers.get(p) ?? [];
      l.push(node);
      paramUsers.set(p, l);
    }
  }
  return { consumers, producer, paramUsers, outputs: new Set(graph.outputs) };
}

interface Analysis {
  signature: string;
  index: GraphIndex;
  groups: Map<string, Group | PruneError>;
  listing?: GroupListing[];
}

const CACHE = new WeakMap<Graph, Analysis>();

function signature(graph: Graph): string {
  const parts: string[] = [String(graph.nodes.length), graph.outputs.join(',')];
  for (const i of graph.inputs) parts.push(graph.shapeOf(i).join('x'));
  for (const p of graph.params.values()) parts.push(p.shape.join('x'));
  for (const n of graph.nodes) {
    if (n.attrs.groups !== undefined && n.attrs.groups !== 1) parts.push(`${n.id}:${n.attrs.groups}`);
    if (Array.isArray(n.attrs.sections)) parts.push(`${n.id}:${n.attrs.sections.join(',')}`);
  }
  return parts.join('|');
}

function analysis(graph: Graph): Analysis {
  const sig = signature(graph);
  let a = CACHE.get(graph);
  if (!a || a.signature !== sig) {
    a = { signature: sig, index: indexGraph(graph), groups: new Map() };
    CACHE.set(graph, a);
  }
  return a;
}

/** The node whose output channels `param` holds, with the axis; throws when it is not a conv / fc weight. */
export function rootOf(graph: Graph, param: string): { node: Node; axis: number } {
  const { index } = analysis(graph);
  const users = index.paramUsers.get(param) ?? [];
  const roots = users.filter((n) => ROOT_AXIS[n.type] && n.params[ROOT_AXIS[n.type].role] === param);
  if (roots.length !== 1 || users.length !== 1) {
    const got = users.length ? users.map((n) => `${n.type} ${n.id} (role ${Object.keys(n.params).find((r) => n.params[r] === param)})`).join(', ') : 'a parameter no node uses';
    throw new PruneError(`prune: expected the weight of one ${Object.keys(ROOT_AXIS).join(' / ')} node for ${param}, got ${got}`);
  }
  return { node: roots[0], axis: ROOT_AXIS[roots[0].type].axis };
}

function walk(graph: Graph, index: GraphIndex, root: string): Group {
  const { node: rootNode, axis: rootAxis } = rootOf(graph, root);
  const n = graph.param(root).shape[rootAxis];
  const members = new Map<string, Member>();
  const seen = new Set<string>();
  const queue: Array<{ value: string; map: Step[] }> = [];
  const fail = (node: Node, what: string, got: unknown): never => {
    const g = typeof got === 'string' ? got : JSON.stringify(got);
    throw new PruneError(`${node.type}: expected ${what} for ${root} (node ${node.id}), got ${g}`);
  };
  const w: Walk = {
    graph,
    n,
    shape: (v) => graph.shapeOf(v),
    paramShape(node, role) {
      const p = node.params[role];
      if (!p) fail(node, `a parameter bound to role ${role}`, 'none');
      return graph.param(p).shape;
    },
    param(node, role, axis, memberRole: MemberRole, map) {
      const param = node.params[role];
      if (!param) fail(node, `a parameter bound to role ${role}`, 'none');
      const users = index.paramUsers.get(param) ?? [];
      if (users.length > 1) fail(node, `parameter ${param} used by one node`, `shared by ${users.map((u) => u.id).join(', ')}`);
      const key = `p:${param}:${axis}:${mapKey(map)}`;
      if (!members.has(key)) members.set(key, { kind: 'param', param, axis, node: node.id, paramRole: role, role: memberRole, map });
    },
    attr(node, name, map) {
      const key = `a:${node.id}:${name}:${mapKey(map)}`;
      if (!members.has(key)) members.set(key, { kind: 'attr', node: node.id, attr: name, map });
    },
    reach(value, map) {
      const key = `${value}:${mapKey(map)}`;
      if (seen.has(key)) return;
      if (mapIndices(map, range(n)).length === 0) return;
      seen.add(key);
      queue.push({ value, map });
    },
    fail,
  };
  w.reach(rootNode.outputs[0], []);
  const noHandler = (node: Node, dir: string): never => {
    throw new PruneError(`prune: expected an op the pruner can walk through ${dir} for ${root} (node ${node.id}), got ${node.type}`);
  };
  while (queue.length) {
    const { value, map } = queue.shift()!;
    if (index.outputs.has(value)) throw new PruneError(`prune: expected channels that stay inside the network for ${root}, got a path to graph output ${value}`);
    members.set(`v:${value}:${mapKey(map)}`, { kind: 'value', value, axis: 1, map });
    const prod = index.producer.get(value);
    if (!prod) throw new PruneError(`prune: expected channels produced inside the network for ${root}, got a path to graph input ${value}`);
    const ph = PRUNE_HANDLERS[prod.node.type];
    if (!ph?.output) noHandler(prod.node, 'from its output');
    ph.output!(w, prod.node, prod.index, map);
    for (const c of index.consumers.get(value) ?? []) {
      const h = PRUNE_HANDLERS[c.node.type];
      if (!h?.input) noHandler(c.node, 'from its input');
      h.input!(w, c.node, c.index, map);
    }
  }
  return { root, rootAxis, rootNode: rootNode.id, channels: n, members: [...members.values()] };
}

/** The group of everything pruned with `param`'s output channels (cached); throws when they cannot be pruned. */
export function groupOf(graph: Graph, param: string): Group {
  const a = analysis(graph);
  let g = a.groups.get(param);
  if (!g) {
    try {
      g = walk(graph, a.index, param);
    } catch (e) {
      if (!(e instanceof PruneError)) throw e;
      g = e;
    }
    a.groups.set(param, g);
  }
  if (g instanceof PruneError) throw g;
  return g;
}

/** True when `member` holds the output channels of `param` (so both are one group). */
export function holdsOutputOf(graph: Graph, m: Member, param: string): boolean {
  if (m.kind !== 'param' || m.param !== param) return false;
  const r = ROOT_AXIS[graph.node(m.node).type];
  return !!r && r.role === m.paramRole && r.axis === m.axis;
}

/**
 * Every group of the graph, once, in graph order: each conv (conv2d, conv2d_transpose) not
 * already part of an earlier conv's group opens one, named after it (its master). A conv whose
 * channels cannot be pruned is listed with the reason.
 */
export function listGroups(graph: Graph): GroupListing[] {
  const a = analysis(graph);
  if (a.listing) return a.listing;
  const covered = new Set<string>();
  const out: GroupListing[] = [];
  for (const node of graph.nodes) {
    if (node.type !== 'conv2d' && node.type !== 'conv2d_transpose') continue;
    const w = node.params.weight;
    const axis = ROOT_AXIS[node.type].axis;
    if (covered.has(`${w}:${axis}`)) continue;
    let g: Group;
    try {
      g = groupOf(graph, w);
    } catch (e) {
      if (!(e instanceof PruneError)) throw e;
      out.push({ master: w, channels: graph.param(w).shape[axis], members: [], unprunable: e.message });
      covered.add(`${w}:${axis}`);
      continue;
    }
    for (const m of g.members) if (m.kind === 'param' && (m.role === 'producer' || m.role === 'channel')) covered.add(`${m.param}:${m.axis}`);
    out.push({
      master: w,
      channels: g.channels,
      members: g.members.map((m) => {
        const map = mapKey(m.map);
        const extra = map ? { map } : {};
        if (m.kind === 'param') return { param: m.param, axis: m.axis, role: m.role, ...extra };
        if (m.kind === 'value') return { value: m.value, axis: m.axis, ...extra };
        return { node: m.node, attr: m.attr, ...extra };
      }),
    });
  }
  a.listing = out;
  return out;
}
