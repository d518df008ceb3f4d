/**
 * Shared pieces of the model zoo: the resolved-config shape the builders read (a component is
 * a plain object with `__type__` and its fields, as src/config resolves it), typed field
 * readers with the house error message, and the conv + norm + activation unit every backbone
 * repeats, with both of Paddle's parameter naming styles:
 *   'underscore' (MobileNet, ResNet):  <conv>_weights, <bn>_scale/_offset/_mean/_variance
 *   'dotted'     (DarkNet, YOLO head): <name>.conv.weights, <name>.bn.scale/.offset/.mean/.var
 */
import type { ActKind, GraphBuilder } from '../graph/builder';
import type { InitSpec } from '../graph/types';

export interface Component {
  __type__: string;
  [field: string]: unknown;
}

export class ModelError extends Error {
  override name = 'ModelError';
}

export function modelFail(where: string, what: string, name: string, got: unknown): never {
  throw new ModelError(`${where}: expected ${what} for ${name}, got ${JSON.stringify(got)}`);
}

export function num(c: Component, key: string, dflt: number): number {
  const v = c[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) modelFail(c.__type__, 'a number', key, v);
  return v;
}

export function int(c: Component, key: string, dflt: number, allowed?: number[]): number {
  const v = num(c, key, dflt);
  if (!Number.isInteger(v) || (allowed && !allowed.includes(v))) modelFail(c.__type__, allowed ? `one of ${allowed.join(', ')}` : 'an integer', key, v);
  return v;
}

export function str<T extends string>(c: Component, key: string, dflt: T, allowed: readonly T[]): T {
  const v = c[key] ?? dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) modelFail(c.__type__, `one of ${allowed.join(', ')}`, key, v);
  return v as T;
}

export function bool(c: Component, key: string, dflt: boolean): boolean {
  const v = c[key] ?? dflt;
  if (typeof v !== 'boolean') modelFail(c.__type__, 'true or false', key, v);
  return v;
}

export interface ConvNormOpts {
  name: string;
  out: number;
  k: number;
  stride?: number;
  pad?: number;
  groups?: number;
  act?: ActKind | null;
  alpha?: number;
  naming: 'underscore' | 'dotted';
  /** underscore style: the BN name (default `<name>_bn`) */
  bnName?: string;
  norm: 'bn' | 'affine_channel';
  normDecay: number;
  /** the conv weight's L2 coefficient; undefined: the optimizer's factor */
  convDecay?: number;
  init?: InitSpec | 'msra' | 'default';
  /** false freezes this unit's parameters */
  trainable?: boolean;
  /** false freezes the norm's scale and offset, and batch norm then uses its running statistics */
  normTrainable?: boolean;
}

/** conv (no bias) + batch norm / affine channel + optional activation. */
export function convNorm(b: GraphBuilder, x: string, o: ConvNormOpts): string {
  const dotted = o.naming === 'dotted';
  const trainable = o.trainable ?? true;
  const normTrainable = trainable && (o.normTrainable ?? true);
  const weight = {
    ...(o.init && o.init !== 'default' ? { init: o.init } : {}),
    trainable,
    ...(o.convDecay !== undefined ? (o.convDecay === 0 ? { decay: 'none' as const } : { l2: o.convDecay }) : {}),
  };
  const y = b.conv2d(x, {
    name: o.name,
    weightName: dotted ? `${o.name}.conv.weights` : `${o.name}_weights`,
    out: o.out,
    k: o.k,
    stride: o.stride ?? 1,
    pad: o.pad ?? Math.floor((o.k - 1) / 2),
    groups: o.groups ?? 1,
    weight,
  });
  const bn = dotted ? `${o.name}.bn` : o.bnName ?? `${o.name}_bn`;
  let out: string;
  if (o.norm === 'affine_channel') {
    out = b.affineChannel(y, { name: bn, names: { scale: `${bn}_scale`, bias: `${bn}_offset` }, trainable: normTrainable, normDecay: o.normDecay });
  } else {
    const names = dotted
      ? { scale: `${bn}.scale`, offset: `${bn}.offset`, mean: `${bn}.mean`, variance: `${bn}.var` }
      : { scale: `${bn}_scale`, offset: `${bn}_offset`, mean: `${bn}_mean`, variance: `${bn}_variance` };
    out = b.batchNorm(y, { name: bn, names, normDecay: o.normDecay, trainable: normTrainable, useGlobalStats: o.normTrainable === false });
  }
  return o.act ? b.act(out, o.act, o.alpha) : out;
}
