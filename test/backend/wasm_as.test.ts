/**
 * The wasm-as backend (AssemblyScript + SIMD, asm/build/slimprune-as.wasm): its allocator, and
 * every kernel against the float64 reference on small shapes around the f32x4 and GEMM tile
 * edges (1, 3, 4, 5, 8, 17 channels; odd sizes; stride 2; groups; depthwise with multipliers;
 * dilation; asymmetric padding; K and M beyond one GEMM block). Skipped, with the reason, when
 * the module has not been built (`npm run build:wasm:as`).
 */
import * as fs from 'fs';
import { KERNEL_NAMES } from '../../src/backend/kernels';
import type { WasmExports } from '../../src/backend/wasm_backend';
import { WASM_AS_FILE, wasmAsBackend } from '../../src/backend/wasm_as';
import { caseName, checkKernel, MISC_CASES, type KernelCase } from '../util/kernel_check';

const avail = wasmAsBackend.available();
if (!avail.ok) console.log(`skipping wasm-as tests: ${avail.reason}`);
const d = avail.ok ? describe : describe.skip;

/** A raw instance of the module, for the allocator tests (the backend's own instance is shared). */
function rawModule(): WasmExports & { sp_heap_top(): number } {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(WASM_AS_FILE)), {});
  return inst.exports as unknown as WasmExports & { sp_heap_top(): number };
}

/** Conv geometry from [N, C, H, W, OC, KH, KW, SH, SW, PT, PL, PB, PR, DH, DW, G]. */
function conv(s: number[]): number[] {
  const [N, C, H, W, OC, KH, KW, SH, SW, PT, PL, PB, PR, DH, DW, G] = s;
  const OH = Math.floor((H + PT + PB - DH * (KH - 1) - 1) / SH) + 1;
  const OW = Math.floor((W + PL + PR - DW * (KW - 1) - 1) / SW) + 1;
  return [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G];
}

const CONV_SHAPES: number[][] = [
  [1, 1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1], // one channel (depthwise path)
  [2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  [1, 4, 9, 9, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1], // stride 2
  [2, 5, 8, 11, 8, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1], // pointwise: straight GEMM
  [1, 8, 6, 7, 17, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1], // 1x1 stride 2: im2col
  [2, 17, 5, 7, 3, 3, 3, 1, 1, 1, 0, 2, 1, 1, 1, 1], // asymmetric padding
  [1, 4, 10, 9, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1], // dilation 2
  [2, 8, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2], // groups
  [2, 8, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8], // depthwise
  [1, 17, 11, 10, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 17], // depthwise stride 2, odd sizes
  [1, 4, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4], // depthwise multiplier 2
  [1, 3, 9, 10, 12, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1, 3], // depthwise multiplier 4, stride 2
  [2, 5, 9, 13, 5, 5, 5, 1, 2, 3, 2, 4, 1, 2, 2, 5], // depthwise 5x5, dilation, mixed strides
  [1, 6, 9, 11, 6, 5, 5, 1, 1, 4, 3, 2, 5, 2, 1, 6], // depthwise 5x5 stride 1, dilation (2, 1), uneven padding
  [2, 3, 7, 8, 9, 3, 3, 1, 1, 2, 0, 1, 2, 2, 1, 3], // depthwise 3x3 multiplier 3, dilation, uneven padding
  [1, 2, 6, 9, 2, 3, 3, 2, 1, 0, 2, 0, 2, 1, 1, 2], // depthwise, stride (2, 1)
  [2, 3, 13, 12, 3, 5, 5, 1, 2, 3, 2, 4, 1, 2, 2, 3],
  [3, 5, 1, 1, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1], // 1x1 images
  [1, 3, 2, 3, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1], // image smaller than the kernel
  [1, 6, 5, 5, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2], // grouped pointwise
  [1, 3, 11, 13, 5, 2, 4, 3, 2, 0, 1, 1, 0, 1, 1, 1], // rectangular kernel, stride 3x2
  [2, 16, 20, 19, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1], // K = 144, N over several tiles
  [1, 32, 14, 13, 20, 3, 3, 2, 1, 1, 1, 0, 1, 1, 1, 1], // K = 288
  [1, 3, 23, 29, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1], // stride 2 over rows long enough for f32x4 gathers
  [2, 2, 9, 30, 5, 3, 5, 1, 2, 0, 3, 0, 2, 1, 2, 1], // stride 2 with column dilation and uneven padding
  [1, 48, 6, 5, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1], // K = 432: two K blocks
  [1, 5, 6, 7, 6, 3, 3, 1, 1, 2, 0, 0, 2, 1, 1, 1], // output size = input size, all padding on one side
  [2, 3, 8, 9, 4, 5, 5, 1, 1, 4, 2, 4, 2, 2, 1, 1], // output size = input size, 5x5, row dilation
  [1, 300, 5, 4, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1], // pointwise, K = 300
  [1, 8, 6, 5, 264, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1], // M = 264: two row blocks
  [2, 12, 15, 16, 12, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 12],
];

const TOL = { rtol: 1e-4, atol: 2e-5 };
const CONV_CASES: KernelCase[] = CONV_SHAPES.flatMap((s, i): KernelCase[] => {
  const p = conv(s);
  const omitB = i % 3 === 1 ? ['b'] : [];
  const omitDb = i % 4 === 2 ? ['db'] : [];
  return [
    { kernel: 'conv2d_forward', p, omit: omitB, tol: TOL },
    { kernel: 'conv2d_backward_input', p, tol: TOL },
    { kernel: 'conv2d_backward_filter', p, omit: omitDb, tol: TOL },
  ];
});

const GEMM_CASES: KernelCase[] = [];
{
  const dims = [1, 3, 4, 5, 8, 17, 31];
  let k = 0;
  for (let ta = 0; ta < 2; ta++)
    for (let tb = 0; tb < 2; tb++)
      for (let r = 0; r < 6; r++) {
        const M = dims[(k * 3 + r) % dims.length], N = dims[(k * 5 + 2 * r + 1) % dims.length], K = dims[(k + 3 * r + 2) % dims.length];
        GEMM_CASES.push({ kernel: 'gemm', p: [ta, tb, M, N, K, r % 2], floats: [r % 3 === 0 ? 1 : r % 3 === 1 ? -0.75 : 2.5], tol: TOL });
        k++;
      }
  for (let ta = 0; ta < 2; ta++)
    for (let tb = 0; tb < 2; tb++) GEMM_CASES.push({ kernel: 'gemm', p: [ta, tb, 261, 37, 300, (ta + tb) % 2], floats: [1.5], tol: TOL });
  GEMM_CASES.push({ kernel: 'gemm', p: [0, 0, 5, 6, 0, 1], floats: [1] }); // K = 0 keeps C when accumulating
  GEMM_CASES.push({ kernel: 'gemm', p: [0, 0, 5, 6, 0, 0], floats: [1] }); // and zeroes it otherwise
}

d('wasm-as allocator', () => {
  test('pointers are 16-byte aligned, distinct, and memory is reused after sp_free', () => {
    const m = rawModule();
    const ptrs = [1, 3, 16, 17, 100, 4096, 70000].map((n) => m.sp_alloc(n));
    for (const p of ptrs) expect(p % 16).toBe(0);
    expect(new Set(ptrs).size).toBe(ptrs.length);
    const top = m.sp_heap_top();
    m.sp_free(ptrs[4]);
    expect(m.sp_alloc(90)).toBe(ptrs[4]); // same size class, first fit: the freed block again
    for (const p of ptrs) m.sp_free(p);
    m.sp_free(ptrs[4]); // a second free of the same block is ignored
    expect(m.sp_heap_top()).toBe(0); // everything merged back into the top of the heap
    expect(top).toBeGreaterThan(0);
  });

  test('freed neighbours merge, so a large block fits where small ones were', () => {
    const m = rawModule();
    const a = m.sp_alloc(1000), b = m.sp_alloc(1000), c = m.sp_alloc(1000), guard = m.sp_alloc(16);
    m.sp_free(a);
    m.sp_free(c);
    m.sp_free(b);
    expect(m.sp_alloc(2900)).toBe(a);
    m.sp_free(guard);
  });

  test('alloc/free cycles of tensor-sized blocks do not grow memory', () => {
    const m = rawModule();
    const cycle = () => {
      const ps = [5e6, 123457, 4e6, 77, 2e6].map((n) => m.sp_alloc(n));
      for (const p of ps) expect(p).toBeGreaterThan(0);
      m.sp_free(ps[1]);
      m.sp_free(ps[3]);
      m.sp_free(ps[0]);
      m.sp_free(ps[4]);
      m.sp_free(ps[2]);
    };
    cycle();
    const pages = m.memory.buffer.byteLength;
    for (let i = 0; i < 20; i++) cycle();
    expect(m.memory.buffer.byteLength).toBe(pages);
    expect(m.sp_heap_top()).toBe(0);
  });

  test('a request beyond 32-bit memory returns 0 and the backend refuses it before asking', () => {
    const m = rawModule();
    expect(m.sp_alloc(0xfffffff0)).toBe(0);
    expect(m.sp_alloc(0xfffe0001)).toBe(0); // the header and rounding would wrap past 2^32
    expect(() => wasmAsBackend.alloc(0x3fffffff)).toThrow(RangeError);
    expect(() => wasmAsBackend.alloc(0x3fffffff)).toThrow(/wasm-as alloc: expected a float count in \[0, \d+\] .* for n, got 1073741823/);
  });

  test('the module imports nothing and exports every kernel of the contract', () => {
    // an import would make instantiation with no imports fail
    const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(WASM_AS_FILE)), {});
    const names = Object.keys(inst.exports);
    expect(names).toEqual(expect.arrayContaining(['memory', 'sp_alloc', 'sp_free', ...KERNEL_NAMES]));
  });
});

d('wasm-as kernels against the reference', () => {
  test.each(GEMM_CASES.map((c) => [caseName(c), c] as const))('%s', (_n, c) => checkKernel(wasmAsBackend, c));
  test.each(CONV_CASES.map((c) => [caseName(c), c] as const))('%s', (_n, c) => checkKernel(wasmAsBackend, c));
  test.each(MISC_CASES.map((c) => [caseName(c), c] as const))('%s', (_n, c) => checkKernel(wasmAsBackend, c));

  test('max pooling sends the gradient to the first of equal maxima only', () => {
    const be = wasmAsBackend;
    const x = be.fromArray([1, 1, 1, 1]), dy = be.fromArray([2]), dx = be.alloc(4);
    be.kernels.pool2d_backward(x, dy, dx, Int32Array.from([1, 1, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0]));
    expect(Array.from(be.read(dx, 4))).toEqual([2, 0, 0, 0]);
    for (const s of [x, dy, dx]) be.free(s);
  });

  test('sigmoid and softmax stay finite at extreme inputs', () => {
    const be = wasmAsBackend;
    const v = [-1000, -90, -20, 0, 20, 90, 1000, 3];
    const x = be.fromArray(v), y = be.alloc(8);
    be.kernels.activation_forward(x, y, Int32Array.from([8, 3]), 0);
    const s = be.read(y, 8);
    expect(Array.from(s).every((t) => t >= 0 && t <= 1)).toBe(true);
    expect(s[0]).toBe(0);
    expect(s[6]).toBe(1);
    be.kernels.softmax_forward(x, y, Int32Array.from([1, 8, 1]));
    const sm = be.read(y, 8);
    expect(sm[6]).toBeCloseTo(1, 6);
    expect(Array.from(sm).every(Number.isFinite)).toBe(true);
    be.free(x);
    be.free(y);
  });
});
