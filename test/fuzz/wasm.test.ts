/**
 * WASM fuzz suite: seeded, reproducible streams of randomised raw kernel calls across every
 * kernel on both WASM backends (test/fuzz/wasm_gen.ts): wrong JS values in buffer slots
 * (Symbols, Proxies, throwing toString, foreign and freed storages), short and long `p`,
 * getters in `p`, short storages, huge and negative geometry, valid but odd geometry.
 *
 * Every call must either return or throw an Error whose message starts with
 * "<backend> <kernel>:", thrown by validation (a trap inside the module counts as a failure: the
 * call should have been refused); a call with a valid geometry and large-enough storages must return.
 * Afterwards the module must still work (a known conv gives the reference answer), its C stack
 * pointer must be where it was, no kernel may still hold scratch, and memory may only have
 * grown by a small bound (freed blocks are reused).
 *
 * Size: SLIMPRUNE_FUZZ_SCALE (default 1) multiplies the 2,000 calls per backend;
 * SLIMPRUNE_FUZZ_SEED (default 1) picks the stream. Backends that are not built are skipped
 * with the reason.
 */
import type { Backend } from '../../src/backend/backend';
import { KERNEL_NAMES } from '../../src/backend/kernels';
import { referenceBackend } from '../../src/backend/reference';
import { wasmInternals, type WasmStorage } from '../../src/backend/wasm_backend';
import { wasmAsBackend } from '../../src/backend/wasm_as';
import { wasmEmBackend } from '../../src/backend/wasm_em';
import { randomArray } from '../util/rng';
import { wasmFuzzer } from './wasm_gen';

const SCALE = Math.max(0, Number(process.env.SLIMPRUNE_FUZZ_SCALE ?? 1) || 1);
const SEED = Math.trunc(Number(process.env.SLIMPRUNE_FUZZ_SEED ?? 1) || 1);
const CALLS = Math.round(2000 * SCALE);
/**
 * How much a backend's memory may grow over a whole run. Valid calls allocate and free their
 * storages, and a kernel's scratch may briefly need a few MB; memory never shrinks, so it grows
 * to the peak once and then stays (seed 1 at 20,000 calls: wasm-as 15 MB, wasm-em 0).
 */
const GROWTH_BOUND = 64 << 20;

type B = Backend<WasmStorage>;
const BACKENDS: B[] = [wasmAsBackend, wasmEmBackend];

/** A strided, padded, grouped conv on `be` against the float64 reference: max abs difference. */
function convCheck(be: B): number {
  const p = Int32Array.from([2, 4, 9, 8, 6, 3, 3, 5, 4, 2, 2, 1, 1, 1, 1, 2]);
  const data = [randomArray(2 * 4 * 9 * 8, 1), randomArray(6 * 2 * 3 * 3, 2), randomArray(6, 3)];
  const run = (b: Backend<any>) => {
    const [x, w, bias] = data.map((d) => b.fromArray(d));
    const y = b.alloc(2 * 6 * 5 * 4);
    b.kernels.conv2d_forward(x, w, bias, y, p);
    const out = Array.from(b.read(y, 2 * 6 * 5 * 4));
    for (const s of [x, w, bias, y]) b.free(s);
    return out;
  };
  const ref = run(referenceBackend);
  const got = run(be);
  return Math.max(...got.map((v, i) => Math.abs(v - ref[i])));
}

for (const be of BACKENDS) {
  const a = be.available();
  if (!a.ok) console.log(`skipping the ${be.name} fuzz suite: ${a.reason}`);
  const d = a.ok ? describe : describe.skip;
  d(`${be.name} fuzz (seed ${SEED}, ${CALLS} calls)`, () => {
    test('every call returns or throws an Error naming backend and kernel; the module still works', () => {
      const other = BACKENDS.find((b) => b !== be && b.available().ok) ?? null;
      const it = wasmInternals(be);
      const mem = () => it.exports()!.memory.buffer.byteLength;
      expect(convCheck(be)).toBeLessThan(1e-4);
      const sp = it.stackPointer();
      const mem0 = mem();
      const e = it.exports()!;
      const heapTop = () => (typeof e.sp_heap_top === 'function' ? (e.sp_heap_top as () => number)() : undefined);
      const top0 = heapTop();
      const fz = wasmFuzzer(be, SEED, other);
      const counts = { returned: 0, refused: 0, mustSucceed: 0 };
      const perKernel = new Map<string, number>();
      const failures: string[] = [];
      const t0 = Date.now();
      for (let i = 0; i < CALLS; i++) {
        const c = fz.next();
        perKernel.set(c.kernel, (perKernel.get(c.kernel) ?? 0) + 1);
        if (c.mustSucceed) counts.mustSucceed++;
        try {
          (be.kernels[c.kernel] as (...a: unknown[]) => void)(...c.args);
          counts.returned++;
        } catch (e) {
          counts.refused++;
          const named = e instanceof Error && e.message.startsWith(`${be.name} ${c.kernel}: `);
          // a trap means a call got past validation that should not have
          const trapped = e instanceof Error && e.message.includes('failed inside the module');
          if (!named || c.mustSucceed || trapped) {
            const msg = e instanceof Error ? e.message : `a non-Error ${typeof e}`;
            failures.push(`seed ${SEED} call ${i} ${c.kernel} (${c.describe}): ${msg}`);
          }
        } finally {
          c.release();
        }
      }
      const ms = Date.now() - t0;
      console.log(`${be.name} fuzz: seed ${SEED}, ${CALLS} calls in ${ms} ms: ${counts.returned} returned ` +
        `(${counts.mustSucceed} had to), ${counts.refused} refused, ${failures.length} failures; memory ${mem0} -> ${mem()} bytes`);
      expect(failures.slice(0, 10)).toEqual([]);
      // every kernel was exercised, and the stream had valid and invalid calls
      expect(KERNEL_NAMES.every((k) => (perKernel.get(k) ?? 0) >= Math.floor(CALLS / KERNEL_NAMES.length))).toBe(true);
      expect(counts.mustSucceed).toBeGreaterThan(CALLS / 10);
      expect(counts.refused).toBeGreaterThan(CALLS / 4);
      // the module still works and is back in its between-calls state
      expect(convCheck(be)).toBeLessThan(1e-4);
      expect(it.stackPointer()).toBe(sp);
      const live = it.scratchLive();
      if (live !== undefined) expect(live).toBe(0);
      expect(mem() - mem0).toBeLessThanOrEqual(GROWTH_BOUND);
      // wasm-as: every block was given back (the heap top is where it started)
      expect(heapTop()).toBe(top0);
    });
  });
}
