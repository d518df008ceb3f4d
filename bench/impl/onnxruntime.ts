/**
 * onnxruntime-node as a conv peer: a one-node ONNX model (Conv, weights as an initializer, no
 * bias) built in memory with onnx-proto, run by an InferenceSession with the same number of
 * intra-op threads as slimprune and every graph optimisation on. Forward only: the package runs
 * inference and has no training kernels. A timed call includes ORT's own output allocation.
 */
import { onnx } from 'onnx-proto';
import type * as Ort from 'onnxruntime-node';
import type { ConvCase, ConvImpl, ConvOp, Prepared } from './types';

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function loadOrt(): typeof Ort | string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require('onnxruntime-node') as typeof Ort;
  } catch (e) {
    return `onnxruntime-node not loadable (${(e as Error).message.split('\n')[0]})`;
  }
}

function valueInfo(name: string, dims: number[]): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

/** The ONNX bytes of y = Conv(x, w) for this case. */
export function convModel(c: ConvCase, w: Float32Array): Uint8Array {
  const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  const wDims = [c.OC, c.C / c.G, c.KH, c.KW];
  return onnx.ModelProto.encode({
    irVersion: 7,
    producerName: 'slimprune-bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'conv',
      node: [
        {
          opType: 'Conv',
          input: ['x', 'w'],
          output: ['y'],
          attribute: [
            ints('kernel_shape', [c.KH, c.KW]),
            ints('strides', [c.SH, c.SW]),
            ints('pads', [c.PH, c.PW, c.PH, c.PW]),
            ints('dilations', [1, 1]),
            { name: 'group', type: onnx.AttributeProto.AttributeType.INT, i: c.G },
          ],
        },
      ],
      initializer: [{ name: 'w', dims: wDims, dataType: FLOAT, rawData: new Uint8Array(w.buffer, w.byteOffset, w.byteLength) }],
      input: [valueInfo('x', [c.N, c.C, c.H, c.W])],
      output: [valueInfo('y', [c.N, c.OC, c.OH, c.OW])],
    },
  }).finish();
}

/** The ORT conv implementation, or why it is absent. */
export function onnxruntimeConv(threads: number): ConvImpl | string {
  const ort = loadOrt();
  if (typeof ort === 'string') return ort;
  return {
    name: 'onnxruntime',
    threads,
    note: 'forward only (inference runtime)',
    async prepare(c, d): Promise<Prepared<ConvOp>> {
      const session = await ort.InferenceSession.create(convModel(c, d.w), {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
      const feeds = { x: new ort.Tensor('float32', d.x, [c.N, c.C, c.H, c.W]) };
      let last: Float32Array | null = null;
      const na = { na: 'onnxruntime-node runs inference only, it has no training kernels' };
      return {
        ops: {
          fwd: async () => {
            const r = await session.run(feeds);
            last = r.y.data as Float32Array;
          },
          dx: na,
          dw: na,
        },
        result: () => last ?? new Float32Array(0),
        dispose: () => session.release(),
      };
    },
  };
}
