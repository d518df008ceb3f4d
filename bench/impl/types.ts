/**
 * What an implementation factory gives a workload. An implementation is prepared for one case
 * (its data copied in, its layout converted, its session built: all outside the timed region)
 * and then offers, for each op, either a function to time, or a reason why it cannot run it,
 * or timings it measured itself (a comparator running in a subprocess).
 *
 * Canonical layouts (what `result` returns, for the cross-check): conv x, y, dx, dy NCHW;
 * w, dw [OC, C/G, KH, KW]; gemm row-major.
 */
import type { Runnable, Timing } from '../harness';

export type ConvOp = 'fwd' | 'dx' | 'dw';

/** A conv layer; OH, OW follow floor((H + 2P - K) / S) + 1 with symmetric padding P. */
export interface ConvCase {
  name: string;
  title: string;
  N: number;
  C: number;
  H: number;
  W: number;
  OC: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PH: number;
  PW: number;
  G: number;
  OH: number;
  OW: number;
}

export interface ConvData {
  x: Float32Array;
  w: Float32Array;
  dy: Float32Array;
}

export interface Prepared<O extends string> {
  /** per op: the call to time, or why it cannot run */
  ops: Partial<Record<O, Runnable | { na: string }>>;
  /** timings measured elsewhere (subprocess comparators) */
  timed?: Partial<Record<O, Timing>>;
  /** the op's last output in the canonical layout, for the cross-check */
  result?(op: O): Float32Array | Promise<Float32Array>;
  dispose(): void | Promise<void>;
}

export interface Impl<C, D, O extends string> {
  name: string;
  /** threads this implementation actually uses */
  threads: number;
  /** a line for the report, e.g. "single-threaded under Node" */
  note?: string;
  prepare(c: C, d: D): Promise<Prepared<O>>;
  /** called once when the workload is done with the implementation */
  close?(): void | Promise<void>;
}

export type ConvImpl = Impl<ConvCase, ConvData, ConvOp>;

export interface GemmCase {
  name: string;
  n: number;
}
export interface GemmData {
  a: Float32Array;
  b: Float32Array;
}
export type GemmImpl = Impl<GemmCase, GemmData, 'gemm'>;

/** An implementation that cannot run here at all, and why. */
export interface Absent {
  name: string;
  reason: string;
}

export function isNa(v: unknown): v is { na: string } {
  return typeof v === 'object' && v !== null && 'na' in v;
}

/** Multiply-accumulates of one pass of a conv (the same count for forward, dx and dw). */
export function convMacs(c: ConvCase): number {
  return c.N * c.OC * c.OH * c.OW * (c.C / c.G) * c.KH * c.KW;
}

/** The 16 integers of the conv contract (src/backend/kernels.ts CONV_GEOM). */
export function convGeom(c: ConvCase): Int32Array {
  return Int32Array.from([c.N, c.C, c.H, c.W, c.OC, c.KH, c.KW, c.OH, c.OW, c.SH, c.SW, c.PH, c.PW, 1, 1, c.G]);
}
