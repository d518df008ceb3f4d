/**
 * What travels through the queue between `slimprune sensitivity --queue` (the coordinator) and
 * `slimprune worker`: job names, their data and results, job ids, and the lock timings.
 *
 * Jobs:
 * - `base`: the worker loads the spec's model and answers its metric name and config digest,
 *   and, when the coordinator starts a new file, the unpruned metric. The coordinator needs no
 *   model, weights or data of its own: only Redis and the file.
 * - `measure`: one (param, ratio) point. Its id is deterministic (config digest, spec, ratio,
 *   param), so adding the same point twice is a no-op in BullMQ and a restarted coordinator
 *   finds the jobs of the previous one, finished or not. The data carries the digest and metric
 *   the coordinator expects, so a worker whose config differs fails the job instead of
 *   measuring another model.
 *
 * Locks: a worker holds a lock on each job it runs and renews it every lockDuration / 2; the
 * measurement runs in a child process, so the renewal never waits behind an evaluation. A
 * worker that dies stops renewing; once its lock has expired, any live worker's stalled-job
 * check (every stalledInterval) moves the job back to waiting and it is measured again. So a
 * killed worker's job restarts within about lockDuration + 2 x stalledInterval.
 */
import { createHash } from 'crypto';
import type { MeasureSpec } from '../prune/sensitivity_measure';
import { ratioKey } from '../prune/sensitivity_file';

/** One queue per Redis database; runs are told apart by their job ids. */
export const QUEUE_NAME = 'slimprune-sensitivity';

/** A job's lock lives this long without renewal (BullMQ's own default). */
export const DEFAULT_LOCK_DURATION_MS = 30_000;
/** How often a worker looks for jobs whose worker died. */
export const stalledIntervalFor = (lockDurationMs: number): number => Math.max(500, Math.round(lockDurationMs / 2));
/**
 * How many times a job may be found stalled before it counts as failed. Above BullMQ's 1 so
 * that losing two machines in a row still finishes the run; a measurement that kills every
 * worker it runs on still ends as a failed job instead of looping.
 */
export const MAX_STALLED_COUNT = 3;
/** Finished jobs the coordinator did not collect (it was stopped) are dropped after a week. */
export const KEEP_FINISHED = { age: 7 * 24 * 3600 };

export interface BaseJobData {
  spec: MeasureSpec;
  /** also evaluate the unpruned model (a new file); else only describe it (a resumed file) */
  measureBase: boolean;
}

export interface BaseJobResult {
  metric: string;
  configDigest: string;
  base: number | null;
}

export interface MeasureJobData {
  spec: MeasureSpec;
  configDigest: string;
  metric: string;
  param: string;
  ratio: number;
}

export interface MeasureJobResult {
  metric: number;
}

/** A stable key of a spec (same config path, overrides and batch limit = same key). */
export function specKey(spec: MeasureSpec): string {
  const canon = { config: spec.config, overrides: [...spec.overrides], maxEvalBatches: spec.maxEvalBatches ?? null };
  return createHash('sha256').update(JSON.stringify(canon)).digest('hex');
}

/**
 * The id of a measurement: config digest, spec, ratio, param. BullMQ refuses ':' in ids and
 * ids that read as integers; the 'm-' prefix and the encoded param avoid both.
 */
export function measureJobId(configDigest: string, spec: MeasureSpec, param: string, ratio: number): string {
  return `m-${configDigest.slice(0, 16)}-${specKey(spec).slice(0, 12)}-${ratioKey(ratio)}-${encodeURIComponent(param)}`;
}
