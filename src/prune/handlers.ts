/**
 * How the channels of a group cross each op type: one table, op type -> { input, output }.
 *   input(w, node, i, map):  the group's channels arrive at input i of the node (walking
 *                            forward from a producer): say which of the node's params shrink
 *                            and where the channels go next.
 *   output(w, node, o, map): they arrive at output o (walking back from a consumer, e.g. the
 *                            other operand of a residual sum).
 * `map` takes the group's root indices to this value's channel indices (axis 1). An op type
 * without an entry, or without the direction needed, stops the walk with an error naming the
 * op and the parameter being pruned (groups.ts); a new op is one more line here.
 */
import type { Graph } from '../graph/graph';
import type { Dims, Node } from '../graph/types';
import { extend } from './mapping';
import type { MemberRole, Step } from './types';

export interface Walk {
  readonly graph: Graph;
  /** the root's channel count (domain of every map) */
  readonly n: number;
  shape(value: string): Dims;
  paramShape(node: Node, role: string): Dims;
  /** the param bound to `role` of `node` loses the mapped indices on `axis` */
  param(node: Node, role: string, axis: number, memberRole: MemberRole, map: Step[]): void;
  /** an attribute counting the node's input channels shrinks with them (map into them) */
  attr(node: Node, name: 'groups' | 'sections', map: Step[]): void;
  /** the channels continue into this value (its axis 1) */
  reach(value: string, map: Step[]): void;
  /** stops the walk: `<node.type>: expected <what> for <root param>, got <got>` */
  fail(node: Node, what: string, got: unknown): never;
}

export interface PruneHandler {
  input?(w: Walk, node: Node, index: number, map: Step[]): void;
  output?(w: Walk, node: Node, index: number, map: Step[]): void;
}

const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
const ext = (w: Walk, map: Step[], s: Step) => extend(map, s, w.n);
const intAttr = (node: Node, name: string, dflt: number): number => {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : dflt;
};
const axisOf = (node: Node, rank: number, dflt: number): number => {
  const a = intAttr(node, 'axis', dflt);
  return a < 0 ? a + rank : a;
};

/**
 * The map one step before an expansion by `by`: walking back through an op that expanded
 * each channel into `by` indices (flatten, a depthwise multiplier) is possible only when the
 * channels arrived that way; null otherwise.
 */
function unexpand(map: Step[], by: number): Step[] | null {
  if (by === 1) return map;
  const last = map[map.length - 1];
  return last?.op === 'expand' && last.by === by ? map.slice(0, -1) : null;
}

/** Channels pass unchanged from input 0 to output 0 and back. */
const passThrough: PruneHandler = {
  input: (w, node, _i, map) => w.reach(node.outputs[0], map),
  output: (w, node, _o, map) => w.reach(node.inputs[0], map),
};

/** Per-channel params (axis 0) shrink; channels pass through. */
const perChannel: PruneHandler = {
  input(w, node, _i, map) {
    for (const role of Object.keys(node.params)) w.param(node, role, 0, 'channel', map);
    w.reach(node.outputs[0], map);
  },
  output(w, node, _o, map) {
    for (const role of Object.keys(node.params)) w.param(node, role, 0, 'channel', map);
    w.reach(node.inputs[0], map);
  },
};

/** conv2d: weight [OC, C/groups, KH, KW]. Plain: input axis 1, output axis 0. Depthwise: both on axis 0. */
const conv2d: PruneHandler = {
  input(w, node, _i, map) {
    const groups = intAttr(node, 'groups', 1);
    const cin = w.shape(node.inputs[0])[1];
    if (groups === 1) return w.param(node, 'weight', 1, 'consumer', map);
    if (groups !== cin) w.fail(node, `groups 1 or equal to the input channels ${cin} (depthwise)`, groups);
    const mult = w.paramShape(node, 'weight')[0] / cin;
    const out = ext(w, map, { op: 'expand', by: mult });
    w.param(node, 'weight', 0, 'channel', out);
    if (node.params.bias) w.param(node, 'bias', 0, 'channel', out);
    w.attr(node, 'groups', map);
    w.reach(node.outputs[0], out);
  },
  output(w, node, _o, map) {
    const groups = intAttr(node, 'groups', 1);
    const cin = w.shape(node.inputs[0])[1];
    const oc = w.paramShape(node, 'weight')[0];
    if (groups === 1) {
      w.param(node, 'weight', 0, 'producer', map);
      if (node.params.bias) w.param(node, 'bias', 0, 'producer', map);
      return;
    }
    if (groups !== cin) w.fail(node, `groups 1 or equal to the input channels ${cin} (depthwise)`, groups);
    const into = unexpand(map, oc / cin);
    if (!into) return w.fail(node, `its ${oc} filters pruned ${oc / cin} per input channel (depthwise multiplier)`, 'a subset of the filters of some input channels');
    w.param(node, 'weight', 0, 'channel', map);
    if (node.params.bias) w.param(node, 'bias', 0, 'channel', map);
    w.attr(node, 'groups', into);
    w.reach(node.inputs[0], into);
  },
};

/** conv2d_transpose: weight [C_in, C_out/groups, KH, KW]: input axis 0, output axis 1 (groups 1). */
const conv2dTranspose: PruneHandler = {
  input(w, node, _i, map) {
    const groups = intAttr(node, 'groups', 1);
    if (groups !== 1) w.fail(node, 'groups 1', groups);
    w.param(node, 'weight', 0, 'consumer', map);
  },
  output(w, node, _o, map) {
    const groups = intAttr(node, 'groups', 1);
    if (groups !== 1) w.fail(node, 'groups 1', groups);
    w.param(node, 'weight', 1, 'producer', map);
    if (node.params.bias) w.param(node, 'bias', 0, 'producer', map);
  },
};

/** fc: weight [in, out]; an input [N, C, H, W] is read flattened, so each channel is H*W rows. */
const fc: PruneHandler = {
  input(w, node, _i, map) {
    const x = w.shape(node.inputs[0]);
    w.param(node, 'weight', 0, 'consumer', ext(w, map, { op: 'expand', by: prod(x.slice(2)) }));
  },
  output(w, node, _o, map) {
    w.param(node, 'weight', 1, 'producer', map);
    if (node.params.bias) w.param(node, 'bias', 0, 'producer', map);
  },
};

/** flatten at axis 1: [N, C, H, W] -> [N, C*H*W], channel c becomes columns c*H*W ... */
const flatten: PruneHandler = {
  input(w, node, _i, map) {
    const x = w.shape(node.inputs[0]);
    const axis = intAttr(node, 'axis', 1);
    if (axis !== 1) w.fail(node, 'axis 1 (channels must stay on axis 1)', axis);
    w.reach(node.outputs[0], ext(w, map, { op: 'expand', by: prod(x.slice(2)) }));
  },
  output(w, node, _o, map) {
    const into = unexpand(map, prod(w.shape(node.inputs[0]).slice(2)));
    if (!into) return w.fail(node, 'whole channels (every H*W column of a channel pruned together)', 'part of a channel');
    w.reach(node.inputs[0], into);
  },
};

/** reshape: channels pass when axes 0 and 1 are kept, or expand when it flattens [N, C, ...] to [N, C*...]. */
function reshapeChannelDim(w: Walk, node: Node): void {
  const s = node.attrs.shape;
  if (Array.isArray(s) && s.length >= 2 && s[1] !== 0 && s[1] !== -1) {
    w.fail(node, 'a shape attribute giving dim 1 as 0 (copy) or -1 (inferred), so it follows the pruned channels', s);
  }
}
const reshape: PruneHandler = {
  input(w, node, _i, map) {
    reshapeChannelDim(w, node);
    const x = w.shape(node.inputs[0]);
    const y = w.shape(node.outputs[0]);
    if (y.length >= 2 && y[0] === x[0] && y[1] === x[1]) return w.reach(node.outputs[0], map);
    if (y.length === 2 && y[0] === x[0] && y[1] === prod(x.slice(1))) return w.reach(node.outputs[0], ext(w, map, { op: 'expand', by: prod(x.slice(2)) }));
    w.fail(node, 'a reshape keeping axes 0 and 1, or flattening [N, C, ...] into [N, C*...]', `[${x.join(', ')}] -> [${y.join(', ')}]`);
  },
  output(w, node, _o, map) {
    reshapeChannelDim(w, node);
    const x = w.shape(node.inputs[0]);
    const y = w.shape(node.outputs[0]);
    if (y.length >= 2 && y[0] === x[0] && y[1] === x[1]) return w.reach(node.inputs[0], map);
    const into = y.length === 2 && y[0] === x[0] && y[1] === prod(x.slice(1)) ? unexpand(map, prod(x.slice(2))) : null;
    if (!into) return w.fail(node, 'a reshape keeping axes 0 and 1, or a flattening reached by whole channels', `[${x.join(', ')}] -> [${y.join(', ')}]`);
    w.reach(node.inputs[0], into);
  },
};

/**
 * elementwise add / sub / mul: every operand carrying the same channels (same rank, channel
 * dim equal to the output's) is pruned with the same indices, so the convs producing them
 * join the group (residual sums). An operand broadcast along the channels (dim 1 is 1) is not.
 */
/** The dim of operand b (Paddle's broadcast alignment, attr axis) that lands on x's axis 1. */
function alignedChannel(node: Node, xs: Dims, bs: Dims): number {
  if (bs.length === xs.length) return bs[1];
  const b = [...bs];
  while (b.length > 1 && b[b.length - 1] === 1) b.pop();
  let axis = intAttr(node, 'axis', -1);
  if (axis === -1) axis = xs.length - b.length;
  const k = 1 - axis;
  return k >= 0 && k < b.length ? b[k] : 1;
}
function elementwiseOperands(w: Walk, node: Node): string[] {
  const y = w.shape(node.outputs[0]);
  const joined: string[] = [];
  for (const v of node.inputs) {
    const s = w.shape(v);
    const c = alignedChannel(node, y, s);
    if (c === 1 && y[1] !== 1) continue;
    if (s.length !== y.length) w.fail(node, `operands broadcast along the channels or of rank ${y.length}`, `[${s.join(', ')}] (${v})`);
    joined.push(v);
  }
  return joined;
}
const elementwise: PruneHandler = {
  input(w, node, _i, map) {
    for (const v of elementwiseOperands(w, node)) w.reach(v, map);
    w.reach(node.outputs[0], map);
  },
  output(w, node, _o, map) {
    for (const v of elementwiseOperands(w, node)) w.reach(v, map);
  },
};

/** concat: along channels, input i's indices shift by the channels before it; along another axis, every input joins. */
const concat: PruneHandler = {
  input(w, node, i, map) {
    const y = w.shape(node.outputs[0]);
    if (axisOf(node, y.length, 1) !== 1) {
      for (const v of node.inputs) w.reach(v, map);
      return w.reach(node.outputs[0], map);
    }
    let off = 0;
    for (let k = 0; k < i; k++) off += w.shape(node.inputs[k])[1];
    w.reach(node.outputs[0], ext(w, map, { op: 'offset', by: off }));
  },
  output(w, node, _o, map) {
    const y = w.shape(node.outputs[0]);
    if (axisOf(node, y.length, 1) !== 1) {
      for (const v of node.inputs) w.reach(v, map);
      return;
    }
    let off = 0;
    for (const v of node.inputs) {
      const c = w.shape(v)[1];
      w.reach(v, ext(w, map, { op: 'slice', start: off, len: c }));
      off += c;
    }
  },
};

/**
 * split: along channels, output k takes the indices of its part (and `sections` shrinks part by
 * part); along another axis, all outputs carry them.
 */
const split: PruneHandler = {
  input(w, node, _i, map) {
    const x = w.shape(node.inputs[0]);
    if (axisOf(node, x.length, 1) !== 1) {
      for (const v of node.outputs) w.reach(v, map);
      return;
    }
    w.attr(node, 'sections', map);
    let off = 0;
    for (const v of node.outputs) {
      const c = w.shape(v)[1];
      w.reach(v, ext(w, map, { op: 'slice', start: off, len: c }));
      off += c;
    }
  },
  output(w, node, o, map) {
    const x = w.shape(node.inputs[0]);
    if (axisOf(node, x.length, 1) !== 1) {
      for (const v of [...node.inputs, ...node.outputs]) w.reach(v, map);
      return;
    }
    let off = 0;
    for (let k = 0; k < o; k++) off += w.shape(node.outputs[k])[1];
    const into = ext(w, map, { op: 'offset', by: off });
    w.attr(node, 'sections', into);
    w.reach(node.inputs[0], into);
  },
};

/** softmax along any axis but the channels is per channel. */
const softmax: PruneHandler = {
  input(w, node, i, map) {
    const x = w.shape(node.inputs[0]);
    if (axisOf(node, x.length, -1) === 1) w.fail(node, 'an axis other than the channels', 1);
    passThrough.input!(w, node, i, map);
  },
  output(w, node, o, map) {
    const x = w.shape(node.inputs[0]);
    if (axisOf(node, x.length, -1) === 1) w.fail(node, 'an axis other than the channels', 1);
    passThrough.output!(w, node, o, map);
  },
};

/**
 * roi_align: the feature map's channels (input 0) pass to the pooled output, as through a pool;
 * rois and their batch indices (inputs 1, 2) carry no channels.
 */
const roiAlign: PruneHandler = {
  input(w, node, i, map) {
    if (i !== 0) w.fail(node, 'channels reaching input 0 (the feature map) only', `channels reaching input ${i} (${i === 1 ? 'rois' : 'roi batch indices'})`);
    w.reach(node.outputs[0], map);
  },
  output: (w, node, _o, map) => w.reach(node.inputs[0], map),
};

export const PRUNE_HANDLERS: Record<string, PruneHandler> = {
  conv2d,
  conv2d_transpose: conv2dTranspose,
  fc,
  batch_norm: perChannel,
  affine_channel: perChannel,
  relu: passThrough,
  leaky_relu: passThrough,
  relu6: passThrough,
  sigmoid: passThrough,
  hardswish: passThrough,
  hardsigmoid: passThrough,
  swish: passThrough,
  tanh: passThrough,
  pool2d: passThrough,
  upsample: passThrough,
  roi_align: roiAlign,
  dropout: passThrough,
  scale: passThrough,
  elementwise_add: elementwise,
  elementwise_sub: elementwise,
  elementwise_mul: elementwise,
  concat,
  split,
  flatten,
  reshape,
  softmax,
};

/** Which param of a node type holds the output channels a group can be rooted at, and on which axis. */
export const ROOT_AXIS: Record<string, { role: string; axis: number }> = {
  conv2d: { role: 'weight', axis: 0 },
  conv2d_transpose: { role: 'weight', axis: 1 },
  fc: { role: 'weight', axis: 1 },
};
