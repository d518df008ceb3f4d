/**
 * Runs a Graph forward (train or eval mode) and, when asked, backward (reverse-mode autodiff).
 *
 * Memory plan, computed once per run from the graph:
 * - a value "needs grad" when it depends on a trainable parameter (or on an input whose
 *   gradient was asked for); only nodes touching such values run backward;
 * - each value has a forward use count (its consumers) and a backward use count (the active
 *   nodes whose backward reads it, from OpDef.saves / savesFor). A value is freed as soon as both reach
 *   zero: in eval mode right after its last consumer ran, in train mode after the last backward
 *   that reads it. Gradients are freed as soon as the node that consumes them has run.
 * - fetched outputs belong to the caller (never freed here); fed inputs too.
 * - on an error (a bad feed, a failing op, a failing backward) everything this run allocated
 *   is freed before the error propagates.
 * Gradients of values used more than once are summed (axpy into the first one); parameter
 * gradients are returned by parameter name (summed over every use of a shared parameter).
 *
 * Storages: with the memory plan on (the default), every tensor made by a run comes from and goes
 * back to the graph's storage pool (memory_plan.ts), so that freeing by liveness above recycles
 * storages within a step and across steps instead of allocating new ones.
 *
 * Train mode: batch norms use batch statistics and update their running statistics in place;
 * eval mode: running statistics.
 *
 * Fusion: the nodes run are the fusion pass's list (fusion/fuse.ts): conv -> activation and, in
 * training, batch norm -> activation chains become one fused node each where the value between
 * them is used by nothing else, with the same results (ForwardOptions.fuse = false runs the graph's
 * nodes one by one).
 *
 * Lazy feeds: a graph input may be fed a LazyFeed instead of a tensor, a function of values the
 * same run computes before it (a two-stage detector's RoIs are made from its RPN's outputs, in the
 * middle of one forward over one graph). It runs when the first node reading that input is about
 * to run; the values it reads are kept alive until then. Its result belongs to the run (freed by
 * liveness like any other value) and never gets a gradient.
 */
import type { Backend } from '../backend/backend';
import { getBackend } from '../backend/loader';
import * as ops from '../backend/ops';
import type { PreparedWeights } from '../backend/prepared';
import { Tensor, withStoragePool } from '../backend/tensor';
import type { Graph } from './graph';
import { memoryPoolOf, type GraphMemoryPool } from './memory_plan';
// fused node types (fusion/fused_ops.ts) resolve here too
import { execOpDef as opDef, fuseNodes } from './fusion/fuse';
import { fail } from './ops/attrs';
import type { BackwardCtx, OpDef } from './op_def';
import type { Dims, Node } from './types';

export interface ForwardOptions {
  /** train: batch statistics (and BN running-stat updates); eval: running statistics. Default eval. */
  training?: boolean;
  /** record what backward needs (default: false) */
  grad?: boolean;
  /** values to return (default: graph.outputs) */
  fetch?: string[];
  /** graph inputs whose gradient backward should also return */
  inputGrads?: string[];
  /** where to compute (default: the parameters' backend, else the first feed's) */
  backend?: Backend<any>;
  /** recycle storages through the graph's pool (default true; false: every tensor is a new allocation) */
  memoryPlan?: boolean;
  /** run fused kernels for conv/batch-norm + activation chains (fusion/fuse.ts; default true) */
  fuse?: boolean;
  /**
   * inference only (training and grad false): kept filter copies, reused across calls
   * (src/backend/prepared.ts); the graph's parameters must not be written while it is in use
   */
  prepared?: PreparedWeights;
}

/** A graph input computed during the run from values computed before it (see the header). */
export class LazyFeed {
  /**
   * @param after values `compute` reads (outputs of nodes that run before the input's first reader)
   * @param compute makes the input's tensor from those values (it must not dispose them)
   */
  constructor(readonly after: string[], readonly compute: (values: Record<string, Tensor>) => Tensor) {}
}

export type Feed = Tensor | LazyFeed;

export interface ForwardResult {
  /** fetched values, owned by the caller (dispose them when done) */
  outputs: Record<string, Tensor>;
  /** present when grad was requested: feed it to backward() once */
  tape: Tape | null;
}

export interface Gradients {
  /** parameter name -> gradient (same shape as the parameter), owned by the caller */
  params: Map<string, Tensor>;
  /** graph input name -> gradient, for the inputs named in ForwardOptions.inputGrads */
  inputs: Record<string, Tensor>;
}

interface Plan {
  /** the nodes run, in order: the graph's, or the fusion pass's list */
  nodes: Node[];
  needsGrad: Set<string>;
  active: Set<string>;
  fwdUses: Map<string, number>;
  bwdUses: Map<string, number>;
}

/** What a node's backward reads (OpDef.savesFor, else OpDef.saves). */
function savesOf(def: OpDef, node: Node): OpDef['saves'] {
  return def.savesFor?.(node) ?? def.saves;
}

function listOf(sel: number[] | 'all', n: number): number[] {
  return sel === 'all' ? [...Array(n).keys()] : sel;
}

function plan(graph: Graph, grad: boolean, inputGrads: string[], nodes: Node[]): Plan {
  const needsGrad = new Set<string>(grad ? inputGrads : []);
  const active = new Set<string>();
  const fwdUses = new Map<string, number>();
  const bwdUses = new Map<string, number>();
  const bump = (m: Map<string, number>, v: string) => m.set(v, (m.get(v) ?? 0) + 1);
  for (const node of nodes) {
    for (const v of node.inputs) bump(fwdUses, v);
    if (!grad) continue;
    const def = opDef(node.type);
    if (!def.backward) continue;
    const trainable = Object.entries(node.params).some(([role, p]) => graph.param(p).trainable && (def.gradParams ?? []).includes(role));
    if (trainable || node.inputs.some((v) => needsGrad.has(v))) {
      active.add(node.id);
      for (const v of node.outputs) needsGrad.add(v);
      const saves = savesOf(def, node);
      for (const i of listOf(saves.inputs, node.inputs.length)) bump(bwdUses, node.inputs[i]);
      for (const i of listOf(saves.outputs, node.outputs.length)) bump(bwdUses, node.outputs[i]);
    }
  }
  return { nodes, needsGrad, active, fwdUses, bwdUses };
}

function paramTensor(graph: Graph, name: string, node: Node): Tensor {
  const t = graph.param(name).tensor;
  if (!t) fail(node.type, 'parameter data (initialise the parameters or load weights first)', `parameter ${name} of node ${node.id}`, 'none');
  return t;
}

/** The parameters' backend; for a graph without parameters, the first feed's. */
export function defaultBackend(graph: Graph, feeds: Record<string, Feed>): Backend<any> {
  for (const p of graph.params.values()) if (p.tensor) return p.tensor.backend;
  for (const name of graph.inputs) {
    const f = feeds[name];
    if (f && !(f instanceof LazyFeed)) return f.backend;
  }
  return getBackend();
}

/** The state a forward pass leaves for its backward pass. */
export class Tape {
  private used = false;
  constructor(
    readonly graph: Graph,
    readonly backend: Backend<any>,
    readonly training: boolean,
    private readonly p: Plan,
    private readonly values: Map<string, Tensor>,
    private readonly saved: Map<string, Record<string, Tensor>>,
    private readonly shapes: Map<string, Dims>,
    private readonly pinned: Set<string>,
    private readonly inputGrads: string[],
    private readonly pool: GraphMemoryPool | null = null,
  ) {}

  /**
   * Backward from output gradients (value name -> dL/dvalue, copied, not consumed) or from a
   * scalar loss value (its gradient is 1). Frees every activation it held. Once only.
   */
  backward(seeds: Record<string, Tensor> | string): Gradients {
    if (this.used) throw new Error('backward: expected a fresh tape, got one already used (run forward again)');
    this.used = true;
    try {
      return withStoragePool(this.pool, () => this.run(seeds));
    } catch (e) {
      this.pool?.drain();
      throw e;
    }
  }

  private run(seeds: Record<string, Tensor> | string): Gradients {
    const { graph, backend, p } = this;
    const grads = new Map<string, Tensor>();
    const add = (v: string, g: Tensor) => {
      const old = grads.get(v);
      if (!old) grads.set(v, g);
      else {
        ops.axpy(g, old, 1);
        g.dispose();
      }
    };
    if (typeof seeds === 'string') {
      const s = this.shapes.get(seeds);
      if (!s) fail('backward', 'a value computed by the forward pass', 'loss', seeds);
      if (s.reduce((a, b) => a * b, 1) !== 1) fail('backward', 'a scalar loss (one element)', `value ${seeds}`, `[${s.join(', ')}]`);
      grads.set(seeds, Tensor.full(s, 1, backend));
    } else {
      for (const [v, g] of Object.entries(seeds)) {
        const s = this.shapes.get(v);
        if (!s) fail('backward', 'a value computed by the forward pass', 'gradient', v);
        if (g.shape.length !== s.length || g.shape.some((d, i) => d !== s[i])) fail('backward', `a gradient of shape [${s.join(', ')}]`, `value ${v}`, `[${g.shape.join(', ')}]`);
        add(v, ops.copy(g.to(backend)));
      }
    }
    const paramGrads = new Map<string, Tensor>();
    const inputs: Record<string, Tensor> = {};
    const release = (v: string) => {
      const n = (p.bwdUses.get(v) ?? 0) - 1;
      p.bwdUses.set(v, n);
      if (n <= 0 && !this.pinned.has(v)) {
        this.values.get(v)?.dispose();
        this.values.delete(v);
      }
    };
    try {
      for (let k = p.nodes.length - 1; k >= 0; k--) {
        const node = p.nodes[k];
        if (!p.active.has(node.id)) continue;
        const def = opDef(node.type);
        const saves = savesOf(def, node);
        const saveIn = listOf(saves.inputs, node.inputs.length);
        const saveOut = listOf(saves.outputs, node.outputs.length);
        const dOutputs = node.outputs.map((v) => {
          const g = grads.get(v) ?? null;
          grads.delete(v);
          return g;
        });
        const saved = this.saved.get(node.id) ?? {};
        try {
          if (dOutputs.some((g) => g)) {
            const params: Record<string, Tensor> = {};
            for (const [role, name] of Object.entries(node.params)) params[role] = paramTensor(graph, name, node);
            const ctx: BackwardCtx = {
              node,
              attrs: node.attrs,
              inputs: node.inputs.map((v, i) => (saveIn.includes(i) ? this.values.get(v) : undefined)),
              inputShapes: node.inputs.map((v) => this.shapes.get(v)!),
              outputs: node.outputs.map((v, i) => (saveOut.includes(i) ? this.values.get(v) : undefined)),
              outputShapes: node.outputs.map((v) => this.shapes.get(v)!),
              params,
              saved,
              dOutputs,
              training: this.training,
              backend,
              needInput: (i) => p.needsGrad.has(node.inputs[i]),
              needParam: (role) => !!node.params[role] && graph.param(node.params[role]).trainable && (def.gradParams ?? []).includes(role),
            };
            const r = def.backward!(ctx);
            (r.inputs ?? []).forEach((g, i) => {
              if (!g) return;
              if (p.needsGrad.has(node.inputs[i])) add(node.inputs[i], g);
              else g.dispose();
            });
            for (const [role, g] of Object.entries(r.params ?? {})) {
              const name = node.params[role];
              if (!ctx.needParam(role)) {
                g.dispose();
                continue;
              }
              const old = paramGrads.get(name);
              if (old) {
                ops.axpy(g, old, 1);
                g.dispose();
              } else paramGrads.set(name, g);
            }
          }
        } finally {
          dOutputs.forEach((g) => g?.dispose());
          Object.values(saved).forEach((t) => t.dispose());
          this.saved.delete(node.id);
          for (const i of saveIn) release(node.inputs[i]);
          for (const i of saveOut) release(node.outputs[i]);
        }
      }
      for (const v of this.inputGrads) {
        const g = grads.get(v);
        grads.delete(v);
        inputs[v] = g ?? Tensor.zeros(this.shapes.get(v)!, backend);
      }
      return { params: paramGrads, inputs };
    } catch (e) {
      // a failed backward returns nothing, so nothing it made may outlive it
      paramGrads.forEach((g) => g.dispose());
      Object.values(inputs).forEach((g) => g.dispose());
      throw e;
    } finally {
      this.dispose();
      grads.forEach((g) => g.dispose());
    }
  }

  /** Frees everything the tape still holds (when backward will not be run). */
  dispose(): void {
    this.used = true;
    for (const [v, t] of this.values) if (!this.pinned.has(v)) t.dispose();
    this.values.clear();
    for (const s of this.saved.values()) Object.values(s).forEach((t) => t.dispose());
    this.saved.clear();
  }
}

/**
 * Runs the graph forward on the fed inputs (name -> tensor; every graph input must be fed).
 * Feeds on another backend than the parameters are copied over.
 */
export function forward(graph: Graph, feeds: Record<string, Feed>, opts: ForwardOptions = {}): ForwardResult {
  return forwardWithPool(graph, feeds, opts, opts.memoryPlan === false ? null : memoryPoolOf(graph));
}

/**
 * forward() with its storages from `pool` rather than the graph's own (null: none). The replayed
 * inference (replay.ts) records a forward in a pool of its own, so that no storage the recorded
 * kernel calls write can ever be handed to anyone else.
 */
export function forwardWithPool(graph: Graph, feeds: Record<string, Feed>, opts: ForwardOptions, pool: GraphMemoryPool | null): ForwardResult {
  pool?.beginCycle();
  try {
    return withStoragePool(pool, () => run(graph, feeds, opts, pool));
  } catch (e) {
    pool?.drain();
    throw e;
  }
}

function run(graph: Graph, feeds: Record<string, Feed>, opts: ForwardOptions, pool: GraphMemoryPool | null): ForwardResult {
  const training = !!opts.training;
  const grad = !!opts.grad;
  const fetch = opts.fetch ?? graph.outputs;
  const inputGrads = opts.inputGrads ?? [];
  const backend = opts.backend ?? defaultBackend(graph, feeds);
  for (const v of fetch) graph.value(v);
  for (const v of inputGrads) if (!graph.inputs.includes(v)) fail('forward', `one of the graph inputs ${graph.inputs.join(', ')}`, 'inputGrads', v);
  if (opts.prepared && (training || grad)) {
    fail('forward', 'training: false and grad: false with prepared weights (kept filter copies assume parameters that do not change)', 'options', `training: ${training}, grad: ${grad}`);
  }
  const prepared = opts.prepared ?? null;
  // values a lazy feed reads are read outside the nodes: never fused away, like fetched ones
  const lazyReads = Object.values(feeds).flatMap((f) => (f instanceof LazyFeed ? f.after : []));
  const nodes = opts.fuse === false ? graph.nodes : fuseNodes(graph, { training, grad, fetch: [...fetch, ...lazyReads], backend });
  const p = plan(graph, grad, inputGrads, nodes);

  const values = new Map<string, Tensor>();
  const shapes = new Map<string, Dims>();
  const owned = new Set<string>(); // values this run allocated (feeds copied across backends included)
  const pinned = new Set<string>(fetch);
  const checkFeed = (name: string, t: Tensor) => {
    const want = graph.shapeOf(name);
    if (t.shape.length !== want.length || (want.length > 1 && t.shape[1] !== want[1])) {
      fail('forward', `a tensor of rank ${want.length} with ${want[1]} channels (batch and spatial size may differ)`, `input ${name}`, `[${t.shape.join(', ')}]`);
    }
  };
  const lazy = new Map<string, LazyFeed>();
  for (const name of graph.inputs) {
    const t = feeds[name];
    if (!t) fail('forward', `a tensor for every graph input (${graph.inputs.join(', ')})`, `input ${name}`, 'none');
    if (t instanceof LazyFeed) {
      for (const v of t.after) graph.value(v);
      lazy.set(name, t);
    } else checkFeed(name, t);
  }
  const saved = new Map<string, Record<string, Tensor>>();
  const fwdLeft = new Map(p.fwdUses);
  // what a lazy feed reads stays alive until it has run
  for (const f of lazy.values()) for (const v of f.after) fwdLeft.set(v, (fwdLeft.get(v) ?? 0) + 1);
  const dead = (v: string) => (fwdLeft.get(v) ?? 0) <= 0 && (p.bwdUses.get(v) ?? 0) <= 0 && !pinned.has(v);
  const outputs: Record<string, Tensor> = {};
  // what the node being run has saved so far (freed with the rest if it throws)
  let stash: Record<string, Tensor> = {};
  try {
    for (const name of graph.inputs) {
      const t = feeds[name];
      if (t instanceof LazyFeed) continue;
      const local = t.to(backend);
      if (local !== t) owned.add(name);
      else pinned.add(name);
      values.set(name, local);
      shapes.set(name, [...t.shape]);
    }
    const runLazy = (name: string, f: LazyFeed) => {
      lazy.delete(name);
      const args: Record<string, Tensor> = {};
      for (const v of f.after) {
        const t = values.get(v);
        if (!t) fail('forward', 'values computed before the lazy feed runs', `input ${name}`, `${v} not computed yet`);
        args[v] = t;
      }
      const made = f.compute(args);
      checkFeed(name, made);
      const local = made.to(backend);
      if (local !== made) made.dispose();
      values.set(name, local);
      shapes.set(name, [...local.shape]);
      owned.add(name);
      for (const v of f.after) {
        fwdLeft.set(v, (fwdLeft.get(v) ?? 0) - 1);
        if (dead(v) && owned.has(v) && values.has(v)) {
          values.get(v)!.dispose();
          values.delete(v);
        }
      }
    };
    for (const node of p.nodes) {
      const def = opDef(node.type);
      for (const v of node.inputs) {
        const f = lazy.get(v);
        if (f) runLazy(v, f);
      }
      const params: Record<string, Tensor> = {};
      for (const [role, name] of Object.entries(node.params)) params[role] = paramTensor(graph, name, node);
      const inputs = node.inputs.map((v) => {
        const t = values.get(v);
        if (!t) throw new Error(`forward: internal error, value ${v} of node ${node.id} is not available`);
        return t;
      });
      const recording = grad && p.active.has(node.id);
      stash = {};
      const outs = def.forward({
        node, attrs: node.attrs, inputs, params, training, backend, recording, prepared,
        save: (key, t) => {
          if (stash[key] && stash[key] !== t) stash[key].dispose();
          stash[key] = t;
        },
      });
      if (Object.keys(stash).length) saved.set(node.id, stash);
      stash = {};
      node.outputs.forEach((v, i) => {
        values.set(v, outs[i]);
        shapes.set(v, [...outs[i].shape]);
        owned.add(v);
      });
      for (const v of new Set(node.inputs)) {
        fwdLeft.set(v, (fwdLeft.get(v) ?? 0) - node.inputs.filter((x) => x === v).length);
        if (dead(v) && owned.has(v)) {
          values.get(v)!.dispose();
          values.delete(v);
        }
      }
      for (const v of node.outputs) {
        if (dead(v)) {
          values.get(v)!.dispose();
          values.delete(v);
        }
      }
    }
    for (const v of fetch) outputs[v] = values.get(v)!;
  } catch (e) {
    for (const [v, t] of values) if (owned.has(v)) t.dispose();
    for (const s of saved.values()) Object.values(s).forEach((t) => t.dispose());
    Object.values(stash).forEach((t) => t.dispose());
    throw e;
  }
  if (!grad) {
    for (const [v, t] of values) if (owned.has(v) && !fetch.includes(v)) t.dispose();
    for (const s of saved.values()) Object.values(s).forEach((t) => t.dispose());
    return { outputs, tape: null };
  }
  // the tape frees what it holds except fetched outputs and the caller's own feeds
  const tapePinned = new Set([...fetch, ...graph.inputs.filter((v) => !owned.has(v))]);
  return { outputs, tape: new Tape(graph, backend, training, p, values, saved, shapes, tapePinned, inputGrads, pool) };
}
