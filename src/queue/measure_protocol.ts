/** Messages between a queue worker and its measuring processes (measure_pool.ts, measure_child.ts). */
import type { MeasureSpec } from '../prune/sensitivity_measure';
import type { BaseJobResult } from './jobs';

export type ChildRequest =
  | { id: number; op: 'base'; spec: MeasureSpec; measureBase: boolean }
  | { id: number; op: 'measure'; spec: MeasureSpec; configDigest: string; metric: string; param: string; ratio: number };

/** Distributes Omit over the union, so each request keeps its own fields. */
export type ChildRequestBody = ChildRequest extends infer R ? (R extends ChildRequest ? Omit<R, 'id'> : never) : never;

export type ChildReply =
  | { kind: 'done'; id: number; value: BaseJobResult | number }
  | { kind: 'error'; id: number; error: string }
  | { kind: 'log'; line: string };
