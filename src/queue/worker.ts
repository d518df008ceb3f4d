/**
 * A queue worker: takes `base` and `measure` jobs (jobs.ts) from the sensitivity queue, measures
 * them in its measuring processes (measure_pool.ts) and returns the metric; the coordinator
 * turns it into a loss. Any number of workers, on any machines that have the config, weights and
 * data at the paths the spec names (relative paths are taken from the worker's directory).
 *
 * A failing measurement (unknown param, another config on this machine) fails its job with the
 * error's message, which the coordinator reports. close() lets the jobs in hand finish first;
 * abort() (then exit) drops them, and the queue hands them to another worker once their locks expire.
 */
import * as os from 'os';
import { Worker, type Job } from 'bullmq';
import { ratioKey } from '../prune/sensitivity_file';
import { checkReachable, connectionOf } from './connection';
import {
  DEFAULT_LOCK_DURATION_MS,
  MAX_STALLED_COUNT,
  QUEUE_NAME,
  stalledIntervalFor,
  type BaseJobData,
  type BaseJobResult,
  type MeasureJobData,
  type MeasureJobResult,
} from './jobs';
import { MeasurePool } from './measure_pool';
import { parseQueueUrl, QueueError } from './url';

export interface QueueWorkerOptions {
  /** redis://HOST:PORT[/DB] */
  queue: string;
  /** jobs measured at once, each in its own process (default 1) */
  concurrency?: number;
  /** how long a job's lock lives without renewal (default 30 s); see jobs.ts */
  lockDurationMs?: number;
  /** shown in logs and stored on each job it takes (default host:pid) */
  name?: string;
  /** module exporting createMeasurer (default: src/prune/sensitivity_measure) */
  measurerModule?: string;
  /** one line per job, and the measurer's own lines */
  log?: (line: string) => void;
}

export interface QueueWorker {
  name: string;
  /** waits for the jobs in hand, then closes the connections and the measuring processes */
  close(): Promise<void>;
  /**
   * Kills the measuring processes now, for a process about to exit: once it has, the jobs in
   * hand are retried elsewhere after their locks expire (a process that lived on would fail them).
   */
  abort(): void;
}

const secs = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

function describeJob(job: Job): string {
  if (job.name === 'base') return 'base';
  const d = job.data as Partial<MeasureJobData>;
  return `${String(d.param)} at ${typeof d.ratio === 'number' ? ratioKey(d.ratio) : String(d.ratio)}`;
}

function checkData(job: Job): BaseJobData | MeasureJobData {
  const d = job.data as Record<string, unknown> | null;
  const spec = d?.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec.config !== 'string' || !Array.isArray(spec.overrides)) {
    throw new QueueError(`job ${job.id}: expected data with a spec {config, overrides}, got ${JSON.stringify(d)?.slice(0, 200)}`);
  }
  if (job.name === 'base') return d as unknown as BaseJobData;
  if (job.name !== 'measure') throw new QueueError(`job ${job.id}: expected a 'base' or 'measure' job, got '${job.name}'`);
  if (typeof d!.param !== 'string' || typeof d!.ratio !== 'number' || typeof d!.configDigest !== 'string' || typeof d!.metric !== 'string') {
    throw new QueueError(`job ${job.id}: expected param, ratio, configDigest and metric in a measure job, got ${JSON.stringify(d).slice(0, 200)}`);
  }
  return d as unknown as MeasureJobData;
}

export async function startWorker(o: QueueWorkerOptions): Promise<QueueWorker> {
  const address = parseQueueUrl(o.queue);
  const concurrency = o.concurrency ?? 1;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new QueueError(`concurrency: expected a positive integer, got ${concurrency}`);
  const lockDuration = o.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS;
  if (!(Number.isFinite(lockDuration) && lockDuration >= 1000)) throw new QueueError(`lock duration: expected at least 1000 ms, got ${lockDuration}`);
  const log = o.log ?? (() => undefined);
  const name = o.name ?? `${os.hostname()}:${process.pid}`;
  await checkReachable(address);

  const pool = new MeasurePool({ measurerModule: o.measurerModule, log });
  const processor = async (job: Job): Promise<BaseJobResult | MeasureJobResult> => {
    const t0 = Date.now();
    const what = describeJob(job);
    try {
      const d = checkData(job);
      if (job.name === 'base') {
        const b = d as BaseJobData;
        const r = (await pool.run({ op: 'base', spec: b.spec, measureBase: b.measureBase })) as BaseJobResult;
        log(`base: ${r.base === null ? 'described' : `${r.metric} ${r.base}`} (config ${r.configDigest.slice(0, 12)}, ${secs(t0)})`);
        return r;
      }
      const m = d as MeasureJobData;
      const metric = (await pool.run({ op: 'measure', spec: m.spec, configDigest: m.configDigest, metric: m.metric, param: m.param, ratio: m.ratio })) as number;
      log(`${what}: ${m.metric} ${metric} (${secs(t0)})`);
      return { metric };
    } catch (e) {
      log(`${what}: failed: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  };

  const worker = new Worker(QUEUE_NAME, processor, {
    connection: connectionOf(address),
    concurrency,
    name,
    lockDuration,
    stalledInterval: stalledIntervalFor(lockDuration),
    maxStalledCount: MAX_STALLED_COUNT,
  });
  // A dropped connection is retried by ioredis; say so instead of an unhandled 'error'.
  worker.on('error', (e) => log(`queue: ${e.message}`));
  await worker.waitUntilReady();

  let closing: Promise<void> | null = null;
  return {
    name,
    close() {
      closing ??= (async () => {
        await worker.close();
        await pool.close();
      })();
      return closing;
    },
    abort() {
      pool.kill();
    },
  };
}
