/**
 * The field types of the component registry, as small builders that carry a TypeScript type:
 * a registry entry written as `{ depth: f(int(), 50), feature_maps: f(listOrOne(int()), [2, 3, 4, 5]) }`
 * is at once the runtime schema (checked by resolve.ts) and the static type of its resolved
 * value (`Resolved<...>`), so a component is described exactly once.
 *
 * Component-valued fields follow PaddleDetection's injection rules: the value may be a string
 * naming a component (configured by the top-level section of that name), a tagged mapping
 * (`!MultiClassNMS {...}`), or a plain mapping that overrides the field's default component.
 * `typeKey` covers OptimizerBuilder's `{type: Momentum, momentum: 0.9}` style.
 */

import { MODEL_LIMITS } from './limits';

export type Kind =
  | 'architecture'
  | 'backbone'
  | 'neck'
  | 'head'
  | 'roi_extractor'
  | 'loss'
  | 'op'
  | 'optim'
  | 'scheduler'
  | 'optimizer'
  | 'regularizer'
  | 'dataset'
  | 'transform'
  | 'reader'
  | 'inputs';

/** A resolved component: its registry name plus every field, defaults filled in. */
export interface Component {
  __type__: string;
  [field: string]: unknown;
}

export type TypeSpec =
  | { t: 'int'; oneOf?: readonly number[]; min?: number; max?: number }
  /** gt: an exclusive lower bound (a width multiplier must be above 0) */
  | { t: 'float'; min?: number; max?: number; gt?: number }
  | { t: 'bool' }
  | { t: 'str'; oneOf?: readonly string[] }
  /** `single`: a lone element is accepted and wrapped (ResNet feature_maps: 4 -> [4]) */
  | { t: 'list'; of: TypeSpec; single?: boolean }
  | { t: 'either'; of: readonly TypeSpec[] }
  | { t: 'nullable'; of: TypeSpec }
  /** a free-form mapping (e.g. ResNet gcb_params) */
  | { t: 'map' }
  | { t: 'component'; kinds: readonly Kind[]; typeKey?: string };

/** A type spec carrying the TypeScript type of the values it accepts. */
export interface Spec<T> {
  readonly spec: TypeSpec;
  readonly __value?: T;
}

export interface Field<T = unknown> {
  readonly spec: TypeSpec;
  /** absent only for required fields; a string for a component field names a component */
  readonly default?: T | string;
  readonly required: boolean;
  /** PaddleDetection `__shared__`: taken from the global key of the same name unless set here */
  readonly shared: boolean;
  /** a further check of a value of the right type: what was expected when it fails */
  readonly check?: (v: T) => string | undefined;
  readonly __value?: T;
}

export type Fields = Record<string, Field<any>>;

/** The resolved value of a component described by `F`. */
export type Resolved<F extends Fields> = { __type__: string } & {
  -readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never;
};

const spec = <T>(s: TypeSpec): Spec<T> => ({ spec: s });

export const int = (o: { oneOf?: readonly number[]; min?: number; max?: number } = {}): Spec<number> =>
  spec({ t: 'int', ...o });
/** A class count: an integer in [1, MODEL_LIMITS.classes]. */
export const classCount = (): Spec<number> => int({ min: 1, max: MODEL_LIMITS.classes });
/** An L2 decay coefficient: in [0, 1]. */
export const decay = (): Spec<number> => float({ min: 0, max: 1 });
export const float = (o: { min?: number; max?: number; gt?: number } = {}): Spec<number> => spec({ t: 'float', ...o });
export const bool = (): Spec<boolean> => spec({ t: 'bool' });
export const str = <S extends string = string>(oneOf?: readonly S[]): Spec<S> => spec({ t: 'str', oneOf });
export const list = <T>(of: Spec<T>): Spec<T[]> => spec({ t: 'list', of: of.spec });
/** A list, or one element standing for a list of one. */
export const listOrOne = <T>(of: Spec<T>): Spec<T[]> => spec({ t: 'list', of: of.spec, single: true });
export const either = <A, B>(a: Spec<A>, b: Spec<B>): Spec<A | B> => spec({ t: 'either', of: [a.spec, b.spec] });
export const nullable = <T>(of: Spec<T>): Spec<T | null> => spec({ t: 'nullable', of: of.spec });
export const map = (): Spec<Record<string, unknown>> => spec({ t: 'map' });
export const component = (...kinds: Kind[]): Spec<Component> => spec({ t: 'component', kinds });
/** A mapping whose `type` key names the component (OptimizerBuilder.optimizer / regularizer). */
export const typed = (kind: Kind, typeKey = 'type'): Spec<Component> => spec({ t: 'component', kinds: [kind], typeKey });

/**
 * A default: a value of the field's type or, for component fields, the name of a component
 * (configured by the top-level section of that name, as PaddleDetection's string defaults are).
 */
export type Default<T> = T | (Component extends T ? string : never);

/** A field with a default. */
export function f<T>(s: Spec<T>, def: Default<T>, check?: (v: T) => string | undefined): Field<T> {
  return { spec: s.spec, default: def, required: false, shared: false, ...(check ? { check } : {}) };
}

/** A field PaddleDetection lists in `__shared__`: the global key of the same name applies. */
export function shared<T>(s: Spec<T>, def: Default<T>): Field<T> {
  return { spec: s.spec, default: def, required: false, shared: true };
}

/** A field the config must give (PaddleDetection constructor arguments without a default). */
export function req<T>(s: Spec<T>): Field<T> {
  return { spec: s.spec, required: true, shared: false };
}

/** A default component value: `obj('MultiClassNMS', {...})`; unset fields come from the registry. */
export function obj(name: string, fields: Record<string, unknown> = {}): Component {
  return { __type__: name, ...fields };
}

/** "int", "list of int", "one of 'bn', 'sync_bn'" ... for messages. */
export function describeSpec(s: TypeSpec): string {
  switch (s.t) {
    case 'int':
      if (s.oneOf) return `one of ${s.oneOf.join(', ')}`;
      return 'an integer' + rangeText(s.min, s.max);
    case 'float':
      if (s.gt !== undefined) return `a number > ${s.gt}` + (s.max !== undefined ? ` and <= ${s.max}` : '');
      return 'a number' + rangeText(s.min, s.max);
    case 'bool':
      return 'a boolean';
    case 'str':
      return s.oneOf ? `one of ${s.oneOf.map((x) => `'${x}'`).join(', ')}` : 'a string';
    case 'list':
      return (s.single ? `${describeSpec(s.of)} or ` : '') + `a list of ${plural(describeSpec(s.of))}`;
    case 'either':
      return s.of.map(describeSpec).join(' or ');
    case 'nullable':
      return `${describeSpec(s.of)} or null`;
    case 'map':
      return 'a mapping';
    case 'component':
      return s.typeKey
        ? `a mapping with '${s.typeKey}' naming a ${s.kinds.join('/')}`
        : `a ${s.kinds.join('/')} component (a name, a !Tag mapping or a mapping of fields)`;
  }
}

function rangeText(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` in [${min}, ${max}]`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

function plural(d: string): string {
  return d.replace(/^an? /, '').replace(/^(integer|number|boolean|string|mapping|list)\b/, '$1s');
}

/** One registry entry: a named component of one kind, its fields, and whether slimprune can build it. */
export interface ComponentDef<F extends Fields = Fields> {
  readonly name: string;
  readonly kind: Kind;
  readonly fields: F;
  /** false: the config loads and resolves, but the model builder refuses it (not built yet) */
  readonly available: boolean;
  /** a check across the resolved fields (anchor masks within the anchors...) */
  readonly check?: ComponentCheck;
}

/** A failed cross-field check: the field at fault, what was expected of it, the value found. */
export interface CheckFailure {
  key: string;
  expected: string;
  got: unknown;
}
export type ComponentCheck = (c: Component) => CheckFailure | undefined;

/** The registry table of one kind: `{ Name: fields, ... }`; adding a component is one entry. */
export function table<E extends Record<string, Fields>>(
  kind: Kind,
  entries: E,
  opts: { unavailable?: ReadonlyArray<keyof E & string>; checks?: { [K in keyof E]?: ComponentCheck } } = {},
): { [K in keyof E]: ComponentDef<E[K]> } {
  const out: Record<string, ComponentDef> = {};
  for (const [name, fields] of Object.entries(entries)) {
    const check = opts.checks?.[name];
    out[name] = { name, kind, fields, available: !(opts.unavailable ?? []).includes(name), ...(check ? { check } : {}) };
  }
  return out as { [K in keyof E]: ComponentDef<E[K]> };
}
