/**
 * Gradient checking of whole graphs on the float64 reference backend: parameters and inputs
 * get seeded random values, the loss is L = sum over outputs of sum(y * r) with fixed random r,
 * the analytic gradients come from one forward(grad) + backward(r), and each parameter's and
 * input's numeric gradient from central differences of L (the forward run in the same mode).
 */
import { backendByName } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { GraphBuilder } from '../../src/graph/builder';
import { forward } from '../../src/graph/executor';
import { initParams } from '../../src/graph/init';
import type { Graph } from '../../src/graph/graph';
import { checkGrad, dot } from '../util/gradcheck';
import { randomArray } from '../util/rng';

export const reference = () => backendByName('reference');

/**
 * A small net touching conv, eval/train batch norm + activation, add, sigmoid, split, upsample,
 * concat, max pool and a biased conv: input 'image' [n, 3, hw, hw].
 */
export function smallNet(n = 2, hw = 8): Graph {
  const b = new GraphBuilder();
  const x = b.input('image', [n, 3, hw, hw]);
  let y = b.conv2d(x, { name: 'c1', out: 4, k: 3 });
  y = b.batchNorm(y, { name: 'c1_bn', act: 'leaky_relu', alpha: 0.1 });
  const r = b.conv2d(y, { name: 'c2', out: 4, k: 1 });
  y = b.add(y, b.sigmoid(r), { name: 'sum' });
  const [a, c] = b.split(y, [1, 3]);
  y = b.concat([b.upsample(a, { scale: 2 }), b.upsample(c, { scale: 2 })]);
  y = b.pool2d(y, { type: 'max', k: 2, stride: 2 });
  b.output(b.conv2d(y, { name: 'c3', out: 5, k: 3, bias: true }));
  return b.graph;
}


/**
 * Paddle's initialisation (seeded) on the reference backend, then norm parameters moved off
 * their constants (scale ~U(0.5, 1.5), offsets and means ~U(-0.5, 0.5), variances ~U(0.5, 1.5)),
 * so that every term of the gradient is exercised at realistic magnitudes.
 */
export function initForCheck(graph: Graph, seed = 1): void {
  initParams(graph, { seed, backend: reference() });
  let s = seed * 7919;
  for (const p of graph.params.values()) {
    if (p.init.type !== 'constant') continue;
    const n = p.shape.reduce((a, b) => a * b, 1);
    const positive = p.init.value === 1;
    p.tensor!.set(randomArray(n, s++, positive ? 0.5 : -0.5, positive ? 1.5 : 0.5));
  }
}

/** Gives every parameter random data (variances positive) on the reference backend. */
export function randomizeParams(graph: Graph, seed = 1): void {
  const be = reference();
  let s = seed;
  for (const p of graph.params.values()) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const lo = /var/.test(p.name) && !p.trainable ? 0.5 : -1;
    const data = randomArray(n, s++, lo, lo + 1.5);
    p.tensor?.dispose();
    p.tensor = Tensor.from(data, p.shape, be);
  }
}

export interface GraphCheck {
  training?: boolean;
  /** input name -> data (default random) */
  feeds?: Record<string, Float64Array>;
  tol?: number;
  /** parameter names to check (default every trainable one) */
  params?: string[];
  /** check input gradients too (default true) */
  inputs?: boolean;
  seed?: number;
  h?: number;
}

/** Runs the check; returns the worst relative error seen. */
export function checkGraphGrads(graph: Graph, opts: GraphCheck = {}): number {
  const be = reference();
  const training = opts.training ?? true;
  const seed = opts.seed ?? 7;
  const feeds: Record<string, Tensor> = {};
  graph.inputs.forEach((name, i) => {
    const s = graph.shapeOf(name);
    const data = opts.feeds?.[name] ?? randomArray(s.reduce((a, b) => a * b, 1), seed + 100 + i);
    feeds[name] = Tensor.from(data, s, be);
  });
  const rs: Record<string, Tensor> = {};
  graph.outputs.forEach((v, i) => {
    const s = graph.shapeOf(v);
    rs[v] = Tensor.from(randomArray(s.reduce((a, b) => a * b, 1), seed + 200 + i), s, be);
  });
  const loss = () => {
    const { outputs } = forward(graph, feeds, { training });
    let l = 0;
    for (const v of graph.outputs) {
      l += dot(outputs[v].toArray(), rs[v].toArray());
      outputs[v].dispose();
    }
    return l;
  };
  const wantInputs = opts.inputs ?? true;
  const { outputs, tape } = forward(graph, feeds, { training, grad: true, inputGrads: wantInputs ? graph.inputs : [] });
  const grads = tape!.backward(rs);
  Object.values(outputs).forEach((t) => t.dispose());
  let worst = 0;
  const names = opts.params ?? graph.paramList().filter((p) => p.trainable).map((p) => p.name);
  for (const name of names) {
    const p = graph.param(name);
    const g = grads.params.get(name);
    if (!g) throw new Error(`no gradient for parameter ${name}`);
    const r = checkGrad(`${name}`, loss, p.tensor!.storage as Float64Array, g.toArray(), { tol: opts.tol ?? 1e-6, h: opts.h, allowZero: false });
    worst = Math.max(worst, r.err);
  }
  if (wantInputs) {
    for (const name of graph.inputs) {
      const r = checkGrad(`input ${name}`, loss, feeds[name].storage as Float64Array, grads.inputs[name].toArray(), { tol: opts.tol ?? 1e-6, h: opts.h });
      worst = Math.max(worst, r.err);
    }
  }
  return worst;
}

/**
 * Directional-derivative check for graphs too large for per-element differences: for random
 * directions d over every trainable parameter (and the inputs), compares
 * (L(theta + h d) - L(theta - h d)) / 2h with sum <grad, d>. Returns the worst relative error.
 */
export function checkDirectional(graph: Graph, opts: { training?: boolean; directions?: number; seed?: number; h?: number } = {}): number {
  // (a direction whose first step errs by more than 1e-7 is measured again at h / 10)
  // each parameter moves in proportion to its own spread (so h means the same for a 3x3
  // depthwise filter and a 1024-channel pointwise one), which keeps the steps away from kinks
  const be = reference();
  const training = opts.training ?? true;
  const seed = opts.seed ?? 11;
  const h = opts.h ?? 1e-6;
  const feeds: Record<string, Tensor> = {};
  graph.inputs.forEach((name, i) => {
    const s = graph.shapeOf(name);
    feeds[name] = Tensor.from(randomArray(s.reduce((a, b) => a * b, 1), seed + 100 + i), s, be);
  });
  const rs: Record<string, Tensor> = {};
  graph.outputs.forEach((v, i) => {
    const s = graph.shapeOf(v);
    rs[v] = Tensor.from(randomArray(s.reduce((a, b) => a * b, 1), seed + 200 + i), s, be);
  });
  const loss = () => {
    const { outputs } = forward(graph, feeds, { training });
    let l = 0;
    for (const v of graph.outputs) {
      l += dot(outputs[v].toArray(), rs[v].toArray());
      outputs[v].dispose();
    }
    return l;
  };
  const { outputs, tape } = forward(graph, feeds, { training, grad: true, inputGrads: graph.inputs });
  const grads = tape!.backward(rs);
  Object.values(outputs).forEach((t) => t.dispose());
  const targets: Array<{ data: Float64Array; grad: ArrayLike<number>; scale: number }> = [];
  const spread = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / Math.max(1, a.length)) || 1;
  for (const p of graph.paramList()) {
    if (!p.trainable) continue;
    const g = grads.params.get(p.name);
    if (!g) throw new Error(`no gradient for parameter ${p.name}`);
    const data = p.tensor!.storage as Float64Array;
    targets.push({ data, grad: g.toArray(), scale: spread(data) });
  }
  for (const name of graph.inputs) targets.push({ data: feeds[name].storage as Float64Array, grad: grads.inputs[name].toArray(), scale: 1 });
  let worst = 0;
  for (let k = 0; k < (opts.directions ?? 2); k++) {
    const dirs = targets.map((t, i) => randomArray(t.data.length, seed * 1000 + k * 97 + i).map((v) => v * t.scale));
    const analytic = targets.reduce((s, t, i) => s + dot(t.grad, dirs[i]), 0);
    const shift = (a: number) => targets.forEach((t, i) => { for (let j = 0; j < t.data.length; j++) t.data[j] += a * dirs[i][j]; });
    const errAt = (step: number) => {
      shift(step);
      const up = loss();
      shift(-2 * step);
      const down = loss();
      shift(step);
      const numeric = (up - down) / (2 * step);
      return Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), Math.abs(analytic), 1e-12);
    };
    // a step that happens to cross a ReLU kink gives an O(1) error; a genuine error persists
    // at a ten times smaller step, a kink crossing almost never does
    let err = errAt(h);
    if (err > 1e-7) err = Math.min(err, errAt(h / 10));
    worst = Math.max(worst, err);
  }
  return worst;
}
