/**
 * A fixed set of worker threads building batches. Jobs go to the worker with the fewest
 * pending; results come back keyed by a job id. A worker that dies fails its pending jobs
 * with one clear line. An idle worker is unref'd, so a reader that is never closed does not
 * keep the process alive, while one with work in flight does.
 *
 * From TypeScript sources (tests, `node -r scripts/ts-register.js`) a worker cannot load
 * worker.ts by itself, so it starts from a small script that installs a transpile hook first
 * (transpile-only, as scripts/ts-register.js, plus a cache of the output in the temp folder
 * keyed by the source text, so later workers skip loading TypeScript at all); from the
 * compiled package it loads worker.js directly.
 */
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { BatchJob, JobResult, PipelineSpec } from './pipeline';
import { DataError } from './errors';

/** The source-mode bootstrap, run with `eval` in the new thread. */
export function sourceBootstrap(workerFile: string): string {
  const cache = path.join(os.tmpdir(), 'slimprune-ts-cache');
  return `
const fs = require('fs'), path = require('path'), crypto = require('crypto');
const cache = ${JSON.stringify(cache)};
let ts = null;
require.extensions['.ts'] = function (m, file) {
  const src = fs.readFileSync(file, 'utf8');
  const hit = path.join(cache, crypto.createHash('sha1').update(file + '\\0' + src).digest('hex') + '.js');
  let out = null;
  try { out = fs.readFileSync(hit, 'utf8'); } catch (e) { out = null; }
  if (out === null) {
    ts = ts || require(${JSON.stringify(require.resolve('typescript'))});
    out = ts.transpileModule(src, { fileName: file, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true } }).outputText;
    try { fs.mkdirSync(cache, { recursive: true }); const tmp = hit + '.' + process.pid + '.' + Math.random().toString(36).slice(2); fs.writeFileSync(tmp, out); fs.renameSync(tmp, hit); } catch (e) { /* cache is optional */ }
  }
  m._compile(out, file);
};
require(${JSON.stringify(workerFile)});
`;
}

interface Pending {
  resolve(r: JobResult): void;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending: Array<Map<number, Pending>> = [];
  private closed = false;
  private nextId = 0;

  constructor(size: number, spec: PipelineSpec) {
    // sharp must be loaded by the main thread before any worker loads it (its native
    // library is then never unloaded while a worker exits).
    require('sharp');
    for (let i = 0; i < size; i++) this.start(i, spec);
  }

  private start(i: number, spec: PipelineSpec): void {
    const fromSource = __filename.endsWith('.ts');
    const w = fromSource
      ? new Worker(sourceBootstrap(path.join(__dirname, 'worker.ts')), { eval: true, workerData: spec })
      : new Worker(path.join(__dirname, 'worker.js'), { workerData: spec });
    const pend = new Map<number, Pending>();
    this.workers[i] = w;
    this.pending[i] = pend;
    w.unref();
    w.on('message', (r: JobResult & { id: number }) => {
      const p = pend.get(r.id);
      if (!p) return;
      pend.delete(r.id);
      if (pend.size === 0) w.unref();
      p.resolve(r);
    });
    const fail = (why: string) => {
      for (const p of pend.values()) p.resolve({ k: -1, batch: null, warnings: [], error: why });
      pend.clear();
    };
    w.on('error', (e) => fail(`data worker ${i} failed: ${e instanceof Error ? e.message : String(e)}`));
    w.on('exit', (code) => {
      if (!this.closed) fail(`data worker ${i} exited unexpectedly (code ${code})`);
    });
  }

  get size(): number {
    return this.workers.length;
  }

  submit(job: BatchJob): Promise<JobResult> {
    if (this.closed) return Promise.reject(new DataError('reader is closed'));
    let best = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.pending[i].size < this.pending[best].size) best = i;
    const id = this.nextId++;
    return new Promise<JobResult>((resolve) => {
      this.pending[best].set(id, { resolve });
      this.workers[best].ref();
      this.workers[best].postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pend of this.pending) {
      for (const p of pend.values()) p.resolve({ k: -1, batch: null, warnings: [], error: 'reader is closed' });
      pend.clear();
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
