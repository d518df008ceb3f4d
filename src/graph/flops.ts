/**
 * FLOPs, parameter count and size of a graph, counted the way PaddleSlim counts them:
 * one multiply-add is one "FLOP", per image (batch 1), convolutions and fully connected
 * layers only (onlyConv, the default, as PaddleDetection reports):
 *   conv2d:           H_out * W_out * C_out * (KH * KW * C_in / groups + (bias ? 1 : 0))
 *                     where "bias" is 0 by default: Paddle's static conv2d op never carries its
 *                     bias (a separate elementwise_add does), so PaddleSlim's term is 0 for every
 *                     conv it counts, and the published baselines (YOLOv3-MobileNetV1 VOC 608:
 *                     20.20 GFLOPs) only come out without it. countConvBias: true adds it.
 *   conv2d_transpose: H_in * W_in * C_in * KH * KW * C_out / groups (+ H_out W_out C_out, bias counted)
 *                     (the same multiply-adds as the conv it transposes; PaddleSlim skips it)
 *   fc:               in * out
 * With onlyConv false, also as PaddleSlim: pool2d H_out W_out C_out KH^2 (global: H_in W_in C),
 * relu / sigmoid / relu6 (and the other activations) and elementwise ops one per element,
 * batch_norm one per element (the affine part).
 * GFLOPs use PaddleDetection's 2^30 divisor. Size is float32 bytes of every parameter
 * (running statistics included, as they are saved) in MiB (2^20 bytes).
 */
import type { Graph } from './graph';
import { prod } from './ops/attrs';
import type { Dims } from './types';

export interface FlopsReport {
  /** multiply-adds per image */
  macs: number;
  /** macs / 2^30 */
  gflops: number;
  /** elements of all parameters */
  params: number;
  /** elements of trainable parameters */
  trainableParams: number;
  /** params * 4 bytes / 2^20 */
  sizeMB: number;
  /** per node (only nodes that count), in graph order */
  perNode: Array<{ id: string; type: string; macs: number; param?: string }>;
}

const ELEMENTWISE = new Set(['relu', 'leaky_relu', 'relu6', 'sigmoid', 'hardswish', 'hardsigmoid', 'elementwise_add', 'elementwise_sub', 'elementwise_mul', 'batch_norm', 'affine_channel']);

export function countFlops(graph: Graph, opts: { onlyConv?: boolean; countConvBias?: boolean; inputShapes?: Record<string, Dims> } = {}): FlopsReport {
  const onlyConv = opts.onlyConv ?? true;
  const bias = (n: { params: Record<string, string> }) => (opts.countConvBias && n.params.bias ? 1 : 0);
  const shapes = opts.inputShapes ? graph.shapesFor(opts.inputShapes) : new Map([...graph.values].map(([k, v]) => [k, v.shape]));
  const shape = (v: string) => shapes.get(v)!;
  const perNode: FlopsReport['perNode'] = [];
  let macs = 0;
  for (const n of graph.nodes) {
    let f = 0;
    let param: string | undefined;
    if (n.type === 'conv2d') {
      const [cout, cinG, kh, kw] = graph.param(n.params.weight).shape;
      const [, , ho, wo] = shape(n.outputs[0]);
      f = ho * wo * cout * (kh * kw * cinG + bias(n));
      param = n.params.weight;
    } else if (n.type === 'conv2d_transpose') {
      const [cin, coutG, kh, kw] = graph.param(n.params.weight).shape;
      const [, , hi, wi] = shape(n.inputs[0]);
      const [, cout, ho, wo] = shape(n.outputs[0]);
      f = hi * wi * cin * kh * kw * coutG + bias(n) * ho * wo * cout;
      param = n.params.weight;
    } else if (n.type === 'fc') {
      const [k, m] = graph.param(n.params.weight).shape;
      f = k * m;
      param = n.params.weight;
    } else if (!onlyConv && n.type === 'pool2d') {
      const [, c, ho, wo] = shape(n.outputs[0]);
      if (n.attrs.global_pooling) {
        const [, , hi, wi] = shape(n.inputs[0]);
        f = hi * wi * c;
      } else {
        const k = n.attrs.ksize as number[];
        f = ho * wo * c * k[0] * k[0];
      }
    } else if (!onlyConv && ELEMENTWISE.has(n.type)) {
      f = prod(shape(n.outputs[0]), 1);
    }
    if (f) {
      macs += f;
      perNode.push({ id: n.id, type: n.type, macs: f, ...(param ? { param } : {}) });
    }
  }
  let params = 0;
  let trainableParams = 0;
  for (const p of graph.params.values()) {
    const s = prod(p.shape);
    params += s;
    if (p.trainable) trainableParams += s;
  }
  return { macs, gflops: macs / 2 ** 30, params, trainableParams, sizeMB: (params * 4) / 2 ** 20, perNode };
}

/** Percent reduction from `before` to `after` (positive when smaller). */
export function reduction(before: number, after: number): number {
  return before === 0 ? 0 : ((before - after) / before) * 100;
}
