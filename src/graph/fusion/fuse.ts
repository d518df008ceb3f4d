/**
 * The fusion pass: the node list the executor runs, with chains that have a fused kernel
 * replaced by one fused node (fused_ops.ts). Meaning is unchanged: the fused kernels give the
 * same numbers as the chains (test/parity/fused_chain.test.ts); what changes is that the value
 * between the two nodes is never materialised, and one pass over memory goes away each way.
 *
 * Rewrites, each only where the intermediate value has exactly one consumer (the activation) and
 * is not fetched, and where the backend runs the fused kernels:
 * - training: batch_norm (batch statistics, not use_global_stats) -> relu / leaky_relu (alpha
 *   >= 0) / relu6   becomes batch_norm_act;
 * - any mode: conv2d -> the same activations   becomes conv2d_act (an eval graph with its batch
 *   norms folded into the convs is conv(+bias) -> act throughout);
 * - inference without a backward pass, on a backend with prefersFused: a depthwise conv2d_act
 *   (groups == C == OC) whose output only a 1x1 conv2d_act reads   becomes dwpw_act (MobileNet's
 *   separable blocks), which runs one kernel where the backend prefers it for the geometry and
 *   the two otherwise.
 * The graph itself is never changed: it is the public model (pruning, export, checkpoints read
 * it); the fused list exists for one run.
 */
import type { Backend } from '../../backend/backend';
import { isFusableActivation } from '../../backend/ops';
import type { KernelName } from '../../backend/kernels';
import type { Graph } from '../graph';
import { opDef } from '../ops';
import { boolAttr } from '../ops/attrs';
import type { OpDef } from '../op_def';
import type { Attrs, Node } from '../types';
import { FUSED_OPS } from './fused_ops';

export interface FusionContext {
  training: boolean;
  /** a backward pass follows (inputGrads in eval mode too): only fusions with a backward apply */
  grad?: boolean;
  /** values the caller fetches: never fused away */
  fetch: readonly string[];
  backend: Backend<any>;
}

const DEFAULT_ALPHA: Record<string, number> = { leaky_relu: 0.02 };

/** The definition of a node the executor runs: a fused op's, else the op table's. */
export function execOpDef(type: string): OpDef {
  return FUSED_OPS.get(type) ?? opDef(type);
}

function activationAlpha(act: Node): number | null {
  const a = act.attrs.alpha;
  if (a === undefined || a === null) return DEFAULT_ALPHA[act.type] ?? 0;
  return typeof a === 'number' && Number.isFinite(a) ? a : null;
}

/** The nodes to run for `graph` under `ctx`, fused where allowed (graph.nodes itself when nothing fuses). */
export function fuseNodes(graph: Graph, ctx: FusionContext): Node[] {
  const supports = (k: KernelName) => ctx.backend.supports(k);
  const bnOk = ctx.training && supports('batch_norm_act_train_forward') && supports('batch_norm_act_backward');
  const convOk = supports('conv2d_act_forward');
  if (!bnOk && !convOk) return graph.nodes;
  const uses = new Map<string, number>();
  const consumer = new Map<string, Node>();
  for (const n of graph.nodes) {
    for (const v of n.inputs) {
      uses.set(v, (uses.get(v) ?? 0) + 1);
      consumer.set(v, n);
    }
  }
  const fetched = new Set(ctx.fetch);
  const absorbed = new Set<string>(); // ids of activation nodes merged into the node before them
  const out: Node[] = [];
  let fused = 0;
  for (const n of graph.nodes) {
    if (absorbed.has(n.id)) continue;
    const v = n.outputs[0];
    const act = n.outputs.length === 1 && uses.get(v) === 1 && !fetched.has(v) ? consumer.get(v)! : null;
    const alpha = act && act.inputs.length === 1 ? activationAlpha(act) : null;
    const fusableAct = act && alpha !== null && isFusableActivation(act.type, alpha);
    const kind = !fusableAct ? null
      : n.type === 'conv2d' && convOk ? 'conv2d_act'
        : n.type === 'batch_norm' && bnOk && !boolAttr(n, n.attrs, 'use_global_stats', false) ? 'batch_norm_act' : null;
    if (!kind || !act) {
      out.push(n);
      continue;
    }
    absorbed.add(act.id);
    fused++;
    out.push({
      id: `${n.id}+${act.id}`,
      type: kind,
      inputs: n.inputs,
      outputs: act.outputs,
      attrs: { ...n.attrs, act: act.type, alpha: alpha! },
      params: n.params,
    });
  }
  const nodes = fused ? out : graph.nodes;
  return !ctx.training && !ctx.grad && ctx.backend.prefersFused ? fuseSeparable(graph, nodes, uses, fetched) : nodes;
}

function paramShape(graph: Graph, name: string | undefined): readonly number[] | null {
  if (!name) return null;
  try {
    return graph.param(name).shape;
  } catch {
    return null;
  }
}

/** dwpw_act in place of each depthwise conv2d_act -> 1x1 conv2d_act pair (see the file comment). */
function fuseSeparable(graph: Graph, nodes: Node[], uses: Map<string, number>, fetched: Set<string>): Node[] {
  const reader = new Map<string, Node>();  // a value's reader in the fused list (single-input nodes)
  for (const n of nodes) if (n.inputs.length === 1) reader.set(n.inputs[0], n);
  const absorbed = new Set<string>();
  const out: Node[] = [];
  for (const n of nodes) {
    if (absorbed.has(n.id)) continue;
    const v = n.outputs[0];
    const single = n.type === 'conv2d_act' && n.outputs.length === 1 && uses.get(v) === 1 && !fetched.has(v);
    const pw = single && reader.get(v)?.type === 'conv2d_act' ? reader.get(v) : undefined;
    const wd = paramShape(graph, n.params.weight), wp = paramShape(graph, pw?.params.weight);
    const groups = n.attrs.groups;
    const depthwise = !!wd && wd.length === 4 && wd[1] === 1 && typeof groups === 'number' && groups === wd[0] && groups > 1;
    const pointwise = !!wp && !!wd && wp.length === 4 && wp[1] === wd[0] && wp[2] === 1 && wp[3] === 1;
    if (!pw || !depthwise || !pointwise) {
      out.push(n);
      continue;
    }
    absorbed.add(pw.id);
    const attrs: Attrs = { ...n.attrs };
    for (const [k, val] of Object.entries(pw.attrs)) attrs[`pw_${k}`] = val;
    const params: Record<string, string> = { weight: n.params.weight, weight2: pw.params.weight };
    if (n.params.bias) params.bias = n.params.bias;
    if (pw.params.bias) params.bias2 = pw.params.bias;
    out.push({ id: `${n.id}+${pw.id}`, type: 'dwpw_act', inputs: n.inputs, outputs: pw.outputs, attrs, params });
  }
  return absorbed.size ? out : nodes;
}
