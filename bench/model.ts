/**
 * Whole-model speed: YOLOv3-MobileNetV1 (configs/yolov3_mobilenet_v1_voc.yml, 20 classes,
 * seeded weights), unpruned and pruned with r578 (bench/export.ts), at 320x320 batch 2 and
 * 608x608 batch 1, two ops:
 *   fwd:   inference, eval mode. slimprune and onnxruntime run the same BN-folded graph (what
 *          `slimprune export` writes; onnxruntime gets that graph's ONNX bytes); PyTorch runs
 *          its module in eval() under no_grad (BN unfolded, as a PyTorch user runs it).
 *          slimprune runs it as InferenceModel does: an InferenceRunner (src/graph/replay.ts)
 *          that keeps the packed filters and replays one recorded forward's kernel calls
 *          (SLIMPRUNE_REPLAY=0: the executor every time).
 *   train: a training step: train-mode forward (batch statistics), backward seeded by fixed
 *          random output gradients (the loss is plain JS and not what is measured), one
 *          Momentum step (0.9, L2 5e-4) over every trainable parameter.
 * Implementations, with the same number of threads: slimprune-native, onnxruntime-node (fwd
 * only: it has no training kernels), PyTorch CPU (bench/torch_yolov3.py, when /usr/bin/python3
 * imports torch; skipped with the reason otherwise), and with --all the WASM backends
 * (single-threaded, seconds per step).
 *
 * Idle threads: slimprune's pool polls for at most 100 us after a parallel region, then waits on
 * a condition variable (SLIMPRUNE_SPIN_US, see the README); the peers are run without their
 * open-ended spinning (onnxruntime's intra-op spinning off, OpenMP's OMP_WAIT_POLICY=PASSIVE for
 * PyTorch), because on a shared machine a spinning worker steals the core its partner needs
 * (measured here under load: onnxruntime 320 b2 fwd 547-567 ms spinning, 364-393 ms not; PyTorch
 * 1689 ms vs 613 ms). SLIMPRUNE_BENCH_PEER_SPIN=1 gives the peers their spinning defaults back.
 *
 * Every (case, op, implementation) runs in a process of its own, so that the peak RSS it
 * reports (the kernel's VmHWM, reset through /proc/self/clear_refs once the model is built) is
 * its own. Timing in every process, PyTorch's included: one warm-up call, then calls until a
 * minimum count and time are reached (capped); the median. The implementations of a (case, op)
 * take turns for --rounds rounds (3 by default, 1 with --quick) and each reports its median
 * round, so a slow minute on a shared machine does not land on one of them only. The slimprune
 * processes then make one more call with every kernel timed (the per-op breakdown: conv kinds
 * apart, and "outside kernels" = the call's wall time minus its kernels': executor, allocation,
 * GC).
 * Then (not under --quick) the r578 speed-up once more for slimprune-native and onnxruntime, with
 * both models in one process called in turn (runPair): a change of the machine's load between
 * the separate processes above moves their ratio by itself.
 * Rows under --json: {bench: 'model', case, op: 'fwd' | 'train', impl, threads, ms, peak_rss_mb}, and
 * for the interleaved pairs {bench: 'model-pair', case, impl, threads, unpruned_ms, pruned_ms, ratio,
 * ratio_q1, ratio_q3, pairs} (ratio: the median of the pair ratios; q1 and q3 their quartiles).
 * --ops instead: each case's forward layer by layer against onnxruntime's profiler (runOps), rows
 * {bench: 'model-ops', case, layer, slimprune_ms, onnxruntime_ms} under --json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as Ort from 'onnxruntime-node';
import type { Backend } from '../src/backend/backend';
import { CG, CONV_GEOM, type KernelName } from '../src/backend/kernels';
import { availableBackends, getBackend } from '../src/backend/loader';
import { PreparedWeights } from '../src/backend/prepared';
import { Tensor } from '../src/backend/tensor';
import { readConfig } from '../src/config';
import { foldNorms } from '../src/export/bn_fold';
import { graphToOnnx } from '../src/export/onnx';
import { forward } from '../src/graph/executor';
import { InferenceRunner } from '../src/graph/replay';
import { countFlops } from '../src/graph/flops';
import type { Graph } from '../src/graph/graph';
import { initParams } from '../src/graph/init';
import { buildModel, type YoloModel } from '../src/nn';
import { apply, plan } from '../src/prune';
import { MomentumOptimizer } from '../src/train/optimizer';
import { r578 } from './export';
import { fmtMs, quantile, randomArray, relError, round, table, type BenchOptions } from './harness';

const ROOT = path.join(__dirname, '..');
const CONFIG = path.join(ROOT, 'configs', 'yolov3_mobilenet_v1_voc.yml');
const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = path.join(__dirname, 'torch_yolov3.py');
const JOB_ENV = 'SLIMPRUNE_MODEL_BENCH_JOB';
const PEER_SPIN = process.env.SLIMPRUNE_BENCH_PEER_SPIN === '1';
/** How long slimprune's native pool polls before its idle threads wait (SLIMPRUNE_SPIN_US, default 100). */
function spinUs(): number {
  const v = process.env.SLIMPRUNE_SPIN_US;
  return v && /^\d+$/.test(v) ? Math.min(Number(v), 1e6) : 100;
}
// SLIMPRUNE_BENCH_UNFUSED=1: each slimprune job also runs with the executor's fusion pass off
// (impl "<impl>-unfused"), so fused against unfused is measured in the same run
const UNFUSED = process.env.SLIMPRUNE_BENCH_UNFUSED === '1';

export type ModelOp = 'fwd' | 'train';

export interface ModelCase {
  name: string;
  size: number;
  batch: number;
  pruned: boolean;
}

export const CASES: ModelCase[] = [
  { name: 'voc320_b2', size: 320, batch: 2, pruned: false },
  { name: 'voc608_b1', size: 608, batch: 1, pruned: false },
  { name: 'voc320_b2_r578', size: 320, batch: 2, pruned: true },
  { name: 'voc608_b1_r578', size: 608, batch: 1, pruned: true },
];

/** How long one process measures: a warm-up call, then until both minimums, at most maxMs. */
export interface ModelBudget {
  minIters: number;
  minMs: number;
  maxMs: number;
}

const FULL: ModelBudget = { minIters: 5, minMs: 2000, maxMs: 10000 };
// --quick: a smoke run (one timed call after the warm-up), unpruned 320 batch 2 only
const QUICK: ModelBudget = { minIters: 1, minMs: 0, maxMs: 1000 };

/** One JSON row, exactly as --json prints it. */
export interface ModelRow {
  bench: 'model';
  case: string;
  op: ModelOp;
  impl: string;
  threads: number;
  ms: number;
  peak_rss_mb: number | null;
}

export interface BreakdownEntry {
  name: string;
  ms: number;
  calls: number;
}

export interface JobResult {
  ms: number;
  samples: number;
  threads: number;
  peak_rss_mb: number | null;
  /** kernel timers of one extra call (slimprune only) */
  breakdown?: { totalMs: number; entries: BreakdownEntry[] };
  note?: string;
}

type Job =
  | { kind: 'slimprune'; backend: string; c: ModelCase; op: ModelOp; threads: number; budget: ModelBudget; fuse?: boolean }
  | { kind: 'onnxruntime'; c: ModelCase; threads: number; budget: ModelBudget; spin?: boolean }
  | { kind: 'pair'; impl: 'slimprune' | 'onnxruntime'; c: ModelCase; threads: number; pairs: number }
  | { kind: 'ops'; c: ModelCase; threads: number; rounds: number };

/**
 * --ops: where a forward's time goes, layer by layer, against onnxruntime (one process, `rounds`
 * turns each): slimprune's kernel calls of one forward recorded and replayed straight into the
 * backend (the kernels alone, timed per call), onnxruntime's own per-node profile of the same ONNX
 * bytes; plus the whole forward of each and the replay's total, whose difference from the forward
 * is the time outside the kernels (executor, and its code run cold between kernels).
 */
export interface OpsResult {
  forwardMs: number;
  replayMs: number;
  ortMs: number;
  /** per layer label, ms per forward; null where that implementation has no such layer */
  layers: Array<{ label: string; slimprune: number | null; onnxruntime: number | null }>;
}

/** The unpruned and r578 forward of one implementation, called in turn in one process. */
export interface PairResult {
  unprunedMs: number;
  prunedMs: number;
  /** the median of each pair's unpruned / r578 time */
  ratio: number;
  /** the lower and upper quartiles of the pair ratios: the middle half of them lies between */
  ratioQ1: number;
  ratioQ3: number;
  pairs: number;
}

/** The VOC model at the case's size and batch, weights seeded (7) on `backend`, r578-pruned when the case says. */
export function caseModel(c: ModelCase, backend?: Backend<any>, mode: 'train' | 'test' = 'train'): YoloModel {
  const m = buildModel(readConfig(CONFIG) as never, { mode, inputShape: [c.batch, 3, c.size, c.size] });
  initParams(m.graph, { seed: 7, ...(backend ? { backend } : {}) });
  if (c.pruned) apply(m.graph, plan(m.graph, { ...r578(), warn: () => undefined }));
  return m;
}

/** Output channels of the 18 head convs r578 prunes, in bench/torch_yolov3.py's --widths order. */
export function headWidths(g: Graph): number[] {
  return r578().params.map((p) => g.param(p).shape[0]);
}

/** The kernel timers' label of one kernel call: convolutions by kind, everything else by kernel. */
export function kernelLabel(kernel: string, p: ArrayLike<number> | null): string {
  if (kernel === 'dwpw_act_forward') return 'conv depthwise + 1x1 fused';
  const dir = kernel === 'conv2d_forward' ? 'fwd' : kernel === 'conv2d_act_forward' ? 'fwd+act' : kernel === 'conv2d_backward_input' ? 'dx' : kernel === 'conv2d_backward_filter' ? 'dw' : null;
  if (!dir || !p) return kernel;
  const G = p[CG.G];
  const kind = G > 1 && G === p[CG.C] ? 'depthwise' : `${p[CG.KH]}x${p[CG.KW]}`;
  return `conv ${kind} ${dir}`;
}

/** Resets the process's peak RSS (Linux); false where that is not possible. */
function resetPeak(): boolean {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function peakRssMb(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function timeIt(fn: () => unknown, b: ModelBudget): Promise<{ ms: number; samples: number }> {
  const t0 = performance.now();
  await fn();
  const first = performance.now() - t0;
  const samples: number[] = [];
  const start = performance.now();
  for (;;) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
    const spent = performance.now() - start;
    if ((samples.length >= b.minIters && spent >= b.minMs) || spent + first > b.maxMs) break;
  }
  samples.sort((a, c) => a - c);
  const n = samples.length;
  return { ms: (samples[(n - 1) >> 1] + samples[n >> 1]) / 2, samples: n };
}

/** Runs fn once with every kernel of `backend` timed; the kernels are restored afterwards. */
function timeKernels(backend: Backend<any>, fn: () => void): { totalMs: number; entries: BreakdownEntry[] } {
  const kernels = backend.kernels as Record<string, (...a: unknown[]) => void>;
  const saved = { ...kernels };
  const acc = new Map<string, BreakdownEntry>();
  const timed = (name: (p: Int32Array | null) => string, k: (...a: any[]) => void) => (...args: unknown[]) => {
    const p = (args.find((a) => a instanceof Int32Array) as Int32Array | undefined) ?? null;
    const t = performance.now();
    try {
      return k(...args);
    } finally {
      const label = kernelLabel(name(p), p);
      const e = acc.get(label) ?? { name: label, ms: 0, calls: 0 };
      e.ms += performance.now() - t;
      e.calls++;
      acc.set(label, e);
    }
  };
  for (const [name, k] of Object.entries(saved)) kernels[name] = timed(() => name, k);
  // the functions of the backend's other tables that run kernels, timed the same way
  const restore: Array<() => void> = [];
  const wrap = (table: unknown, key: string, name: (p: Int32Array | null) => string) => {
    const t = table as Record<string, (...a: any[]) => void> | undefined;
    const k = t?.[key];
    if (!t || !k) return;
    t[key] = timed(name, k);
    restore.push(() => (t[key] = k));
  };
  // convolutions with a kept filter copy (PreparedWeights) go through filterCaches
  wrap(backend.filterCaches, 'conv2dAct', (p) => (p && p[p.length - 1] < 0 ? 'conv2d_forward' : 'conv2d_act_forward'));
  // the replayed forward's rewritten calls (src/graph/blocked_layout.ts, concat_fold.ts)
  wrap(backend.blocked, 'conv2dAct', () => 'conv2d_act_forward');
  wrap(backend.concatConvs, 'concatConv2dAct', () => 'conv 1x1 reading a concatenation');
  const t0 = performance.now();
  try {
    fn();
  } finally {
    Object.assign(kernels, saved);
    for (const r of restore) r();
  }
  const totalMs = performance.now() - t0;
  const entries = [...acc.values()].sort((a, b) => b.ms - a.ms);
  const inKernels = entries.reduce((s, e) => s + e.ms, 0);
  entries.push({ name: 'outside kernels', ms: Math.max(0, totalMs - inKernels), calls: 0 });
  return { totalMs, entries };
}

/** One training step's pieces on a train-mode model: forward, seeded backward, Momentum step. */
export function trainStep(m: YoloModel, x: Tensor, backend: Backend<any>, fuse = true): () => void {
  const opt = MomentumOptimizer.forParams(m.graph.paramList(), { momentum: 0.9, l2: 5e-4 });
  const params = new Map<string, Tensor>();
  for (const p of m.graph.paramList()) if (p.trainable && p.tensor) params.set(p.name, p.tensor);
  const seeds: Record<string, Tensor> = {};
  m.outputs.forEach((o, i) => (seeds[o] = Tensor.from(randomArray(m.graph.shapeOf(o).reduce((a, d) => a * d, 1), 100 + i), m.graph.shapeOf(o), backend)));
  return () => {
    const { outputs, tape } = forward(m.graph, { [m.input]: x }, { training: true, grad: true, fetch: m.outputs, fuse });
    for (const o of Object.values(outputs)) o.dispose();
    const g = tape!.backward(seeds);
    opt.step(params, g.params, 1e-4);
    for (const t of g.params.values()) t.dispose();
  };
}

async function runSlimprune(job: Extract<Job, { kind: 'slimprune' }>): Promise<JobResult> {
  const backend = availableBackends().find((b) => b.name === job.backend);
  if (!backend) throw new Error(`model bench: backend ${job.backend} is not available here`);
  backend.setThreads?.(job.threads);
  const { c } = job;
  const dims = [c.batch, 3, c.size, c.size];
  const x = Tensor.from(randomArray(dims.reduce((a, d) => a * d, 1), 1), dims, backend);
  let run: () => void;
  let graph: Graph;
  const m = caseModel(c, backend, job.op === 'fwd' ? 'test' : 'train');
  let runner: InferenceRunner | null = null;
  if (job.op === 'fwd') {
    graph = foldNorms(m.graph).graph;
    m.dispose();
    // as an inference model runs it (InferenceModel): packed filters kept and the kernel calls
    // replayed (onnxruntime prepacks its weights and plans its run once per session too);
    // unfused: the executor, node by node
    const g = graph;
    const r = (runner = job.fuse !== false ? new InferenceRunner(g, { captureAfter: 1 }) : null);
    run = () => {
      const outputs = r ? r.run({ [m.input]: x }) : forward(g, { [m.input]: x }, { training: false, fuse: false }).outputs;
      for (const o of Object.values(outputs)) o.dispose();
    };
  } else {
    graph = m.graph;
    run = trainStep(m, x, backend, job.fuse !== false);
  }
  const hwm = resetPeak();
  const t = await timeIt(run, job.budget);
  const peak = hwm ? peakRssMb() : null;
  const breakdown = timeKernels(backend, run);
  runner?.dispose();
  graph.dispose();
  x.dispose();
  return { ...t, threads: backend.getThreads?.() ?? 1, peak_rss_mb: peak, breakdown };
}

/** An onnxruntime session on ONNX bytes as the bench runs them: `threads` intra-op threads, spinning or not. */
function ortSession(ort: typeof Ort, bytes: Uint8Array, threads: number, spin: boolean): Promise<Ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3,
    ...(spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  });
}

async function runOrt(job: Extract<Job, { kind: 'onnxruntime' }>): Promise<JobResult> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const ort = require('onnxruntime-node') as typeof Ort;
  const { c } = job;
  const m = caseModel(c, getBackend(), 'test');
  const { graph } = foldNorms(m.graph);
  m.dispose();
  const dims = [c.batch, 3, c.size, c.size];
  const image = randomArray(dims.reduce((a, d) => a * d, 1), 1);
  // the same graph's output in slimprune, to show onnxruntime computes the same thing
  const want: Record<string, Float32Array> = {};
  const x = Tensor.from(image, dims);
  const { outputs } = forward(graph, { [graph.inputs[0]]: x }, { training: false });
  for (const [k, t] of Object.entries(outputs)) {
    want[k] = Float32Array.from(t.toArray());
    t.dispose();
  }
  x.dispose();
  const bytes = graphToOnnx(graph, { name: c.name });
  graph.dispose();
  const session = await ortSession(ort, bytes, job.threads, job.spin !== false);
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', image, dims) };
    const got = await session.run(feeds);
    const diff = Math.max(...Object.keys(want).map((k) => relError(got[k].data as Float32Array, want[k])));
    const hwm = resetPeak();
    const t = await timeIt(() => session.run(feeds), job.budget);
    return { ...t, threads: job.threads, peak_rss_mb: hwm ? peakRssMb() : null, note: `outputs vs slimprune: max rel. difference ${diff.toExponential(2)}` };
  } finally {
    await session.release();
  }
}

/**
 * The r578 speed-up measured so that a slow minute lands on both models: the unpruned and the
 * r578 forward (case c's size and batch) built in one process, then `pairs` times one call of
 * each in turn; the median of the pair ratios. (Across the separate processes of the main run, a
 * change of the machine's load between two cases moves the ratio by itself.)
 */
export async function runPair(job: Extract<Job, { kind: 'pair' }>): Promise<PairResult> {
  const { c } = job;
  const dims = [c.batch, 3, c.size, c.size];
  const image = randomArray(dims.reduce((a, d) => a * d, 1), 1);
  const calls: Array<() => Promise<void> | void> = [];
  const backend = getBackend();
  backend.setThreads?.(job.threads);
  for (const pruned of [false, true]) {
    const m = caseModel({ ...c, pruned }, backend, 'test');
    const { graph } = foldNorms(m.graph);
    m.dispose();
    if (job.impl === 'slimprune') {
      const x = Tensor.from(image, dims, backend);
      const runner = new InferenceRunner(graph, { captureAfter: 1 });
      calls.push(() => {
        for (const o of Object.values(runner.run({ [graph.inputs[0]]: x }))) o.dispose();
      });
    } else {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const ort = require('onnxruntime-node') as typeof Ort;
      const session = await ortSession(ort, graphToOnnx(graph, { name: c.name }), job.threads, PEER_SPIN);
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', image, dims) };
      calls.push(async () => void (await session.run(feeds)));
    }
  }
  for (const f of calls) for (let i = 0; i < 2; i++) await f();
  const u: number[] = [], p: number[] = [], q: number[] = [];
  for (let i = 0; i < job.pairs; i++) {
    const a = performance.now();
    await calls[0]();
    const b = performance.now();
    await calls[1]();
    const e = performance.now();
    u.push(b - a);
    p.push(e - b);
    q.push((b - a) / (e - b));
  }
  return { unprunedMs: quantile(u, 0.5), prunedMs: quantile(p, 0.5), ratio: quantile(q, 0.5), ratioQ1: quantile(q, 0.25), ratioQ3: quantile(q, 0.75), pairs: job.pairs };
}

/** dwpw_act_forward's p: the pointwise layer's output channels follow the depthwise geometry and act. */
const CG_OC2 = CONV_GEOM.length + 1;

/** A convolution's label for --ops, from its geometry (the same for slimprune's and onnxruntime's layers). */
export function convLabel(C: number, OC: number, KH: number, KW: number, G: number, H: number, W: number, OH: number, OW: number): string {
  const kind = G > 1 && G === C ? 'depthwise' : `${KH}x${KW}${G > 1 ? ` groups ${G}` : ''}`;
  return `conv ${kind} ${C}->${OC} ${H}x${W}->${OH}x${OW}`;
}

export async function runOps(job: Extract<Job, { kind: 'ops' }>): Promise<OpsResult> {
  const { c } = job;
  const backend = getBackend();
  backend.setThreads?.(job.threads);
  const dims = [c.batch, 3, c.size, c.size];
  const image = randomArray(dims.reduce((a, d) => a * d, 1), 1);
  const m = caseModel(c, backend, 'test');
  const { graph } = foldNorms(m.graph);
  m.dispose();
  const x = Tensor.from(image, dims, backend);
  const prepared = new PreparedWeights();
  const fwd = () => {
    const { outputs } = forward(graph, { [graph.inputs[0]]: x }, { training: false, prepared });
    return outputs;
  };
  for (let i = 0; i < 2; i++) for (const o of Object.values(fwd())) o.dispose();
  // one forward's kernel calls, with their arguments (the buffers they ran on)
  const calls: Array<{ run: (...a: unknown[]) => void; args: unknown[]; label: string }> = [];
  const kernels = backend.kernels as Record<string, (...a: unknown[]) => void>;
  const saved = { ...kernels };
  const label = (name: string, p: ArrayLike<number> | undefined): string => {
    if (!p) return name;
    if (name === 'dwpw_act_forward') return `depthwise + 1x1 fused ${p[CG.C]}->${p[CG.OC]}->${p[CG_OC2]} ${p[CG.H]}x${p[CG.W]}->${p[CG.OH]}x${p[CG.OW]}`;
    if (!/^conv2d/.test(name)) return name;
    return convLabel(p[CG.C], p[CG.OC], p[CG.KH], p[CG.KW], p[CG.G], p[CG.H], p[CG.W], p[CG.OH], p[CG.OW]);
  };
  for (const [name, k] of Object.entries(saved)) {
    kernels[name] = (...a: unknown[]) => {
      calls.push({ run: k, args: a, label: label(name, a.find((v) => v instanceof Int32Array) as Int32Array | undefined) });
      return k(...a);
    };
  }
  const caches = backend.filterCaches as { conv2dAct: (...a: unknown[]) => void } | undefined;
  const savedConv = caches?.conv2dAct;
  if (caches && savedConv) {
    caches.conv2dAct = (...a: unknown[]) => {
      calls.push({ run: savedConv, args: a, label: label('conv2d_act_forward', a[5] as Int32Array) });
      return savedConv(...a);
    };
  }
  let kept: Record<string, Tensor>;
  try {
    kept = fwd();  // its outputs stay alive: the recorded calls write them
  } finally {
    Object.assign(kernels, saved);
    if (caches && savedConv) caches.conv2dAct = savedConv;
  }
  const ours = new Map<string, number>();
  const replay = (timed: boolean) => {
    for (const k of calls) {
      const t = performance.now();
      k.run(...k.args);
      if (timed) ours.set(k.label, (ours.get(k.label) ?? 0) + performance.now() - t);
    }
  };
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const ort = require('onnxruntime-node') as typeof Ort;
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimprune-ops-'));
  const session = await ort.InferenceSession.create(graphToOnnx(graph, { name: c.name }), {
    intraOpNumThreads: job.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3,
    enableProfiling: true, profileFilePrefix: path.join(profileDir, 'ort'),
    ...(PEER_SPIN ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  });
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', image, dims) };
    for (let i = 0; i < 2; i++) {
      await session.run(feeds);
      replay(false);
    }
    const tf: number[] = [], tr: number[] = [], to: number[] = [];
    for (let r = 0; r < job.rounds; r++) {
      let t = performance.now();
      for (const o of Object.values(fwd())) o.dispose();
      tf.push(performance.now() - t);
      t = performance.now();
      replay(true);
      tr.push(performance.now() - t);
      t = performance.now();
      await session.run(feeds);
      to.push(performance.now() - t);
    }
    session.endProfiling();
    const file = fs.readdirSync(profileDir).map((f) => path.join(profileDir, f)).find((f) => f.endsWith('.json'));
    if (!file) throw new Error('onnxruntime wrote no profile');
    const theirs = ortLayers(JSON.parse(fs.readFileSync(file, 'utf8')), job.rounds);
    const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
    const labels = [...new Set([...ours.keys(), ...theirs.keys()])];
    const layers = labels.map((l) => ({
      label: l,
      slimprune: ours.has(l) ? ours.get(l)! / job.rounds : null,
      onnxruntime: theirs.has(l) ? theirs.get(l)! / job.rounds : null,
    })).sort((a, b) => Math.max(b.slimprune ?? 0, b.onnxruntime ?? 0) - Math.max(a.slimprune ?? 0, a.onnxruntime ?? 0));
    return { forwardMs: med(tf), replayMs: med(tr), ortMs: med(to), layers };
  } finally {
    await session.release();
    fs.rmSync(profileDir, { recursive: true, force: true });
    for (const o of Object.values(kept)) o.dispose();
    prepared.dispose();
    graph.dispose();
    x.dispose();
  }
}

/** onnxruntime's profile: kernel time per layer label over its last `runs` model runs. */
export function ortLayers(events: Array<Record<string, any>>, runs: number): Map<string, number> {
  const sessions = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const from = sessions.length >= runs ? sessions[sessions.length - runs].ts : 0;
  const out = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith('_kernel_time') || e.ts < from) continue;
    const args = e.args ?? {};
    const dims = (list: unknown): number[][] => (Array.isArray(list) ? list.map((d) => Object.values(d as object)[0] as number[]) : []);
    const ins = dims(args.input_type_shape), outs = dims(args.output_type_shape);
    let l = String(args.op_name);
    // a Conv on NCHW tensors: [N, C, H, W] in, [OC, C/G, KH, KW] weights, [N, OC, OH, OW] out
    if (/Conv$/.test(l) && ins[0]?.length === 4 && ins[1]?.length === 4 && outs[0]?.length === 4) {
      const [, C, H, W] = ins[0], [OC, CG, KH, KW] = ins[1], [, , OH, OW] = outs[0];
      l = convLabel(C, OC, KH, KW, C / CG, H, W, OH, OW);
    } else l = `onnxruntime ${l}`;
    out.set(l, (out.get(l) ?? 0) + e.dur / 1000);
  }
  return out;
}

/**
 * One result from a job's rounds: the median round (by ms; the upper median of an even count),
 * with every round's ms in the note; a failed round is reported only when every round failed.
 */
export function combineRounds(results: Array<JobResult | string>): JobResult | string {
  const ok = results.filter((r): r is JobResult => typeof r !== 'string');
  if (!ok.length) return results[0] as string;
  if (ok.length === 1 && results.length === 1) return ok[0];
  const sorted = [...ok].sort((a, b) => a.ms - b.ms);
  const mid = sorted[sorted.length >> 1];
  const failed = results.length - ok.length;
  const each = `rounds ${ok.map((r) => fmtMs(r.ms)).join(' / ')} ms${failed ? `, ${failed} failed` : ''}`;
  return { ...mid, samples: ok.reduce((s, r) => s + r.samples, 0), note: mid.note ? `${each}; ${mid.note}` : each };
}

/** The child process's entry: runs the job in the environment, prints its result as JSON. */
export async function childMain(): Promise<void> {
  const job = JSON.parse(process.env[JOB_ENV] ?? 'null') as Job | null;
  if (!job) throw new Error(`model bench: expected a job in ${JOB_ENV}, got none`);
  const r = job.kind === 'slimprune' ? await runSlimprune(job) : job.kind === 'pair' ? await runPair(job) : job.kind === 'ops' ? await runOps(job) : await runOrt(job);
  process.stdout.write(JSON.stringify(r) + '\n');
}

function lastJsonLine(out: string): JobResult {
  const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error('no result line');
  return JSON.parse(line) as JobResult;
}

export function runJob<R = JobResult>(job: Job): R | string {
  const r = spawnSync(process.execPath, ['-r', path.join(ROOT, 'scripts', 'ts-register.js'), '-e', `require(${JSON.stringify(__filename)}).childMain().then(() => process.exit(0), (e) => { process.stderr.write(String(e && e.stack || e) + '\\n'); process.exit(1); })`], {
    cwd: ROOT, env: { ...process.env, [JOB_ENV]: JSON.stringify(job) }, encoding: 'utf8', maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) return `exited with ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`;
  try {
    return lastJsonLine(r.stdout) as unknown as R;
  } catch (e) {
    return `printed no result (${(e as Error).message})`;
  }
}

/** Why the PyTorch peer cannot run here, or null when it can. */
export function torchUnavailable(): string | null {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) return `${PYTHON} cannot import torch (install Debian's python3-torch): ${(r.stderr ?? '').trim().split('\n').pop()}`;
  return null;
}

/** Runs bench/torch_yolov3.py for one op; it checks params and MACs against slimprune's and exits 2 when they differ. */
export function runTorch(c: ModelCase, op: ModelOp | 'count', threads: number, budget: ModelBudget, expect: { params: number; macs: number; widths: number[] }): (JobResult & { params: number; macs: number }) | string {
  const args = [TORCH_SCRIPT, '--op', op, '--size', String(c.size), '--batch', String(c.batch), '--threads', String(threads), '--widths', JSON.stringify(expect.widths),
    '--expect-params', String(expect.params), '--expect-macs', String(expect.macs), '--min-iters', String(budget.minIters), '--min-ms', String(budget.minMs), '--max-ms', String(budget.maxMs)];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 16 << 20, env: { ...process.env, OMP_NUM_THREADS: String(threads), ...(PEER_SPIN ? {} : { OMP_WAIT_POLICY: 'PASSIVE' }) } });
  const err = (r.stderr ?? '').trim();
  if (r.status !== 0) return `torch_yolov3.py exited with ${r.status ?? r.signal}: ${err.split('\n').slice(-2).join(' | ')}`;
  try {
    return { ...lastJsonLine(r.stdout), note: err.split('\n').filter((l) => l.startsWith('torch_yolov3:')).pop() } as JobResult & { params: number; macs: number };
  } catch (e) {
    return `torch_yolov3.py printed no result (${(e as Error).message})`;
  }
}

/** The options this bench reads beyond the harness's: --all adds the WASM backends. */
export interface ModelBenchOptions extends BenchOptions {
  all?: boolean;
}

/** --ops: the layer-by-layer comparison (runOps) of each case's forward, instead of the main run. */
async function opsReport(opts: ModelBenchOptions, say: (s: string) => void): Promise<ModelRow[]> {
  try {
    require('onnxruntime-node');
  } catch (e) {
    say(`n/a: --ops compares with onnxruntime, which is not loadable (${(e as Error).message.split('\n')[0]})`);
    return [];
  }
  const rounds = opts.rounds ?? (opts.quick ? 3 : 10);
  const cases = opts.quick ? CASES.slice(0, 1) : CASES;
  for (const c of cases) {
    const r = runJob<OpsResult>({ kind: 'ops', c, threads: opts.threads, rounds });
    if (typeof r === 'string') {
      say(`${c.name} --ops: failed (${r})`);
      continue;
    }
    const cell = (v: number | null) => (v === null ? '-' : fmtMs(v));
    const sum = (k: 'slimprune' | 'onnxruntime') => r.layers.reduce((a, l) => a + (l[k] ?? 0), 0);
    say(`\n${c.name} forward, layer by layer (ms per forward, ${rounds} rounds in turn in one process; slimprune: its kernel calls replayed; onnxruntime: its profiler; '-': no such layer there, e.g. a fused pair against its two layers)\n` +
      table(['layer', 'slimprune', 'onnxruntime'], [
        ...r.layers.map((l) => [l.label, cell(l.slimprune), cell(l.onnxruntime)]),
        ['sum of the layers', fmtMs(sum('slimprune')), fmtMs(sum('onnxruntime'))],
      ]) +
      `\nwhole forward (medians): slimprune ${fmtMs(r.forwardMs)} ms, its kernels replayed ${fmtMs(r.replayMs)} ms (outside the kernels: ${fmtMs(r.forwardMs - r.replayMs)}), onnxruntime ${fmtMs(r.ortMs)} ms (its profiler on)`);
    if (opts.json) {
      for (const l of r.layers) process.stdout.write(JSON.stringify({ bench: 'model-ops', case: c.name, layer: l.label, slimprune_ms: l.slimprune, onnxruntime_ms: l.onnxruntime }) + '\n');
    }
  }
  return [];
}

export async function main(opts: ModelBenchOptions): Promise<ModelRow[]> {
  const say = (s: string) => (opts.json ? process.stderr : process.stdout).write(s + '\n');
  if (opts.ops) return opsReport(opts, say);
  const budget = opts.quick ? QUICK : FULL;
  const rounds = opts.rounds ?? (opts.quick ? 1 : 3);
  const cases = opts.quick ? CASES.slice(0, 1) : CASES;
  const backends = ['native', ...(opts.all ? ['wasm-as', 'wasm-em'] : [])].filter((n) => {
    const b = availableBackends().find((x) => x.name === n);
    if (!b) say(`n/a: slimprune-${n}: backend not available (${n === 'native' ? 'build it with `npm run build:native`' : 'build it with `npm run build:wasm`'})`);
    return !!b;
  });
  const torchWhy = torchUnavailable();
  if (torchWhy) say(`n/a: pytorch: ${torchWhy}`);
  let ortWhy: string | null = null;
  try {
    require('onnxruntime-node');
  } catch (e) {
    ortWhy = `onnxruntime-node not loadable (${(e as Error).message.split('\n')[0]})`;
    say(`n/a: onnxruntime: ${ortWhy}`);
  }
  const rows: ModelRow[] = [];
  const breakdowns: Array<{ c: string; op: ModelOp; impl: string; b: NonNullable<JobResult['breakdown']> }> = [];
  const emit = (c: ModelCase, op: ModelOp, impl: string, r: JobResult | string) => {
    if (typeof r === 'string') {
      say(`  ${c.name} ${op} ${impl}: failed (${r})`);
      return;
    }
    const row: ModelRow = { bench: 'model', case: c.name, op, impl, threads: r.threads, ms: round(r.ms, 2), peak_rss_mb: r.peak_rss_mb === null ? null : round(r.peak_rss_mb, 1) };
    rows.push(row);
    if (opts.json) process.stdout.write(JSON.stringify(row) + '\n');
    say(`  ${c.name} ${op} ${impl}: ${fmtMs(row.ms)} ms, peak RSS ${row.peak_rss_mb ?? 'n/a'} MB (${r.samples} calls, ${r.threads} threads)${r.note ? `; ${r.note}` : ''}`);
    if (r.breakdown) breakdowns.push({ c: c.name, op, impl, b: r.breakdown });
  };
  say(`YOLOv3-MobileNetV1 (VOC): ${cases.map((c) => c.name).join(', ')}; slimprune ${backends.join(', ')}; ${opts.threads} threads (WASM: 1); slimprune's idle threads poll ${spinUs()} us, then wait; peers' ${PEER_SPIN ? 'spin (their defaults)' : 'wait passively'}`);
  const counts = new Map<string, { params: number; macs: number; widths: number[] }>();
  for (const c of cases) {
    // batch 1: FLOPs per image, as `slimprune flops` counts them
    const m = caseModel({ ...c, batch: 1 }, getBackend(), 'test');
    const f = countFlops(m.graph);
    counts.set(c.name, { params: f.params, macs: f.macs, widths: headWidths(m.graph) });
    m.dispose();
    say(`${c.name}: ${c.size}x${c.size} batch ${c.batch}, ${f.params} params, ${(f.macs / 1e9).toFixed(3)} G conv MACs per image (${f.gflops.toFixed(2)} GFLOPs, PaddleSlim's count)`);
    for (const op of ['fwd', 'train'] as const) {
      // Every implementation of this (case, op), run `rounds` times round-robin: the machine's
      // load changes over minutes, so one process each would compare different moments.
      const jobs: Array<[string, () => JobResult | string]> = [];
      for (const be of backends) {
        const threads = be === 'native' ? opts.threads : 1;
        jobs.push([`slimprune-${be}`, () => runJob({ kind: 'slimprune', backend: be, c, op, threads, budget })]);
        if (UNFUSED) jobs.push([`slimprune-${be}-unfused`, () => runJob({ kind: 'slimprune', backend: be, c, op, threads, budget, fuse: false })]);
      }
      if (op === 'fwd' && !ortWhy) jobs.push(['onnxruntime', () => runJob({ kind: 'onnxruntime', c, threads: opts.threads, budget, spin: PEER_SPIN })]);
      if (!torchWhy) jobs.push(['pytorch', () => runTorch(c, op, opts.threads, budget, counts.get(c.name)!)]);
      const results = jobs.map((): Array<JobResult | string> => []);
      for (let r = 0; r < rounds; r++) jobs.forEach(([, run], i) => results[i].push(run()));
      jobs.forEach(([impl], i) => emit(c, op, impl, combineRounds(results[i])));
    }
  }
  report(say, rows, breakdowns, cases);
  if (!opts.quick) {
    const pairRows: string[][] = [];
    for (const c of CASES.filter((x) => !x.pruned)) {
      const impls: Array<'slimprune' | 'onnxruntime'> = ortWhy ? ['slimprune'] : ['slimprune', 'onnxruntime'];
      for (const impl of impls) {
        const r = runJob<PairResult>({ kind: 'pair', impl, c, threads: opts.threads, pairs: 30 });
        const name = impl === 'slimprune' ? 'slimprune-native' : impl;
        if (typeof r === 'string') say(`  ${c.name} r578 pair ${name}: failed (${r})`);
        else {
          pairRows.push([c.name, name, fmtMs(r.unprunedMs), fmtMs(r.prunedMs), `${r.ratio.toFixed(2)}x`,
            `${r.ratioQ1.toFixed(2)}-${r.ratioQ3.toFixed(2)}x`, String(r.pairs)]);
          if (opts.json) {
            process.stdout.write(JSON.stringify({ bench: 'model-pair', case: c.name, impl: name, threads: opts.threads, unpruned_ms: round(r.unprunedMs, 2),
              pruned_ms: round(r.prunedMs, 2), ratio: round(r.ratio, 3), ratio_q1: round(r.ratioQ1, 3), ratio_q3: round(r.ratioQ3, 3), pairs: r.pairs }) + '\n');
          }
        }
      }
    }
    if (pairRows.length) {
      say('\nr578 against unpruned, forward, interleaved: both models in one process, one call of each in turn (medians; speed-up = the median of the pair ratios, middle half = their quartiles)\n' +
        table(['case', 'impl', 'unpruned ms', 'r578 ms', 'speed-up', 'middle half', 'pairs'], pairRows));
    }
  }
  return rows;
}

function report(say: (s: string) => void, rows: ModelRow[], breakdowns: Array<{ c: string; op: ModelOp; impl: string; b: { totalMs: number; entries: BreakdownEntry[] } }>, cases: ModelCase[]): void {
  const find = (c: string, op: ModelOp, impl: string) => rows.find((r) => r.case === c && r.op === op && r.impl === impl);
  const body: string[][] = [];
  for (const r of rows) {
    const torch = find(r.case, r.op, 'pytorch');
    const ort = find(r.case, r.op, 'onnxruntime');
    const speed = (peer?: ModelRow) => (peer && peer !== r ? `${(peer.ms / r.ms).toFixed(2)}x` : '');
    body.push([r.case, r.op, r.impl, String(r.threads), fmtMs(r.ms), r.peak_rss_mb === null ? 'n/a' : r.peak_rss_mb.toFixed(0), speed(torch), speed(ort)]);
  }
  say('\n' + table(['case', 'op', 'impl', 'threads', 'ms', 'peak MB', 'speed vs pytorch', 'speed vs ort'], body));
  const pr: string[][] = [];
  for (const c of cases.filter((x) => x.pruned)) {
    const base = c.name.replace(/_r578$/, '');
    for (const r of rows.filter((x) => x.case === c.name)) {
      const u = find(base, r.op, r.impl);
      if (u) pr.push([base, r.op, r.impl, fmtMs(u.ms), fmtMs(r.ms), `${(u.ms / r.ms).toFixed(2)}x`]);
    }
  }
  if (pr.length) say('\nr578 (-69.6% FLOPs at 608) against unpruned\n' + table(['case', 'op', 'impl', 'unpruned ms', 'r578 ms', 'speed-up'], pr));
  for (const { c, op, impl, b } of breakdowns) {
    const lines = b.entries.map((e) => [e.name, fmtMs(e.ms), e.calls ? String(e.calls) : '', `${((e.ms / b.totalMs) * 100).toFixed(1)}%`]);
    say(`\nkernel timers, ${c} ${op} ${impl}: one call, ${fmtMs(b.totalMs)} ms\n` + table(['kernel', 'ms', 'calls', 'share'], lines));
  }
}
