/**
 * Replayed inference: repeated eval-mode forwards of one graph at one input shape, run as the
 * list of kernel calls that one forward made, without the executor in between.
 *
 * Why: between two kernels the executor walks its plan, frees and takes storages, checks
 * arguments and builds geometry, and on a small (pruned) network that work, and the cache lines
 * it evicts, is a tenth of a forward. With the input's shape fixed, every forward makes the same
 * kernel calls on the same storages, so one recorded forward is the whole program.
 *
 * How (InferenceRunner.run, per input shape):
 * 1. the first call runs the executor as usual and keeps a copy of its inputs and outputs (the
 *    witness); so do the calls after it, up to `captureAfter` in all;
 * 2. the next call records: the plan's own input storages get the feeds, and the executor runs
 *    in a storage pool of the plan's own (so that no storage a recorded call writes can ever be
 *    handed to anyone else), while every kernel call, filter-cache convolution, fill and write on
 *    the backend is listed with its arguments. Its outputs are copied out as this call's answer;
 * 3. the plan is then checked: replaying the list on the witness's inputs must give the witness's
 *    outputs bit for bit (when the two calls had the same inputs, a synthetic input and a fresh
 *    executor run stand in for the witness). A forward that read computed tensor data back into
 *    JS (data that decides what runs, such as RoI coordinates) is refused at once; reading the
 *    parameters is fine (eval batch norm folds its statistics in JS), they are constants here;
 * 4. later calls replay on their feeds (read where they lie when the recorded calls only read
 *    the plan's inputs, else copied in) and write the answer's tensors in place of the plan's
 *    outputs (copied out instead where two outputs share a storage or an output's first call
 *    does not write all of it).
 * A refused shape runs the executor from then on; `states` says why. Outputs always belong to
 * the caller, as forward()'s do.
 *
 * The promise is PreparedWeights' (the runner keeps one): the graph's parameters do not change
 * while the runner is in use, and the runner is disposed before the graph. SLIMPRUNE_REPLAY=0
 * turns replay off (every call runs the executor).
 */
import type { Backend } from '../backend/backend';
import { type BufRole, KERNELS, type KernelName } from '../backend/kernels';
import * as ops from '../backend/ops';
import { PreparedWeights } from '../backend/prepared';
import { Tensor, withStoragePool } from '../backend/tensor';
import { Rng } from '../data/rng';
import { blockChannels } from './blocked_layout';
import { foldChains } from './chain_fold';
import { foldPairs } from './pair_fold';
import { foldConcats } from './concat_fold';
import { defaultBackend, forward, forwardWithPool } from './executor';
import type { Graph } from './graph';
import { GraphMemoryPool, memoryPoolOf } from './memory_plan';
import type { AnyFn, RecordedCall } from './recorded_call';

/**
 * One recorded call: target[key](...args), looked up at each replay, so that whatever wraps the
 * backend's functions then (kernel timers) sees the replayed calls too.
 */
type Call = RecordedCall;

export interface InferenceRunnerOptions {
  /** values to return (default: graph.outputs) */
  fetch?: string[];
  /** input shapes with a plan kept at once; the least recently used goes first (default 4) */
  maxShapes?: number;
  /** false: every call runs the executor (default: true unless SLIMPRUNE_REPLAY=0) */
  replay?: boolean;
  /**
   * executor calls of an input shape before the next one records (default 8). Recording and its
   * check cost about one forward more, and a replayed call saves a tenth of one or less, so a
   * short run (an evaluation of a few batches) is better off never recording; a latency
   * measurement or a server records early (1).
   */
  captureAfter?: number;
  /**
   * false: the recorded calls run as recorded; default: true unless SLIMPRUNE_PASSES=0, where the
   * backend can, concatenations are then read in place by the 1x1 layer after them
   * (src/graph/concat_fold.ts), an image's stem and the depthwise -> 1x1 pairs after it run in
   * bands of rows (src/graph/chain_fold.ts), narrow 3x3 layers feed the 1x1 layer after them in
   * cache (src/graph/pair_fold.ts) and chains of depthwise and 1x1 layers run on
   * channel-blocked maps (src/graph/blocked_layout.ts), with the same outputs bit for bit
   */
  passes?: boolean;
}

/** Where one input shape stands. */
export interface ReplayState {
  /** the graph inputs' shapes, e.g. '[2, 3, 320, 320]' */
  shape: string;
  /** seen: executor runs so far (`runs` of them); replayed: later calls replay; refused: later calls run the executor */
  state: 'seen' | 'replayed' | 'refused';
  /** executor calls of a shape still seen */
  runs?: number;
  /** why a shape was refused */
  reason?: string;
  /** the number of recorded calls of a replayed shape */
  calls?: number;
  /** how many of those run on channel-blocked maps (src/graph/blocked_layout.ts), when any */
  blocked?: number;
  /** how many concatenations are read in place by the 1x1 layer after them (src/graph/concat_fold.ts), when any */
  folded?: number;
  /** how many stem + depthwise -> 1x1 chains run in bands of rows (src/graph/chain_fold.ts), when any */
  chains?: number;
  /** how many 3x3 -> 1x1 pairs run as one pass (src/graph/pair_fold.ts), when any */
  pairs?: number;
}

type Arrays = Array<Float32Array | Float64Array>;

interface Witness {
  inputs: Arrays;
  outputs: Arrays;
}

type Entry =
  | { state: 'seen'; witness: Witness; runs: number }
  | { state: 'replayed'; plan: Plan }
  | { state: 'refused'; reason: string };

/** Same values bit for bit (NaN equal to NaN). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(a[i] !== a[i] && b[i] !== b[i])) return i;
  return -1;
}

/** t's data copied into dst (same element count), by a kernel when both are on one backend. */
function copyInto(dst: Tensor, t: Tensor): void {
  if (t.backend !== dst.backend) {
    dst.set(t.toArray());
    return;
  }
  // one run of `size` elements (channel_copy copies `inner` elements at a time)
  ops.channelCopy(t.reshape([1, 1, t.size]), 0, dst.reshape([1, 1, dst.size]), 0, 1);
}

/**
 * Runs body with every call on backend's kernels, filter-cache convolution, fill and writes listed;
 * readBack: whether it read a storage other than `constants` (the parameters) back into JS.
 */
function record<T>(backend: Backend<any>, constants: Set<unknown>, body: () => T): { result: T; calls: Call[]; readBack: boolean } {
  const calls: Call[] = [];
  let readBack = false;
  const kernels = backend.kernels as unknown as Record<string, AnyFn>;
  const savedKernels = { ...kernels };
  const be = backend as unknown as Record<'read' | 'write' | 'fill' | 'fromArray', AnyFn>;
  const saved = { read: be.read, write: be.write, fill: be.fill, fromArray: be.fromArray };
  const fc = backend.filterCaches as unknown as Record<'conv2dAct', AnyFn> | undefined;
  const savedConv = fc?.conv2dAct;
  const listed = (target: Record<string, AnyFn>, key: string, fn: AnyFn) => (...args: unknown[]) => {
    calls.push({ target, key, args });
    return fn(...args);
  };
  // written data is copied: the caller may change its array afterwards
  const copyOf = (d: unknown) => Float64Array.from(d as ArrayLike<number>);
  for (const [name, fn] of Object.entries(savedKernels)) kernels[name] = listed(kernels, name, fn);
  if (fc && savedConv) fc.conv2dAct = listed(fc, 'conv2dAct', savedConv);
  be.fill = listed(be, 'fill', saved.fill);
  be.write = (s: unknown, d: unknown) => {
    calls.push({ target: be, key: 'write', args: [s, copyOf(d)] });
    return saved.write(s, d);
  };
  be.fromArray = (d: unknown) => {
    const s = saved.fromArray(d);
    calls.push({ target: be, key: 'write', args: [s, copyOf(d)] });
    return s;
  };
  be.read = (...a: unknown[]) => {
    if (!constants.has(a[0])) readBack = true;
    return saved.read(...a);
  };
  try {
    return { result: body(), calls, readBack };
  } finally {
    Object.assign(kernels, savedKernels);
    Object.assign(be, saved);
    if (fc && savedConv) fc.conv2dAct = savedConv;
  }
}

/**
 * What a recorded call does with argument j: 'in' (only read: a kernel's 'in' buffer, the
 * convolution's x, w, b), 'out' (every element written: an 'out' buffer, the convolution's y, a
 * fill or write), 'inout', or undefined (not a storage).
 */
function roleOf(c: Call, j: number): BufRole | undefined {
  if (c.key === 'conv2dAct') return j >= 1 && j <= 3 ? 'in' : j === 4 ? 'out' : undefined;
  if (c.key === 'concatConv2dAct') return j >= 1 && j <= 4 ? 'in' : j === 5 ? 'out' : undefined;  // Backend.concatConvs'
  if (c.key === 'convChain') return j === 0 ? 'in' : j === 1 ? 'out' : undefined;  // Backend.convChains' (w: an array of constants)
  if (c.key === 'convPair') return j >= 2 && j <= 8 ? (j === 5 || j === 8 ? 'out' : 'in') : undefined;  // Backend.convPairs' (y3: unspecified after)
  if (c.key === 'fill' || c.key === 'write') return j === 0 ? 'out' : undefined;
  return (KERNELS as Record<string, (typeof KERNELS)[KernelName] | undefined>)[c.key]?.bufs[j]?.role;
}

/** Where storage s is an argument of the calls ([call, argument] pairs, in call order). */
function usesOf(calls: Call[], s: unknown): Array<[number, number]> {
  return calls.flatMap((c, i) => c.args.flatMap((a, j) => (a === s ? [[i, j] as [number, number]] : [])));
}

/** Points every listed use at storage s. */
function point(calls: Call[], uses: Array<[number, number]>, s: unknown): void {
  for (const [i, j] of uses) calls[i].args[j] = s;
}

/** One input shape's recorded forward: its own inputs, outputs, storage pool and call list. */
class Plan {
  /**
   * per input: where its storage is an argument of a recorded call ([call, argument] pairs); empty
   * for an input that is also fetched (a feed is then copied into it)
   */
  private readonly uses: Array<Array<[number, number]>>;
  /**
   * per output: where its storage is an argument of a recorded call, when the answers can be
   * written in place (see run); null when they are copies of the plan's outputs
   */
  private readonly lent: Array<Array<[number, number]>> | null;
  /** the storages of the answers (see run) */
  private readonly answers = new GraphMemoryPool();

  constructor(
    readonly inputs: Tensor[],
    readonly outputs: Record<string, Tensor>,
    readonly calls: Call[],
    private readonly pool: GraphMemoryPool,
    /** how many calls run on channel-blocked maps */
    readonly blocked = 0,
    /** how many concatenations the 1x1 layer reading them reads in place */
    readonly folded = 0,
    /** how many stem + depthwise -> 1x1 chains run in bands */
    readonly chains = 0,
    /** how many 3x3 -> 1x1 pairs run as one pass */
    readonly pairs = 0,
  ) {
    const fetched = new Set(Object.values(outputs).map((t) => t.storage));
    this.uses = inputs.map((t) => {
      const s = t.storage;
      if (fetched.has(s)) return [];
      const uses = usesOf(calls, s);
      return uses.every(([i, j]) => roleOf(calls[i], j) === 'in') ? uses : [];
    });
    // In place when every output has its own storage, not an input's, whose first use writes all of it.
    const own = new Set(inputs.map((t) => t.storage));
    const outs = Object.values(outputs);
    const lent = outs.map((t) => usesOf(calls, t.storage));
    const first = (u: Array<[number, number]>) => u.length > 0 && roleOf(calls[u[0][0]], u[0][1]) === 'out' &&
      u.every(([i, j]) => i !== u[0][0] || j === u[0][1]);
    this.lent = fetched.size === outs.length && outs.every((t, k) => !own.has(t.storage) && first(lent[k])) ? lent : null;
  }

  /**
   * Replays the calls on `feeds` (one per input, in order; absent: the plan's own inputs as they
   * are). A feed of the plan's backend and size is read where it lies when every recorded call
   * only reads that input (the executor never writes a fed tensor); else it is copied in.
   */
  replay(feeds?: Tensor[]): void {
    const swapped: number[] = [];
    try {
      feeds?.forEach((t, k) => {
        const own = this.inputs[k];
        if (t.backend !== own.backend || t.size !== own.size || !this.uses[k].length) copyInto(own, t);
        else {
          swapped.push(k);
          point(this.calls, this.uses[k], t.storage);
        }
      });
      for (const c of this.calls) c.target[c.key](...c.args);
    } finally {
      // no reference to the caller's storage stays behind
      for (const k of swapped) point(this.calls, this.uses[k], this.inputs[k].storage);
    }
  }

  /**
   * Replays on `feeds` and answers with tensors of the caller's. Where the plan allows (lent), the
   * recorded calls write the answers themselves: the outputs' storages are swapped for the
   * answers' for this replay, as the inputs' are for the feeds, so the answer costs no copy
   * (0.24 ms of a pruned YOLOv3 forward at 320 batch 2, 1.3 MB of outputs); else the outputs are
   * copied (answer). The answers' storages come from the plan's own pool: an answer the caller
   * has disposed is taken again by the next one instead of the backend allocating (and the
   * system zeroing) fresh pages every call. An answer still held is never taken; one disposed
   * after the plan is gone goes to its backend.
   */
  run(feeds?: Tensor[]): Record<string, Tensor> {
    const lent = this.lent;
    if (!lent) {
      this.replay(feeds);
      return this.answer();
    }
    const outs = Object.entries(this.outputs);
    this.answers.beginCycle();
    const mine = withStoragePool(this.answers, () => outs.map(([, t]) => Tensor.empty(t.shape, t.backend)));
    try {
      outs.forEach((_, k) => point(this.calls, lent[k], mine[k].storage));
      this.replay(feeds);
    } catch (err) {
      mine.forEach((t) => t.dispose());
      throw err;
    } finally {
      outs.forEach(([, t], k) => point(this.calls, lent[k], t.storage));
    }
    return Object.fromEntries(outs.map(([name], k) => [name, mine[k]]));
  }

  /**
   * The outputs copied into tensors of the caller's, from the plan's own pool (see run): fresh
   * pages every call cost more than the copy itself (0.6 ms of a 320x320 batch-2 YOLOv3 forward
   * for its 40x40 output).
   */
  answer(): Record<string, Tensor> {
    this.answers.beginCycle();
    return withStoragePool(this.answers, () => Object.fromEntries(Object.entries(this.outputs).map(([k, t]) => [k, ops.copy(t)])));
  }

  dispose(): void {
    for (const t of Object.values(this.outputs)) t.dispose();
    for (const t of this.inputs) t.dispose();
    this.pool.release();
    this.answers.release();
  }
}

function shapeKey(shapes: number[][]): string {
  return shapes.map((s) => `[${s.join(', ')}]`).join(' ');
}

/** Seeded values in [-1, 1) unlike the feeds (a witness input when two calls had the same input). */
function synthetic(n: number, salt: number): Float32Array {
  const r = new Rng(0x5eed + salt);
  return Float32Array.from({ length: n }, () => r.uniform(-1, 1));
}

/**
 * Eval-mode forwards of one graph (inputs fed as tensors), replayed per input shape (see the
 * header). run() answers what forward(graph, feeds, { training: false }).outputs would, bit for
 * bit, the outputs owned by the caller.
 */
export class InferenceRunner {
  private readonly prepared = new PreparedWeights();
  private readonly entries = new Map<string, Entry>();
  private readonly fetch: string[];
  private readonly maxShapes: number;
  private readonly replayOn: boolean;
  private readonly captureAfter: number;
  private readonly passesOn: boolean;
  private disposed = false;

  constructor(readonly graph: Graph, o: InferenceRunnerOptions = {}) {
    this.fetch = o.fetch ?? graph.outputs;
    const m = o.maxShapes ?? 4;
    if (!Number.isInteger(m) || m < 1) throw new RangeError(`InferenceRunner: expected maxShapes to be a positive integer, got ${m}`);
    this.maxShapes = m;
    this.replayOn = o.replay ?? process.env.SLIMPRUNE_REPLAY !== '0';
    const c = o.captureAfter ?? 8;
    if (!Number.isInteger(c) || c < 1) throw new RangeError(`InferenceRunner: expected captureAfter to be a positive integer, got ${c}`);
    this.captureAfter = c;
    this.passesOn = o.passes ?? process.env.SLIMPRUNE_PASSES !== '0';
  }

  /** Every input shape seen so far, least recently used first. */
  get states(): ReplayState[] {
    return [...this.entries].map(([shape, e]) => (e.state === 'replayed'
      ? { shape, state: e.state, calls: e.plan.calls.length, ...(e.plan.blocked ? { blocked: e.plan.blocked } : {}), ...(e.plan.folded ? { folded: e.plan.folded } : {}), ...(e.plan.chains ? { chains: e.plan.chains } : {}), ...(e.plan.pairs ? { pairs: e.plan.pairs } : {}) }
      : e.state === 'refused' ? { shape, state: e.state, reason: e.reason } : { shape, state: e.state, runs: e.runs }));
  }

  run(feeds: Record<string, Tensor>): Record<string, Tensor> {
    if (this.disposed) throw new Error('InferenceRunner: used after dispose');
    const names = this.graph.inputs;
    const plain = names.every((n) => feeds[n] instanceof Tensor);
    if (!this.replayOn || !plain) return this.executor(feeds);
    const key = shapeKey(names.map((n) => feeds[n].shape));
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    if (!e) {
      const outputs = this.executor(feeds);
      const witness = { inputs: names.map((n) => feeds[n].toArray()), outputs: this.fetch.map((v) => outputs[v].toArray()) };
      this.remember(key, { state: 'seen', witness, runs: 1 });
      return outputs;
    }
    if (e.state === 'refused') return this.executor(feeds);
    if (e.state === 'seen' && e.runs < this.captureAfter) {
      e.runs++;
      return this.executor(feeds);
    }
    if (e.state === 'replayed') return e.plan.run(names.map((n) => feeds[n]));
    return this.capture(key, feeds, e.witness);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const e of this.entries.values()) if (e.state === 'replayed') e.plan.dispose();
    this.entries.clear();
    this.prepared.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private executor(feeds: Record<string, Tensor>): Record<string, Tensor> {
    return forward(this.graph, feeds, { training: false, fetch: this.fetch, prepared: this.prepared }).outputs;
  }

  private remember(key: string, e: Entry): void {
    const old = this.entries.get(key);
    if (old?.state === 'replayed') old.plan.dispose();
    this.entries.delete(key);
    while (this.entries.size >= this.maxShapes) {
      const [k, first] = this.entries.entries().next().value as [string, Entry];
      if (first.state === 'replayed') first.plan.dispose();
      this.entries.delete(k);
    }
    this.entries.set(key, e);
  }

  /** Records this call's forward (its answer) and checks the plan against the witness. */
  private capture(key: string, feeds: Record<string, Tensor>, witness: Witness): Record<string, Tensor> {
    const names = this.graph.inputs;
    const backend = defaultBackend(this.graph, feeds);
    const inputs = withStoragePool(null, () => names.map((n) => Tensor.empty(feeds[n].shape, backend)));
    const pool = new GraphMemoryPool();
    let plan: Plan | null = null;
    let answer: Record<string, Tensor> | null = null;
    try {
      names.forEach((n, i) => copyInto(inputs[i], feeds[n]));
      const planFeeds = Object.fromEntries(names.map((n, i) => [n, inputs[i]]));
      // parameters are constants here (the runner's promise): what JS computes from them (eval
      // batch norm's per-channel factors) is the same at every call
      const constants = new Set<unknown>();
      for (const p of this.graph.params.values()) if (p.tensor) constants.add(p.tensor.storage);
      const rec = record(backend, constants, () => forwardWithPool(this.graph, planFeeds, { training: false, fetch: this.fetch, prepared: this.prepared }, pool).outputs);
      const outs = new Set(Object.values(rec.result).map((t) => t.storage));
      const passes = this.passesOn && !rec.readBack;
      const folds = passes ? foldConcats(backend, rec.calls, roleOf, outs) : { calls: rec.calls, folded: 0 };
      const chained = passes ? foldChains(backend, folds.calls, roleOf, outs) : { calls: folds.calls, chains: 0 };
      const paired = passes ? foldPairs(backend, chained.calls, roleOf, outs) : { calls: chained.calls, pairs: 0, made: [] };
      // storages the pair pass made: the plan's pool holds them (and hands them back with the rest)
      for (const st of paired.made) pool.give(backend, st, (st as ArrayLike<number>).length);
      const layout = passes ? blockChannels(backend, paired.calls, roleOf, outs) : { calls: paired.calls, blocked: 0 };
      plan = new Plan(inputs, rec.result, layout.calls, pool, layout.blocked, folds.folded, chained.chains, paired.pairs);
      answer = plan.answer();
      let reason = rec.readBack
        ? 'the forward reads computed tensor data back into JS (what runs depends on the data)'
        : this.check(plan, feeds, witness);
      if (reason && layout.calls !== rec.calls) {
        // the calls as recorded (the check would say the same of them as of the executor's run)
        plan = new Plan(inputs, rec.result, rec.calls, pool);
        reason = this.check(plan, feeds, witness);
      }
      if (reason) {
        plan.dispose();
        this.remember(key, { state: 'refused', reason });
      } else {
        this.remember(key, { state: 'replayed', plan });
        // the executor's storages for this shape are not needed any more
        memoryPoolOf(this.graph).drain();
      }
      return answer;
    } catch (err) {
      if (answer) Object.values(answer).forEach((t) => t.dispose());
      if (plan) plan.dispose();
      else {
        inputs.forEach((t) => t.dispose());
        pool.release();
      }
      this.entries.delete(key);
      throw err;
    }
  }

  /** Why the plan does not reproduce the executor (null: it does). */
  private check(plan: Plan, feeds: Record<string, Tensor>, witness: Witness): string | null {
    const names = this.graph.inputs;
    let w = witness;
    if (names.every((n, i) => sameBits(feeds[n].toArray(), witness.inputs[i]) < 0)) {
      // the same inputs twice: a synthetic input, run by the executor, is the witness
      const xs = names.map((n, i) => Tensor.from(synthetic(feeds[n].size, i), feeds[n].shape, plan.inputs[i].backend));
      try {
        const outs = this.executor(Object.fromEntries(names.map((n, i) => [n, xs[i]])));
        w = { inputs: xs.map((t) => t.toArray()), outputs: this.fetch.map((v) => outs[v].toArray()) };
        Object.values(outs).forEach((t) => t.dispose());
      } finally {
        xs.forEach((t) => t.dispose());
      }
    }
    w.inputs.forEach((d, i) => plan.inputs[i].set(d));
    plan.replay();
    for (let k = 0; k < this.fetch.length; k++) {
      const got = plan.outputs[this.fetch[k]].toArray();
      const at = sameBits(got, w.outputs[k]);
      if (at >= 0) return `replaying the recorded kernel calls gives other values than the executor (output ${this.fetch[k]}, element ${at}: ${got[at]} vs ${w.outputs[k][at]})`;
    }
    return null;
  }
}
