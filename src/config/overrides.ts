/**
 * `-o key=value` overrides: the key is dotted (`LearningRate.base_lr`; a numeric part indexes
 * a list: `TrainReader.sample_transforms.2.prob`), the value is parsed as YAML (tags included:
 * `-o 'TrainReader.dataset=!VOCDataSet {dataset_dir: d}'`), and missing mappings on the way
 * are created. A mapping value merges into the mapping already there. The text is split at
 * the first `=`, so values may contain `=`.
 */
import { ConfigError, configError, describeValue } from './errors';
import { Origins, deepClone, isMapping, isTagged, joinPath, mergeLayer, type Mapping } from './merge';
import { checkKey } from './limits';
import { parseYaml } from './yaml';

export interface Override {
  /** the option text, as given */
  text: string;
  keys: string[];
  value: unknown;
}

export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq).trim();
  const keys = key.split('.');
  if (eq < 0 || keys.some((k) => k === '')) {
    throw new ConfigError(`-o: expected key=value with a dotted key (e.g. LearningRate.base_lr=0.01), got '${text}'`, '-o');
  }
  keys.forEach((k, i) => checkKey(k, `-o ${text}`, keys.slice(0, i + 1).join('.')));
  return { text, keys, value: parseYaml(text.slice(eq + 1), `-o ${text}`) };
}

/** Applies each override in order to `data` (mutated), recording them as origins. */
export function applyOverrides(data: Mapping, overrides: readonly string[], origins: Origins): void {
  for (const text of overrides) applyOne(data, parseOverride(text), origins);
}

function applyOne(data: Mapping, o: Override, origins: Origins): void {
  const source = `-o ${o.text}`;
  let cur: Mapping | unknown[] = data;
  let path = '';
  for (let i = 0; i < o.keys.length; i++) {
    const last = i === o.keys.length - 1;
    const k = o.keys[i];
    let slot: string | number = k;
    if (Array.isArray(cur)) {
      const idx = /^\d+$/.test(k) ? Number(k) : -1;
      if (idx < 0 || idx >= cur.length) {
        throw configError(`expected an index in [0, ${cur.length - 1}] for ${path} (a list), got '${k}'`, source, path);
      }
      slot = idx;
    }
    const here = joinPath(path, slot);
    const container = cur as Record<string | number, unknown>;
    if (last) {
      const old = container[slot];
      if (isMapping(old) && isMapping(o.value) && !isTagged(o.value)) {
        mergeLayer(old, o.value, origins, source, here, true);
      } else {
        container[slot] = deepClone(o.value, source, here);
        origins.mark(here, o.value, source);
      }
      return;
    }
    if (container[slot] === undefined || container[slot] === null) container[slot] = {};
    const next = container[slot];
    if (!isMapping(next) && !Array.isArray(next)) {
      throw configError(`cannot set ${o.keys.join('.')}: ${here} is ${describeValue(next)}, not a mapping or list`, source, here);
    }
    cur = next;
    path = here;
  }
}
