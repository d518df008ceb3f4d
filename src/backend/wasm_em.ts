/**
 * The wasm-em backend: the C++ kernels of native/ built by emscripten (`npm run build:wasm:em`,
 * scripts/build-wasm-em.js) into asm/build/slimprune-em.wasm, a standalone module with 128-bit
 * SIMD. It runs single-threaded (the thread pool runs inline under emscripten) and, like the
 * native addon, computes in float32. Host side: src/backend/wasm_backend.ts.
 *
 * A standalone emscripten module is a WASI "reactor": it imports a few system calls and wants
 * `_initialize` called once (static constructors). The kernels do no I/O, so the imports are
 * small stubs: the exit and abort paths become JS errors, writes go to stderr, the environment
 * and clock are empty, and any other import throws a message naming it instead of leaving the
 * module unloadable.
 */
import * as path from 'path';
import { WASM_EM_MAX_ALLOC_BYTES } from './limits';
import { makeWasmBackend, type WasmExports } from './wasm_backend';

// src/backend -> repository root; dist/src/backend -> one more level up
const ROOT = path.join(__dirname, '..', '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');

export const WASM_EM_FILE = path.join(ROOT, 'asm', 'build', 'slimprune-em.wasm');

/** An import object whose every module answers any name with `known[name]` or a stub that throws. */
function stubs(module: string, known: Record<string, (...a: number[]) => number | void>): Record<string, unknown> {
  return new Proxy(known, {
    get: (target, name) =>
      typeof name === 'string' && name in target
        ? target[name]
        : () => {
            throw new Error(`wasm-em: the module called ${module}.${String(name)}, which this host does not provide`);
          },
  });
}

export function wasmEmImports(getMemory: () => WebAssembly.Memory): WebAssembly.Imports {
  const ERRNO_SUCCESS = 0;
  const view = () => new DataView(getMemory().buffer);
  const wasi = {
    proc_exit: (code: number) => {
      throw new Error(`wasm-em: the module exited with code ${code} (an abort inside a kernel)`);
    },
    // fd_write(fd, iovs, iovs_len, nwritten): copies the bytes to stderr (only aborts write).
    fd_write: (_fd: number, iovs: number, n: number, nwritten: number) => {
      const dv = view();
      let total = 0;
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const ptr = dv.getUint32(iovs + 8 * i, true), len = dv.getUint32(iovs + 8 * i + 4, true);
        parts.push(Buffer.from(new Uint8Array(getMemory().buffer, ptr, len)));
        total += len;
      }
      process.stderr.write(Buffer.concat(parts));
      dv.setUint32(nwritten, total, true);
      return ERRNO_SUCCESS;
    },
    fd_close: () => ERRNO_SUCCESS,
    fd_seek: () => ERRNO_SUCCESS,
    environ_sizes_get: (count: number, size: number) => {
      view().setUint32(count, 0, true);
      view().setUint32(size, 0, true);
      return ERRNO_SUCCESS;
    },
    environ_get: () => ERRNO_SUCCESS,
    clock_time_get: (_id: number, _precision: bigint, out: number) => {
      view().setBigUint64(out, process.hrtime.bigint(), true);
      return ERRNO_SUCCESS;
    },
  } as unknown as Record<string, (...a: number[]) => number | void>;
  return {
    wasi_snapshot_preview1: stubs('wasi_snapshot_preview1', wasi),
    // Typed arrays are made afresh from memory.buffer on every call, so growth needs no action.
    env: stubs('env', { emscripten_notify_memory_growth: () => undefined }),
  } as unknown as WebAssembly.Imports;
}

export const wasmEmBackend = makeWasmBackend({
  name: 'wasm-em',
  file: WASM_EM_FILE,
  // sp_alloc in native/wasm_exports.cc refuses more (the module's memory is capped at 2 GiB)
  maxAllocBytes: WASM_EM_MAX_ALLOC_BYTES,
  cStack: true,
  imports: wasmEmImports,
  init: (e: WasmExports) => {
    if (typeof e._initialize === 'function') (e._initialize as () => void)();
  },
});
