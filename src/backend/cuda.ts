/**
 * The CUDA backend: the addon's `cuda` object (native/addon.cc, kernels in native/cuda/). Storages
 * are device buffers named by numeric handles; tensors stay on the GPU between kernels, and data
 * crosses only in fromArray/write (in) and read (out). Index buffers (gather indices, RoI batch
 * indices) are host Int32Arrays that the addon checks and stages per call.
 *
 * Every kernel call is checked here against the contract (src/backend/contract_check.ts), through
 * the same storage guard as the WASM backends (storage_guard.ts), before the addon checks it
 * again: a storage must be a live storage of this backend, `p` must be coherent, buffers large
 * enough. A kernel whose CUDA launcher is not in this build is declined by supports(), so the op
 * layer runs it on the CPU.
 *
 * available() says why not when it cannot run: the addon is missing, was built without CUDA
 * (no nvcc at build time, SLIMPRUNE_CUDA=0), or there is no usable device (the CUDA error text:
 * no device, no driver, a driver older than the runtime).
 */
import type { Availability, Backend, KernelFn } from './backend';
import { KERNEL_NAMES, KERNELS, type KernelName } from './kernels';
import { MAX_ELEMS } from './limits';
import { loadAddon, nativeLoadError, type CudaAddonBuilt, type CudaInfo } from './native';
import { allocFilled, storageGuard } from './storage_guard';

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
  const guard = storageGuard<CudaStorage>(WHO);
  const need = (): CudaAddonBuilt => {
    const s = probe();
    if ('reason' in s) throw new Error(`${WHO}: the CUDA backend is not available: ${s.reason}`);
    return s.addon;
  };
  /** data as a Float32Array (a copy unless it already is one). */
  const floats = (op: string, d: unknown, max: number): Float32Array => {
    const data = guard.data(op, d, max);
    return data instanceof Float32Array ? data : guard.convert(op, () => Float32Array.from(data));
  };

  const kernels = {} as Record<KernelName, KernelFn<CudaStorage>>;
  for (const k of KERNEL_NAMES) {
    const nb = KERNELS[k].bufs.length;
    kernels[k] = (...args) => {
      const c = need();
      const fn = c.kernels[k];
      if (!fn) throw new Error(`${WHO} ${k}: this build has no CUDA launcher for it (supports() is false: run it on another backend)`);
      const p = guard.kernelCall(k, args);
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
      guard.count('alloc', 'n', n, MAX_ELEMS);
      return guard.adopt(Object.freeze({ handle: c.alloc(n), n }));
    },
    fromArray(d) {
      const data = floats('fromArray', d, MAX_ELEMS);
      return allocFilled(backend, data.length, (s) => need().upload(s.handle, data));
    },
    read(s, n) {
      const st = guard.storage('read', 's', s);
      return need().download(st.handle, guard.count('read', 'n', n, st.n));
    },
    write(s, d) {
      const st = guard.storage('write', 's', s);
      need().upload(st.handle, floats('write', d, st.n));
    },
    fill(s, n, v) {
      const st = guard.storage('fill', 's', s);
      guard.count('fill', 'n', n, st.n);
      need().fill(st.handle, n, guard.value('fill', v));
    },
    free(s) {
      const st = guard.release('free', s);
      need().free(st.handle);
    },
    kernels,
  };
  return backend;
}

export const cudaBackend: Backend<CudaStorage> = makeCudaBackend();
