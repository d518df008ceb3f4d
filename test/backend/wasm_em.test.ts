// The wasm-em backend (the C++ kernels built by emscripten) on small shapes against the float64
// reference: every kernel of the contract, plus what is particular to a WASM module (its ISA
// string, memory growth under live storages, the import stubs). The generic parity suite runs
// it again through the loader on more shapes.
import * as fs from 'fs';
import { CG } from '../../src/backend/kernels';
import { WASM_EM_FILE, wasmEmBackend, wasmEmImports } from '../../src/backend/wasm_em';
import { caseName, checkKernel, MISC_CASES, type KernelCase } from '../util/kernel_check';

const avail = wasmEmBackend.available();
if (!avail.ok) console.log(`skipping wasm-em tests: ${avail.reason}`);
const d = avail.ok ? describe : describe.skip;

/** Conv geometry with OH, OW computed from symmetric padding. */
function conv(N: number, C: number, H: number, W: number, OC: number, K: number, S: number, P: number, D: number, G: number): number[] {
  const o = (n: number) => Math.floor((n + 2 * P - D * (K - 1) - 1) / S) + 1;
  const p = [N, C, H, W, OC, K, K, o(H), o(W), S, S, P, P, D, D, G];
  expect(p[CG.OH]).toBeGreaterThan(0);
  return p;
}

const TOL = { rtol: 1e-4, atol: 1e-4 };
const CONV_GEOMS = () => [
  conv(2, 3, 7, 6, 5, 3, 1, 1, 1, 1),
  conv(1, 4, 9, 9, 6, 3, 2, 1, 1, 2),
  conv(1, 8, 10, 7, 8, 3, 1, 1, 1, 8), // depthwise
  conv(2, 17, 5, 5, 5, 1, 1, 0, 1, 1), // pointwise
  conv(1, 3, 11, 11, 4, 3, 1, 2, 2, 1), // dilated
  conv(1, 16, 12, 12, 33, 3, 2, 1, 1, 1),
];
const CONV_CASES = (): KernelCase[] =>
  CONV_GEOMS().flatMap((p): KernelCase[] => [
    { kernel: 'conv2d_forward', p, tol: TOL },
    { kernel: 'conv2d_forward', p, omit: ['b'], tol: TOL },
    { kernel: 'conv2d_backward_input', p, tol: TOL },
    { kernel: 'conv2d_backward_filter', p, tol: TOL },
    { kernel: 'conv2d_backward_filter', p, omit: ['db'], tol: TOL },
  ]);
const GEMM_CASES: KernelCase[] = [
  { kernel: 'gemm', p: [0, 0, 5, 7, 9, 0], floats: [1], tol: TOL },
  { kernel: 'gemm', p: [1, 0, 17, 3, 4, 1], floats: [0.5], tol: TOL },
  { kernel: 'gemm', p: [0, 1, 8, 16, 33, 0], floats: [1], tol: TOL },
  { kernel: 'gemm', p: [1, 1, 3, 5, 2, 1], floats: [-2], tol: TOL },
  { kernel: 'gemm', p: [0, 0, 37, 41, 70, 1], floats: [1], tol: TOL },
];

d('wasm-em backend', () => {
  test.each(MISC_CASES.map((c) => [caseName(c), c] as const))('%s', (_n, c) => {
    checkKernel(wasmEmBackend, c);
  });

  test.each(GEMM_CASES.map((c) => [caseName(c), c] as const))('%s', (_n, c) => {
    checkKernel(wasmEmBackend, c);
  });

  test('convolutions (plain, strided groups, depthwise, pointwise, dilated, wide)', () => {
    for (const c of CONV_CASES()) checkKernel(wasmEmBackend, c);
  });

  test('the module reports its ISA as wasm-simd128 and exports every kernel', () => {
    const mod = new WebAssembly.Module(fs.readFileSync(WASM_EM_FILE));
    let mem: WebAssembly.Memory | undefined;
    const inst = new WebAssembly.Instance(mod, wasmEmImports(() => mem!));
    const e = inst.exports as Record<string, unknown> & { memory: WebAssembly.Memory; sp_isa(): number; _initialize(): void };
    mem = e.memory;
    e._initialize();
    const bytes = new Uint8Array(mem.buffer, e.sp_isa());
    expect(Buffer.from(bytes.subarray(0, bytes.indexOf(0))).toString('latin1')).toBe('wasm-simd128');
    expect(typeof e.sp_alloc).toBe('function');
    expect(typeof e.sp_free).toBe('function');
  });

  test('storages stay valid when the memory grows', () => {
    const x = wasmEmBackend.fromArray([1, 2, 3, 4]);
    const big = wasmEmBackend.alloc(40 * 1024 * 1024); // 160 MiB: beyond the initial memory
    const y = wasmEmBackend.alloc(4);
    try {
      wasmEmBackend.fill(big, 8, 1);
      wasmEmBackend.fill(y, 4, 0); // alloc does not zero
      wasmEmBackend.kernels.axpy(x, y, Int32Array.from([4]), 2);
      wasmEmBackend.kernels.axpy(big, y, Int32Array.from([4]), 1);
      expect(Array.from(wasmEmBackend.read(y, 4))).toEqual([3, 5, 7, 9]);
    } finally {
      wasmEmBackend.free(big);
      wasmEmBackend.free(x);
      wasmEmBackend.free(y);
    }
  });

  test('an import the host does not provide fails with its name, and exit becomes an error', () => {
    const imports = wasmEmImports(() => new WebAssembly.Memory({ initial: 1 })) as Record<string, Record<string, (...a: number[]) => unknown>>;
    expect(() => imports.env.some_missing_call()).toThrow(/wasm-em: the module called env\.some_missing_call/);
    expect(() => imports.wasi_snapshot_preview1.proc_exit(3)).toThrow(/exited with code 3/);
  });
});
