/**
 * `slimprune sensitivity --jobs N`: N worker threads, each with its own Measurer, behind one
 * evaluate(param, ratio) that hands each call to an idle thread (or queues it). The main thread
 * keeps the sensitivities file, so the atomic rewrite after each measurement stays in one place.
 *
 * Threads and the native backend: the addon's kernels run on one process-wide thread pool that
 * takes one kernel at a time, so N workers do not multiply the compute threads; what they
 * overlap is everything around the kernels (decoding, box decoding and NMS, scoring). Each
 * worker holds its own copy of the weights and of the eval batches.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { MeasureSpec } from './sensitivity_measure';
import { sourceBootstrap } from '../data/pool';

type Request = { op: 'base' } | { op: 'evaluate'; param: string; ratio: number } | { op: 'close' };
export type WorkerRequest = Request & { id: number };
export type WorkerReply = { id: number; value: number; error?: undefined } | { id: number; value?: undefined; error: { name: string; message: string } };

/** A worker thread running the TypeScript sources when this file is one (tests, an unbuilt checkout). */
function startWorker(spec: MeasureSpec): Worker {
  if (__filename.endsWith('.ts')) return new Worker(sourceBootstrap(path.join(__dirname, 'sensitivity_worker.ts')), { eval: true, workerData: spec });
  return new Worker(path.join(__dirname, 'sensitivity_worker.js'), { workerData: spec });
}

interface Pending {
  resolve(v: number): void;
  reject(e: Error): void;
}

export interface MeasurerPool {
  base(): Promise<number>;
  evaluate(param: string, ratio: number): Promise<number>;
  close(): Promise<void>;
}

export function createMeasurerPool(spec: MeasureSpec, jobs: number): MeasurerPool {
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new RangeError(`--jobs: expected a positive integer, got ${jobs}`);
  let nextId = 0;
  const slots = Array.from({ length: jobs }, (_, i) => {
    const worker = startWorker(spec);
    const pending = new Map<number, Pending>();
    const slot = { worker, pending, busy: false, dead: null as string | null };
    worker.on('message', (r: WorkerReply) => {
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      if (r.error) {
        const e = new Error(r.error.message);
        e.name = r.error.name;
        p.reject(e);
      } else p.resolve(r.value!);
    });
    const fail = (why: string) => {
      slot.dead = why;
      for (const p of pending.values()) p.reject(new Error(why));
      pending.clear();
    };
    worker.on('error', (e) => fail(`sensitivity worker ${i + 1} failed: ${e instanceof Error ? e.message : String(e)}`));
    worker.on('exit', (code) => fail(`sensitivity worker ${i + 1} exited (code ${code}) before answering`));
    return slot;
  });
  const waiting: Array<() => void> = [];

  const ask = (slot: (typeof slots)[number], req: Request): Promise<number> =>
    new Promise((resolve, reject) => {
      if (slot.dead) return reject(new Error(slot.dead));
      const id = nextId++;
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...req, id });
    });

  /** Runs `req` on an idle worker, waiting for one when all are busy. */
  async function onIdle(req: Request): Promise<number> {
    let slot = slots.find((s) => !s.busy);
    while (!slot) {
      await new Promise<void>((r) => waiting.push(r));
      slot = slots.find((s) => !s.busy);
    }
    slot.busy = true;
    try {
      return await ask(slot, req);
    } finally {
      slot.busy = false;
      waiting.shift()?.();
    }
  }

  return {
    base: () => onIdle({ op: 'base' }),
    evaluate: (param, ratio) => onIdle({ op: 'evaluate', param, ratio }),
    async close() {
      await Promise.all(
        slots.map(async (s) => {
          if (!s.dead) await ask(s, { op: 'close' }).catch(() => undefined);
          s.dead ??= 'closed';
          await s.worker.terminate();
        }),
      );
    },
  };
}
