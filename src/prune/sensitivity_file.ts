/**
 * The sensitivities file written by `slimprune sensitivity` and read by `slimprune ratios`:
 *
 *   {"version": 1, "metric": "mAP", "base": 0.83, "config_digest": "<hex>",
 *    "sensitivities": {"conv1_weights": {"0.1": 0.002, "0.2": 0.011}}}
 *
 * A loss is (base - metric) / base with the parameter alone pruned at that ratio. Ratios are
 * keys, so they are written in one canonical form (ratioKey: shortest decimal of the value
 * rounded to 6 places) and "0.10", "0.1" and 0.1 all name the same measurement. The digest
 * ties the file to the config it was measured on: a file from another config or metric is
 * refused rather than silently mixed in. Writes are atomic (temp file, fsync, rename) so an
 * interrupted run leaves the previous complete file.
 */
import * as fs from 'fs';
import { writeFileAtomic } from '../export/atomic';

export const SENSITIVITY_FILE_VERSION = 1;

/** param -> ratio key -> loss */
export type SensitivityTable = Record<string, Record<string, number>>;

export interface SensitivityFile {
  version: number;
  metric: string;
  base: number;
  config_digest: string;
  sensitivities: SensitivityTable;
}

export class SensitivityFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SensitivityFileError';
  }
}

/** Canonical key of a ratio: 6 decimals at most, no trailing zeros (0.1 -> "0.1", 0.25 -> "0.25"). */
export function ratioKey(ratio: number | string): string {
  const v = typeof ratio === 'number' ? ratio : Number(ratio);
  if (typeof ratio === 'string' && (ratio.trim() === '' || !/^[0-9.eE+-]+$/.test(ratio.trim()))) {
    throw new SensitivityFileError(`expected a ratio in [0, 1), got '${ratio}'`);
  }
  if (!Number.isFinite(v) || v < 0 || v >= 1) throw new SensitivityFileError(`expected a ratio in [0, 1), got '${String(ratio)}'`);
  return String(Number(v.toFixed(6)));
}

const kindOf = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x);

/** Checks the shape of a parsed file; `where` names it in errors. Ratio keys come back canonical. */
export function validateSensitivityFile(raw: unknown, where: string): SensitivityFile {
  const bad = (what: string, expected: string, got: unknown) =>
    new SensitivityFileError(`${where}: ${what}: expected ${expected}, got ${typeof got === 'string' ? `'${got}'` : kindOf(got) === 'number' ? String(got) : kindOf(got)}`);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('file', 'a JSON object', raw);
  const o = raw as Record<string, unknown>;
  if (o.version !== SENSITIVITY_FILE_VERSION) throw bad('version', String(SENSITIVITY_FILE_VERSION), o.version);
  if (typeof o.metric !== 'string' || o.metric === '') throw bad('metric', 'a metric name', o.metric);
  if (typeof o.base !== 'number' || !Number.isFinite(o.base) || o.base <= 0) throw bad('base', 'a positive number (the unpruned metric)', o.base);
  if (typeof o.config_digest !== 'string' || !/^[0-9a-f]+$/.test(o.config_digest)) throw bad('config_digest', 'a hex digest', o.config_digest);
  const s = o.sensitivities;
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw bad('sensitivities', 'an object {param: {ratio: loss}}', s);
  const table: SensitivityTable = {};
  for (const [param, losses] of Object.entries(s as Record<string, unknown>)) {
    if (!losses || typeof losses !== 'object' || Array.isArray(losses)) throw bad(`sensitivities.${param}`, 'an object {ratio: loss}', losses);
    const row: Record<string, number> = {};
    for (const [r, loss] of Object.entries(losses as Record<string, unknown>)) {
      let key: string;
      try {
        key = ratioKey(r);
      } catch {
        throw bad(`sensitivities.${param}`, 'ratio keys in [0, 1)', r);
      }
      if (typeof loss !== 'number' || !Number.isFinite(loss)) throw bad(`sensitivities.${param}.${r}`, 'a finite loss', loss);
      if (key in row && row[key] !== loss) throw new SensitivityFileError(`${where}: sensitivities.${param}: ratio ${key} given twice with different losses`);
      row[key] = loss;
    }
    table[param] = row;
  }
  return { version: SENSITIVITY_FILE_VERSION, metric: o.metric, base: o.base, config_digest: o.config_digest, sensitivities: table };
}

/**
 * Reads and validates a file. With `expect`, a file measured on another config or with
 * another metric is refused, naming both values.
 */
export function readSensitivityFile(file: string, expect: { metric?: string; configDigest?: string } = {}): SensitivityFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new SensitivityFileError(`${file}: expected a readable sensitivities file, got ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SensitivityFileError(`${file}: expected JSON, got a parse error (${(e as Error).message})`);
  }
  const f = validateSensitivityFile(raw, file);
  if (expect.configDigest !== undefined && f.config_digest !== expect.configDigest) {
    throw new SensitivityFileError(
      `${file}: measured on another config (config_digest ${f.config_digest.slice(0, 12)}, this config ${expect.configDigest.slice(0, 12)}); use another -s file or delete it`,
    );
  }
  if (expect.metric !== undefined && f.metric !== expect.metric) {
    throw new SensitivityFileError(`${file}: measured with metric '${f.metric}', expected '${expect.metric}'; use another -s file or delete it`);
  }
  return f;
}

/** Serialises with params and ratios sorted, so equal contents give equal bytes. */
export function formatSensitivityFile(f: SensitivityFile): string {
  const table: SensitivityTable = {};
  for (const param of Object.keys(f.sensitivities).sort()) {
    const row = f.sensitivities[param];
    table[param] = Object.fromEntries(Object.keys(row).sort((a, b) => Number(a) - Number(b)).map((k) => [k, row[k]]));
  }
  return JSON.stringify({ version: f.version, metric: f.metric, base: f.base, config_digest: f.config_digest, sensitivities: table }, null, 2) + '\n';
}

/** Validates, then writes atomically (temp file + fsync + rename). */
export function writeSensitivityFile(file: string, f: SensitivityFile): void {
  const checked = validateSensitivityFile(f, file);
  writeFileAtomic(file, formatSensitivityFile(checked));
}

/**
 * Joins files measured on the same config and metric. A (param, ratio) present in several
 * files must carry the same loss (a rerun of the same measurement); different losses are an
 * error naming the param, the ratio and both values. The base metric must agree too.
 */
export function mergeSensitivities(files: ReadonlyArray<SensitivityFile>): SensitivityFile {
  if (files.length === 0) throw new SensitivityFileError('merge: expected at least one sensitivities file, got none');
  const first = files[0];
  const table: SensitivityTable = {};
  files.forEach((f, i) => {
    if (f.config_digest !== first.config_digest) {
      throw new SensitivityFileError(`merge: file ${i + 1} was measured on another config (config_digest ${f.config_digest.slice(0, 12)}, file 1 ${first.config_digest.slice(0, 12)})`);
    }
    if (f.metric !== first.metric) throw new SensitivityFileError(`merge: file ${i + 1} uses metric '${f.metric}', file 1 '${first.metric}'`);
    if (f.base !== first.base) throw new SensitivityFileError(`merge: file ${i + 1} has base ${f.base}, file 1 ${first.base}`);
    for (const [param, row] of Object.entries(f.sensitivities)) {
      const into = (table[param] ??= {});
      for (const [r, loss] of Object.entries(row)) {
        const key = ratioKey(r);
        if (key in into && into[key] !== loss) {
          throw new SensitivityFileError(`merge: conflict for ${param} at ratio ${key}: loss ${into[key]} in an earlier file, ${loss} in file ${i + 1}`);
        }
        into[key] = loss;
      }
    }
  });
  return { version: SENSITIVITY_FILE_VERSION, metric: first.metric, base: first.base, config_digest: first.config_digest, sensitivities: table };
}
