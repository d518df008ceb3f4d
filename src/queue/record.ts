/**
 * Writing queue results into the sensitivities file. Results may arrive more than once (a job
 * seen finished when the coordinator looks it up and again as an event, a coordinator restarted
 * on jobs that finished meanwhile): the first arrival of a (param, ratio) is written, later ones
 * leave the file as it is. The loss uses the file's base metric, as the in-process run does,
 * so both give the same bytes for the same metrics.
 */
import { ratioKey, SensitivityFileError, writeSensitivityFile, type SensitivityFile } from '../prune/sensitivity_file';

export interface Recorded {
  file: SensitivityFile;
  /** false when the point was already in the file (nothing written) */
  written: boolean;
  loss: number;
}

export function recordMeasurement(path: string, f: SensitivityFile, param: string, ratio: number, metric: number): Recorded {
  const key = ratioKey(ratio);
  const have = f.sensitivities[param]?.[key];
  if (have !== undefined) return { file: f, written: false, loss: have };
  if (typeof metric !== 'number' || !Number.isFinite(metric)) {
    throw new SensitivityFileError(`${param} at ratio ${key}: expected a finite ${f.metric}, got ${String(metric)}`);
  }
  const loss = (f.base - metric) / f.base;
  const next: SensitivityFile = { ...f, sensitivities: { ...f.sensitivities, [param]: { ...(f.sensitivities[param] ?? {}), [key]: loss } } };
  writeSensitivityFile(path, next);
  return { file: next, written: true, loss };
}
