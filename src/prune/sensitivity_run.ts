/**
 * The measurement loop of `slimprune sensitivity`, independent of how a model is evaluated:
 * for each param and ratio, `evaluate(param, ratio)` prunes that param alone from the unpruned
 * weights and returns the metric; the loss (base - metric) / base is recorded and the whole
 * file rewritten atomically after every measurement, so an interrupted run loses at most the
 * measurement in progress. A run on an existing file (same config digest and metric, else it
 * is refused) skips every (param, ratio) already in it and keeps the file's base metric.
 * With `jobs` > 1 several measurements are in flight at once (each evaluate call on its own
 * worker); results are recorded in the order they finish, and the file, whose keys are
 * sorted when written, comes out the same.
 */
import * as fs from 'fs';
import { ratioKey, readSensitivityFile, SensitivityFileError, writeSensitivityFile, type SensitivityFile } from './sensitivity_file';

export interface SensitivityRun {
  file: string;
  params: readonly string[];
  ratios: readonly number[];
  metric: string;
  configDigest: string;
  /** the unpruned metric; called only when the file does not exist yet */
  base: () => Promise<number>;
  /** the metric with `param` alone pruned at `ratio` */
  evaluate: (param: string, ratio: number) => Promise<number>;
  /** measurements in flight at once (default 1); `evaluate` must then allow concurrent calls */
  jobs?: number;
  /** after each measurement (done counts skipped ones too) */
  onMeasured?: (m: { param: string; ratio: number; metric: number; loss: number; done: number; total: number }) => void;
}

export async function runSensitivity(run: SensitivityRun): Promise<{ file: SensitivityFile; measured: number; skipped: number }> {
  const jobs = run.jobs ?? 1;
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new RangeError(`jobs: expected a positive integer, got ${jobs}`);
  let f: SensitivityFile;
  if (fs.existsSync(run.file)) {
    f = readSensitivityFile(run.file, { metric: run.metric, configDigest: run.configDigest });
  } else {
    const base = await run.base();
    if (!(Number.isFinite(base) && base > 0)) throw new SensitivityFileError(`base ${run.metric}: expected a positive unpruned metric to measure losses against, got ${base}`);
    f = { version: 1, metric: run.metric, base, config_digest: run.configDigest, sensitivities: {} };
    writeSensitivityFile(run.file, f);
  }
  const total = run.params.length * run.ratios.length;
  const todo: Array<[string, number]> = [];
  const queued = new Set<string>();
  for (const param of run.params) {
    for (const ratio of run.ratios) {
      const id = `${param}\0${ratioKey(ratio)}`;
      if (queued.has(id) || (f.sensitivities[param] && ratioKey(ratio) in f.sensitivities[param])) continue;
      queued.add(id);
      todo.push([param, ratio]);
    }
  }
  const skipped = total - todo.length;
  let done = skipped;
  let measured = 0;
  let next = 0;
  let failure: { error: unknown } | null = null;
  // Each lane takes the next measurement when its last one is recorded. The file is updated
  // between awaits, so lanes never interleave a read-modify-write; after a failure the lanes
  // finish (and record) what they started, take nothing new, and the first error is thrown.
  const lane = async () => {
    while (!failure && next < todo.length) {
      const [param, ratio] = todo[next++];
      const key = ratioKey(ratio);
      try {
        const metric = await run.evaluate(param, ratio);
        if (!Number.isFinite(metric)) throw new SensitivityFileError(`${param} at ratio ${key}: expected a finite ${run.metric}, got ${metric}`);
        const loss = (f.base - metric) / f.base;
        f = { ...f, sensitivities: { ...f.sensitivities, [param]: { ...(f.sensitivities[param] ?? {}), [key]: loss } } };
        writeSensitivityFile(run.file, f);
        done++;
        measured++;
        run.onMeasured?.({ param, ratio, metric, loss, done, total });
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, Math.max(todo.length, 1)) }, lane));
  if (failure) throw (failure as { error: unknown }).error;
  return { file: f, measured, skipped };
}
