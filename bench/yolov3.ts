/**
 * YOLOv3 + MobileNetV1 (configs/yolov3_mobilenet_v1_voc.yml, 20 classes) at 320x320, batch 2:
 * one forward pass (eval mode) and one training step's forward + backward (train mode, batch
 * statistics, gradients of every parameter, seeded by fixed random output gradients since the
 * loss arrives with training), on every available backend in the same process. Reports ms per
 * step, images/s and the GFLOP/s of the convolutions (PaddleSlim's count: 2 x MACs; backward
 * counts 2x the forward's), and checks each backend's outputs and gradients against native's.
 * Rows under --json: {bench: 'yolov3', case, op: 'fwd' | 'fwd_bwd', impl, threads, ms, gflops, images_per_s}.
 */
import * as path from 'path';
import type { Backend } from '../src/backend/backend';
import { availableBackends } from '../src/backend/loader';
import { Tensor } from '../src/backend/tensor';
import { readConfig } from '../src/config';
import { forward } from '../src/graph/executor';
import { countFlops } from '../src/graph/flops';
import { initParams } from '../src/graph/init';
import { buildModel } from '../src/nn';
import { measure, QUICK_BUDGET, randomArray, relError, type BenchOptions, type Budget } from './harness';

const SIZE = 320;
const BATCH = 2;
const CONFIG = path.join(__dirname, '..', 'configs', 'yolov3_mobilenet_v1_voc.yml');
// A step takes seconds on the WASM backends: a few samples are enough there.
const BUDGET: Budget = { minMs: 1000, minIters: 3, slowMs: 1500, slowBudgetMs: 6000 };

interface StepResult {
  outputs: Float32Array[];
  grads: Map<string, Float32Array>;
}

function model(backend: Backend<any>) {
  const m = buildModel(readConfig(CONFIG) as never, { mode: 'train', inputShape: [BATCH, 3, SIZE, SIZE] } as never);
  initParams(m.graph, { seed: 7, backend });
  return m;
}

export async function main(opts: BenchOptions): Promise<void> {
  const say = (s: string) => (opts.json ? process.stderr : process.stdout).write(s + '\n');
  const backends = availableBackends().filter((b) => b.name !== 'reference' && b.name !== 'cuda');
  const image = randomArray(BATCH * 3 * SIZE * SIZE, 1);
  const probe = model(backends[0]);
  const macs = countFlops(probe.graph).macs * BATCH;
  say(`YOLOv3-MobileNetV1 (VOC) ${SIZE}x${SIZE}, batch ${BATCH}: ${(macs / 1e9).toFixed(2)} GMACs forward; backends: ${backends.map((b) => b.name).join(', ')}`);
  const results = new Map<string, StepResult>();
  const lines: string[] = [];
  for (const backend of backends) {
    backend.setThreads?.(opts.threads);
    const m = model(backend);
    const x = Tensor.from(image, [BATCH, 3, SIZE, SIZE], backend);
    const seeds: Record<string, Tensor> = {};
    const fwd = () => {
      const { outputs } = forward(m.graph, { image: x }, { training: false });
      for (const o of Object.values(outputs)) o.dispose();
    };
    const step = (keep = false, training = true): StepResult | undefined => {
      const { outputs, tape } = forward(m.graph, { image: x }, { training, grad: true });
      if (!Object.keys(seeds).length) {
        m.outputs.forEach((o, i) => (seeds[o] = Tensor.from(randomArray(outputs[o].size, 100 + i), outputs[o].shape, backend)));
      }
      const g = tape!.backward(seeds);
      let r: StepResult | undefined;
      if (keep) {
        r = { outputs: m.outputs.map((o) => Float32Array.from(outputs[o].toArray())), grads: new Map() };
        for (const [k, t] of g.params) r.grads.set(k, Float32Array.from(t.toArray()));
      }
      for (const o of Object.values(outputs)) o.dispose();
      for (const t of g.params.values()) t.dispose();
      return r;
    };
    // The cross-backend check runs in eval mode (running statistics), before any train step
    // moves them: train-mode gradients through batch statistics of 2x2 maps are too
    // ill-conditioned in float32 to compare closely (outputs still agree).
    results.set(backend.name, step(true, false)!);
    const budget = opts.quick ? QUICK_BUDGET : BUDGET;
    const tf = await measure(fwd, budget);
    const ts = await measure(() => void step(), budget);
    const threads = backend.getThreads?.() ?? 1;
    for (const [op, t, work] of [['fwd', tf, 2 * macs], ['fwd_bwd', ts, 6 * macs]] as const) {
      const row = { bench: 'yolov3', case: `mobilenet_v1_voc_${SIZE}_b${BATCH}`, op, impl: `slimprune-${backend.name}`, threads, ms: Math.round(t.ms * 100) / 100, gflops: Math.round((work / t.ms / 1e6) * 10) / 10, images_per_s: Math.round((BATCH / t.ms) * 1e5) / 100 };
      if (opts.json) process.stdout.write(JSON.stringify(row) + '\n');
      lines.push(`${row.impl.padEnd(20)} ${op.padEnd(8)} ${row.ms.toFixed(1).padStart(9)} ms ${row.images_per_s.toFixed(2).padStart(8)} img/s ${row.gflops.toFixed(1).padStart(7)} GFLOP/s (${t.samples} samples, ${threads} threads)`);
    }
    x.dispose();
    for (const t of Object.values(seeds)) t.dispose();
  }
  for (const l of lines) say(l);
  const base = results.get(backends[0].name)!;
  for (const [name, r] of results) {
    if (name === backends[0].name) continue;
    const out = Math.max(...r.outputs.map((o, i) => relError(o, base.outputs[i])));
    let grad = 0;
    for (const [k, g] of r.grads) grad = Math.max(grad, relError(g, base.grads.get(k)!));
    say(`${name} vs ${backends[0].name}: outputs max rel. error ${out.toExponential(2)}, parameter gradients max rel. error ${grad.toExponential(2)} (eval mode, same weights)`);
  }
}
