/**
 * The layout pass of a replayed inference forward (src/graph/replay.ts): runs chains of 3x3
 * depthwise and 1x1 layers on channel-blocked maps (Backend.blocked, 16 channels per block), the
 * maps between them never in NCHW.
 *
 * Why: on small maps (MobileNetV1's 20x20 and 10x10 stages, 512 to 1024 channels) a 1x1 layer on
 * NCHW maps spends a tenth of its time packing its input, and the half of that input the other
 * core just wrote crosses between the cores. On blocked maps a position's 16 channels are one
 * broadcast row, so the 1x1 layer multiplies straight from its input (measured 1.10-1.14x on
 * 512 -> 512 at 20x20 and 1024 -> 1024 at 10x10 inside forwards), and the depthwise layer between
 * two of them reads and writes whole vectors of channels.
 *
 * What: over the recorded calls, every write of a storage starts a value; a value may be blocked
 * when a convolution the backend can run blocked wrote it and only such convolutions read it (as
 * their input), and it is not what the caller gets back. Then, until nothing changes, a
 * convolution whose layout (which of its input and output are blocked) the backend refuses
 * (Backend.blocked.problem: a 1x1 layer must read blocked, a depthwise layer must write blocked;
 * a CPU without AVX-512 refuses all) gets both back in NCHW. Each convolution left with a blocked
 * input or output becomes a call of Backend.blocked.conv2dAct with the same storages (a blocked
 * map has as many elements as its NCHW form). Every output keeps its value bit for bit (the
 * blocked kernels sum in the NCHW kernels' order), which the runner's check of the replayed plan
 * against the executor confirms before the plan is used.
 *
 * Which 1x1 layers: at least 128 input channels and at most 1444 positions per image (38x38), where
 * the blocked kernel was measured faster; larger maps keep the NCHW kernel (its packing is a
 * smaller share there: MobileNetV1's 40x40 stage at 320 batch 2 ran 1.01x slower blocked, while its
 * 38x38 stage at 608 batch 1 made whole forwards 1.02-1.04x faster, A/B in one process, 2 threads).
 */
import type { Backend, BlockedLayout } from '../backend/backend';
import { type AnyFn, type ConvCall, convCall, pointwise, type RecordedCall, type RoleOf } from './recorded_call';

/** the 1x1 layers worth running blocked: input channels at least, positions per image at most */
export const BLOCKED_PW_MIN_C = 128;
export const BLOCKED_PW_MAX_P = 1444;

/** A value: one write of a storage and the reads of it until the next write. */
interface Value {
  /** the convolutions that read it as their input */
  readers: ConvCall[];
  /** not written by a convolution that could run blocked, read or written some other way, or returned to the caller */
  pinned: boolean;
}

/** Call c as a convolution that could run blocked (by its geometry), or null. */
function candidate(backend: Backend<any>, c: RecordedCall): ConvCall | null {
  const k = convCall(backend, c);
  if (!k) return null;
  const [, C, H, W, OC, KH, KW, , , SH, SW, PT, PL, DH, DW, G] = k.p;
  if (C % 16 !== 0) return null;
  if (pointwise(k.p)) return OC % 32 === 0 && C >= BLOCKED_PW_MIN_C && H * W <= BLOCKED_PW_MAX_P ? k : null;
  const depthwise = G === C && OC === C && KH === 3 && KW === 3 && DH === 1 && DW === 1 && PT === 1 && PL === 1 && SH === SW && (SH === 1 || SH === 2);
  return depthwise ? k : null;
}

/**
 * The calls with chains of convolutions on blocked maps (see the file comment), and how many of
 * them run blocked (0: `calls` itself). `role(c, j)`: what call c does with argument j; `pinned`:
 * storages whose last value the caller reads (the forward's outputs).
 */
export function blockChannels(
  backend: Backend<any>, calls: RecordedCall[], role: RoleOf, pinned: Set<unknown>,
): { calls: RecordedCall[]; blocked: number } {
  const blocked = backend.blocked;
  if (!blocked) return { calls, blocked: 0 };
  // storages that share memory with another storage keep NCHW values
  const views = new Map<unknown, Set<unknown>>();
  for (const c of calls) {
    for (const s of c.args) if (ArrayBuffer.isView(s) && !(s instanceof Int32Array)) views.set(s.buffer, (views.get(s.buffer) ?? new Set()).add(s));
  }
  const aliased = new Set<unknown>();
  for (const set of views.values()) if (set.size > 1) for (const s of set) aliased.add(s);

  const current = new Map<unknown, Value>();
  const values: Value[] = [];
  const fresh = (s: unknown, byConv: boolean): Value => {
    const v: Value = { readers: [], pinned: !byConv || aliased.has(s) };
    values.push(v);
    current.set(s, v);
    return v;
  };
  const inputOf = new Map<ConvCall, Value>();
  const outputOf = new Map<ConvCall, Value>();
  const convAt = new Map<number, ConvCall>();
  calls.forEach((c, i) => {
    const conv = candidate(backend, c);
    if (conv) convAt.set(i, conv);
    c.args.forEach((s, j) => {
      if (s === null || typeof s !== 'object' || s instanceof Int32Array || (conv && conv.at === 1 && j === 0)) return;
      const r = role(c, j);
      if (r === 'in') {
        const v = current.get(s) ?? fresh(s, false);
        if (conv && j === conv.at) {
          v.readers.push(conv);
          inputOf.set(conv, v);
        } else v.pinned = true;
      } else if (r === 'out') {
        // overwritten: what it held is dead from here on
        if (conv && j === conv.at + 3) outputOf.set(conv, fresh(s, true));
        else fresh(s, false);
      } else {
        // read and written, or used some other way: what it held and what it now holds stay NCHW
        const v = current.get(s);
        if (v) v.pinned = true;
        fresh(s, false);
      }
    });
  });
  for (const s of pinned) {
    const v = current.get(s);
    if (v) v.pinned = true;
  }

  const isBlocked = new Set<Value>();
  for (const v of values) if (!v.pinned && v.readers.length > 0) isBlocked.add(v);
  const convs = [...convAt.values()];
  const layoutOf = (k: ConvCall) => ((isBlocked.has(inputOf.get(k)!) ? 1 : 0) | (isBlocked.has(outputOf.get(k)!) ? 2 : 0)) as 0 | BlockedLayout;
  for (let changed = true; changed;) {
    changed = false;
    for (const k of convs) {
      const l = layoutOf(k);
      if (l && blocked.problem(k.p, l) !== null) {
        for (const v of [inputOf.get(k), outputOf.get(k)]) if (v && isBlocked.delete(v)) changed = true;
      }
    }
  }
  let count = 0;
  const out = calls.map((c, i) => {
    const k = convAt.get(i);
    const l = k ? layoutOf(k) : 0;
    if (!k || !l) return c;
    count++;
    const [x, w, b, y, p, alpha] = c.args.slice(k.at, k.at + 6);
    return { target: blocked as unknown as Record<string, AnyFn>, key: 'conv2dAct', args: [k.cache, x, w, b, y, p, alpha, l] };
  });
  return count ? { calls: out, blocked: count } : { calls, blocked: 0 };
}
