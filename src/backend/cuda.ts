/**
 * The CUDA backend: the addon's `cuda` object (native/addon.cc, kernels in native/cuda/). Storages
 * are device buffers named by numeric handles; tensors stay on the GPU between kernels, and data
 * crosses only in fromArray/write (in) and read (out). Index buffers (gather indices, RoI batch
 * indices) are host Int32Arrays that the addon checks and stages per call.
 *
 * Every kernel call is checked here against the contract (src/backend/contract_check.ts), as the
 * WASM backends do, before the addon checks it again: a storage must be a live storage of this
 * backend, `p` must be coherent, buffers large enough. A kernel whose CUDA launcher is not in
 * this build is declined by supports(), so the op layer runs it on the CPU.
 *
 * available() says why not when it cannot run: the addon is missing, was built without CUDA
 * (no nvcc at build time, SLIMPRUNE_CUDA=0), or there is no usable device (the CUDA error text:
 * no device, no driver, a driver older than the runtime).
 */
import type { Availability, Backend, KernelFn } from './backend';
import { checkKernelCall, KernelRangeError, KernelTypeError, safeShow } from './contract_check';
import { KERNEL_NAMES, KERNELS, type KernelName } from './kernels';
import { MAX_ELEMS } from './limits';
import { loadAddon, nativeLoadError, type CudaAddonBuilt, type CudaInfo } from './native';

export interface CudaStorage {
  /** the addon's buffer handle */
  readonly handle: number;
  /** element count */
  readonly n: number;
}

const WHO = 'cuda';

/** The addon's CUDA part when it is built in, else the reason it is not. */
function cudaAddon(): CudaAddonBuilt | string {
  const a = loadAddon();
  if (!a) return nativeLoadError();
  const c = a.cuda as unknown;
  if (typeof c !== 'object' || c === null || typeof (c as { available?: unknown }).available !== 'function') {
    return 'the native addon predates its CUDA interface; rebuild it with `npm run build:native`';
  }
  const info = (c as { available(): CudaInfo }).available();
  if (!info.built) return info.reason ?? 'the native addon was built without CUDA';
  return c as CudaAddonBuilt;
}

let state: { addon: CudaAddonBuilt } | { reason: string } | undefined;

function probe(): { addon: CudaAddonBuilt } | { reason: string } {
  if (state) return state;
  const c = cudaAddon();
  if (typeof c === 'string') state = { reason: c };
  else {
    const info = c.available();
    state = info.ok ? { addon: c } : { reason: info.reason ?? 'no usable CUDA device' };
  }
  return state;
}

/** What the device is (name, compute capability, memory), or why there is none. */
export function cudaDeviceInfo(): CudaInfo {
  const c = cudaAddon();
  return typeof c === 'string' ? { ok: false, built: false, reason: c } : c.available();
}

/** Why the CUDA backend cannot run here ('' when it can). */
export function cudaUnavailableReason(): string {
  const s = probe();
  return 'reason' in s ? s.reason : '';
}

function makeCudaBackend(): Backend<CudaStorage> {
  /** Storages handed out and not yet freed: only these reach a kernel. */
  const live = new WeakSet<object>();
  const need = (): CudaAddonBuilt => {
    const s = probe();
    if ('reason' in s) throw new Error(`${WHO}: the CUDA backend is not available: ${s.reason}`);
    return s.addon;
  };
  const storageLength = (a: unknown): number | undefined =>
    typeof a === 'object' && a !== null && live.has(a) ? (a as CudaStorage).n : undefined;
  const storageArg = (op: string, name: string, s: unknown): CudaStorage => {
    if (storageLength(s) === undefined) throw new KernelTypeError(`${WHO} ${op}: expected a live ${WHO} storage for ${name}, got ${safeShow(s)}`);
    return s as CudaStorage;
  };
  const countArg = (op: string, name: string, n: unknown, max: number): number => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) {
      throw new KernelRangeError(`${WHO} ${op}: expected an integer in [0, ${max}] for ${name}, got ${safeShow(n)}`);
    }
    return n;
  };
  /** data as a Float32Array (a copy unless it already is one); refuses what is not numbers. */
  const floats = (op: string, d: unknown, max: number): Float32Array => {
    if (d instanceof Float32Array) {
      if (d.length > max) throw new KernelRangeError(`${WHO} ${op}: expected at most ${max} elements (the storage's size) for data, got ${d.length}`);
      return d;
    }
    const ok = Array.isArray(d) || (ArrayBuffer.isView(d) && !(d instanceof DataView) && !(d instanceof BigInt64Array) && !(d instanceof BigUint64Array));
    if (!ok) throw new KernelTypeError(`${WHO} ${op}: expected an array or typed array of numbers for data, got ${safeShow(d)}`);
    const len = (d as ArrayLike<number>).length;
    if (len > max) throw new KernelRangeError(`${WHO} ${op}: expected at most ${max} elements (the storage's size) for data, got ${len}`);
    try {
      return Float32Array.from(d as ArrayLike<number>);
    } catch {
      throw new KernelTypeError(`${WHO} ${op}: expected numbers in data, got an element that does not convert to a number`);
    }
  };

  const kernels = {} as Record<KernelName, KernelFn<CudaStorage>>;
  for (const k of KERNEL_NAMES) {
    const nb = KERNELS[k].bufs.length;
    kernels[k] = (...args) => {
      const c = need();
      const fn = c.kernels[k];
      if (!fn) throw new Error(`${WHO} ${k}: this build has no CUDA launcher for it (supports() is false: run it on another backend)`);
      const p = checkKernelCall(WHO, k, args, storageLength);
      const call: Array<number | Int32Array | null> = new Array(args.length);
      for (let i = 0; i < nb; i++) {
        const a = args[i];
        call[i] = a === null || a === undefined ? null : a instanceof Int32Array ? a : (a as CudaStorage).handle;
      }
      call[nb] = p;
      for (let i = nb + 1; i < args.length; i++) call[i] = args[i] as number;
      fn(...call);
    };
  }

  const backend: Backend<CudaStorage> = {
    name: WHO,
    precision: 'float32',
    available(): Availability {
      const s = probe();
      return 'reason' in s ? { ok: false, reason: s.reason } : { ok: true };
    },
    supports(k) {
      const s = probe();
      return !('reason' in s) && typeof s.addon.kernels[k] === 'function';
    },
    alloc(n) {
      const c = need();
      countArg('alloc', 'n', n, MAX_ELEMS);
      const s: CudaStorage = Object.freeze({ handle: c.alloc(n), n });
      live.add(s);
      return s;
    },
    fromArray(d) {
      const data = floats('fromArray', d, MAX_ELEMS);
      const s = backend.alloc(data.length);
      try {
        need().upload(s.handle, data);
      } catch (err) {
        backend.free(s);
        throw err;
      }
      return s;
    },
    read(s, n) {
      const st = storageArg('read', 's', s);
      return need().download(st.handle, countArg('read', 'n', n, st.n));
    },
    write(s, d) {
      const st = storageArg('write', 's', s);
      need().upload(st.handle, floats('write', d, st.n));
    },
    fill(s, n, v) {
      const st = storageArg('fill', 's', s);
      countArg('fill', 'n', n, st.n);
      if (typeof v !== 'number') throw new KernelTypeError(`${WHO} fill: expected a number for value, got ${safeShow(v)}`);
      need().fill(st.handle, n, v);
    },
    free(s) {
      const st = storageArg('free', 's', s);
      live.delete(st);
      need().free(st.handle);
    },
    kernels,
  };
  return backend;
}

export const cudaBackend: Backend<CudaStorage> = makeCudaBackend();
