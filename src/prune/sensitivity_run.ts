/**
 * The measurement loop of `slimprune sensitivity`, independent of how a model is evaluated:
 * for each param and ratio, `evaluate(param, ratio)` prunes that param alone from the unpruned
 * weights and returns the metric; the loss (base - metric) / base is recorded and the whole
 * file rewritten atomically after every measurement, so an interrupted run loses at most the
 * measurement in progress. A run on an existing file (same config digest and metric, else it
 * is refused) skips every (param, ratio) already in it and keeps the file's base metric.
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
  /** after each measurement (done counts skipped ones too) */
  onMeasured?: (m: { param: string; ratio: number; metric: number; loss: number; done: number; total: number }) => void;
}

export async function runSensitivity(run: SensitivityRun): Promise<{ file: SensitivityFile; measured: number; skipped: number }> {
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
  let done = 0;
  let measured = 0;
  let skipped = 0;
  for (const param of run.params) {
    for (const ratio of run.ratios) {
      const key = ratioKey(ratio);
      if (f.sensitivities[param] && key in f.sensitivities[param]) {
        done++;
        skipped++;
        continue;
      }
      const metric = await run.evaluate(param, ratio);
      if (!Number.isFinite(metric)) throw new SensitivityFileError(`${param} at ratio ${key}: expected a finite ${run.metric}, got ${metric}`);
      const loss = (f.base - metric) / f.base;
      f = { ...f, sensitivities: { ...f.sensitivities, [param]: { ...(f.sensitivities[param] ?? {}), [key]: loss } } };
      writeSensitivityFile(run.file, f);
      done++;
      measured++;
      run.onMeasured?.({ param, ratio, metric, loss, done, total });
    }
  }
  return { file: f, measured, skipped };
}
