/**
 * Randomised raw kernel calls for the WASM fuzz suite (test/fuzz/wasm.test.ts): a seeded stream
 * of calls across every kernel of the contract, each either valid (a coherent, possibly odd
 * geometry with storages of exactly the right size) or broken in one way (a wrong JS value in a
 * buffer slot, a bad `p`, a short storage, a huge or negative geometry, a bad float). The same
 * seed gives the same calls, so a failing call can be replayed from its seed and index.
 */
import type { Backend } from '../../src/backend/backend';
import { geometryProblem } from '../../src/backend/contract_check';
import { KERNEL_NAMES, KERNELS, type BufSpec, type KernelName } from '../../src/backend/kernels';
import { MAX_DIM } from '../../src/backend/limits';
import type { WasmStorage } from '../../src/backend/wasm_backend';
import { rng } from '../util/rng';

/** A coherent small geometry (and floats) per kernel, the starting point of every call. */
const BASE: Record<KernelName, { p: number[]; floats: number[] }> = {
  gemm: { p: [0, 1, 3, 4, 5, 0], floats: [1] },
  conv2d_forward: { p: [1, 2, 5, 5, 4, 3, 3, 5, 5, 1, 1, 1, 1, 1, 1, 2], floats: [] },
  conv2d_backward_input: { p: [2, 3, 6, 5, 3, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1, 3], floats: [] },
  conv2d_backward_filter: { p: [1, 4, 7, 6, 2, 2, 3, 6, 2, 1, 2, 0, 0, 1, 1, 2], floats: [] },
  batch_norm_train_forward: { p: [2, 3, 4], floats: [1e-5, 0.9] },
  batch_norm_infer_forward: { p: [2, 3, 4], floats: [1e-5] },
  batch_norm_backward: { p: [2, 3, 4], floats: [] },
  affine_channel_forward: { p: [2, 3, 4], floats: [] },
  affine_channel_backward: { p: [2, 3, 4], floats: [] },
  bn_fold: { p: [4, 9], floats: [1e-5] },
  gather_axis: { p: [2, 5, 3, 4], floats: [] },
  scatter_add_axis: { p: [2, 5, 3, 4], floats: [] },
  activation_forward: { p: [10, 1], floats: [0.1] },
  activation_backward: { p: [10, 4], floats: [0.2] },
  pool2d_forward: { p: [1, 2, 6, 6, 3, 3, 2, 2, 2, 2, 0, 0, 0, 0], floats: [] },
  pool2d_backward: { p: [1, 2, 7, 7, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1], floats: [] },
  upsample_forward: { p: [1, 2, 3, 3, 6, 6, 0, 0], floats: [] },
  upsample_backward: { p: [1, 2, 3, 4, 5, 7, 1, 1], floats: [] },
  binary_forward: { p: [2, 3, 4, 2, 1], floats: [] },
  binary_backward: { p: [2, 3, 4, 0, 0], floats: [] },
  channel_copy: { p: [2, 4, 1, 5, 2, 3, 3, 0], floats: [] },
  sgd_momentum: { p: [10], floats: [0.1, 0.9, 1e-4] },
  reduce_sum: { p: [2, 3, 4], floats: [] },
  softmax_forward: { p: [2, 3, 4], floats: [] },
  softmax_backward: { p: [2, 3, 4], floats: [] },
  sigmoid_bce_forward: { p: [10], floats: [] },
  sigmoid_bce_backward: { p: [10], floats: [] },
  axpy: { p: [10], floats: [0.5] },
  conv2d_act_forward: { p: [1, 2, 5, 5, 4, 3, 3, 5, 5, 1, 1, 1, 1, 1, 1, 2, 1], floats: [0.1] },
  dwpw_act_forward: { p: [1, 2, 5, 5, 2, 3, 3, 5, 5, 1, 1, 1, 1, 1, 1, 2, 1, 3, 0], floats: [0.1, 0] },
  batch_norm_act_train_forward: { p: [2, 3, 4, 0], floats: [1e-5, 0.9, 0] },
  batch_norm_act_backward: { p: [2, 3, 4, 2], floats: [0] },
  roi_align_forward: { p: [2, 3, 5, 6, 3, 2, 3, 0], floats: [0.5] },
  roi_align_backward: { p: [2, 3, 5, 6, 3, 3, 2, 2], floats: [0.25] },
};

export type CallKind = 'valid' | 'bad-buffer' | 'bad-p' | 'short-storage' | 'huge-geometry' | 'bad-float';

export interface FuzzCall {
  kernel: KernelName;
  kind: CallKind;
  /** the arguments, storages included (owned by the call: free with `release`) */
  args: unknown[];
  /** true when the call must return (a valid geometry with large-enough storages) */
  mustSucceed: boolean;
  /** one line that says what the call is, for a failure report */
  describe: string;
  release(): void;
}

/** Small odd values that keep a geometry plausible, and hostile ones that must be refused. */
const ODD = [0, 1, 2, 3, 5, 7, 8, 13, 17];
const HUGE = [-1, -(2 ** 31), MAX_DIM, MAX_DIM + 1, 2 ** 30, 2 ** 31 - 1, 65536, 32768];
const NOT_INT = [1.5, NaN, Infinity, -0.5, 2 ** 31, '3', null, undefined, 3n, Symbol('p'), {}, []];
/** Valid calls stay small enough to run quickly. */
const MAX_VALID_ELEMS = 1 << 15;

function hostileValues(freed: WasmStorage): unknown[] {
  const throwing = {
    toString() {
      throw new Error('toString');
    },
    valueOf() {
      throw new Error('valueOf');
    },
  };
  return [
    Symbol('buf'), throwing, new Proxy({}, {}), new Proxy(new Float32Array(64), {}), new Float32Array(64),
    new Float32Array(new SharedArrayBuffer(256)), new Int32Array(4), 0, 1024, -1, 'x', true, undefined, {}, { ptr: 16, n: 64 }, [], freed,
  ];
}

/** The fuzzer: `next()` gives the next call of the seeded stream. */
export function wasmFuzzer(be: Backend<WasmStorage>, seed: number, other: Backend<WasmStorage> | null) {
  const r = rng(seed);
  const int = (n: number) => Math.floor(((r() + 1) / 2) * n);
  const pick = <T>(a: readonly T[]): T => a[int(a.length)];
  let count = 0;
  // a storage freed once, kept to be offered as a "freed storage" argument
  const dead = be.alloc(8);
  be.free(dead);

  function storages(spec: BufSpec[], need: number[], p: number[], short: number, indexBound: number): { bufs: unknown[]; owned: WasmStorage[] } {
    const owned: WasmStorage[] = [];
    const bufs = spec.map((s, i) => {
      if (s.optional && int(4) === 0) return null;
      const n = Math.max(0, need[i] - (i === short ? 1 + int(Math.max(1, need[i])) : 0));
      if (s.i32) {
        // indices in range (gather's axis p[1], the roi batch's N p[0]) unless this buffer is the short one
        const a = new Int32Array(n);
        for (let j = 0; j < n; j++) a[j] = int(Math.max(1, indexBound));
        return a;
      }
      const st = be.alloc(n);
      be.write(st, Array.from({ length: n }, () => r() * 4));
      owned.push(st);
      return st;
    });
    return { bufs, owned };
  }

  function next(): FuzzCall {
    const kernel = KERNEL_NAMES[count % KERNEL_NAMES.length];
    count++;
    const spec = KERNELS[kernel] as { bufs: BufSpec[]; params: string[]; floats: string[]; sizes(p: ArrayLike<number>): number[] };
    const base = BASE[kernel];
    const p = [...base.p];
    const floats: unknown[] = base.floats.map((f) => (int(3) === 0 ? f * (1 + r()) : f));
    const kinds: CallKind[] = ['valid', 'valid', 'bad-buffer', 'bad-p', 'short-storage', 'huge-geometry', 'bad-float'];
    const kind = spec.floats.length ? pick(kinds) : pick(kinds.filter((k) => k !== 'bad-float'));
    // valid-but-odd: move one or two geometry entries to small odd values
    if (kind === 'valid' || kind === 'short-storage') {
      for (let k = int(3); k > 0; k--) p[int(p.length)] = pick(ODD);
    }
    if (kind === 'huge-geometry') p[int(p.length)] = pick(HUGE);
    const problem = geometryProblem(kernel, Int32Array.from(p.map((v) => v | 0)));
    const need = spec.sizes(p.map((v) => v | 0));
    const small = need.every((n) => n <= MAX_VALID_ELEMS);
    const fine = !problem && small && p.every((v) => (v | 0) === v);
    let short = -1;
    if (kind === 'short-storage' || !fine) {
      // a geometry too big to allocate gets storages sized for the base geometry instead
      const nonEmpty = spec.bufs.map((_, i) => i).filter((i) => need[i] > 0 && !spec.bufs[i].i32);
      if (kind === 'short-storage' && nonEmpty.length) short = pick(nonEmpty);
    }
    const sizes = small && !problem ? need : spec.sizes(base.p);
    const { bufs, owned } = storages(spec.bufs, sizes, p, short, kernel.startsWith('roi_align') ? p[0] : p[1]);
    let pArg: unknown = int(2) ? Int32Array.from(p.map((v) => v | 0)) : p;
    const extra: WasmStorage[] = [];
    let what = `${kind} p=[${p.join(',')}]`;
    if (kind === 'bad-buffer') {
      let v: unknown;
      if (other && int(4) === 0) {
        // a live storage of the other WASM backend
        const o = other.alloc(64);
        extra.push(o);
        v = o;
      } else v = pick(hostileValues(dead));
      const i = int(spec.bufs.length);
      bufs[i] = v;
      what += ` buf ${spec.bufs[i].name}=${typeof v === 'symbol' ? 'Symbol' : Object.prototype.toString.call(v)}`;
    } else if (kind === 'bad-p') {
      const choice = int(6);
      if (choice === 0) pArg = p.slice(0, Math.max(0, p.length - 1 - int(p.length)));
      else if (choice === 1) pArg = [...p, ...Array.from({ length: 1 + int(20) }, () => int(9))];
      else if (choice === 2) pArg = new Proxy([...p], {});
      else if (choice === 3) {
        const a = [...p];
        Object.defineProperty(a, int(a.length), {
          get() {
            throw new Error('getter');
          },
        });
        pArg = a;
      } else if (choice === 4) {
        const a: unknown[] = [...p];
        a[int(a.length)] = pick(NOT_INT);
        pArg = a;
      } else pArg = pick([null, undefined, 7, 'p', Symbol('p'), new Float32Array(p), new Float64Array(p), { length: p.length }]);
      what += ` bad p #${choice}`;
    } else if (kind === 'bad-float') {
      const i = int(floats.length);
      floats[i] = pick(NOT_INT.filter((v) => typeof v !== 'number'));
      what += ` float ${spec.floats[i]}`;
    }
    if (short >= 0) what += ` short ${spec.bufs[short].name}`;
    const mustSucceed = kind === 'valid' && fine;
    return {
      kernel,
      kind,
      args: [...bufs, pArg, ...floats],
      mustSucceed,
      describe: what,
      release: () => {
        for (const s of owned) be.free(s);
        if (other) for (const s of extra) other.free(s);
      },
    };
  }
  return { next, calls: () => count };
}
