/**
 * Small networks, one per topology the pruner must handle, built with the graph builder, and
 * the check every topology goes through: prune a copy, zero the same channels' contributions
 * (lazy mode on the consumers' inputs only) in another copy, and compare outputs; then run a
 * backward pass on the pruned network.
 */
import type { Backend } from '../../src/backend/backend';
import { listBackends, backendByName } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { GraphBuilder } from '../../src/graph/builder';
import { forward } from '../../src/graph/executor';
import type { Graph } from '../../src/graph/graph';
import { initParams } from '../../src/graph/init';
import { apply, plan, type Plan, type PlanOptions, type PruneRecord } from '../../src/prune';
import { allclose } from '../util/allclose';
import { randomArray } from '../util/rng';

export interface TestBackend {
  name: string;
  backend: Backend<any>;
  tol: { rtol: number; atol: number };
}

/** The reference backend, and the native one when this machine has it (else a printed reason). */
export function testBackends(): TestBackend[] {
  const out: TestBackend[] = [{ name: 'reference', backend: backendByName('reference'), tol: { rtol: 1e-9, atol: 1e-10 } }];
  const native = listBackends().find((b) => b.name === 'native');
  if (process.env.SLIMPRUNE_TEST_NATIVE === '0') console.log('prune tests: native backend skipped (SLIMPRUNE_TEST_NATIVE=0)');
  else if (native?.available) out.push({ name: 'native', backend: backendByName('native'), tol: { rtol: 1e-5, atol: 1e-5 } });
  else console.log(`prune tests: native backend skipped (${native?.reason ?? 'unknown'})`);
  return out;
}

export type NetFactory = () => Graph;

export const nets: Record<string, NetFactory> = {
  chain() {
    const b = new GraphBuilder();
    const x = b.input('image', [2, 3, 8, 8]);
    let y = b.conv2d(x, { name: 'c1', out: 8, k: 3 });
    y = b.batchNorm(y, { name: 'c1_bn', act: 'relu' });
    y = b.conv2d(y, { name: 'c2', out: 6, k: 3, stride: 2 });
    y = b.batchNorm(y, { name: 'c2_bn', act: 'leaky_relu', alpha: 0.1 });
    b.output(b.conv2d(y, { name: 'c3', out: 4, k: 1, bias: true }));
    return b.graph;
  },
  residual() {
    const b = new GraphBuilder();
    const x = b.input('image', [2, 3, 6, 6]);
    const s = b.batchNorm(b.conv2d(x, { name: 'stem', out: 8, k: 3 }), { name: 'stem_bn', act: 'relu' });
    const a = b.batchNorm(b.conv2d(s, { name: 'a', out: 8, k: 3 }), { name: 'a_bn' });
    const sum = b.add(s, a, { name: 'sum', act: 'relu' });
    b.output(b.conv2d(sum, { name: 'head', out: 4, k: 1 }));
    return b.graph;
  },
  concat() {
    const b = new GraphBuilder();
    const x = b.input('image', [2, 3, 6, 6]);
    const a = b.conv2d(x, { name: 'A', out: 6, k: 3, act: 'relu' });
    const c = b.conv2d(x, { name: 'B', out: 4, k: 1, act: 'relu' });
    const cat = b.concat([a, c], 1, 'cat');
    b.output(b.conv2d(cat, { name: 'C', out: 5, k: 3 }));
    return b.graph;
  },
  depthwise() {
    const b = new GraphBuilder();
    const x = b.input('image', [2, 3, 8, 8]);
    let y = b.batchNorm(b.conv2d(x, { name: 'conv1', out: 8, k: 3, stride: 2 }), { name: 'conv1_bn', act: 'relu' });
    y = b.batchNorm(b.conv2d(y, { name: 'conv2_1_dw', out: 8, k: 3, groups: 8 }), { name: 'conv2_1_dw_bn', act: 'relu' });
    y = b.batchNorm(b.conv2d(y, { name: 'conv2_1_sep', out: 6, k: 1 }), { name: 'conv2_1_sep_bn', act: 'relu' });
    y = b.conv2d(y, { name: 'conv3_dw', out: 12, k: 3, groups: 6, bias: true });
    b.output(b.conv2d(y, { name: 'out', out: 4, k: 1 }));
    return b.graph;
  },
  flattenFc() {
    const b = new GraphBuilder();
    const x = b.input('image', [2, 3, 6, 6]);
    const y = b.conv2d(x, { name: 'c1', out: 5, k: 3, stride: 2, act: 'relu' });
    const p = b.pool2d(y, { type: 'max', k: 2, stride: 1 });
    b.output(b.fc(b.flatten(p), { name: 'fc', out: 4 }));
    return b.graph;
  },
  split() {
    const b = new GraphBuilder();
    const x = b.input('image', [2, 3, 6, 6]);
    const y = b.conv2d(x, { name: 'pre', out: 8, k: 3, act: 'relu' });
    const [s0, s1] = b.split(y, [3, 5], 1, 'sp');
    const p = b.conv2d(s0, { name: 'P', out: 4, k: 1 });
    const q = b.conv2d(b.relu(s1), { name: 'Q', out: 4, k: 3 });
    b.output(b.conv2d(b.add(p, q, { name: 'pq' }), { name: 'out', out: 3, k: 1 }));
    return b.graph;
  },
  transpose() {
    const b = new GraphBuilder();
    const x = b.input('image', [2, 3, 5, 5]);
    const y = b.conv2d(x, { name: 'enc', out: 6, k: 3, act: 'relu' });
    const t = b.conv2dTranspose(y, { name: 'dec', out: 4, k: 2, stride: 2, bias: true, act: 'relu' });
    b.output(b.conv2d(t, { name: 'out', out: 2, k: 1 }));
    return b.graph;
  },
  /** YOLOv3-like: two backbone stages, a head block with route, transition, upsample, concat. */
  yolo() {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 16, 16]);
    const cbl = (v: string, name: string, out: number, k: number, stride = 1) =>
      b.batchNorm(b.conv2d(v, { name, out, k, stride, weightName: `${name}.conv.weights` }), {
        name: `${name}.bn`, act: 'leaky_relu', alpha: 0.1,
        names: { scale: `${name}.bn.scale`, offset: `${name}.bn.offset`, mean: `${name}.bn.mean`, variance: `${name}.bn.var` },
      });
    const c8 = cbl(x, 'bb.0', 6, 3, 2); // stride 2, 8x8
    const c16 = cbl(c8, 'bb.1', 10, 3, 2); // stride 4, 4x4
    const outs: string[] = [];
    let route: string | null = null;
    [c16, c8].forEach((src, i) => {
      const ch = 8 >> i;
      let y = route ? b.concat([route, src], 1, `yolo_concat.${i}`) : src;
      y = cbl(y, `yolo_block.${i}.0.0`, ch, 1);
      y = cbl(y, `yolo_block.${i}.0.1`, 2 * ch, 3);
      const r = cbl(y, `yolo_block.${i}.2`, ch, 1);
      const tip = cbl(r, `yolo_block.${i}.tip`, 2 * ch, 3);
      outs.push(b.conv2d(tip, { name: `yolo_output.${i}`, out: 7, k: 1, bias: true, weightName: `yolo_output.${i}.conv.weights`, biasName: `yolo_output.${i}.conv.bias` }));
      if (i === 0) route = b.upsample(cbl(r, `yolo_transition.${i}`, ch / 2, 1), { scale: 2, name: `yolo_up.${i}` });
    });
    b.output(...outs);
    return b.graph;
  },
  /** ResNet: stem, a projection bottleneck and an identity bottleneck (affine_channel norms), pool, fc. */
  resnet() {
    const b = new GraphBuilder();
    const x = b.input('image', [2, 3, 8, 8]);
    const cn = (v: string, name: string, bn: string, out: number, k: number, stride = 1, act = true) =>
      b.affineChannel(b.conv2d(v, { name, out, k, stride }), { name: bn, act: act ? 'relu' : undefined });
    const stem = cn(x, 'conv1', 'bn_conv1', 8, 3);
    const block = (v: string, tag: string, proj: boolean) => {
      let y = cn(v, `res2${tag}_branch2a`, `bn2${tag}_branch2a`, 4, 1);
      y = cn(y, `res2${tag}_branch2b`, `bn2${tag}_branch2b`, 4, 3);
      y = cn(y, `res2${tag}_branch2c`, `bn2${tag}_branch2c`, 12, 1, 1, false);
      const short = proj ? cn(v, `res2${tag}_branch1`, `bn2${tag}_branch1`, 12, 1, 1, false) : v;
      return b.add(short, y, { name: `res2${tag}`, act: 'relu' });
    };
    const y = block(block(stem, 'a', true), 'b', false);
    b.output(b.fc(b.pool2d(y, { type: 'avg', global: true }), { name: 'fc', out: 3 }));
    return b.graph;
  },
};

/** Random weights, and running statistics away from (0, 1) so that eval-mode norms matter. */
export function initNet(g: Graph, backend: Backend<any>, seed = 1): Graph {
  initParams(g, { seed, backend });
  let k = 0;
  for (const p of g.params.values()) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const stat = /(_mean|\.mean|_variance|\.var)$/.test(p.name);
    const norm = /(_scale|\.scale|_offset|\.offset|_bias)$/.test(p.name);
    if (!stat && !norm) continue;
    const lo = /var|variance/.test(p.name) ? 0.5 : p.name.match(/scale/) ? 0.5 : -0.5;
    const hi = /var|variance/.test(p.name) ? 1.5 : p.name.match(/scale/) ? 1.5 : 0.5;
    p.tensor!.dispose();
    p.tensor = Tensor.from(randomArray(n, seed * 1000 + ++k, lo, hi), p.shape, backend);
  }
  return g;
}

/** A copy of the graph with its own copies of every tensor. */
export function deepClone(g: Graph): Graph {
  const c = g.clone();
  for (const p of c.params.values()) if (p.tensor) p.tensor = p.tensor.clone();
  return c;
}

export function inputFor(g: Graph, backend: Backend<any>, seed = 7): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  g.inputs.forEach((name, i) => {
    const s = g.shapeOf(name);
    feeds[name] = Tensor.from(randomArray(s.reduce((a, b) => a * b, 1), seed + i), s, backend);
  });
  return feeds;
}

export function run(g: Graph, feeds: Record<string, Tensor>): Record<string, { shape: number[]; data: Float64Array }> {
  const { outputs } = forward(g, feeds);
  const r: Record<string, { shape: number[]; data: Float64Array }> = {};
  for (const [k, t] of Object.entries(outputs)) {
    r[k] = { shape: [...t.shape], data: Float64Array.from(t.toArray()) };
    t.dispose();
  }
  return r;
}

export interface CheckResult {
  plan: Plan;
  record: PruneRecord;
  pruned: Graph;
  maxErr: number;
}

/**
 * Prunes a copy of `factory()` with `opts`; asserts output shapes are unchanged, that outputs
 * equal those of the network whose pruned channels' contributions are zeroed, and that
 * backward runs and gives gradients of the pruned shapes.
 */
export function checkPruning(factory: NetFactory, opts: Omit<PlanOptions, 'warn'>, tb: TestBackend): CheckResult {
  const base = initNet(factory(), tb.backend);
  const feeds = inputFor(base, tb.backend);
  const warnings: string[] = [];
  const p = plan(base, { ...opts, warn: (m) => warnings.push(m) });
  const zeroed = deepClone(base);
  apply(zeroed, p, { mode: 'lazy', lazyMembers: 'consumers' });
  const pruned = deepClone(base);
  const record = apply(pruned, p);
  const orig = run(base, feeds);
  const want = run(zeroed, feeds);
  const got = run(pruned, feeds);
  // the zeroed channels mattered: the check below compares something that pruning changed
  if (p.groups.some((g) => g.kept.length < g.channels)) {
    const moved = Object.keys(orig).some((k) => !allclose(want[k].data, orig[k].data, { rtol: 1e-6, atol: 1e-6 }).ok);
    expect(moved).toBe(true);
  }
  let maxErr = 0;
  for (const k of Object.keys(want)) {
    expect(got[k].shape).toEqual(want[k].shape);
    const c = allclose(got[k].data, want[k].data, tb.tol);
    if (!c.ok) throw new Error(`${factory.name}: output ${k} differs from the zeroed network by ${c.maxErr} at ${c.at} on ${tb.name}`);
    maxErr = Math.max(maxErr, c.maxErr);
  }
  // pruning changed something: at least one param shrank
  const shrunk = [...pruned.params.values()].filter((q) => q.shape.join() !== base.param(q.name).shape.join());
  if (p.groups.some((g) => g.kept.length < g.channels)) expect(shrunk.length).toBeGreaterThan(0);
  // backward on the pruned network
  const fw = forward(pruned, feeds, { grad: true, training: true });
  const seeds: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(fw.outputs)) seeds[k] = Tensor.full(t.shape, 1, tb.backend);
  const grads = fw.tape!.backward(seeds);
  for (const q of pruned.params.values()) {
    const g = grads.params.get(q.name);
    if (!g) continue;
    expect(g.shape).toEqual(q.shape);
    expect(Array.from(g.toArray()).every(Number.isFinite)).toBe(true);
  }
  expect(grads.params.size).toBeGreaterThan(0);
  grads.params.forEach((g) => g.dispose());
  Object.values(fw.outputs).forEach((t) => t.dispose());
  Object.values(seeds).forEach((t) => t.dispose());
  Object.values(feeds).forEach((t) => t.dispose());
  return { plan: p, record, pruned, maxErr };
}
