/**
 * Pruner benchmark: time of plan() (groups + l1_norm scores + counts) and apply() (slicing
 * every member with the gatherAxis kernel, then shape inference) on two real workloads:
 *   yolov3_mobilenet_v1_voc: the 18 yolo_block.* convs at ratio 0.5 (the published setting),
 *     608x608 input, configs/yolov3_mobilenet_v1_voc.yml;
 *   resnet50: every conv of a ResNet-50 (affine_channel norms, 224x224, global pool + fc 1000),
 *     ratio 0.3 (convs tied by a residual sum are listed too: they are warned about and pruned
 *     with their group).
 * Each call runs on a fresh copy of the weights (copying is not timed); the median call is
 * reported. Targets: plan < 50 ms, apply < 1 s. Also prints FLOPs before/after (PaddleSlim's
 * count). Rows under --json: {bench, case, op: 'plan' | 'apply' | 'apply_only_graph', impl, threads, ms}.
 */
import * as path from 'path';
import { getBackend } from '../src/backend/loader';
import { readConfig } from '../src/config';
import { GraphBuilder } from '../src/graph/builder';
import { countFlops } from '../src/graph/flops';
import type { Graph } from '../src/graph/graph';
import { initParams } from '../src/graph/init';
import { buildModel } from '../src/nn';
import { resNet } from '../src/nn/resnet';
import { apply, compareFlops, formatPruneReport, listGroups, plan, type PlanOptions } from '../src/prune';
import type { BenchOptions } from './harness';

interface Case {
  name: string;
  build: () => Graph;
  params: (g: Graph) => string[];
  ratio: number;
}

const CASES: Case[] = [
  {
    name: 'yolov3_mobilenet_v1_voc',
    build: () => buildModel(readConfig(path.join(__dirname, '..', 'configs', 'yolov3_mobilenet_v1_voc.yml')) as never, { mode: 'train' }).graph,
    params: (g) => g.paramList().map((p) => p.name).filter((n) => /^yolo_block\..*conv\.weights$/.test(n)),
    ratio: 0.5,
  },
  {
    name: 'resnet50',
    build: () => {
      const b = new GraphBuilder();
      const x = b.input('image', [1, 3, 224, 224]);
      const [c5] = resNet(b, x, { __type__: 'ResNet', depth: 50, feature_maps: [5], freeze_at: 0 });
      b.output(b.fc(b.pool2d(c5, { type: 'avg', global: true }), { name: 'fc', out: 1000 }));
      return b.graph;
    },
    params: (g) => g.nodes.filter((n) => n.type === 'conv2d').map((n) => n.params.weight),
    ratio: 0.3,
  },
];

function copyWeights(g: Graph): Graph {
  const c = g.clone();
  for (const p of c.params.values()) if (p.tensor) p.tensor = p.tensor.clone();
  return c;
}

function dispose(g: Graph): void {
  for (const p of g.params.values()) p.tensor?.dispose();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export async function main(opts: BenchOptions): Promise<void> {
  const say = (s: string) => (opts.json ? process.stderr : process.stdout).write(s + '\n');
  const row = (c: string, op: string, ms: number, calls: number) => {
    if (opts.json) process.stdout.write(JSON.stringify({ bench: 'prune', case: c, op, impl: `slimprune-${backend.name}`, threads: 1, ms: Math.round(ms * 1e4) / 1e4 }) + '\n');
    else say(`  ${c} ${op}: ${ms.toFixed(2)} ms (median of ${calls})`);
  };
  const backend = getBackend();
  const calls = opts.quick ? 3 : 9;
  say(`prune benchmark on the ${backend.name} backend; ${calls} calls per op; targets: plan < 50 ms, apply < 1000 ms`);
  for (const c of CASES) {
    const base = c.build();
    initParams(base, { seed: 1, backend });
    const params = c.params(base);
    const o: PlanOptions = { params, ratios: params.map(() => c.ratio), warn: () => undefined };
    const t0 = performance.now();
    const groups = listGroups(base);
    say(`${c.name}: ${base.nodes.length} nodes, ${base.params.size} params, ${params.length} convs listed at ${c.ratio}, ${groups.length} groups in the graph (listGroups ${(performance.now() - t0).toFixed(1)} ms, first call)`);
    const planMs: number[] = [];
    const applyMs: number[] = [];
    const shapeMs: number[] = [];
    let warnings = 0;
    let report = '';
    for (let k = 0; k < calls; k++) {
      const g = copyWeights(base);
      const before = countFlops(g);
      let t = performance.now();
      const p = plan(g, o);
      planMs.push(performance.now() - t);
      warnings = p.warnings.length;
      t = performance.now();
      apply(g, p);
      applyMs.push(performance.now() - t);
      if (k === 0) report = formatPruneReport(compareFlops(before, countFlops(g)));
      dispose(g);
      const s = base.clone();
      t = performance.now();
      apply(s, p, { mode: 'only_graph' });
      shapeMs.push(performance.now() - t);
    }
    say(`  ${warnings} listed convs already in an earlier listed conv's group (pruned with it)`);
    row(c.name, 'plan', median(planMs), calls);
    row(c.name, 'apply', median(applyMs), calls);
    row(c.name, 'apply_only_graph', median(shapeMs), calls);
    for (const line of report.split('\n')) say(`  ${line}`);
    dispose(base);
  }
}
