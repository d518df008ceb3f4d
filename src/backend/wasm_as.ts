/**
 * The wasm-as backend: every kernel written in AssemblyScript with 128-bit SIMD (asm/assembly/,
 * one file per kernel), compiled by `npm run build:wasm:as` to asm/build/slimprune-as.wasm. The
 * module imports nothing (it owns its memory and allocator), so it runs wherever Node has
 * WebAssembly SIMD; it is single-threaded. Host side: src/backend/wasm_backend.ts.
 */
import * as path from 'path';
import { WASM_AS_MAX_ALLOC_BYTES } from './limits';
import { makeWasmBackend } from './wasm_backend';

// src/backend -> repository root; dist/src/backend -> one more level up
const ROOT = path.join(__dirname, '..', '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');

export const WASM_AS_FILE = path.join(ROOT, 'asm', 'build', 'slimprune-as.wasm');

export const wasmAsBackend = makeWasmBackend({
  name: 'wasm-as',
  file: WASM_AS_FILE,
  // asm/assembly/mem.ts refuses more (memory is 4 GiB at most; the header and rounding must not wrap)
  maxAllocBytes: WASM_AS_MAX_ALLOC_BYTES,
});
