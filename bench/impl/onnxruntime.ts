/**
 * onnxruntime-node as a conv peer: a one-node ONNX model (Conv, weights as an initializer, no
 * bias) built in memory with onnx-proto, run by an InferenceSession with the same number of
 * intra-op threads as slimprune and every graph optimisation on. Forward only: the package runs
 * inference and has no training kernels. A timed call includes ORT's own output allocation.
 *
 * Two rows: 'onnxruntime' times session.run as a caller of the one-node model waits for it, which
 * includes the layout reorders onnxruntime puts around a lone Conv on NCHW tensors (its NCHWc
 * kernels) and the call's overhead; 'onnxruntime-kernel' runs the same session with onnxruntime's
 * profiler on and reports the Conv kernel's own time per run from the profile, the figure to set
 * against a slimprune kernel layer by layer (inside a model the reorders happen once, at its ends).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import type * as Ort from 'onnxruntime-node';
import { type Budget, measure } from '../harness';
import type { ConvCase, ConvData, ConvImpl, ConvOp, Prepared } from './types';

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

function sessionOptions(threads: number, profilePrefix?: string): Ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(profilePrefix ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
  };
}

const NA = { na: 'onnxruntime-node runs inference only, it has no training kernels' };

/** A session of the case's one-node model and its input, profiled under `profilePrefix` when given. */
async function openSession(ort: typeof Ort, c: ConvCase, d: ConvData, threads: number, profilePrefix?: string) {
  const session = await ort.InferenceSession.create(convModel(c, d.w), sessionOptions(threads, profilePrefix));
  return { session, feeds: { x: new ort.Tensor('float32', d.x, [c.N, c.C, c.H, c.W]) } };
}

/** The ORT conv implementation, or why it is absent. */
export function onnxruntimeConv(threads: number): ConvImpl | string {
  const ort = loadOrt();
  if (typeof ort === 'string') return ort;
  return {
    name: 'onnxruntime',
    threads,
    note: 'forward only (inference runtime); session.run, layout reorders included',
    async prepare(c, d): Promise<Prepared<ConvOp>> {
      const { session, feeds } = await openSession(ort, c, d, threads);
      let last: Float32Array | null = null;
      return {
        ops: {
          fwd: async () => {
            const r = await session.run(feeds);
            last = r.y.data as Float32Array;
          },
          dx: NA,
          dw: NA,
        },
        result: () => last ?? new Float32Array(0),
        dispose: () => session.release(),
      };
    },
  };
}

/**
 * The durations (ms) of the convolution kernels in an onnxruntime profile, in run order: one per
 * run of a one-node Conv model (the node may run as Conv, NchwcConv or FusedConv).
 */
export function convKernelTimes(events: Array<Record<string, unknown>>): number[] {
  return events
    .filter((e) => e.cat === 'Node' && typeof e.name === 'string' && e.name.endsWith('_kernel_time') &&
      /Conv$/.test(String((e.args as Record<string, unknown> | undefined)?.op_name ?? '')))
    .sort((a, b) => Number(a.ts) - Number(b.ts))
    .map((e) => Number(e.dur) / 1000);
}

/**
 * The ORT conv kernel alone (see the file comment): the session runs under the harness's budget
 * while its profiler records, then the median Conv kernel time of the timed runs (the warm-up
 * run left out) is this row's time; its output is the plain row's (same session settings).
 */
export function onnxruntimeConvKernel(threads: number, budget: Budget): ConvImpl | string {
  const ort = loadOrt();
  if (typeof ort === 'string') return ort;
  return {
    name: 'onnxruntime-kernel',
    threads,
    note: "forward only; the Conv kernel's time from onnxruntime's profiler, reorders and call overhead excluded",
    async prepare(c, d): Promise<Prepared<ConvOp>> {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimprune-ort-profile-'));
      try {
        const { session, feeds } = await openSession(ort, c, d, threads, path.join(dir, 'ort'));
        let timing;
        try {
          timing = await measure(async () => {
            await session.run(feeds);
          }, budget);
          session.endProfiling();
        } finally {
          await session.release();
        }
        const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
        if (!file) throw new Error('onnxruntime wrote no profile');
        const runs = convKernelTimes(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
        // measure() makes one warm-up call, then `samples` timed ones (the slow path counts its warm-up)
        const timed = runs.slice(-timing.samples).sort((a, b) => a - b);
        if (!timed.length) throw new Error(`the profile holds no Conv kernel time (${runs.length} conv events for ${timing.samples} runs)`);
        const n = timed.length;
        const ms = n % 2 ? timed[(n - 1) / 2] : 0.5 * (timed[n / 2 - 1] + timed[n / 2]);
        return { ops: { dx: NA, dw: NA }, timed: { fwd: { ms, samples: n } }, dispose: () => undefined };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
