/**
 * `slimprune sensitivity --queue redis://...`: the sensitivity run of sensitivity_run.ts with
 * every measurement done by `slimprune worker` processes through a BullMQ queue.
 *
 * 1. A `base` job: a worker loads the model and answers its metric name and config digest, and
 *    for a new file the unpruned metric. So the coordinator needs only Redis and the file; an
 *    existing file must carry the same digest and metric (else it is refused, as in-process).
 * 2. One `measure` job per (param, ratio) not in the file, with a deterministic id (jobs.ts):
 *    adding a point that is already queued, running or finished is a no-op, and a coordinator
 *    restarted on the same run picks up what its predecessor queued.
 * 3. Results are collected from QueueEvents and, to close the gap before the subscription
 *    and after a dropped connection, by looking the pending jobs up (at once, then every
 *    SWEEP_MS). Each is written into the file by the same atomic writer; a result seen twice is
 *    written once (record.ts). A job found missing (the queue was cleaned meanwhile) is added again.
 * 4. A failed job (an unknown param, a worker with another config) ends the run with one error
 *    naming the point and the worker's reason; this run's jobs still waiting are removed.
 * 5. While no worker is connected to the queue, `onIdle` hears so every `idleMs` (the run itself
 *    waits: a worker may be started later, on any machine that reaches the server).
 *
 * Every connection is closed before it returns or throws.
 */
import * as fs from 'fs';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { MeasureSpec } from '../prune/sensitivity_measure';
import { ratioKey, readSensitivityFile, SensitivityFileError, writeSensitivityFile, type SensitivityFile } from '../prune/sensitivity_file';
import { checkReachable, connectionOf } from './connection';
import { KEEP_FINISHED, measureJobId, QUEUE_NAME, type BaseJobData, type BaseJobResult, type MeasureJobData, type MeasureJobResult } from './jobs';
import { recordMeasurement } from './record';
import { parseQueueUrl, QueueError } from './url';

/** How often pending jobs are looked up besides the events. */
export const SWEEP_MS = 10_000;
/** How often the coordinator checks that some worker is connected, by default. */
export const IDLE_MS = 15_000;

export interface QueueRun {
  queue: string;
  file: string;
  spec: MeasureSpec;
  params: string[];
  ratios: number[];
  onMeasured?: (m: { param: string; ratio: number; metric: number; loss: number; done: number; total: number }) => void;
  /** Told, every `idleMs` (default IDLE_MS), while no worker is connected and work is waiting. */
  onIdle?: (message: string) => void;
  idleMs?: number;
}

interface Point {
  param: string;
  ratio: number;
  id: string;
}

const JOB_OPTS = { attempts: 1, removeOnComplete: KEEP_FINISHED, removeOnFail: KEEP_FINISHED };

function checkSpec(spec: MeasureSpec): void {
  if (!spec || typeof spec.config !== 'string' || spec.config === '' || !Array.isArray(spec.overrides) || spec.overrides.some((x) => typeof x !== 'string')) {
    throw new QueueError(`spec: expected {config: a path, overrides: strings}, got ${JSON.stringify(spec)}`);
  }
}

/** The result of one job, or why it failed; throws on an unexpected answer. */
function metricOf(p: Point, rv: unknown): number {
  const m = (rv as MeasureJobResult | null)?.metric;
  if (typeof m !== 'number' || !Number.isFinite(m)) {
    throw new QueueError(`${p.param} at ratio ${ratioKey(p.ratio)}: expected a finite metric from the worker, got ${JSON.stringify(rv)}`);
  }
  return m;
}

async function baseOf(queue: Queue, events: QueueEvents, spec: MeasureSpec, measureBase: boolean): Promise<BaseJobResult> {
  const job = await queue.add('base', { spec, measureBase } satisfies BaseJobData, JOB_OPTS);
  let r: BaseJobResult;
  try {
    r = (await job.waitUntilFinished(events)) as BaseJobResult;
  } catch (e) {
    throw new QueueError(`base metric: a worker failed the job: ${(e as Error).message}`);
  } finally {
    await job.remove().catch(() => undefined);
  }
  if (!r || typeof r.metric !== 'string' || typeof r.configDigest !== 'string') {
    throw new QueueError(`base metric: expected {metric, configDigest} from the worker, got ${JSON.stringify(r)}`);
  }
  return r;
}

export async function runSensitivityOnQueue(o: QueueRun): Promise<{ measured: number; skipped: number }> {
  const address = parseQueueUrl(o.queue);
  checkSpec(o.spec);
  if (o.params.length === 0) throw new QueueError('params: expected at least one parameter to measure, got none');
  o.ratios.forEach((r) => ratioKey(r));
  // A damaged file is refused before any work is queued; its digest is checked once known.
  const exists = fs.existsSync(o.file);
  if (exists) readSensitivityFile(o.file);
  await checkReachable(address);

  const connection = connectionOf(address);
  const queue = new Queue(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  // Connection errors are retried by ioredis; without listeners they would throw.
  queue.on('error', () => undefined);
  events.on('error', () => undefined);
  let sweep: NodeJS.Timeout | null = null;
  let idle: NodeJS.Timeout | null = null;
  const pending = new Map<string, Point>();
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    if (o.onIdle) {
      const tell = o.onIdle;
      idle = setInterval(() => {
        void queue
          .getWorkersCount()
          .then((n) => {
            if (n === 0 && idle) {
              tell(`no worker is connected to queue ${QUEUE_NAME} at ${o.queue}; waiting for one to measure ${pending.size > 0 ? `${pending.size} point(s)` : 'the base metric'} (start one with \`slimprune worker --queue ${o.queue}\`)`);
            }
          })
          .catch(() => undefined);
      }, o.idleMs ?? IDLE_MS);
    }
    const b = await baseOf(queue, events, o.spec, !exists);
    let f: SensitivityFile;
    if (exists) {
      f = readSensitivityFile(o.file, { metric: b.metric, configDigest: b.configDigest });
    } else {
      if (!(typeof b.base === 'number' && Number.isFinite(b.base) && b.base > 0)) {
        throw new SensitivityFileError(`base ${b.metric}: expected a positive unpruned metric to measure losses against, got ${b.base}`);
      }
      f = { version: 1, metric: b.metric, base: b.base, config_digest: b.configDigest, sensitivities: {} };
      writeSensitivityFile(o.file, f);
    }

    const total = o.params.length * o.ratios.length;
    let skipped = 0;
    let measured = 0;
    for (const param of o.params) {
      for (const ratio of o.ratios) {
        const id = measureJobId(b.configDigest, o.spec, param, ratio);
        if (f.sensitivities[param]?.[ratioKey(ratio)] !== undefined || pending.has(id)) skipped++;
        else pending.set(id, { param, ratio, id });
      }
    }
    if (pending.size === 0) return { measured, skipped };

    let settle!: { resolve(): void; reject(e: unknown): void };
    const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // A failure can come while jobs are still being added; it is rethrown where `finished` is awaited.
    finished.catch(() => undefined);
    let failure: unknown = null;
    const fail = (e: unknown) => {
      failure ??= e;
      settle.reject(failure);
    };
    const arrive = (id: string, rv: unknown) => {
      const p = pending.get(id);
      if (!p || failure) return;
      try {
        const metric = metricOf(p, rv);
        const r = recordMeasurement(o.file, f, p.param, p.ratio, metric);
        f = r.file;
        pending.delete(id);
        if (r.written) {
          measured++;
          o.onMeasured?.({ param: p.param, ratio: p.ratio, metric, loss: r.loss, done: skipped + measured, total });
        } else skipped++;
        // The file holds the result now; the job has nothing more to give.
        void queue.remove(id).catch(() => undefined);
        if (pending.size === 0) settle.resolve();
      } catch (e) {
        fail(e);
      }
    };
    const failed = (id: string, reason: string) => {
      const p = pending.get(id);
      if (p) fail(new QueueError(`${p.param} at ratio ${ratioKey(p.ratio)}: a worker failed the measurement: ${reason}`));
    };
    events.on('completed', (a: { jobId: string; returnvalue: unknown }) => arrive(a.jobId, a.returnvalue));
    events.on('failed', (a: { jobId: string; failedReason: string }) => failed(a.jobId, a.failedReason));

    /** Looks a pending job up: collects it when finished, adds it when it is not in the queue. */
    const look = async (p: Point, retryFailed: boolean): Promise<void> => {
      // The state first: a job read after it says 'completed' carries its return value.
      const gone = () => !pending.has(p.id) || failure !== null;
      if (gone()) return;
      const state = await queue.getJobState(p.id);
      // Collected (and so removed) while the lookup was on its way: nothing to do.
      if (gone()) return;
      if (state === 'unknown') {
        await queue.add('measure', { spec: o.spec, configDigest: b.configDigest, metric: b.metric, param: p.param, ratio: p.ratio } satisfies MeasureJobData, {
          ...JOB_OPTS,
          jobId: p.id,
        });
        return;
      }
      if (state !== 'completed' && state !== 'failed') return;
      const job = (await queue.getJob(p.id)) as Job | undefined;
      if (gone() || !job) return;
      if (state === 'completed') arrive(p.id, job.returnvalue);
      // Left failed by an earlier run that stopped on an error: measure it again.
      else if (retryFailed) await job.retry('failed');
      else failed(p.id, job.failedReason);
    };
    for (const p of [...pending.values()]) {
      if (failure) break;
      await look(p, true);
    }
    const lookAll = async () => {
      for (const p of [...pending.values()]) {
        if (failure) return;
        await look(p, false);
      }
    };
    await lookAll();
    sweep = setInterval(() => void lookAll().catch(() => undefined), SWEEP_MS);
    await finished;
    return { measured, skipped };
  } catch (e) {
    // Nobody will collect this run's waiting jobs now; running ones finish and age out.
    await Promise.all([...pending.keys()].map((id) => queue.remove(id).catch(() => undefined)));
    throw e;
  } finally {
    if (sweep) clearInterval(sweep);
    if (idle) clearInterval(idle);
    idle = null;
    await events.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
  }
}
