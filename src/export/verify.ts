/**
 * Checks a written ONNX model against slimprune's own output: the file is loaded in
 * onnxruntime-node (an optional dependency: when it cannot be loaded the check is reported as
 * skipped, with the reason), run on the same input, and every output compared. The error of
 * an output is max |onnx - ours| / max |ours| (relative to the output's scale, so that values
 * near zero do not blow it up); above `tolerance` is an ExportError naming the output.
 */
import { ExportError } from './bn_fold';

export const VERIFY_TOLERANCE = 1e-4;

export interface OutputDiff {
  name: string;
  maxAbs: number;
  rel: number;
}

export type VerifyResult =
  | { verified: true; outputs: OutputDiff[]; maxRel: number; maxAbs: number }
  | { verified: false; skipped: string };

/**
 * onnxruntime runs in a worker thread: its native side builds output arrays in the main
 * realm, which an embedding vm context (a test runner, a sandbox) would not recognise, and a
 * crash or hang there cannot take the caller down.
 */
const WORKER = `
const { parentPort, workerData: w } = require('worker_threads');
(async () => {
  const ort = require(w.ortPath);
  const s = await ort.InferenceSession.create(w.model);
  try {
    const feeds = {};
    for (const f of w.feeds) feeds[f.name] = new ort.Tensor('float32', new Float32Array(f.data), f.dims);
    const res = await s.run(feeds);
    const out = {};
    for (const [k, t] of Object.entries(res)) out[k] = { data: Float32Array.from(t.data, Number), dims: Array.from(t.dims, Number) };
    parentPort.postMessage({ ok: true, out });
  } finally {
    await s.release();
  }
})().catch((e) => parentPort.postMessage({ ok: false, error: String((e && e.message) || e) }));
`;

/** The path of onnxruntime-node, or the reason it is not there. */
export function locateOnnxRuntime(): { path: string } | string {
  try {
    return { path: require.resolve('onnxruntime-node') };
  } catch (e) {
    return `onnxruntime-node is not installed (${(e as Error).message.split('\n')[0]}); install it to verify exports`;
  }
}

export interface OnnxFeed {
  name: string;
  data: Float32Array;
  dims: number[];
}

/** Runs the ONNX `model` (file path or bytes) on float inputs, in onnxruntime-node (int64 outputs come back as numbers). */
export async function runOnnx(model: string | Uint8Array, input: OnnxFeed | OnnxFeed[]): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const where = locateOnnxRuntime();
  if (typeof where === 'string') throw new ExportError(`onnx: ${where}`);
  const { Worker } = await import('worker_threads');
  const reply = await new Promise<{ ok: boolean; error?: string; out?: Record<string, { data: Float32Array; dims: number[] }> }>((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { ortPath: where.path, model, feeds: Array.isArray(input) ? input : [input] } });
    worker.once('message', (m) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new ExportError(`onnx: onnxruntime worker exited with code ${code} before answering`)));
  });
  if (!reply.ok) throw new ExportError(`onnx: onnxruntime could not run the model: ${reply.error}`);
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const [k, t] of Object.entries(reply.out!)) out[k] = { data: Float32Array.from(t.data), dims: [...t.dims] };
  return out;
}

/** Compares two sets of outputs by name (see the file comment). */
export function compareOutputs(got: Record<string, { data: ArrayLike<number> }>, want: Record<string, ArrayLike<number>>): OutputDiff[] {
  return Object.entries(want).map(([name, w]) => {
    const g = got[name];
    if (!g) throw new ExportError(`onnx: expected output ${name} from the ONNX model, got none (outputs: ${Object.keys(got).join(', ')})`);
    if (g.data.length !== w.length) throw new ExportError(`onnx: expected ${w.length} values for output ${name}, got ${g.data.length}`);
    let maxAbs = 0, scale = 0;
    for (let i = 0; i < w.length; i++) {
      const d = Math.abs(g.data[i] - w[i]);
      if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
      scale = Math.max(scale, Math.abs(w[i]));
    }
    return { name, maxAbs, rel: maxAbs / Math.max(scale, 1e-12) };
  });
}

/** Verifies `model` against `expected` outputs for `input` (see the file comment). */
export async function verifyOnnx(
  model: string | Uint8Array, input: OnnxFeed | OnnxFeed[], expected: Record<string, ArrayLike<number>>, tolerance = VERIFY_TOLERANCE,
): Promise<VerifyResult> {
  const where = locateOnnxRuntime();
  if (typeof where === 'string') return { verified: false, skipped: where };
  const got = await runOnnx(model, input);
  const outputs = compareOutputs(got, expected);
  const worst = outputs.reduce((a, b) => (b.rel > a.rel ? b : a));
  if (!(worst.rel <= tolerance)) {
    throw new ExportError(`onnx: expected the ONNX model to match slimprune within ${tolerance} (relative), got ${worst.rel.toExponential(3)} on output ${worst.name} (max difference ${worst.maxAbs.toExponential(3)})`);
  }
  return { verified: true, outputs, maxRel: worst.rel, maxAbs: Math.max(...outputs.map((o) => o.maxAbs)) };
}
