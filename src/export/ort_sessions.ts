/**
 * onnxruntime-node sessions kept open in one worker thread, for pipelines that call the same
 * models several times (an R-CNN runs stage 1, then stage 2 on proposals, then stage 2 again on
 * its detections for masks). A worker for the reasons verify.ts gives: outputs built in another
 * realm, and a crash or hang there does not take the caller down. Feeds are float32 unless
 * marked int64 (RoIAlign's batch indices); every output comes back as float32 numbers.
 */
import type { Worker } from 'worker_threads';
import { ExportError } from './bn_fold';
import { locateOnnxRuntime } from './verify';

export interface OrtFeed {
  name: string;
  data: ArrayLike<number>;
  dims: number[];
  int64?: boolean;
}

export type OrtOutputs = Record<string, { data: Float32Array; dims: number[] }>;

const WORKER = `
const { parentPort, workerData: w } = require('worker_threads');
const ort = require(w.ortPath);
const sessions = new Map();
parentPort.on('message', async (m) => {
  try {
    if (m.op === 'open') {
      for (const [k, file] of Object.entries(m.models)) sessions.set(k, await ort.InferenceSession.create(file));
      return parentPort.postMessage({ id: m.id, ok: true });
    }
    if (m.op === 'close') {
      for (const s of sessions.values()) await s.release();
      sessions.clear();
      return parentPort.postMessage({ id: m.id, ok: true });
    }
    const s = sessions.get(m.model);
    const feeds = {};
    for (const f of m.feeds) {
      feeds[f.name] = f.int64
        ? new ort.Tensor('int64', BigInt64Array.from(f.data, (v) => BigInt(v)), f.dims)
        : new ort.Tensor('float32', f.data instanceof Float32Array ? f.data : Float32Array.from(f.data), f.dims);
    }
    const res = m.fetch ? await s.run(feeds, m.fetch) : await s.run(feeds);
    const out = {};
    for (const [k, t] of Object.entries(res)) out[k] = { data: Float32Array.from(t.data, Number), dims: Array.from(t.dims, Number) };
    parentPort.postMessage({ id: m.id, ok: true, out });
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, error: String((e && e.message) || e) });
  }
});
`;

type Reply = { id: number; ok: boolean; error?: string; out?: OrtOutputs };

export class OrtSessions {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  private constructor(private readonly worker: Worker, private readonly names: string[]) {
    const fail = (e: Error) => {
      this.failed = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r);
    });
    worker.on('error', (e) => fail(new ExportError(`onnx: onnxruntime worker failed: ${e.message}`)));
    worker.on('exit', (code) => fail(new ExportError(`onnx: onnxruntime worker exited with code ${code}`)));
  }

  /** Opens `models` (key -> .onnx file) in a new worker; an ExportError when onnxruntime-node is absent or a file does not load. */
  static async open(models: Record<string, string>): Promise<OrtSessions> {
    const where = locateOnnxRuntime();
    if (typeof where === 'string') throw new ExportError(`onnx: ${where}`);
    const { Worker } = await import('worker_threads');
    const s = new OrtSessions(new Worker(WORKER, { eval: true, workerData: { ortPath: where.path } }), Object.keys(models));
    try {
      await s.call({ op: 'open', models }, 'load');
    } catch (e) {
      await s.worker.terminate();
      throw e;
    }
    return s;
  }

  private call(msg: Record<string, unknown>, what: string): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id });
    }).then((r) => {
      if (!r.ok) throw new ExportError(`onnx: onnxruntime could not ${what}: ${r.error}`);
      return r;
    });
  }

  /** Runs model `key` on `feeds`; `fetch` limits the outputs (default: all). */
  async run(key: string, feeds: OrtFeed[], fetch?: string[]): Promise<OrtOutputs> {
    if (!this.names.includes(key)) throw new ExportError(`onnx: expected one of the models ${this.names.join(', ')}, got ${key}`);
    const r = await this.call({ op: 'run', model: key, feeds: feeds.map((f) => ({ ...f, data: ArrayBuffer.isView(f.data) ? f.data : Float64Array.from(f.data) })), fetch }, `run ${key}`);
    return r.out!;
  }

  async close(): Promise<void> {
    try {
      if (!this.failed) await this.call({ op: 'close' }, 'release its sessions');
    } finally {
      this.failed ??= new ExportError('onnx: sessions closed');
      await this.worker.terminate();
    }
  }
}
