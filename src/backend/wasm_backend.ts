/**
 * The shared host side of the two WASM backends (wasm-as: AssemblyScript, wasm-em: the C++
 * kernels built with emscripten). A module exports `memory`, `sp_alloc(bytes) -> ptr`,
 * `sp_free(ptr)` and every kernel of the contract under its contract name, taking byte
 * pointers for buffers (0 for an absent optional one), a pointer to the int32 geometry `p`,
 * then the float attributes. Storages are regions of the module's linear memory; crossing
 * into WASM copies only the geometry and index buffers (a few bytes each call).
 *
 * The kernels trust their arguments, so every entry point here checks its arguments first
 * (storage_guard.ts, the same checks as the CUDA backend's, and src/backend/contract_check.ts):
 * storages must be live storages of this backend, `p` must have exactly the kernel's parameter
 * count, buffers must be large enough for `p`. A call that
 * fails anyway (a trap, an abort inside a kernel) leaves the module usable: the C stack pointer
 * is put back (wasm-em) and the scratch the kernel held is freed (wasm-as).
 */
import * as fs from 'fs';
import type { Availability, Backend, KernelFn } from './backend';
import { KernelRangeError, safeShow } from './contract_check';
import { KERNEL_NAMES, KERNELS, type KernelName } from './kernels';
import { MAX_ELEMS } from './limits';
import { allocFilled, storageGuard } from './storage_guard';

export interface WasmStorage {
  /** byte address in the module's memory, always as an unsigned number */
  readonly ptr: number;
  /** element count */
  readonly n: number;
}

export interface WasmExports {
  memory: WebAssembly.Memory;
  sp_alloc(bytes: number): number;
  sp_free(ptr: number): void;
  [kernel: string]: unknown;
}

export interface WasmBackendOptions {
  name: string;
  /** Path of the .wasm file. */
  file: string;
  /** Largest byte count one sp_alloc can honour (what the module's allocator and memory cap allow). */
  maxAllocBytes: number;
  /** Imports the module needs beyond memory (emscripten's standalone WASI stubs, say). */
  imports?: (getMemory: () => WebAssembly.Memory) => WebAssembly.Imports;
  /** Called once after instantiation (e.g. `_initialize`). */
  init?: (exports: WasmExports) => void;
  /** The module keeps a C stack in linear memory: it must export a way to save and restore it. */
  cStack?: boolean;
}

/**
 * A pointer returned by a module, as an unsigned byte address: WASM returns i32, which JS sees
 * as negative above 2 GiB. (Passing it back into WASM needs no conversion: ToInt32 restores the bits.)
 */
export function toPtr(raw: number): number {
  return raw >>> 0;
}

/** What tests need to see inside a backend: the raw exports, and raw calls under the same recovery. */
export interface WasmInternals {
  exports(): WasmExports | null;
  /** Calls an export with raw numbers, recovering from a trap as a kernel call does; rethrows. */
  callRaw(fn: string, ...args: number[]): unknown;
  /** The C stack pointer (wasm-em) or undefined. */
  stackPointer(): number | undefined;
  /** Scratch blocks a kernel still holds (wasm-as) or undefined. */
  scratchLive(): number | undefined;
}
const internals = new WeakMap<object, WasmInternals>();
export function wasmInternals(b: Backend<WasmStorage>): WasmInternals {
  const i = internals.get(b);
  if (!i) throw new TypeError(`wasmInternals: expected a WASM backend, got ${safeShow(b)}`);
  return i;
}

type RawFn = (...x: number[]) => unknown;

export function makeWasmBackend(opts: WasmBackendOptions): Backend<WasmStorage> {
  const who = opts.name;
  let ex: WasmExports | null | undefined;
  let failure = '';
  let pPtr = 0;
  const P_INTS = 32;
  // The C stack pointer between calls (JS is the only caller, so it is the same before every call).
  let stackBase: number | undefined;
  let stackRestore: ((sp: number) => void) | undefined;
  let stackGet: (() => number) | undefined;
  let releaseScratch: (() => unknown) | undefined;
  const guard = storageGuard<WasmStorage>(who);

  const load = (): WasmExports | null => {
    if (ex !== undefined) return ex;
    try {
      if (!fs.existsSync(opts.file)) throw new Error(`${opts.file} is missing (build it with \`npm run build:wasm\`)`);
      const mod = new WebAssembly.Module(fs.readFileSync(opts.file));
      let mem: WebAssembly.Memory | undefined;
      const inst = new WebAssembly.Instance(mod, opts.imports ? opts.imports(() => mem!) : {});
      const e = inst.exports as unknown as WasmExports;
      mem = e.memory;
      opts.init?.(e);
      const missing = KERNEL_NAMES.filter((k) => typeof e[k] !== 'function');
      if (missing.length) throw new Error(`${opts.file} lacks kernels ${missing.join(', ')}`);
      // emscripten names its stack helpers differently across versions
      const save = (e.stackSave ?? e.emscripten_stack_get_current) as (() => number) | undefined;
      const restore = (e.stackRestore ?? e._emscripten_stack_restore) as ((sp: number) => void) | undefined;
      if (typeof save === 'function' && typeof restore === 'function') {
        stackGet = () => toPtr(save());
        stackRestore = restore;
        stackBase = stackGet();
      } else if (opts.cStack) {
        throw new Error(`${opts.file} exports no stackSave/stackRestore, so a failed call could not be cleaned up`);
      }
      if (typeof e.sp_scratch_release === 'function') releaseScratch = e.sp_scratch_release as () => unknown;
      pPtr = toPtr(e.sp_alloc(P_INTS * 4));
      if (!pPtr) throw new Error('no memory for the geometry block');
      ex = e;
    } catch (err) {
      failure = (err as Error).message;
      ex = null;
    }
    return ex;
  };
  const need = (): WasmExports => {
    const e = load();
    if (!e) throw new Error(`${who}: ${failure}`);
    return e;
  };

  /** Puts the module back into its between-calls state after a call that did not return. */
  const recover = () => {
    if (stackRestore && stackBase !== undefined) stackRestore(stackBase);
    releaseScratch?.();
  };
  const guarded = (what: string, fn: RawFn, args: number[]): unknown => {
    try {
      return fn.apply(undefined, args);
    } catch (err) {
      recover();
      const msg = err instanceof Error ? err.message : safeShow(err);
      throw new Error(`${who} ${what}: the kernel failed inside the module (${msg}); the module was reset and stays usable`, { cause: err });
    }
  };

  const f32 = (s: WasmStorage, n: number) => new Float32Array(ex!.memory.buffer, s.ptr, n);
  /** Copies data in; an element that is not convertible (a Symbol, a throwing getter) is the caller's error. */
  const copyIn = (op: string, s: WasmStorage, data: ArrayLike<number>) => guard.convert(op, () => f32(s, data.length).set(data));
  const maxFloats = Math.min(MAX_ELEMS, Math.floor(opts.maxAllocBytes / 4));

  const kernels = {} as Record<KernelName, KernelFn<WasmStorage>>;
  for (const k of KERNEL_NAMES) {
    const spec = KERNELS[k];
    const nb = spec.bufs.length;
    const hasIndex = spec.bufs.some((b) => 'i32' in b && b.i32);
    // reused on every call of this kernel (a kernel never re-enters itself)
    const callArgs: number[] = new Array(nb + 1 + spec.floats.length).fill(0);
    kernels[k] = (...args) => {
      const e = need();
      const p = guard.kernelCall(k, args);
      const mem = e.memory.buffer;
      new Int32Array(mem, pPtr, p.length).set(p);
      callArgs[nb] = pPtr;
      for (let i = nb + 1; i < args.length; i++) callArgs[i] = args[i] as number;
      if (!hasIndex) {
        for (let i = 0; i < nb; i++) {
          const a = args[i];
          callArgs[i] = a === null || a === undefined ? 0 : (a as WasmStorage).ptr;
        }
        guarded(k, e[k] as RawFn, callArgs);
        return;
      }
      const temps: number[] = [];
      try {
        for (let i = 0; i < nb; i++) {
          const a = args[i];
          if (a === null || a === undefined) callArgs[i] = 0;
          else if (a instanceof Int32Array) {
            const ptr = toPtr(e.sp_alloc(Math.max(4, a.length * 4)));
            if (!ptr) throw new KernelRangeError(`${who} ${k}: out of memory copying ${spec.bufs[i].name} (${a.length} indices)`);
            temps.push(ptr);
            new Int32Array(e.memory.buffer, ptr, a.length).set(a);
            callArgs[i] = ptr;
          } else callArgs[i] = (a as WasmStorage).ptr;
        }
        guarded(k, e[k] as RawFn, callArgs);
      } finally {
        for (const t of temps) e.sp_free(t);
      }
    };
  }

  const backend: Backend<WasmStorage> = {
    name: who,
    precision: 'float32',
    available(): Availability {
      return load() ? { ok: true } : { ok: false, reason: failure };
    },
    supports: () => true,
    alloc(n) {
      const e = need();
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > maxFloats) {
        throw new KernelRangeError(`${who} alloc: expected a float count in [0, ${maxFloats}] (what the module can address) for n, got ${safeShow(n)}`);
      }
      const ptr = toPtr(e.sp_alloc(Math.max(16, n * 4)));
      if (!ptr) throw new RangeError(`${who} alloc: out of memory allocating ${n} floats (${n * 4} bytes)`);
      return guard.adopt(Object.freeze({ ptr, n }));
    },
    fromArray(d) {
      const data = guard.data('fromArray', d, maxFloats);
      return allocFilled(backend, data.length, (s) => copyIn('fromArray', s, data));
    },
    read(s, n) {
      const st = guard.storage('read', 's', s);
      return f32(st, guard.count('read', 'n', n, st.n)).slice();
    },
    write(s, d) {
      const st = guard.storage('write', 's', s);
      copyIn('write', st, guard.data('write', d, st.n));
    },
    fill(s, n, v) {
      const st = guard.storage('fill', 's', s);
      guard.count('fill', 'n', n, st.n);
      f32(st, n).fill(guard.value('fill', v));
    },
    free(s) {
      ex!.sp_free(guard.release('free', s).ptr);
    },
    kernels,
  };
  internals.set(backend, {
    exports: load,
    callRaw: (fn, ...args) => guarded(fn, need()[fn] as RawFn, args),
    stackPointer: () => (load() && stackGet ? stackGet() : undefined),
    scratchLive: () => {
      const e = load();
      return e && typeof e.sp_scratch_live === 'function' ? (e.sp_scratch_live as () => number)() : undefined;
    },
  });
  return backend;
}
