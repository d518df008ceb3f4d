/**
 * A fixed set of worker threads building batches. Jobs go to the worker with the fewest
 * pending; results come back keyed by batch index. A worker that dies fails its pending jobs
 * with one clear line.
 *
 * From TypeScript sources (tests, `node -r scripts/ts-register.js`) a worker cannot load
 * worker.ts by itself, so it starts from a two-line script that installs the same register
 * hook first; from the compiled package it loads worker.js directly.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { BatchJob, JobResult, PipelineSpec } from './pipeline';
import { DataError } from './errors';

interface Pending {
  resolve(r: JobResult): void;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending: Array<Map<number, Pending>> = [];
  private closed = false;

  constructor(size: number, spec: PipelineSpec) {
    // sharp must be loaded by the main thread before any worker loads it (its native
    // library is then never unloaded while a worker exits).
    require('sharp');
    for (let i = 0; i < size; i++) this.start(i, spec);
  }

  private start(i: number, spec: PipelineSpec): void {
    const fromSource = __filename.endsWith('.ts');
    const w = fromSource
      ? new Worker(
          `require(${JSON.stringify(path.resolve(__dirname, '../../scripts/ts-register.js'))});\nrequire(${JSON.stringify(path.join(__dirname, 'worker.ts'))});`,
          { eval: true, workerData: spec },
        )
      : new Worker(path.join(__dirname, 'worker.js'), { workerData: spec });
    const pend = new Map<number, Pending>();
    this.workers[i] = w;
    this.pending[i] = pend;
    w.on('message', (r: JobResult) => {
      const p = pend.get(r.k);
      if (!p) return;
      pend.delete(r.k);
      p.resolve(r);
    });
    const fail = (why: string) => {
      for (const [k, p] of pend) p.resolve({ k, batch: null, warnings: [], error: why });
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
    return new Promise<JobResult>((resolve) => {
      this.pending[best].set(job.k, { resolve });
      this.workers[best].postMessage(job);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
