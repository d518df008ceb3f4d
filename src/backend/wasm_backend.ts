/**
 * The shared host side of the two WASM backends (wasm-as: AssemblyScript, wasm-em: the C++
 * kernels built with emscripten). A module exports `memory`, `sp_alloc(bytes) -> ptr`,
 * `sp_free(ptr)` and every kernel of the contract under its contract name, taking byte
 * pointers for buffers (0 for an absent optional one), a pointer to the int32 geometry `p`,
 * then the float attributes. Storages are regions of the module's linear memory; crossing
 * into WASM copies only the geometry and index buffers (a few bytes each call).
 */
import * as fs from 'fs';
import type { Availability, Backend, KernelFn } from './backend';
import { KERNEL_NAMES, KERNELS, type KernelName } from './kernels';

export interface WasmStorage {
  ptr: number;
  n: number;
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
  /** Imports the module needs beyond memory (emscripten's standalone WASI stubs, say). */
  imports?: (getMemory: () => WebAssembly.Memory) => WebAssembly.Imports;
  /** Called once after instantiation (e.g. `_initialize`). */
  init?: (exports: WasmExports) => void;
}

export function makeWasmBackend(opts: WasmBackendOptions): Backend<WasmStorage> {
  let ex: WasmExports | null | undefined;
  let failure = '';
  let pPtr = 0;
  const P_INTS = 32;

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
      pPtr = e.sp_alloc(P_INTS * 4);
      ex = e;
    } catch (err) {
      failure = (err as Error).message;
      ex = null;
    }
    return ex;
  };

  const f32 = (s: WasmStorage, n = s.n) => new Float32Array(ex!.memory.buffer, s.ptr, n);

  const kernels = {} as Record<KernelName, KernelFn<WasmStorage>>;
  for (const k of KERNEL_NAMES) {
    const spec = KERNELS[k];
    const nb = spec.bufs.length;
    kernels[k] = (...args) => {
      const e = load();
      if (!e) throw new Error(`${opts.name}: ${failure}`);
      const temps: number[] = [];
      const callArgs: number[] = [];
      for (let i = 0; i < nb; i++) {
        const a = args[i];
        if (a === null || a === undefined) callArgs.push(0);
        else if (a instanceof Int32Array) {
          const ptr = e.sp_alloc(Math.max(4, a.length * 4));
          new Int32Array(e.memory.buffer, ptr, a.length).set(a);
          temps.push(ptr);
          callArgs.push(ptr);
        } else callArgs.push((a as WasmStorage).ptr);
      }
      const p = args[nb] as ArrayLike<number>;
      new Int32Array(e.memory.buffer, pPtr, P_INTS).set(p as ArrayLike<number>);
      callArgs.push(pPtr);
      for (let i = nb + 1; i < args.length; i++) callArgs.push(args[i] as number);
      try {
        (e[k] as (...x: number[]) => void)(...callArgs);
      } finally {
        for (const t of temps) e.sp_free(t);
      }
    };
  }

  return {
    name: opts.name,
    precision: 'float32',
    available(): Availability {
      return load() ? { ok: true } : { ok: false, reason: failure };
    },
    supports: () => true,
    alloc(n) {
      const e = load();
      if (!e) throw new Error(`${opts.name}: ${failure}`);
      const ptr = e.sp_alloc(Math.max(4, n * 4));
      if (!ptr) throw new RangeError(`${opts.name}: out of memory allocating ${n} floats`);
      return { ptr, n };
    },
    fromArray(d) {
      const s = this.alloc(d.length);
      f32(s, d.length).set(d);
      return s;
    },
    read: (s, n) => f32(s, n).slice(),
    write: (s, d) => f32(s, d.length).set(d),
    fill: (s, n, v) => void f32(s, n).fill(v),
    free: (s) => {
      if (ex && s.ptr) ex.sp_free(s.ptr);
    },
    kernels,
  };
}
