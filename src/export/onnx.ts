/**
 * ONNX writer: a Graph (parameters with data) as an ONNX model, opset 13, standard ops only,
 * encoded with the onnx-proto protobuf definitions. The batch dimension is symbolic ('N');
 * spatial sizes are those the graph was built for.
 *
 * Op by op (Paddle attribute -> ONNX attribute):
 *   conv2d           Conv: paddings [top, bottom, left, right] -> pads [top, left, bottom, right]
 *   batch_norm       BatchNormalization (inference form; exported graphs are usually folded first)
 *   affine_channel   Mul + Add with [1, C, 1, 1] constants
 *   relu, leaky_relu, sigmoid, hardsigmoid (slope, 0.5), relu6 (Clip 0..6),
 *   hardswish        x * HardSigmoid(1/6, 0.5)(x)   (HardSwish itself needs opset 14)
 *   concat           Concat
 *   upsample         Resize with scales [1, 1, s, s]. Nearest with align_corners picks
 *                    round(dst * (in - 1) / (out - 1)), halves up: coordinate mode
 *                    'align_corners' + nearest_mode 'round_prefer_ceil'; without, floor(dst *
 *                    in / out): 'asymmetric' + 'floor'. Bilinear: 'align_corners' / 'half_pixel'.
 *   pool2d           MaxPool / AveragePool (count_include_pad = !exclusive), global variants
 *   elementwise_*    Add / Sub / Mul when the operands broadcast the numpy way
 *   flatten, fc      Flatten, Flatten + Gemm
 *   softmax          Softmax
 *   conv2d_transpose ConvTranspose (same weight layout [C_in, C_out/groups, KH, KW]), output_padding
 *   roi_align        RoiAlign, mode avg: Paddle's roi_align (aligned=False) is ONNX's
 *                    'output_half_pixel' transform (no half-pixel shift, RoI sides at least 1),
 *                    the only one before opset 16 and named explicitly from 16 on; sampling_ratio
 *                    0 is adaptive (ceil(roi side / pooled side)) in both. Batch indices are
 *                    int64 in ONNX: an int64 graph input is read as is, anything else is Cast.
 * Anything else is refused naming the node.
 */
import { onnx } from 'onnx-proto';
import type { Graph } from '../graph/graph';
import type { Node } from '../graph/types';
import { ExportError } from './bn_fold';

export const ONNX_OPSET = 13;
const AT = onnx.AttributeProto.AttributeType;

type AttrIn = number | string | number[] | { floats: number[] };

function attr(name: string, v: AttrIn): onnx.IAttributeProto {
  if (typeof v === 'string') return { name, type: AT.STRING, s: Buffer.from(v, 'utf8') };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if (typeof v === 'object') return { name, type: AT.FLOATS, floats: v.floats };
  return Number.isInteger(v) && !name.match(/^(alpha|beta|epsilon|spatial_scale)$/) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
}

export function floatTensor(name: string, dims: number[], data: ArrayLike<number>): onnx.ITensorProto {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  const bytes = Buffer.alloc(f.length * 4);
  for (let i = 0; i < f.length; i++) bytes.writeFloatLE(f[i], i * 4);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes };
}

/** A tensor's declaration: first dim the batch 'N' unless `dims` spells every dim (a number, or a name for a symbolic one). */
export function valueInfo(name: string, shape: readonly number[], o: { int64?: boolean; dims?: Array<number | string> } = {}): onnx.IValueInfoProto {
  const dims = o.dims ?? shape.map((d, i) => (i === 0 ? 'N' : d));
  return {
    name,
    type: {
      tensorType: {
        elemType: o.int64 ? onnx.TensorProto.DataType.INT64 : onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export interface OnnxOptions {
  /** graph name inside the file */
  name?: string;
  /** docString of the model (e.g. the pruning it carries) */
  doc?: string;
  /** extra nodes, initializers and outputs appended after the graph's (post-processing) */
  extend?: (b: OnnxBuilder) => void;
  /** the opset imported (default ONNX_OPSET) */
  opset?: number;
  /** declared dims of graph inputs and outputs by value name (default: batch 'N', the rest as built) */
  dims?: Record<string, Array<number | string>>;
  /** graph inputs declared int64 (e.g. RoIAlign's batch indices) */
  int64Inputs?: string[];
}

/** Nodes, initializers and outputs of the model being written. */
export class OnnxBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  /** inputs beyond the graph's own (e.g. the image sizes post-processing scales boxes to) */
  readonly inputs: onnx.IValueInfoProto[] = [];
  private n = 0;

  constructor(readonly graph: Graph, readonly opset = ONNX_OPSET, readonly int64Inputs: ReadonlySet<string> = new Set()) {}

  fresh(base: string): string {
    return `${base}__${this.n++}`;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrIn> = {}, name?: string): void {
    this.nodes.push({ opType, input: inputs, output: outputs, name: name ?? this.fresh(opType), attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) });
  }

  constant(base: string, dims: number[], data: ArrayLike<number>): string {
    const name = this.fresh(base);
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  int64Constant(base: string, values: number[]): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values });
    return name;
  }
}

function param(b: OnnxBuilder, name: string): string {
  const p = b.graph.param(name);
  if (!p.tensor) throw new ExportError(`onnx: expected data for parameter ${name}, got none (load weights first)`);
  if (!b.initializers.some((t) => t.name === name)) b.initializers.push(floatTensor(name, [...p.shape], p.tensor.toArray()));
  return name;
}

const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);
const ints = (v: unknown, d: number[]) => (Array.isArray(v) ? (v as number[]) : d);
const reorderPads = (p: number[]) => [p[0], p[2], p[1], p[3]];

function emit(b: OnnxBuilder, n: Node): void {
  const g = b.graph;
  const x = n.inputs[0];
  const y = n.outputs[0];
  const a = n.attrs;
  switch (n.type) {
    case 'conv2d': {
      const w = g.param(n.params.weight).shape;
      const inputs = [x, param(b, n.params.weight), ...(n.params.bias ? [param(b, n.params.bias)] : [])];
      b.node('Conv', inputs, [y], {
        kernel_shape: [w[2], w[3]], strides: ints(a.strides, [1, 1]), pads: reorderPads(ints(a.paddings, [0, 0, 0, 0])),
        dilations: ints(a.dilations, [1, 1]), group: num(a.groups, 1),
      }, n.id);
      return;
    }
    case 'batch_norm':
      b.node('BatchNormalization', [x, ...['scale', 'offset', 'mean', 'variance'].map((r) => param(b, n.params[r]))], [y], { epsilon: num(a.epsilon, 1e-5) }, n.id);
      return;
    case 'affine_channel': {
      const C = g.shapeOf(x)[1];
      const s = g.param(n.params.scale), o = g.param(n.params.bias);
      const mid = b.fresh(`${n.id}.scaled`);
      b.node('Mul', [x, b.constant(s.name, [1, C, 1, 1], s.tensor!.toArray())], [mid]);
      b.node('Add', [mid, b.constant(o.name, [1, C, 1, 1], o.tensor!.toArray())], [y], {}, n.id);
      return;
    }
    case 'relu':
      return b.node('Relu', [x], [y], {}, n.id);
    case 'leaky_relu':
      return b.node('LeakyRelu', [x], [y], { alpha: num(a.alpha, 0.02) }, n.id);
    case 'sigmoid':
      return b.node('Sigmoid', [x], [y], {}, n.id);
    case 'hardsigmoid':
      return b.node('HardSigmoid', [x], [y], { alpha: num(a.slope, 0.2), beta: 0.5 }, n.id);
    case 'relu6':
      return b.node('Clip', [x, b.constant('zero', [], [0]), b.constant('six', [], [6])], [y], {}, n.id);
    case 'hardswish': {
      const hs = b.fresh(`${n.id}.gate`);
      b.node('HardSigmoid', [x], [hs], { alpha: 1 / 6, beta: 0.5 });
      return b.node('Mul', [x, hs], [y], {}, n.id);
    }
    case 'concat':
      return b.node('Concat', n.inputs, [y], { axis: num(a.axis, 1) }, n.id);
    case 'upsample': {
      if (a.out_size !== undefined && a.out_size !== null) throw new ExportError(`onnx: upsample node ${n.id} with a fixed out_size is not exportable with a dynamic batch; expected a scale`);
      const s = num(a.scale, 2);
      const align = a.align_corners === true;
      const nearest = (a.mode ?? 'nearest') === 'nearest';
      const attrs: Record<string, AttrIn> = nearest
        ? { mode: 'nearest', coordinate_transformation_mode: align ? 'align_corners' : 'asymmetric', nearest_mode: align ? 'round_prefer_ceil' : 'floor' }
        : { mode: 'linear', coordinate_transformation_mode: align ? 'align_corners' : 'half_pixel' };
      return b.node('Resize', [x, '', b.constant(`${n.id}.scales`, [4], [1, 1, s, s])], [y], attrs, n.id);
    }
    case 'pool2d': {
      const max = a.pooling_type === 'max';
      if (a.global_pooling === true) return b.node(max ? 'GlobalMaxPool' : 'GlobalAveragePool', [x], [y], {}, n.id);
      const attrs: Record<string, AttrIn> = {
        kernel_shape: ints(a.ksize, [2, 2]), strides: ints(a.strides, [1, 1]), pads: reorderPads(ints(a.paddings, [0, 0, 0, 0])), ceil_mode: a.ceil_mode === true ? 1 : 0,
      };
      if (!max) attrs.count_include_pad = a.exclusive === false ? 1 : 0;
      return b.node(max ? 'MaxPool' : 'AveragePool', [x], [y], attrs, n.id);
    }
    case 'elementwise_add':
    case 'elementwise_sub':
    case 'elementwise_mul': {
      const [sa, sb] = n.inputs.map((v) => g.shapeOf(v));
      const axis = num(a.axis, -1);
      const numpyLike = axis === -1 || axis === sa.length - sb.length;
      if (!numpyLike) throw new ExportError(`onnx: ${n.type} node ${n.id} broadcasts at axis ${axis}; expected operands that broadcast from the last axis`);
      const op = { elementwise_add: 'Add', elementwise_sub: 'Sub', elementwise_mul: 'Mul' }[n.type]!;
      return b.node(op, n.inputs, [y], {}, n.id);
    }
    case 'flatten':
      return b.node('Flatten', [x], [y], { axis: num(a.axis, 1) }, n.id);
    case 'fc': {
      const flat = b.fresh(`${n.id}.flat`);
      b.node('Flatten', [x], [flat], { axis: 1 });
      return b.node('Gemm', [flat, param(b, n.params.weight), ...(n.params.bias ? [param(b, n.params.bias)] : [])], [y], {}, n.id);
    }
    case 'softmax':
      return b.node('Softmax', [x], [y], { axis: num(a.axis, -1) }, n.id);
    case 'conv2d_transpose': {
      const w = g.param(n.params.weight).shape;
      const inputs = [x, param(b, n.params.weight), ...(n.params.bias ? [param(b, n.params.bias)] : [])];
      b.node('ConvTranspose', inputs, [y], {
        kernel_shape: [w[2], w[3]], strides: ints(a.strides, [1, 1]), pads: reorderPads(ints(a.paddings, [0, 0, 0, 0])),
        dilations: ints(a.dilations, [1, 1]), group: num(a.groups, 1), output_padding: ints(a.output_padding, [0, 0]),
      }, n.id);
      return;
    }
    case 'roi_align': {
      const [, rois, batch] = n.inputs;
      let idx = batch;
      if (!b.int64Inputs.has(batch)) {
        idx = b.fresh(`${n.id}.batch_i64`);
        b.node('Cast', [batch], [idx], { to: 7 });
      }
      const attrs: Record<string, AttrIn> = {
        mode: 'avg', output_height: num(a.pooled_height, 1), output_width: num(a.pooled_width, 1),
        sampling_ratio: num(a.sampling_ratio, 0), spatial_scale: num(a.spatial_scale, 1),
      };
      if (b.opset >= 16) attrs.coordinate_transformation_mode = 'output_half_pixel';
      return b.node('RoiAlign', [x, rois, idx], [y], attrs, n.id);
    }
    default:
      throw new ExportError(`onnx: expected ops with an ONNX equivalent, got ${n.type} (node ${n.id})`);
  }
}

/** The ONNX model of `graph` as protobuf bytes. */
export function graphToOnnx(graph: Graph, o: OnnxOptions = {}): Uint8Array {
  if (graph.inputs.length !== 1 && !o.dims) throw new ExportError(`onnx: expected a graph with one input, got ${graph.inputs.length} (declare the dims of several inputs)`);
  const opset = o.opset ?? ONNX_OPSET;
  const int64 = new Set(o.int64Inputs ?? []);
  const b = new OnnxBuilder(graph, opset, int64);
  for (const n of graph.nodes) emit(b, n);
  const declare = (v: string) => valueInfo(v, graph.shapeOf(v), { dims: o.dims?.[v], int64: int64.has(v) });
  for (const v of graph.outputs) b.outputs.push(declare(v));
  o.extend?.(b);
  const model: onnx.IModelProto = {
    irVersion: 7,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'slimprune',
    producerVersion: '1',
    docString: o.doc ?? '',
    graph: {
      name: o.name ?? 'slimprune',
      node: b.nodes,
      initializer: b.initializers,
      input: [...graph.inputs.map(declare), ...b.inputs],
      output: b.outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}
