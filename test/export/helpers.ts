/**
 * A small YOLOv3-MobileNet (the digits config at 64 x 64) with seeded weights and batch-norm
 * statistics far from their initial values, so that folding them changes every conv.
 */
import { readConfig } from '../../src/config';
import { buildModel, initModel, type YoloModel } from '../../src/nn';
import { forward } from '../../src/graph/executor';
import { Tensor } from '../../src/backend/tensor';
import type { Graph } from '../../src/graph/graph';
import { rng } from '../util/rng';

export const DIGITS_CFG = 'configs/yolov3_mobilenet_v1_digits.yml';

export function randomiseNorms(graph: Graph, seed: number): void {
  const r = rng(seed);
  for (const n of graph.nodes) {
    if (n.type !== 'batch_norm' && n.type !== 'affine_channel') continue;
    for (const [role, name] of Object.entries(n.params)) {
      const p = graph.param(name);
      const c = p.shape[0];
      const v = Array.from({ length: c }, () => r());
      const data = role === 'variance' ? v.map((x) => 1 + 0.5 * x) : role === 'scale' ? v.map((x) => 0.6 + 0.2 * x) : v.map((x) => 0.2 * x);
      p.tensor!.set(data);
    }
  }
}

export function smallYolo(seed = 1, size = 64): YoloModel {
  const m = buildModel(readConfig(DIGITS_CFG) as never, { mode: 'test', inputShape: [1, 3, size, size] });
  initModel(m, { seed });
  randomiseNorms(m.graph, seed + 100);
  return m;
}

export function sampleInput(n: number, size: number, seed = 7): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * 3 * size * size }, () => r() * 2);
}

/** Eval-mode outputs of `graph` on `data` as plain arrays, by output name. */
export function run(graph: Graph, input: string, data: Float32Array, dims: number[]): Record<string, Float32Array> {
  const x = Tensor.from(data, dims);
  try {
    const { outputs } = forward(graph, { [input]: x }, { training: false });
    const res: Record<string, Float32Array> = {};
    for (const [k, t] of Object.entries(outputs)) {
      res[k] = Float32Array.from(t.toArray());
      t.dispose();
    }
    return res;
  } finally {
    x.dispose();
  }
}

export function maxRel(a: Record<string, ArrayLike<number>>, b: Record<string, ArrayLike<number>>): number {
  let worst = 0;
  for (const k of Object.keys(b)) {
    let d = 0, s = 0;
    for (let i = 0; i < b[k].length; i++) {
      d = Math.max(d, Math.abs(a[k][i] - b[k][i]));
      s = Math.max(s, Math.abs(b[k][i]));
    }
    worst = Math.max(worst, d / s);
  }
  return worst;
}
