/**
 * The concatenation pass of a replayed inference forward (src/graph/replay.ts): a 1x1 layer that
 * reads a channel concatenation (YOLOv3's head: the upsampled coarse map next to the backbone's
 * finer one) reads the two maps themselves (Backend.concatConvs), so the nearest-neighbour upsample
 * and the two channel copies that made the concatenation are not run and the concatenation is never
 * written: 2 to 5 MB of writes and reads per YOLOv3 forward at 320 batch 2 (0.3-0.4 ms of them
 * measured) become rows the 1x1 layer builds in cache, tile by tile.
 *
 * What it matches in the recorded calls: two channel_copy calls, one after the other, that together
 * write every channel of one storage (whole sources, no accumulation), right before a 1x1, stride-1,
 * unpadded, one-group convolution that reads that storage; a copied map that the upsample_forward
 * call right before the copies made (nearest-neighbour) is read from the upsample's input instead.
 * Only when nothing else reads the concatenation or the upsampled map (the next use of each
 * overwrites it whole, or there is none, and neither is returned to the caller). Every output keeps
 * its value bit for bit (the 1x1 layer multiplies the same rows in the same order), which the
 * runner's check of the replayed plan against the executor confirms.
 */
import type { Backend } from '../backend/backend';
import { type AnyFn, convCall, pointwise, readAfter, type RecordedCall, type RoleOf } from './recorded_call';

/**
 * The calls with each matched concatenation read by its 1x1 layer (see the file comment), and how
 * many were folded (0: `calls` itself). `role(c, j)`: what call c does with argument j; `pinned`:
 * the storages the caller reads after the forward.
 */
export function foldConcats(
  backend: Backend<any>, calls: RecordedCall[], role: RoleOf, pinned: Set<unknown>,
): { calls: RecordedCall[]; folded: number } {
  const target = backend.concatConvs as unknown as Record<string, AnyFn> | undefined;
  if (!target) return { calls, folded: 0 };
  const drop = new Set<number>();
  const replace = new Map<number, RecordedCall>();
  for (let i = 2; i < calls.length; i++) {
    const conv = convCall(backend, calls[i]);
    if (!conv || !pointwise(conv.p)) continue;
    const { at, p } = conv;
    const [N, C, H, W] = p;
    const cat = calls[i].args[at];
    const copies = [calls[i - 2], calls[i - 1]];
    if (drop.has(i - 2) || drop.has(i - 1)) continue;
    const whole = copies.every((c) => {
      const q = c.args[2];
      if (c.key !== 'channel_copy' || c.target !== (backend.kernels as unknown) || c.args[1] !== cat || !(q instanceof Int32Array)) return false;
      const [outer, srcC, srcOff, dstC, , count, inner, acc] = q;
      return outer === N && dstC === C && inner === H * W && srcOff === 0 && srcC === count && acc === 0 && c.args[0] !== cat;
    });
    if (!whole) continue;
    const order = [...copies].sort((x, y) => (x.args[2] as Int32Array)[4] - (y.args[2] as Int32Array)[4]);  // by channel offset
    const [first, second] = order.map((c) => c.args[2] as Int32Array);
    if (first[4] !== 0 || second[4] !== first[5] || first[5] + second[5] !== C) continue;
    if (readAfter(calls, i, cat, role, pinned)) continue;
    // each source: the map itself, or the input of the upsample right before the copies
    const q = [first[5], H, W, 0, H, W, 0];
    const src: unknown[] = [];
    let upsample = -1;
    order.forEach((c, k) => {
      let s = c.args[0];
      const u = calls[i - 3];
      const g = u?.args[2];
      const copyAt = i - 2 + copies.indexOf(c);
      if (i >= 3 && !drop.has(i - 3) && u.key === 'upsample_forward' && u.target === (backend.kernels as unknown) && u.args[1] === s &&
          g instanceof Int32Array && g[0] === N && g[4] === H && g[5] === W && g[6] === 0 && !readAfter(calls, copyAt, s, role, pinned) &&
          u.args[0] !== cat) {
        s = u.args[0];
        q[1 + 3 * k] = g[2];
        q[2 + 3 * k] = g[3];
        q[3 + 3 * k] = g[7];
        upsample = i - 3;
      }
      src.push(s);
    });
    const [, w, b, y, pp, alpha] = calls[i].args.slice(at, at + 6);
    if (src.includes(y)) continue;
    replace.set(i, { target, key: 'concatConv2dAct', args: [conv.cache, src[0], src[1], w, b, y, pp, alpha, Int32Array.from(q)] });
    drop.add(i - 2).add(i - 1);
    if (upsample >= 0) drop.add(upsample);
  }
  if (!replace.size) return { calls, folded: 0 };
  return { calls: calls.flatMap((c, i) => (drop.has(i) ? [] : [replace.get(i) ?? c])), folded: replace.size };
}
