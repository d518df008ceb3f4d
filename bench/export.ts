/**
 * Latency of the exported YOLOv3-MobileNetV1 (configs/yolov3_mobilenet_v1_voc.yml, 20 classes,
 * 608x608, batch 1, seeded weights), unpruned and pruned with the r578 ratios: the 6 convs of
 * yolo_block.0 at 0.5, of yolo_block.1 at 0.7, of yolo_block.2 at 0.8 (l1_norm), the setting
 * PaddleDetection's slim README reports as -69.6% FLOPs.
 *
 * Each model is exported as `slimprune export --format onnx` writes it (norms folded into the
 * convs, the file checked against slimprune's own output in onnxruntime-node), then timed:
 *   onnxruntime: an InferenceSession on the written model.onnx, every graph optimisation on,
 *     1 and 2 intra-op threads;
 *   slimprune-<backend>: slimprune's eval-mode forward of the same (unfolded) model, 1 and 2 threads.
 * Reports FLOPs before/after (PaddleSlim's count: MACs / 2^30), the median ms per image
 * (GFLOP/s in the rows count 2 operations per MAC, as every bench does) and the pruned
 * model's speed-up (unpruned ms / pruned ms) for each runtime and thread count.
 * Rows under --json: {bench: 'export', case, op: 'fwd', impl, threads, ms, gflops}.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as Ort from 'onnxruntime-node';
import { getBackend } from '../src/backend/loader';
import { Tensor } from '../src/backend/tensor';
import { readConfig, type SlimConfig } from '../src/config';
import { exportModel, sampleImage } from '../src/export';
import { forward } from '../src/graph/executor';
import { countFlops } from '../src/graph/flops';
import { initParams } from '../src/graph/init';
import { buildModel, type YoloModel } from '../src/nn';
import { apply, plan } from '../src/prune';
import { fmtMs, measure, QUICK_BUDGET, Reporter, table, type BenchOptions, type Budget } from './harness';

const CONFIG = path.join(__dirname, '..', 'configs', 'yolov3_mobilenet_v1_voc.yml');
const THREADS = [1, 2];
// A 608x608 forward takes 0.1-1 s: a few samples per measurement are enough.
const BUDGET: Budget = { minMs: 1500, minIters: 5, slowMs: 1500, slowBudgetMs: 6000 };

/** The r578 setting: the 6 convs of each yolo_block with its ratio (0.5, 0.7, 0.8 from the deepest level). */
export function r578(): { params: string[]; ratios: number[] } {
  const params: string[] = [];
  const ratios: number[] = [];
  [0.5, 0.7, 0.8].forEach((ratio, i) => {
    for (const conv of ['0.0', '0.1', '1.0', '1.1', '2', 'tip']) {
      params.push(`yolo_block.${i}.${conv}.conv.weights`);
      ratios.push(ratio);
    }
  });
  return { params, ratios };
}

/** The VOC model at size x size, weights seeded, pruned with r578 when asked. */
export function vocModel(size: number, pruned: boolean, seed = 7): { cfg: SlimConfig; model: YoloModel } {
  const cfg = readConfig(CONFIG);
  const model = buildModel(cfg as never, { mode: 'test', inputShape: [1, 3, size, size] });
  initParams(model.graph, { seed });
  if (pruned) apply(model.graph, plan(model.graph, { ...r578(), warn: () => undefined }));
  return { cfg, model };
}

function loadOrt(): typeof Ort | string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require('onnxruntime-node') as typeof Ort;
  } catch (e) {
    return `onnxruntime-node not loadable (${(e as Error).message.split('\n')[0]})`;
  }
}

export interface ExportBenchRow {
  case: string;
  impl: string;
  threads: number;
  ms: number;
}

export interface ExportBenchResult {
  macs: { unpruned: number; pruned: number };
  /** PaddleSlim's GFLOPs (MACs / 2^30, the unit of PaddleDetection's tables) */
  gflops: { unpruned: number; pruned: number };
  /** max relative difference of the ONNX outputs from slimprune's, per case (null: check skipped) */
  onnxDiff: Record<string, number | null>;
  rows: ExportBenchRow[];
}

/** Exports and times both models at `size` (608 in the benchmark; smaller in its test). */
export async function runExportBench(opts: BenchOptions, size = 608, threads = THREADS): Promise<ExportBenchResult> {
  const rep = new Reporter('export', opts);
  const budget = opts.quick ? QUICK_BUDGET : BUDGET;
  const backend = getBackend();
  const ort = loadOrt();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slimprune-bench-export-'));
  const result: ExportBenchResult = { macs: { unpruned: 0, pruned: 0 }, gflops: { unpruned: 0, pruned: 0 }, onnxDiff: {}, rows: [] };
  const dims = [1, 3, size, size];
  const image = sampleImage(dims, 3);
  try {
    for (const pruned of [false, true]) {
      const key = pruned ? 'pruned' : 'unpruned';
      const name = `yolov3_mobilenet_v1_voc_${size}_b1_${pruned ? 'r578' : 'unpruned'}`;
      const { cfg, model } = vocModel(size, pruned);
      try {
        const flops = countFlops(model.graph);
        const macs = flops.macs;
        result.macs[key] = macs;
        result.gflops[key] = flops.gflops;
        const dir = path.join(tmp, key);
        const ex = await exportModel(model, { cfg, dir, format: 'onnx' });
        result.onnxDiff[name] = ex.verify?.verified ? ex.verify.maxRel : null;
        rep.say(`${name}: ${flops.gflops.toFixed(2)} GFLOPs (PaddleSlim's count, ${(macs / 1e9).toFixed(3)} G MACs), ${ex.folded} norms folded; onnx vs slimprune: ${ex.verify?.verified ? `max rel. difference ${ex.verify.maxRel.toExponential(2)}` : `check skipped (${ex.verify?.skipped ?? 'not run'})`}`);
        for (const t of threads) {
          if (typeof ort === 'string') {
            rep.na(name, 'fwd', 'onnxruntime', ort);
            continue;
          }
          const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), {
            intraOpNumThreads: t, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3,
          });
          try {
            const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', image, dims) };
            const tm = await measure(() => session.run(feeds), budget);
            rep.add(name, 'fwd', 'onnxruntime', t, tm, 2 * macs);
            result.rows.push({ case: name, impl: 'onnxruntime', threads: t, ms: tm.ms });
          } finally {
            await session.release();
          }
        }
        const x = Tensor.from(image, dims, backend);
        try {
          for (const t of threads) {
            backend.setThreads?.(t);
            const got = backend.getThreads?.() ?? 1;
            const tm = await measure(() => {
              const { outputs } = forward(model.graph, { [model.input]: x }, { training: false });
              for (const o of Object.values(outputs)) o.dispose();
            }, budget);
            rep.add(name, 'fwd', `slimprune-${backend.name}`, got, tm, 2 * macs);
            result.rows.push({ case: name, impl: `slimprune-${backend.name}`, threads: got, ms: tm.ms });
          }
        } finally {
          x.dispose();
        }
      } finally {
        model.dispose();
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const { unpruned, pruned } = result.macs;
  rep.say(`\nFLOPs (PaddleSlim's count): ${result.gflops.unpruned.toFixed(2)} -> ${result.gflops.pruned.toFixed(2)} GFLOPs (${(((pruned - unpruned) / unpruned) * 100).toFixed(2)}%), batch 1, ${size}x${size}`);
  const body: string[][] = [];
  for (const r of result.rows.filter((x) => x.case.endsWith('unpruned'))) {
    const p = result.rows.find((x) => !x.case.endsWith('unpruned') && x.impl === r.impl && x.threads === r.threads);
    if (!p) continue;
    body.push([r.impl, String(r.threads), fmtMs(r.ms), fmtMs(p.ms), `${(r.ms / p.ms).toFixed(2)}x`, `${(((p.ms - r.ms) / r.ms) * 100).toFixed(1)}%`]);
  }
  rep.say(table(['runtime', 'threads', 'unpruned ms', 'r578 ms', 'speed-up', 'latency'], body));
  for (const n of rep.notes) rep.say(`n/a: ${n}`);
  return result;
}

export async function main(opts: BenchOptions): Promise<void> {
  await runExportBench(opts);
}
