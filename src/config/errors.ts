/**
 * ConfigError: every problem with a config file or an `-o` override ends here, as one line
 * that names the file (or the override), the key path, what was expected and what was found,
 * plus the closest valid names when a name is unknown. Closeness is Levenshtein distance on
 * lower-cased names (typos and case slips are the usual mistakes), kept when it is at most a
 * third of the longer name, so `YOLOV3` suggests `YOLOv3` and `norm_typ` suggests `norm_type`.
 */

export class ConfigError extends Error {
  constructor(
    message: string,
    /** the file (or `-o key=value`) the faulty value came from, when known */
    readonly source?: string,
    /** dotted key path, e.g. `TrainReader.sample_transforms[2].prob` */
    readonly keyPath?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Levenshtein distance, two rows. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** Up to `max` candidates closest to `name`, best first; empty when none is close. */
export function closestNames(name: string, candidates: Iterable<string>, max = 3): string[] {
  const low = name.toLowerCase();
  const scored: Array<[number, string]> = [];
  for (const c of new Set(candidates)) {
    const d = editDistance(low, c.toLowerCase());
    const limit = Math.max(2, Math.floor(Math.max(low.length, c.length) / 3));
    if (d <= limit) scored.push([d, c]);
  }
  scored.sort((x, y) => x[0] - y[0] || x[1].localeCompare(y[1]));
  return scored.slice(0, max).map((s) => s[1]);
}

/** ` (did you mean a, b?)` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const near = closestNames(name, candidates);
  return near.length ? ` (did you mean ${near.join(', ')}?)` : '';
}

/** A short rendering of a value found in a config, for messages. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return `'${v.length > 60 ? v.slice(0, 57) + '...' : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const s = JSON.stringify(v);
    return s.length > 60 ? s.slice(0, 57) + '...]' : s;
  }
  const o = v as Record<string, unknown>;
  const tag = typeof o.__type__ === 'string' ? `!${o.__type__} ` : '';
  const keys = Object.keys(o).filter((k) => k !== '__type__');
  return `${tag}a mapping {${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', ...' : ''}}`;
}

/** `config: <source>: <body>`, the shape of every message about a config's content. */
export function configError(body: string, source?: string, keyPath?: string): ConfigError {
  return new ConfigError(`config: ${source ? `${source}: ` : ''}${body}`, source, keyPath);
}
