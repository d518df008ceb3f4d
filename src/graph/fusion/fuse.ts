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
 *   norms folded into the convs is conv(+bias) -> act throughout).
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
import type { Node } from '../types';
import { FUSED_OPS } from './fused_ops';

export interface FusionContext {
  training: boolean;
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
  return fused ? out : graph.nodes;
}
