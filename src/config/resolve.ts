/**
 * resolveConfig: raw merged mapping -> typed, fully defaulted tree, PaddleDetection's way.
 *
 * - Top-level keys are global fields (components/global.ts), shared keys (num_classes,
 *   norm_type, ...) or sections named after registered components (`MobileNet: {...}`).
 * - The model is the component named by `architecture`; a component field given as a name
 *   (`backbone: MobileNet`) resolves that section over the registry defaults; a tagged mapping
 *   (`!COCODataSet {...}`) resolves its own fields; a plain mapping (`nms: {...}`) is laid over
 *   the field's default component. Deliberately unlike PaddleDetection, which would start from
 *   the bare class defaults there: YOLOv3Head `nms: {score_threshold: 0.05}` keeps the head's
 *   background_label -1 instead of silently turning to 0 (every real config sets all keys, so
 *   they resolve the same either way).
 * - Shared fields take the global value when the section does not set them.
 * - Every value is checked against its field type; unknown keys and names fail with the
 *   closest valid names; sections the model does not use are still checked.
 */
import { configError, describeValue, didYouMean } from './errors';
import { configFromObject, displayPath, type LoadedConfig } from './load';
import { deepClone, isMapping, isTagged, joinPath, type Mapping } from './merge';
import { componentsOfKind, lookup, REGISTRY, SHARED_KEYS } from './registry';
import { describeSpec, type Component, type ComponentDef, type Field, type Kind, type Resolved, type TypeSpec } from './schema';
import { GLOBAL_FIELDS } from './components/global';
import { MODEL_LIMITS } from './limits';
import type { OPTIM } from './components/optim';
import type { READERS } from './components/readers';

export type GlobalConfig = Omit<Resolved<typeof GLOBAL_FIELDS>, '__type__'>;
export type ReaderConfig = Resolved<(typeof READERS)['TrainReader']['fields']>;
export const READER_NAMES = ['TrainReader', 'EvalReader', 'TestReader'] as const;
export type ReaderName = (typeof READER_NAMES)[number];

export interface SlimConfig extends GlobalConfig {
  /** absolute path of the config file, null when built from an object */
  __file__: string | null;
  /** the architecture with every sub-component resolved (model.backbone.__type__ === 'MobileNet') */
  model: Component;
  LearningRate: Resolved<(typeof OPTIM)['LearningRate']['fields']>;
  OptimizerBuilder: Resolved<(typeof OPTIM)['OptimizerBuilder']['fields']>;
  TrainReader: ReaderConfig | null;
  EvalReader: ReaderConfig | null;
  TestReader: ReaderConfig | null;
  /** the merged mapping the tree was resolved from (overrides applied), for records and export */
  raw: Mapping;
}

/** Resolves a loaded config (or a plain mapping of one). Throws ConfigError on any problem. */
export function resolveConfig(input: LoadedConfig | Mapping): SlimConfig {
  const loaded = isLoaded(input) ? input : configFromObject(input);
  return new Resolver(loaded).run();
}

function isLoaded(x: LoadedConfig | Mapping): x is LoadedConfig {
  return 'origins' in x && 'data' in x && 'file' in x && isMapping(x.data);
}

const ALL_KINDS = [...new Set([...REGISTRY.values()].map((d) => d.kind))];

class Resolver {
  private readonly raw: Mapping;
  private readonly used = new Set<string>();

  constructor(private readonly cfg: LoadedConfig) {
    this.raw = cfg.data;
  }

  run(): SlimConfig {
    this.checkTopLevel();
    const { __type__: _g, ...global } = this.fields(GLOBAL_FIELDS, pick(this.raw, Object.keys(GLOBAL_FIELDS)), '', 'global', [], true);
    const arch = global.architecture as string;
    const model = this.named(arch, 'architecture', ['architecture'], [], true);
    const out = {
      ...(global as unknown as GlobalConfig),
      __file__: this.cfg.file,
      model,
      LearningRate: this.named('LearningRate', 'LearningRate', ['optim'], [], true),
      OptimizerBuilder: this.named('OptimizerBuilder', 'OptimizerBuilder', ['optim'], [], true),
      TrainReader: null,
      EvalReader: null,
      TestReader: null,
      raw: this.raw,
    } as SlimConfig;
    for (const r of READER_NAMES) {
      if (this.raw[r] !== undefined && this.raw[r] !== null) out[r] = this.named(r, r, ['reader'], [], true) as ReaderConfig;
    }
    this.checkInputSides(arch, out);
    // Sections nothing refers to are still checked (keys and types; required fields may be absent).
    for (const key of Object.keys(this.raw)) {
      if (REGISTRY.has(key) && !this.used.has(key)) this.named(key, key, ALL_KINDS, [], false);
    }
    return out;
  }

  /** YOLOv3 concatenates maps of strides 32, 16 and 8: a fixed input side must be a multiple of 32. */
  private checkInputSides(arch: string, out: SlimConfig): void {
    const stride = arch === 'YOLOv3' ? MODEL_LIMITS.yoloStride : 1;
    for (const r of READER_NAMES) {
      const shape = (out[r]?.inputs_def as { image_shape?: Array<number | null> } | undefined)?.image_shape;
      if (!shape || shape.every((d, i) => i === 0 || d === null || d % stride === 0)) continue;
      const at = `${r}.inputs_def.image_shape`;
      this.fail(at, `expected H and W multiples of ${stride} (${arch} downsamples by ${stride}) for ${at}, got ${describeValue(shape)}`);
    }
  }

  private source(path: string): string | undefined {
    return this.cfg.origins.get(path) ?? (this.cfg.file ? displayPath(this.cfg.file) : undefined);
  }

  private fail(path: string, body: string): never {
    throw configError(body, this.source(path), path);
  }

  private typeError(path: string, spec: TypeSpec | string, v: unknown, extra = ''): never {
    const what = typeof spec === 'string' ? spec : describeSpec(spec);
    this.fail(path, `expected ${what} for ${path}, got ${describeValue(v)}${extra}`);
  }

  private checkTopLevel(): void {
    for (const key of Object.keys(this.raw)) {
      if (Object.hasOwn(GLOBAL_FIELDS, key) || SHARED_KEYS.has(key) || REGISTRY.has(key)) continue;
      const names = [...Object.keys(GLOBAL_FIELDS), ...SHARED_KEYS, ...REGISTRY.keys()];
      this.fail(key, `unknown key ${key}${didYouMean(key, names)}`);
    }
  }

  /** The component `name` of one of `kinds`, configured by the top-level section of that name. */
  private named(name: string, path: string, kinds: readonly Kind[], stack: readonly string[], required: boolean): Component {
    const def = lookup(name);
    if (!def || !kinds.includes(def.kind)) {
      const names = componentsOfKind(...kinds).map((d) => d.name);
      const expect = names.length <= 12 ? `one of ${names.join(', ')}` : `a ${kinds.join('/')} name`;
      this.fail(path, `expected ${expect} for ${path}, got ${describeValue(name)}${didYouMean(name, names)}`);
    }
    if (stack.includes(name)) this.fail(path, `component cycle: ${[...stack, name].join(' -> ')}`);
    this.used.add(name);
    const section = this.raw[name];
    let given: Mapping = {};
    if (isMapping(section) && (!isTagged(section) || section.__type__ === name)) given = withoutType(section);
    else if (section !== undefined && section !== null) {
      this.typeError(name, `a mapping of ${name} fields`, section);
    }
    return this.checked(def, this.fields(def.fields, given, name, def.name, [...stack, name], required), name, required);
  }

  /** The component's cross-field check (skipped for sections checked without their required keys). */
  private checked(def: ComponentDef, c: Component, path: string, complete: boolean): Component {
    const wrong = complete ? def.check?.(c) : undefined;
    if (wrong) this.typeError(joinPath(path, wrong.key), wrong.expected, wrong.got);
    return c;
  }

  /** Resolves `given` against `fields`: unknown keys fail, shared keys come from the top, defaults fill the rest. */
  private fields(
    fields: Record<string, Field<any>>,
    given: Mapping,
    path: string,
    typeName: string,
    stack: readonly string[],
    required: boolean,
  ): Component {
    for (const key of Object.keys(given)) {
      if (!Object.hasOwn(fields, key)) {
        const at = joinPath(path, key);
        this.fail(at, `unknown key ${at}${path ? ` for ${typeName}` : ''}${didYouMean(key, Object.keys(fields))}`);
      }
    }
    const out: Component = { __type__: typeName };
    for (const [key, field] of Object.entries(fields)) {
      let at = joinPath(path, key);
      let v: unknown;
      if (given[key] !== undefined) v = given[key];
      else if (field.shared && path && this.raw[key] !== undefined && this.raw[key] !== null) {
        v = this.raw[key];
        at = key;
      } else if (field.required) {
        if (!required) continue;
        this.fail(at, `missing required key ${at} (${describeSpec(field.spec)})`);
      } else {
        v = deepClone(field.default);
      }
      out[key] = this.value(field.spec, v, at, stack, field.default);
      const wrong = field.check?.(out[key]);
      if (wrong !== undefined) this.typeError(at, wrong, out[key]);
    }
    return out;
  }

  private value(spec: TypeSpec, v: unknown, path: string, stack: readonly string[], base?: unknown): unknown {
    switch (spec.t) {
      case 'int':
        if (typeof v !== 'number' || !Number.isInteger(v)) this.typeError(path, spec, v);
        if (spec.oneOf && !spec.oneOf.includes(v)) this.typeError(path, spec, v);
        this.checkRange(spec, v, path);
        return v;
      case 'float':
        if (typeof v !== 'number' || !Number.isFinite(v)) this.typeError(path, spec, v);
        this.checkRange(spec, v, path);
        return v;
      case 'bool':
        if (typeof v !== 'boolean') this.typeError(path, spec, v);
        return v;
      case 'str':
        if (typeof v !== 'string') this.typeError(path, spec, v);
        if (spec.oneOf && !spec.oneOf.includes(v)) this.typeError(path, spec, v, didYouMean(v, spec.oneOf));
        return v;
      case 'list': {
        const items = Array.isArray(v) ? v : spec.single && v !== null && v !== undefined ? [v] : undefined;
        if (!items) this.typeError(path, spec, v);
        return items.map((x, i) => this.value(spec.of, x, joinPath(path, i), stack));
      }
      case 'either':
        return this.either(spec, v, path, stack);
      case 'nullable':
        return v === null || v === undefined ? null : this.value(spec.of, v, path, stack, base);
      case 'map':
        if (!isMapping(v) || isTagged(v)) this.typeError(path, spec, v);
        return deepClone(v);
      case 'component':
        return this.component(spec, v, path, stack, base);
    }
  }

  private checkRange(spec: { min?: number; max?: number; gt?: number }, v: number, path: string): void {
    if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max) || (spec.gt !== undefined && !(v > spec.gt))) {
      this.typeError(path, spec as TypeSpec, v);
    }
  }

  /** The first alternative that accepts `v`; else the deepest alternative's error (most specific), else a summary. */
  private either(spec: Extract<TypeSpec, { t: 'either' }>, v: unknown, path: string, stack: readonly string[]): unknown {
    let deepest: { depth: number; err: unknown } | undefined;
    for (const alt of spec.of) {
      try {
        return this.value(alt, v, path, stack);
      } catch (e) {
        const depth = ((e as { keyPath?: string }).keyPath ?? '').length;
        if (depth > path.length && (!deepest || depth > deepest.depth)) deepest = { depth, err: e };
      }
    }
    if (deepest) throw deepest.err;
    this.typeError(path, spec, v);
  }

  /**
   * A component value: a name (its section), a tagged mapping, or a plain mapping laid over the
   * field's default component (`base`: a name or a tagged default). With `typeKey` the plain
   * mapping's `type` picks the component and is kept in the result.
   */
  private component(
    spec: Extract<TypeSpec, { t: 'component' }>,
    v: unknown,
    path: string,
    stack: readonly string[],
    base: unknown,
  ): Component {
    const kinds = spec.kinds;
    if (typeof v === 'string' && !spec.typeKey) return this.named(v, path, kinds, stack, true);
    if (!isMapping(v)) this.typeError(path, spec, v);

    let name: string | undefined;
    let given: Mapping;
    if (isTagged(v)) {
      name = v.__type__;
      given = withoutType(v);
    } else if (spec.typeKey) {
      const t = v[spec.typeKey] ?? baseName(base);
      if (typeof t !== 'string') this.typeError(joinPath(path, spec.typeKey), `a ${kinds.join('/')} name`, t);
      name = t;
      given = { ...(isTagged(base) && base.__type__ === t ? withoutType(base) : {}), ...v };
      delete given[spec.typeKey];
    } else {
      name = baseName(base);
      if (!name) {
        const names = componentsOfKind(...kinds).map((d) => `!${d.name}`);
        const shown = names.length <= 8 ? names.join(', ') : `${names.slice(0, 8).join(', ')}, ...`;
        this.fail(path, `expected a tagged ${kinds.join('/')} (${shown}) for ${path}, got ${describeValue(v)}`);
      }
      given = { ...(isTagged(base) ? withoutType(base) : {}), ...v };
    }
    const def = lookup(name);
    if (!def || !kinds.includes(def.kind)) {
      const names = componentsOfKind(...kinds).map((d) => d.name);
      const bang = isTagged(v) ? '!' : '';
      const at = isTagged(v) || !spec.typeKey ? path : joinPath(path, spec.typeKey);
      const got = isTagged(v) ? `!${name}` : `'${name}'`;
      const list = names.map((n) => bang + n).join(', ');
      this.fail(at, `expected one of ${list} for ${at}, got ${got}${didYouMean(name, names)}`);
    }
    const out = this.checked(def, this.fields(def.fields, given, path, def.name, stack, true), path, true);
    return spec.typeKey ? reorderType(out, spec.typeKey) : out;
  }
}

function pick(m: Mapping, keys: readonly string[]): Mapping {
  const out: Mapping = {};
  for (const k of keys) if (m[k] !== undefined) out[k] = m[k];
  return out;
}

function withoutType(m: Mapping): Mapping {
  const { __type__: _t, ...rest } = m;
  return rest;
}

function baseName(base: unknown): string | undefined {
  if (typeof base === 'string') return base;
  if (isTagged(base)) return base.__type__;
  return undefined;
}

/** `{__type__, type, ...fields}`: the plain-dict name kept next to the registry name. */
function reorderType(c: Component, typeKey: string): Component {
  const { __type__, ...rest } = c;
  return { __type__, [typeKey]: __type__, ...rest };
}

