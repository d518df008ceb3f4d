/**
 * TensorFlow.js as a conv peer, on two backends: tfjs-backend-cpu (plain JavaScript) and
 * tfjs-backend-wasm (XNNPACK, SIMD when the runtime has it; single-threaded under Node).
 *
 * tfjs is NHWC with HWIO filters (depthwise: [KH, KW, C, 1]); the data is transposed once, outside
 * the timed region, and the outputs back for the cross-check. Forward is tf.conv2d /
 * tf.depthwiseConv2d. Backward is the gradient function that tf.grad / tf.grads call for these
 * ops (tf.getGradient(kernel).gradFunc(dy, [x, w], attrs)), invoked without re-running the
 * forward, so that dx and dw are timed alone like slimprune's backward kernels. Ops execute
 * eagerly and synchronously on both backends, so a call returns with its result computed.
 *
 * tfjs-backend-cpu's filter gradients (Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter)
 * are scalar loops calling TensorBuffer.get twice per multiply-add: about 0.002 GFLOP/s on the
 * machine of bench/RESULTS.md, i.e. minutes for one batch-8 call, so they are reported n/a.
 */
import type * as Tf from '@tensorflow/tfjs';
import type { ConvCase, ConvData, ConvImpl, ConvOp, Prepared } from './types';

type TfModule = typeof Tf;
let tfModule: TfModule | string | undefined;

function loadTf(): TfModule | string {
  if (tfModule !== undefined) return tfModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const tf = require('@tensorflow/tfjs') as TfModule;
    // Production mode: no debug checks, and no "install tfjs-node" banner on the first tensor.
    tf.enableProdMode();
    try {
      require('@tensorflow/tfjs-backend-wasm');
    } catch {
      // the wasm factory reports it as absent
    }
    tfModule = tf;
  } catch (e) {
    tfModule = `@tensorflow/tfjs not loadable (${(e as Error).message.split('\n')[0]})`;
  }
  return tfModule;
}

const KERNELS = {
  conv: { fwd: 'Conv2D', dx: 'Conv2DBackpropInput', dw: 'Conv2DBackpropFilter' },
  depthwise: { fwd: 'DepthwiseConv2dNative', dx: 'DepthwiseConv2dNativeBackpropInput', dw: 'DepthwiseConv2dNativeBackpropFilter' },
} as const;

/** A tfjs conv implementation on `backend` ('cpu' or 'wasm'), or why it is absent. */
export async function tfjsConv(backend: 'cpu' | 'wasm'): Promise<ConvImpl | string> {
  const tf = loadTf();
  if (typeof tf === 'string') return tf;
  if (!tf.engine().registryFactory[backend]) return `tfjs backend '${backend}' is not registered (@tensorflow/tfjs-backend-${backend} not installed)`;
  try {
    if (!(await tf.setBackend(backend))) return `tfjs backend '${backend}' failed to initialise`;
    await tf.ready();
  } catch (e) {
    return `tfjs backend '${backend}' failed to initialise (${(e as Error).message.split('\n')[0]})`;
  }
  const simd = backend === 'wasm' ? (tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD') : '';
  return {
    name: `tfjs-${backend}`,
    threads: 1,
    note: backend === 'cpu' ? 'plain JavaScript, single thread' : `XNNPACK ${simd}, single-threaded under Node`,
    async prepare(c, d) {
      await tf.setBackend(backend);
      return prepareTf(tf, backend, c, d);
    },
  };
}

function prepareTf(tf: TfModule, backend: string, c: ConvCase, d: ConvData): Prepared<ConvOp> {
  const depthwise = c.G > 1 && c.G === c.C && c.OC === c.C;
  const names = depthwise ? KERNELS.depthwise : KERNELS.conv;
  const unsupported = c.G > 1 && !depthwise ? 'tfjs has no grouped convolution' : null;
  // [OC, C/G, KH, KW] -> HWIO; depthwise [C, 1, KH, KW] -> [KH, KW, C, 1]
  const [x, dy, w] = tf.tidy(() => [
    tf.tensor4d(d.x, [c.N, c.C, c.H, c.W]).transpose<Tf.Tensor4D>([0, 2, 3, 1]),
    tf.tensor4d(d.dy, [c.N, c.OC, c.OH, c.OW]).transpose<Tf.Tensor4D>([0, 2, 3, 1]),
    tf.tensor4d(d.w, [c.OC, c.C / c.G, c.KH, c.KW]).transpose<Tf.Tensor4D>(depthwise ? [2, 3, 0, 1] : [2, 3, 1, 0]),
  ]);
  const strides: [number, number] = [c.SH, c.SW];
  if (c.PH !== c.PW) throw new Error(`bench: expected equal padding on both axes for tfjs, got ${c.PH}, ${c.PW}`);
  const pad = c.PH;
  const attrs = { strides, pad, dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined };
  const grad = tf.getGradient(names.fwd);
  const grads = grad.gradFunc(dy, [x, w], attrs as unknown as Tf.NamedAttrMap);
  const last: Partial<Record<ConvOp, Tf.Tensor>> = {};
  const keep = (op: ConvOp, t: Tf.Tensor) => {
    last[op]?.dispose();
    last[op] = t;
  };
  const pick = (op: ConvOp, fn: () => Tf.Tensor) => {
    if (unsupported) return { na: unsupported };
    if (!tf.getKernel(names[op], backend)) return { na: `tfjs-backend-${backend} registers no ${names[op]} kernel` };
    if (backend === 'cpu' && op === 'dw') return { na: `not timed: tfjs-backend-cpu's ${names[op]} is a scalar TensorBuffer.get loop (~0.002 GFLOP/s), minutes per call` };
    return () => keep(op, fn());
  };
  return {
    ops: {
      fwd: pick('fwd', () => (depthwise ? tf.depthwiseConv2d(x, w, strides, pad) : tf.conv2d(x, w, strides, pad))),
      dx: pick('dx', () => grads.x()),
      dw: pick('dw', () => grads.filter()),
    },
    result(op) {
      const t = last[op];
      if (!t) return new Float32Array(0);
      const back = op === 'dw' ? t.transpose(depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1]) : t.transpose([0, 3, 1, 2]);
      const v = back.dataSync() as Float32Array;
      back.dispose();
      return v;
    },
    dispose() {
      for (const t of [x, dy, w, ...Object.values(last)]) t?.dispose();
    },
  };
}
