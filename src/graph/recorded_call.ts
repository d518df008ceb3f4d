/**
 * The recorded calls of a replayed forward (src/graph/replay.ts) as the passes over them see them
 * (src/graph/blocked_layout.ts, src/graph/concat_fold.ts, src/graph/chain_fold.ts,
 * src/graph/pair_fold.ts): one call, what it does with an argument, and where a convolution call
 * keeps its storages and geometry.
 */
import type { Backend } from '../backend/backend';
import type { BufRole } from '../backend/kernels';

export type AnyFn = (...a: unknown[]) => unknown;

/** One recorded call: target[key](...args). */
export interface RecordedCall {
  target: Record<string, AnyFn>;
  key: string;
  args: unknown[];
}

/** What call c does with argument j ('in', 'out', 'inout'; undefined: not a storage). */
export type RoleOf = (c: RecordedCall, j: number) => BufRole | undefined;

/** A conv2d_act_forward call: x at args[at] (w, b, y, p, alpha after it), its filter cache or null. */
export interface ConvCall {
  at: number;
  cache: object | null;
  p: Int32Array;
}

/** c as a conv2d_act_forward call (through its filter cache or the kernel), else null. */
export function convCall(backend: Backend<any>, c: RecordedCall): ConvCall | null {
  const cached = c.key === 'conv2dAct' && c.target === (backend.filterCaches as unknown);
  if (!cached && !(c.key === 'conv2d_act_forward' && c.target === (backend.kernels as unknown))) return null;
  const at = cached ? 1 : 0;
  const p = c.args[at + 4];
  return p instanceof Int32Array && p.length === 17 ? { at, cache: cached ? (c.args[0] as object) : null, p } : null;
}

/** Whether geometry p is a 1x1, stride-1, unpadded, undilated, one-group convolution. */
export function pointwise(p: Int32Array): boolean {
  const [, , H, W, , KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G] = p;
  return KH === 1 && KW === 1 && SH === 1 && SW === 1 && PT === 0 && PL === 0 && DH === 1 && DW === 1 && G === 1 && OH === H && OW === W;
}

/** Whether storage s, after call i, is read before being overwritten whole (or is returned). */
export function readAfter(calls: RecordedCall[], i: number, s: unknown, role: RoleOf, pinned: Set<unknown>): boolean {
  for (let k = i + 1; k < calls.length; k++) {
    const js = calls[k].args.flatMap((a, j) => (a === s ? [j] : []));
    if (!js.length) continue;
    return !js.every((j) => role(calls[k], j) === 'out');
  }
  return pinned.has(s);
}
