/**
 * The transform contract. A sample op maps one sample (using the sample's own random stream);
 * a batch op maps the whole batch (using the batch's stream). Sample ops listed under
 * batch_transforms run on each sample of the batch in turn, as PaddleDetection's operators do
 * when handed a list. DecodeImage is asynchronous (file I/O and sharp) and runs before the
 * others; it must come first.
 */
import type { Rng } from '../rng';
import type { Sample, TransformContext } from '../types';

export interface SampleOp {
  kind: 'sample';
  name: string;
  apply(s: Sample, rng: Rng, ctx: TransformContext): Sample;
}

export interface BatchOp {
  kind: 'batch';
  name: string;
  apply(samples: Sample[], rng: Rng, ctx: TransformContext): Sample[];
}

export interface DecodeOp {
  kind: 'decode';
  name: 'DecodeImage';
  toRgb: boolean;
  withMixup: boolean;
}

export type Op = SampleOp | BatchOp | DecodeOp;

/** A transform's resolved config (the config registry filled every default). */
export type OpConfig = { __type__: string; [k: string]: unknown };

export function num(cfg: OpConfig, key: string): number {
  const v = cfg[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${cfg.__type__}: expected a number for ${key}, got ${JSON.stringify(v)}`);
  return v;
}

export function nums(cfg: OpConfig, key: string, len?: number): number[] {
  const v = cfg[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number') || (len !== undefined && v.length !== len)) {
    throw new Error(`${cfg.__type__}: expected ${len ?? 'a list of'} numbers for ${key}, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

export function bool(cfg: OpConfig, key: string): boolean {
  const v = cfg[key];
  if (typeof v !== 'boolean') throw new Error(`${cfg.__type__}: expected true or false for ${key}, got ${JSON.stringify(v)}`);
  return v;
}

/** Keeps the rows `keep` of every per-box list of a sample. */
export function selectBoxes(s: Sample, keep: readonly number[]): void {
  s.gtBbox = keep.map((i) => s.gtBbox[i]);
  s.gtClass = keep.map((i) => s.gtClass[i]);
  if (s.gtScore.length) s.gtScore = keep.map((i) => s.gtScore[i]);
  if (s.isCrowd.length) s.isCrowd = keep.map((i) => s.isCrowd[i]);
  if (s.difficult.length) s.difficult = keep.map((i) => s.difficult[i]);
  if (s.gtPoly) s.gtPoly = keep.map((i) => s.gtPoly![i]);
}
