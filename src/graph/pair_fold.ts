/**
 * The pair pass of a replayed inference forward (src/graph/replay.ts): a 3x3 convolution and the
 * 1x1 convolution reading its output run as one call of Backend.convPairs, where the backend runs
 * the 3x3 layer by slivers of Winograd tiles: each sliver's outputs go through the 1x1 layer while
 * they are in cache, so the 3x3 layer's map is never written and the 1x1 layer is not a pass of its
 * own. Those are a pruned network's narrow layers (the r578 YOLOv3-MobileNetV1 head's 77 -> 154 ->
 * 77 and 26 -> 51 -> 26 pairs and its 77 -> 154 -> 75 detection output; the unpruned head's wide
 * layers do not run by slivers, and a 1x1 layer with more outputs than the 3x3 layer's, as the
 * 26 -> 51 -> 75 output, is faster apart: Backend.convPairs.usable says which).
 *
 * What it matches in the recorded calls: a conv2d_act_forward (through its filter cache or not)
 * followed by a conv2d_act_forward of a 1x1 layer reading the map the first one wrote, where
 * nothing else reads that map (its next use overwrites it whole, or there is none, and it is not
 * returned to the caller) and the 1x1 layer's output is neither the first layer's input nor that
 * map. Every output keeps its value bit for bit (the same products and transforms, the 1x1 layer's
 * sums in its own order), which the runner's check of the replayed plan against the executor
 * confirms.
 */
import type { Backend } from '../backend/backend';
import { type AnyFn, convCall, readAfter, type RecordedCall, type RoleOf } from './recorded_call';

/**
 * calls with storage s read as t from call `from` on, up to (not including) the first call that
 * overwrites s whole without reading it; null when s is still live at the end and the caller reads
 * it (then nothing may change).
 */
function renamed(calls: RecordedCall[], from: number, s: unknown, t: unknown, role: RoleOf, pinned: Set<unknown>): RecordedCall[] | null {
  const out = calls.slice();
  for (let k = from; k < calls.length; k++) {
    const js = calls[k].args.flatMap((a, j) => (a === s ? [j] : []));
    if (!js.length) continue;
    if (js.every((j) => role(calls[k], j) === 'out')) return out;
    out[k] = { ...calls[k], args: calls[k].args.map((a) => (a === s ? t : a)) };
  }
  return pinned.has(s) ? null : out;
}

/**
 * The calls with each matched pair as one call (see the file comment), how many pairs were made
 * (0: `calls` itself) and the storages made for them (`made`, the plan's to free). `role(c, j)`:
 * what call c does with argument j; `pinned`: the storages the caller reads after the forward.
 *
 * A 1x1 layer whose output storage is the 3x3 layer's input (the executor's memory plan hands a
 * freed storage of the same size to the next tensor: 77 -> 154 -> 77 writes the 77-channel map
 * where it read one) would overwrite rows the pass still reads; its output goes to a storage of its
 * own instead, and the calls after it read it there until that storage's value is overwritten.
 */
export function foldPairs(
  backend: Backend<any>, calls: RecordedCall[], role: RoleOf, pinned: Set<unknown>,
): { calls: RecordedCall[]; pairs: number; made: unknown[] } {
  const pairs = backend.convPairs;
  if (!pairs) return { calls, pairs: 0, made: [] };
  const target = pairs as unknown as Record<string, AnyFn>;
  const out: RecordedCall[] = [];
  const made: unknown[] = [];
  let work = calls;
  for (let i = 0; i < work.length; i++) {
    const a = convCall(backend, work[i]);
    const b = i + 1 < work.length ? convCall(backend, work[i + 1]) : null;
    const [x, w3, b3, y3, , alpha3] = a ? work[i].args.slice(a.at, a.at + 6) : [];
    const [x1, w1, b1, y0, , alpha1] = b ? work[i + 1].args.slice(b.at, b.at + 6) : [];
    // usable: a 3x3 layer that runs by slivers and a 1x1 layer reading its output's geometry
    if (!a || !b || x1 !== y3 || y3 === x || y0 === y3 || readAfter(work, i + 1, y3, role, pinned) || !pairs.usable(a.p, b.p)) {
      out.push(work[i]);
      continue;
    }
    let y = y0;
    if (y0 === x) {
      const fresh = backend.alloc((y0 as ArrayLike<number>).length);
      const next = renamed(work, i + 2, y0, fresh, role, pinned);
      if (!next) {
        backend.free(fresh);
        out.push(work[i]);
        continue;
      }
      made.push(fresh);
      work = next;
      y = fresh;
    }
    out.push({ target, key: 'convPair', args: [a.cache, b.cache, x, w3, b3, y3, w1, b1, y, a.p, b.p, alpha3, alpha1] });
    i++;
  }
  return out.length < calls.length ? { calls: out, pairs: calls.length - out.length, made } : { calls, pairs: 0, made };
}
