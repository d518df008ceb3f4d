/**
 * GraphBuilder: the model-building API, with explicit parameter names, that the model zoo and
 * user code share. Each method adds one node (plus its parameters, in creation order), infers
 * the output shape at once and returns the output value's name, so layers chain:
 *
 *     const b = new GraphBuilder();
 *     const x = b.input('image', [1, 3, 224, 224]);
 *     let y = b.conv2d(x, { name: 'c1', out: 16, k: 3, stride: 2, pad: 1 });  // param c1_weights
 *     y = b.batchNorm(y, { name: 'c1_bn', act: 'relu' });                       // c1_bn_scale, ...
 *     b.output(b.fc(b.flatten(b.pool2d(y, { type: 'avg', global: true })), { name: 'fc', out: 10 }));
 *
 * Default parameter names follow Paddle's static layers: conv `<name>_weights` / `<name>_bias`,
 * batch norm `<name>_scale/_offset/_mean/_variance`, fc `<name>_weights` / `<name>_offset`;
 * every name can be given explicitly instead. Default initialisers are Paddle's (see init.ts).
 */
import { Graph } from './graph';
import { constant, convDefault, msraUniform, xavierUniform } from './init';
import type { Attrs, DecayKind, Dims, InitSpec } from './types';

export type ActKind = 'relu' | 'leaky_relu' | 'relu6' | 'sigmoid' | 'hardswish' | 'hardsigmoid';

export interface ParamOpts {
  init?: InitSpec | 'msra' | 'default';
  trainable?: boolean;
  decay?: DecayKind;
  l2?: number;
}

export interface ConvOpts {
  /** node id, and the base of default parameter names */
  name: string;
  out: number;
  /** kernel size (square) or [kh, kw] */
  k: number | [number, number];
  stride?: number | [number, number];
  /** n, [ph, pw] or [pt, pb, pl, pr]; default (k - 1) / 2 * dilation ("same" for odd k, stride 1) */
  pad?: number | [number, number] | [number, number, number, number];
  dilation?: number | [number, number];
  groups?: number;
  /** default false */
  bias?: boolean;
  weightName?: string;
  biasName?: string;
  weight?: ParamOpts;
  biasParam?: ParamOpts;
  act?: ActKind;
  alpha?: number;
}

export interface BnOpts {
  name: string;
  /** explicit parameter names (default `<name>_scale`, `_offset`, `_mean`, `_variance`) */
  names?: { scale: string; offset: string; mean: string; variance: string };
  epsilon?: number;
  momentum?: number;
  useGlobalStats?: boolean;
  /** L2 coefficient of scale and offset (a component's norm_decay); default 0 */
  normDecay?: number;
  /** false freezes scale and offset */
  trainable?: boolean;
  act?: ActKind;
  alpha?: number;
}

export interface FcOpts {
  name: string;
  out: number;
  bias?: boolean;
  weightName?: string;
  biasName?: string;
  weight?: ParamOpts;
  biasParam?: ParamOpts;
  act?: ActKind;
}

export interface PoolOpts {
  type: 'max' | 'avg';
  k?: number | [number, number];
  stride?: number | [number, number];
  pad?: number | [number, number] | [number, number, number, number];
  global?: boolean;
  ceilMode?: boolean;
  exclusive?: boolean;
  name?: string;
}

const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
function pads4(v: number | [number, number] | [number, number, number, number]): number[] {
  if (typeof v === 'number') return [v, v, v, v];
  return v.length === 2 ? [v[0], v[0], v[1], v[1]] : [...v];
}

export class GraphBuilder {
  readonly graph: Graph;

  constructor(graph: Graph = new Graph()) {
    this.graph = graph;
  }

  input(name: string, shape: Dims): string {
    return this.graph.addInput(name, shape);
  }

  /** Marks values as graph outputs (in order). */
  output(...values: string[]): void {
    for (const v of values) this.graph.value(v);
    this.graph.outputs.push(...values);
  }

  shape(v: string): Dims {
    return this.graph.shapeOf(v);
  }

  channels(v: string): number {
    return this.graph.shapeOf(v)[1];
  }

  /** Adds (or shares, by name) a parameter. */
  param(name: string, shape: Dims, dflt: { init: InitSpec; decay: DecayKind; trainable?: boolean; l2?: number }, opts: ParamOpts = {}): string {
    const init = typeof opts.init === 'object' ? opts.init : opts.init === 'msra' ? msraUniform(shape) : dflt.init;
    const l2 = opts.l2 ?? dflt.l2;
    this.graph.addParam({
      name, shape, init, trainable: opts.trainable ?? dflt.trainable ?? true, decay: opts.decay ?? dflt.decay, ...(l2 !== undefined ? { l2 } : {}),
    });
    return name;
  }

  /** Adds any node; returns its output value names (named after the node id). */
  node(type: string, inputs: string[], opts: { id?: string; attrs?: Attrs; params?: Record<string, string>; outputs?: number } = {}): string[] {
    const id = this.graph.freshId(opts.id ?? `${type}`);
    const n = opts.outputs ?? 1;
    const outputs = n === 1 ? [id] : [...Array(n).keys()].map((i) => `${id}:${i}`);
    this.graph.addNode({ id, type, inputs, outputs, attrs: opts.attrs, params: opts.params });
    return outputs;
  }

  private after(x: string, suffix: string): string {
    const prod = this.graph.value(x).producer ?? x;
    return `${prod}.${suffix}`;
  }

  conv2d(x: string, o: ConvOpts): string {
    const [kh, kw] = pair(o.k);
    const [dh, dw] = pair(o.dilation ?? 1);
    const groups = o.groups ?? 1;
    const cin = this.channels(x);
    const pad = o.pad ?? [((kh - 1) / 2) * dh, ((kw - 1) / 2) * dw].map(Math.floor) as [number, number];
    const w = this.param(o.weightName ?? `${o.name}_weights`, [o.out, cin / groups, kh, kw], { init: convDefault(kh, kw, cin), decay: 'weight' }, o.weight);
    const params: Record<string, string> = { weight: w };
    if (o.bias) params.bias = this.param(o.biasName ?? `${o.name}_bias`, [o.out], { init: constant(0), decay: 'weight' }, o.biasParam);
    const [y] = this.node('conv2d', [x], {
      id: o.name,
      attrs: { strides: pair(o.stride ?? 1), paddings: pads4(pad), dilations: [dh, dw], groups },
      params,
    });
    return o.act ? this.act(y, o.act, o.alpha) : y;
  }

  conv2dTranspose(x: string, o: ConvOpts & { outputPadding?: [number, number] }): string {
    const [kh, kw] = pair(o.k);
    const groups = o.groups ?? 1;
    const cin = this.channels(x);
    const w = this.param(o.weightName ?? `${o.name}_weights`, [cin, o.out / groups, kh, kw], { init: convDefault(kh, kw, cin), decay: 'weight' }, o.weight);
    const params: Record<string, string> = { weight: w };
    if (o.bias) params.bias = this.param(o.biasName ?? `${o.name}_bias`, [o.out], { init: constant(0), decay: 'weight' }, o.biasParam);
    const [y] = this.node('conv2d_transpose', [x], {
      id: o.name,
      attrs: { strides: pair(o.stride ?? 1), paddings: pads4(o.pad ?? 0), dilations: pair(o.dilation ?? 1), groups, output_padding: o.outputPadding ?? [0, 0] },
      params,
    });
    return o.act ? this.act(y, o.act, o.alpha) : y;
  }

  batchNorm(x: string, o: BnOpts): string {
    const c = this.channels(x);
    const n = o.names ?? { scale: `${o.name}_scale`, offset: `${o.name}_offset`, mean: `${o.name}_mean`, variance: `${o.name}_variance` };
    const tr = o.trainable ?? true;
    const l2 = o.normDecay ?? 0;
    const params = {
      scale: this.param(n.scale, [c], { init: constant(1), decay: 'norm', trainable: tr, l2 }),
      offset: this.param(n.offset, [c], { init: constant(0), decay: 'norm', trainable: tr, l2 }),
      mean: this.param(n.mean, [c], { init: constant(0), decay: 'none', trainable: false }),
      variance: this.param(n.variance, [c], { init: constant(1), decay: 'none', trainable: false }),
    };
    const attrs: Attrs = { epsilon: o.epsilon ?? 1e-5, momentum: o.momentum ?? 0.9 };
    if (o.useGlobalStats) attrs.use_global_stats = true;
    const [y] = this.node('batch_norm', [x], { id: o.name, attrs, params });
    return o.act ? this.act(y, o.act, o.alpha) : y;
  }

  affineChannel(x: string, o: { name: string; names?: { scale: string; bias: string }; trainable?: boolean; normDecay?: number; act?: ActKind }): string {
    const c = this.channels(x);
    const n = o.names ?? { scale: `${o.name}_scale`, bias: `${o.name}_offset` };
    const tr = o.trainable ?? true;
    const l2 = o.normDecay ?? 0;
    const [y] = this.node('affine_channel', [x], {
      id: o.name,
      params: {
        scale: this.param(n.scale, [c], { init: constant(1), decay: 'norm', trainable: tr, l2 }),
        bias: this.param(n.bias, [c], { init: constant(0), decay: 'norm', trainable: tr, l2 }),
      },
    });
    return o.act ? this.act(y, o.act) : y;
  }

  act(x: string, kind: ActKind, alpha?: number, id?: string): string {
    const attrs: Attrs = {};
    if (kind === 'leaky_relu') attrs.alpha = alpha ?? 0.02;
    if (kind === 'hardsigmoid') attrs.slope = alpha ?? 0.2;
    return this.node(kind, [x], { id: id ?? this.after(x, kind), attrs })[0];
  }

  relu(x: string): string {
    return this.act(x, 'relu');
  }

  leakyRelu(x: string, alpha = 0.02): string {
    return this.act(x, 'leaky_relu', alpha);
  }

  sigmoid(x: string): string {
    return this.act(x, 'sigmoid');
  }

  pool2d(x: string, o: PoolOpts): string {
    const attrs: Attrs = { pooling_type: o.type, global_pooling: !!o.global, exclusive: o.exclusive ?? true };
    if (!o.global) {
      const k = pair(o.k ?? 2);
      attrs.ksize = k;
      attrs.strides = pair(o.stride ?? 1);
      attrs.paddings = pads4(o.pad ?? 0);
      attrs.ceil_mode = !!o.ceilMode;
    }
    return this.node('pool2d', [x], { id: o.name ?? this.after(x, 'pool'), attrs })[0];
  }

  upsample(x: string, o: { scale?: number; size?: [number, number]; mode?: 'nearest' | 'bilinear'; alignCorners?: boolean; name?: string } = {}): string {
    const attrs: Attrs = { mode: o.mode ?? 'nearest', align_corners: !!o.alignCorners };
    if (o.size) attrs.out_size = o.size;
    else attrs.scale = o.scale ?? 2;
    return this.node('upsample', [x], { id: o.name ?? this.after(x, 'upsample'), attrs })[0];
  }

  /**
   * RoIAlign of feature map x at rois [R, 4] (x1, y1, x2, y2 in input-image pixels) of images
   * roisBatch [R]: output [R, C, pooledH, pooledW]. samplingRatio 0 is adaptive; spatialScale maps
   * image pixels onto x (1/16 for a stride-16 map). Rois and roisBatch are usually graph inputs.
   */
  roiAlign(x: string, rois: string, roisBatch: string, opts: { pooledH: number; pooledW: number; samplingRatio: number; spatialScale: number }, name?: string): string {
    const attrs: Attrs = { pooled_height: opts.pooledH, pooled_width: opts.pooledW, sampling_ratio: opts.samplingRatio, spatial_scale: opts.spatialScale };
    return this.node('roi_align', [x, rois, roisBatch], { id: name ?? this.after(x, 'roi_align'), attrs })[0];
  }

  add(a: string, b: string, o: { axis?: number; name?: string; act?: ActKind } = {}): string {
    const [y] = this.node('elementwise_add', [a, b], { id: o.name ?? this.after(a, 'add'), attrs: { axis: o.axis ?? -1 } });
    return o.act ? this.act(y, o.act) : y;
  }

  sub(a: string, b: string, o: { axis?: number; name?: string } = {}): string {
    return this.node('elementwise_sub', [a, b], { id: o.name ?? this.after(a, 'sub'), attrs: { axis: o.axis ?? -1 } })[0];
  }

  mul(a: string, b: string, o: { axis?: number; name?: string } = {}): string {
    return this.node('elementwise_mul', [a, b], { id: o.name ?? this.after(a, 'mul'), attrs: { axis: o.axis ?? -1 } })[0];
  }

  concat(xs: string[], axis = 1, name?: string): string {
    return this.node('concat', xs, { id: name ?? this.after(xs[0], 'concat'), attrs: { axis } })[0];
  }

  split(x: string, sections: number[], axis = 1, name?: string): string[] {
    return this.node('split', [x], { id: name ?? this.after(x, 'split'), attrs: { axis, sections }, outputs: sections.length });
  }

  flatten(x: string, axis = 1, name?: string): string {
    return this.node('flatten', [x], { id: name ?? this.after(x, 'flatten'), attrs: { axis } })[0];
  }

  reshape(x: string, shape: number[], name?: string): string {
    return this.node('reshape', [x], { id: name ?? this.after(x, 'reshape'), attrs: { shape } })[0];
  }

  fc(x: string, o: FcOpts): string {
    const s = this.shape(x);
    const k = s.slice(1).reduce((a, b) => a * b, 1);
    const params: Record<string, string> = {
      weight: this.param(o.weightName ?? `${o.name}_weights`, [k, o.out], { init: xavierUniform(k, o.out), decay: 'weight' }, o.weight),
    };
    if (o.bias ?? true) params.bias = this.param(o.biasName ?? `${o.name}_offset`, [o.out], { init: constant(0), decay: 'weight' }, o.biasParam);
    const [y] = this.node('fc', [x], { id: o.name, params });
    return o.act ? this.act(y, o.act) : y;
  }

  softmax(x: string, axis = -1, name?: string): string {
    return this.node('softmax', [x], { id: name ?? this.after(x, 'softmax'), attrs: { axis } })[0];
  }

  reduceSum(x: string, name?: string): string {
    return this.node('reduce_sum', [x], { id: name ?? this.after(x, 'sum') })[0];
  }

  mean(x: string, name?: string): string {
    return this.node('mean', [x], { id: name ?? this.after(x, 'mean') })[0];
  }
}
