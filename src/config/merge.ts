/**
 * Layering of config sources, PaddleDetection's way: a later layer (the including file over
 * its `_READER_`, then `-o` overrides) deep-merges plain mappings and replaces everything
 * else; lists are replaced whole, and a tagged mapping (`!VOCDataSet {...}`) replaces what was
 * there, since it is a different object, not a set of edits. Overrides differ on one point:
 * `-o TrainReader.dataset.dataset_dir=x` edits the tagged mapping in place (PaddleDetection
 * would replace the dataset object by a bare dict and fail later).
 *
 * Origins remember, for every key path, which source last wrote it, so that an error about a
 * value names the file (or the `-o` option) it came from.
 */
import { checkKey, forbiddenKeyReason } from './limits';
import type { Component } from './schema';

export type Mapping = Record<string, unknown>;

export function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isTagged(v: unknown): v is Component {
  return isMapping(v) && typeof v.__type__ === 'string';
}

/** `a.b`, `a[2]`; the root is the empty string. */
export function joinPath(prefix: string, key: string | number): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  return prefix ? `${prefix}.${key}` : key;
}

/**
 * A deep copy of plain data. Every mapping key is checked (limits.ts): data given as an object
 * (configFromObject, JSON.parse output) may carry an own `__proto__` key that a plain
 * assignment would turn into a prototype change. `source`/`path` name it in the error.
 */
export function deepClone<T>(v: T, source?: string, path = ''): T {
  if (Array.isArray(v)) return v.map((x, i) => deepClone(x, source, joinPath(path, i))) as T;
  if (isMapping(v)) {
    const out: Mapping = {};
    for (const [k, x] of Object.entries(v)) {
      if (forbiddenKeyReason(k) !== undefined) checkKey(k, source, joinPath(path, k));
      out[k] = deepClone(x, source, joinPath(path, k));
    }
    return out as T;
  }
  return v;
}

export class Origins {
  private readonly byPath = new Map<string, string>();

  /** Records `source` for `path` and every path below it in `value`. */
  mark(path: string, value: unknown, source: string): void {
    this.byPath.set(path, source);
    if (Array.isArray(value)) value.forEach((x, i) => this.mark(joinPath(path, i), x, source));
    else if (isMapping(value)) for (const [k, x] of Object.entries(value)) this.mark(joinPath(path, k), x, source);
  }

  /** The source of `path`, or of its nearest recorded ancestor. */
  get(path: string): string | undefined {
    for (let p = path; ; p = parentPath(p)) {
      const s = this.byPath.get(p);
      if (s !== undefined || p === '') return s;
    }
  }
}

function parentPath(p: string): string {
  const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
  return cut < 0 ? '' : p.slice(0, cut);
}

/**
 * Merges `layer` into `target` (mutated). `editTagged`: plain mappings also merge into tagged
 * ones, keeping their type (overrides); otherwise a tagged side means replacement (files).
 */
export function mergeLayer(
  target: Mapping,
  layer: Mapping,
  origins: Origins,
  source: string,
  prefix = '',
  editTagged = false,
): void {
  for (const [k, v] of Object.entries(layer)) {
    const path = joinPath(prefix, k);
    checkKey(k, source, path);
    const cur = Object.hasOwn(target, k) ? target[k] : undefined;
    const mergeable = isMapping(cur) && isMapping(v) && !isTagged(v) && (editTagged || !isTagged(cur));
    if (mergeable) {
      mergeLayer(cur as Mapping, v as Mapping, origins, source, path, editTagged);
    } else {
      target[k] = deepClone(v, source, path);
      origins.mark(path, v, source);
    }
  }
}
