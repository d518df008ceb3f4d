/**
 * The chain pass of a replayed inference forward (src/graph/replay.ts): an image's stem
 * convolution and the depthwise -> 1x1 pairs right after it (MobileNetV1: 3 -> 32 at stride 2,
 * then 32 -> 64 and 64 -> 128) run as one call of Backend.convChains, in bands of rows, so the maps
 * between them are never written whole: at 320 batch 2 the stem's 6.5 MB and the first pair's
 * 13 MB, written and read back once per forward (measured 2.46 -> 2.07 ms for the three layers
 * inside forwards, 2 threads).
 *
 * What it matches in the recorded calls: a conv2d_act_forward (through its filter cache or not)
 * followed by one to four dwpw_act_forward calls, each reading the map the call before wrote, where
 * nothing else reads the maps between them (the next use of each overwrites it whole, or there is
 * none, and none is returned to the caller) and the backend runs that geometry in bands. Every
 * output keeps its value bit for bit (each value is computed by the function the separate kernels
 * use for it), which the runner's check of the replayed plan against the executor confirms.
 */
import type { Backend } from '../backend/backend';
import { type AnyFn, convCall, readAfter, type RecordedCall, type RoleOf } from './recorded_call';

/**
 * Pairs a chain takes at most (the kernel's limit). A third pair (MobileNetV1's 128 -> 128 at 80x80
 * at 320 batch 2, 152x152 at 608 batch 1) measured no faster inside the chain than after it (its
 * input is 6.5 MB where the first pair's is 13 MB); at 608 a fourth one, 128 -> 256 at stride 2 (a
 * dwpw_act_forward call there: src/backend/native.ts dwpwRowsWin), follows it, and the four in one
 * chain never write the third pair's 11.8 MB output: forwards 1.02x faster (r578; unpruned 1.01x),
 * A/B in one process, 2 threads.
 */
export const CHAIN_MAX_PAIRS = 4;

/** Call c as a dwpw_act_forward kernel call reading storage x: its arguments, else null. */
function dwpwReading(backend: Backend<any>, c: RecordedCall | undefined, x: unknown): unknown[] | null {
  if (!c || c.key !== 'dwpw_act_forward' || c.target !== (backend.kernels as unknown) || c.args[0] !== x) return null;
  const p = c.args[6];
  return p instanceof Int32Array && p.length === 19 ? c.args : null;
}

/**
 * The calls with each matched stem and its pairs as one chain call (see the file comment), and how
 * many chains were made (0: `calls` itself). `role(c, j)`: what call c does with argument j;
 * `pinned`: the storages the caller reads after the forward.
 */
export function foldChains(
  backend: Backend<any>, calls: RecordedCall[], role: RoleOf, pinned: Set<unknown>,
): { calls: RecordedCall[]; chains: number } {
  const chains = backend.convChains;
  if (!chains) return { calls, chains: 0 };
  const target = chains as unknown as Record<string, AnyFn>;
  const out: RecordedCall[] = [];
  let made = 0;
  for (let i = 0; i < calls.length; i++) {
    const stem = convCall(backend, calls[i]);
    if (!stem || stem.p[1] > 4) {
      out.push(calls[i]);
      continue;
    }
    const [x, ws, bs, ys, , alpha] = calls[i].args.slice(stem.at, stem.at + 6);
    const pairs: unknown[][] = [];
    let map = ys;  // the map the chain's next pair would read
    for (let k = i + 1; k <= i + CHAIN_MAX_PAIRS; k++) {
      const a = dwpwReading(backend, calls[k], map);
      // the map between two calls: read by nothing else, not the stem's input
      if (!a || map === x || readAfter(calls, k, map, role, pinned)) break;
      pairs.push(a);
      map = a[5];
    }
    // the longest prefix of pairs the backend runs in bands
    let p: Int32Array | null = null;
    while (pairs.length) {
      const q = Int32Array.from([...stem.p, ...pairs.flatMap((a) => [...(a[6] as Int32Array)])]);
      if (chains.usable(q)) {
        p = q;
        break;
      }
      pairs.pop();
    }
    if (!p || pairs.some((a) => a[5] === x)) {
      out.push(calls[i]);
      continue;
    }
    const w = [ws, bs, ...pairs.flatMap((a) => a.slice(1, 5))];
    const f = Float32Array.from([alpha as number, ...pairs.flatMap((a) => [a[7] as number, a[8] as number])]);
    out.push({ target, key: 'convChain', args: [x, pairs[pairs.length - 1][5], w, p, f] });
    made++;
    i += pairs.length;
  }
  return made ? { calls: out, chains: made } : { calls, chains: 0 };
}
