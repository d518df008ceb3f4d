/**
 * Faster / Mask R-CNN R50 training step speed: one step as `slimprune train` takes it (train-mode
 * forward with RoIs sampled mid-forward against a fixed ground truth, the four or five losses,
 * backward, one Momentum step over every trainable parameter) on the digits demo configs
 * (configs/*_rcnn_r50_digits.yml: 128x128, batch 2, 8 RoIs per image) and at PaddleDetection's
 * reader size 800x1333 (800x1344 after PadBatch pad_to_stride 16), batch 1 (the demo configs'
 * heads and RoI counts). Seeded weights and samplers, a synthetic image, two digit-sized boxes
 * with square polygons per image. At the demo size (native) one more step runs with every kernel
 * timed: the table splits the step into kernels and the TS-side rest.
 *
 * Backends: slimprune-native; wasm-as at the demo size only with --all (seconds to minutes per
 * step). Each case: one warm-up step, then two timed steps, the median; --quick: one timed step
 * and no warm-up. Rows under --json: {bench: 'rcnn', case, impl, ms, images_per_s}.
 * SLIMPRUNE_BENCH_CASES=128x128 runs only the cases whose name contains the text.
 */
import * as path from 'path';
import type { Backend } from '../src/backend/backend';
import { availableBackends } from '../src/backend/loader';
import { Tensor } from '../src/backend/tensor';
import { readConfig } from '../src/config';
import { buildRcnnModel, initModel, type RcnnBatch } from '../src/nn';
import { MomentumOptimizer } from '../src/train/optimizer';
import { rcnnTrainStep } from '../src/train/rcnn_step';
import { fmtMs, randomArray, round, table, type BenchOptions } from './harness';
import { CG } from '../src/backend/kernels';

const ROOT = path.join(__dirname, '..');

interface Case {
  name: string;
  config: string;
  n: number;
  h: number;
  w: number;
}

/** SLIMPRUNE_BENCH_CASES=<text>: only the cases whose name contains it (e.g. 128x128). */
const ONLY = process.env.SLIMPRUNE_BENCH_CASES ?? '';

const CASES: Case[] = [
  { name: 'faster 128x128 b2', config: 'faster_rcnn_r50_digits.yml', n: 2, h: 128, w: 128 },
  { name: 'mask 128x128 b2', config: 'mask_rcnn_r50_digits.yml', n: 2, h: 128, w: 128 },
  { name: 'faster 800x1333 b1', config: 'faster_rcnn_r50_digits.yml', n: 1, h: 800, w: 1344 },
  { name: 'mask 800x1333 b1', config: 'mask_rcnn_r50_digits.yml', n: 1, h: 800, w: 1344 },
];

/** Two boxes per image a fifth of the image wide, as squares (boxes and polygons in original pixels). */
function groundTruth(c: Case): RcnnBatch {
  const box = (x: number, y: number, s: number) => [x, y, x + s, y + s];
  const s = Math.round(Math.min(c.h, c.w) / 5);
  return {
    imInfo: Array.from({ length: c.n }, () => ({ height: c.h, width: c.w, scale: 1 })),
    gt: Array.from({ length: c.n }, (_, i) => {
      const b = [box(8 + i * 4, 10, s), box(c.w / 2, c.h / 2, s)];
      return { boxes: b.flat(), classes: [1 + i, 3], polygons: b.map(([x1, y1, x2, y2]) => [[x1, y1, x2, y1, x2, y2, x1, y2]]) };
    }),
  };
}

/** A kernel call's label: convolutions by kernel size and direction, everything else by kernel. */
function kernelLabel(kernel: string, p: ArrayLike<number> | null): string {
  const dir = { conv2d_forward: 'fwd', conv2d_act_forward: 'fwd+act', conv2d_backward_input: 'dx', conv2d_backward_filter: 'dw' }[kernel];
  return dir && p ? `conv ${p[CG.KH]}x${p[CG.KW]} ${dir}` : kernel;
}

interface Breakdown {
  stepMs: number;
  kernelMs: number;
  /** per kernel label: ms, calls */
  kernels: Array<[string, number, number]>;
}

/**
 * Where one step's time goes: every kernel of `backend` timed (by label: convolutions by kind
 * and direction), the rest of the step (proposals, assigners, losses, the graph's TS-side work,
 * the optimizer's calls) being the step's time less the kernels'.
 */
function stepBreakdown(model: ReturnType<typeof buildRcnnModel>, image: Tensor, batch: RcnnBatch, backend: Backend<any>, opt: MomentumOptimizer, it: number): Breakdown {
  const kernels = backend.kernels as Record<string, (...a: unknown[]) => unknown>;
  const saved = { ...kernels };
  const acc = new Map<string, [number, number]>();
  for (const [name, k] of Object.entries(saved)) {
    kernels[name] = (...args: unknown[]) => {
      const t = performance.now();
      try {
        return k(...args);
      } finally {
        const label = kernelLabel(name, (args.find((a) => a instanceof Int32Array) as Int32Array | undefined) ?? null);
        const e = acc.get(label) ?? [0, 0];
        e[0] += performance.now() - t;
        e[1]++;
        acc.set(label, e);
      }
    };
  }
  const t0 = performance.now();
  try {
    step(model, image, batch, opt, it);
  } finally {
    Object.assign(kernels, saved);
  }
  const stepMs = performance.now() - t0;
  const list = [...acc].map(([n, [ms, calls]]): [string, number, number] => [n, ms, calls]).sort((a, b) => b[1] - a[1]);
  return { stepMs, kernelMs: list.reduce((t, e) => t + e[1], 0), kernels: list };
}

function step(model: ReturnType<typeof buildRcnnModel>, image: Tensor, batch: RcnnBatch, opt: MomentumOptimizer, k: number): void {
  const r = rcnnTrainStep(model, image, batch, 1, k);
  const params = new Map<string, Tensor>();
  for (const p of model.graph.paramList()) if (p.trainable && p.tensor) params.set(p.name, p.tensor);
  opt.step(params, r.grads, 1e-4);
  r.grads.forEach((t) => t.dispose());
}

function timeCase(c: Case, backend: Backend<any>, minSteps: number, warmup: number, breakdown?: (b: Breakdown) => void): number {
  const cfg = readConfig(path.join(ROOT, 'configs', c.config)) as unknown as Record<string, unknown>;
  const model = buildRcnnModel(cfg, { mode: 'train', inputShape: [c.n, 3, c.h, c.w] });
  initModel(model, { seed: 1, backend });
  const opt = MomentumOptimizer.forParams(model.graph.paramList(), { momentum: 0.9, l2: 1e-4 });
  const image = Tensor.from(randomArray(c.n * 3 * c.h * c.w, 7), [c.n, 3, c.h, c.w], backend);
  const batch = groundTruth(c);
  const times: number[] = [];
  try {
    for (let k = 0; k < minSteps + warmup; k++) {
      const t0 = process.hrtime.bigint();
      step(model, image, batch, opt, k);
      if (k >= warmup) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    if (breakdown) breakdown(stepBreakdown(model, image, batch, backend, opt, minSteps + warmup));
  } finally {
    image.dispose();
    model.dispose();
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

export async function main(o: BenchOptions): Promise<void> {
  const backends = availableBackends();
  const native = backends.find((b) => b.name === 'native');
  const wasm = backends.find((b) => b.name === 'wasm-as');
  const minSteps = o.quick ? 1 : 2;
  // --quick: one timed step without warm-up (it then includes the first step's allocations)
  const warmup = o.quick ? 0 : 1;
  const rows: string[][] = [];
  const run = (c: Case, b: Backend<any> | undefined, impl: string) => {
    if (!b) {
      if (!o.json) process.stdout.write(`skipping ${c.name} on ${impl}: the backend is not available in this build\n`);
      return;
    }
    // kernel timers of one extra step, native at the demo size (the cases a run is tuned on)
    const show = !o.json && impl === 'native' && c.h === 128;
    const ms = timeCase(c, b, minSteps, warmup, show ? (r) => {
      const share = (x: number) => `${((100 * x) / r.stepMs).toFixed(1)}%`;
      const lines = r.kernels.slice(0, 12).map(([n, kms, calls]) => [n, fmtMs(kms), String(calls), share(kms)]);
      lines.push(['(all kernels)', fmtMs(r.kernelMs), String(r.kernels.reduce((t, e) => t + e[2], 0)), share(r.kernelMs)]);
      lines.push(['(outside kernels: proposals, assigners, losses, graph and optimizer TS)', fmtMs(r.stepMs - r.kernelMs), '', share(r.stepMs - r.kernelMs)]);
      process.stdout.write(`\nkernel timers, ${c.name} native: one step, ${fmtMs(r.stepMs)} ms\n` + table(['kernel', 'ms', 'calls', 'share'], lines) + '\n');
    } : undefined);
    const ips = (c.n * 1000) / ms;
    if (o.json) process.stdout.write(JSON.stringify({ bench: 'rcnn', case: c.name, impl: `slimprune-${impl}`, ms: round(ms, 1), images_per_s: round(ips, 3) }) + '\n');
    rows.push([c.name, `slimprune-${impl}`, fmtMs(ms), ips.toFixed(3)]);
  };
  for (const c of CASES.filter((x) => x.name.includes(ONLY))) run(c, native, 'native');
  if (o.all) for (const c of CASES.filter((x) => x.h === 128)) run(c, wasm, 'wasm-as');
  else if (!o.json) process.stdout.write('wasm-as left out (--all runs it at the demo size)\n');
  if (!o.json) process.stdout.write(table(['case', 'impl', 'train step', 'images/s'], rows) + '\n');
}
