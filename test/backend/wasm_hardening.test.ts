/**
 * The WASM wrappers (src/backend/wasm_backend.ts) against hostile callers, on both WASM
 * backends: every entry point refuses bad arguments with one message naming the backend, the
 * kernel (or storage call), the argument, what was expected and what was found, before any
 * memory is touched; failing calls, validation errors and traps alike, leave the module as it
 * was (the C stack pointer restored, kernel scratch freed, memory not growing), and a valid
 * call afterwards still gives the right answer. Backends that are not built are skipped with
 * the reason.
 */
import type { Backend } from '../../src/backend/backend';
import { checkKernelCall, safeShow } from '../../src/backend/contract_check';
import { MAX_DIM } from '../../src/backend/limits';
import { toPtr, wasmInternals, type WasmStorage } from '../../src/backend/wasm_backend';
import { wasmAsBackend } from '../../src/backend/wasm_as';
import { wasmEmBackend } from '../../src/backend/wasm_em';

type B = Backend<WasmStorage>;
const BACKENDS: B[] = [wasmAsBackend, wasmEmBackend];
for (const b of BACKENDS) {
  const a = b.available();
  if (!a.ok) console.log(`skipping ${b.name} hardening tests: ${a.reason}`);
}

/** conv 1x1x3x3 by a 2x2 "identity diagonal" kernel plus bias 0.5: y = x[i,j] + x[i+1,j+1] + 0.5. */
const CONV_P = [1, 1, 3, 3, 1, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1, 1];
function knownConv(be: B): number[] {
  const x = be.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9]), w = be.fromArray([1, 0, 0, 1]), b = be.fromArray([0.5]), y = be.alloc(4);
  try {
    be.kernels.conv2d_forward(x, w, b, y, Int32Array.from(CONV_P));
    return Array.from(be.read(y, 4));
  } finally {
    for (const s of [x, w, b, y]) be.free(s);
  }
}
const CONV_ANSWER = [6.5, 8.5, 12.5, 14.5];

const memBytes = (be: B) => wasmInternals(be).exports()!.memory.buffer.byteLength;

describe('pointer normalisation', () => {
  test('pointers above 2 GiB stay unsigned; passing them back restores the bits', () => {
    expect(toPtr(-2147483648)).toBe(2 ** 31);
    expect(toPtr(-16)).toBe(2 ** 32 - 16);
    expect(toPtr(4096)).toBe(4096);
    expect(toPtr(2 ** 31 + 16) | 0).toBe(-(2 ** 31) + 16); // what WASM receives as i32
  });
});

describe('safeShow never runs the value', () => {
  test('Symbols, Proxies, throwing toString and getters', () => {
    const evil = { toString() { throw new Error('no'); }, valueOf() { throw new Error('no'); } };
    const proxy = new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); } });
    expect(safeShow(Symbol('s'))).toBe('a Symbol');
    expect(safeShow(evil)).toBe('an object');
    expect(safeShow(proxy)).toBe('a Proxy');
    expect(safeShow(new Float32Array(new SharedArrayBuffer(8)))).toBe('Float32Array(2) over a SharedArrayBuffer');
    expect(safeShow(-0)).toBe('-0');
    expect(safeShow(10n)).toBe('10n');
  });
});

describe('the contract checker on plain arrays (usable for any backend)', () => {
  const len = (a: unknown) => (a instanceof Float32Array ? a.length : undefined);
  test('accepts a valid call and returns a private copy of p', () => {
    const p = [4, 0];
    const got = checkKernelCall('t', 'activation_forward', [new Float32Array(4), new Float32Array(4), p, 0], len);
    p[0] = 1e9;
    expect(Array.from(got)).toEqual([4, 0]);
  });
  test.each([
    ['a p one entry short', [new Float32Array(4), new Float32Array(4), [4], 0], /t activation_forward: expected exactly 2 integers for p, got 1 entries/],
    ['a p one entry long', [new Float32Array(4), new Float32Array(4), [4, 0, 0], 0], /expected exactly 2 integers for p, got 3 entries/],
    ['a short output', [new Float32Array(4), new Float32Array(3), [4, 0], 0], /expected at least 4 elements \(from p\) for y, got 3 elements/],
    ['a fractional size', [new Float32Array(4), new Float32Array(4), [1.5, 0], 0], /expected an int32 integer for p\[0\], got 1.5/],
    ['a negative size', [new Float32Array(4), new Float32Array(4), [-1, 0], 0], /expected an integer in \[0, 16777216\] \(MAX_DIM\) for p\[0\] \(n\), got -1/],
    ['an unknown activation', [new Float32Array(4), new Float32Array(4), [4, 9], 0], /expected an activation code in \[0, 5\] for p\[1\] \(kind\), got 9/],
    ['a Symbol as alpha', [new Float32Array(4), new Float32Array(4), [4, 0], Symbol('a')], /expected a number for alpha, got a Symbol/],
    ['a missing float', [new Float32Array(4), new Float32Array(4), [4, 0]], /expected 4 arguments \(x, y, p, alpha\) for the call, got 3 arguments/],
  ])('refuses %s', (_n, args, msg) => {
    expect(() => checkKernelCall('t', 'activation_forward', args as unknown[], len)).toThrow(msg);
  });
  test('products are computed without wrapping: sizes beyond MAX_ELEMS are refused', () => {
    const args = [new Float32Array(17), new Float32Array(14), new Float32Array(48), [MAX_DIM, 3, MAX_DIM]];
    expect(() => checkKernelCall('t', 'softmax_backward', args, len)).toThrow(/expected at most 2147483647 elements \(MAX_ELEMS\) for y \(from p\), got 844424930131968/);
  });
  test('geometry relations: conv groups, pool windows, channel ranges, gather indices', () => {
    const f = (n: number) => new Float32Array(n);
    const conv = [1, 4, 3, 3, 4, 1, 1, 3, 3, 1, 1, 0, 0, 1, 1, 3];
    expect(() => checkKernelCall('t', 'conv2d_forward', [f(36), f(36), null, f(36), conv], len)).toThrow(/expected C and OC divisible by G = 3/);
    // a 2x2 window with stride 4 over 5 rows: the third window would lie wholly in the padding
    const pool = [1, 1, 5, 5, 3, 3, 2, 2, 4, 4, 1, 1, 1, 0];
    expect(() => checkKernelCall('t', 'pool2d_forward', [f(25), f(9), pool], len)).toThrow(/expected windows that start inside the padded input for p\[4..5\]/);
    expect(() => checkKernelCall('t', 'channel_copy', [f(8), f(8), [1, 4, 3, 4, 0, 2, 2, 0]], len)).toThrow(/expected srcOff \+ count <= srcC = 4/);
    expect(() => checkKernelCall('t', 'gather_axis', [f(4), Int32Array.from([0, 4]), f(2), [1, 4, 1, 2]], len)).toThrow(/expected an index in \[0, 4\) for idx\[1\], got 4/);
  });
  test('the huge-stride conv and 2^30 dilation of the native report are refused, not sized', () => {
    const f = (n: number) => new Float32Array(n);
    expect(() => checkKernelCall('t', 'conv2d_forward', [f(1), f(2), null, f(1), [1, 1, 1, 1, 1, 2, 1, 1, 1, 2, 2 ** 30, 0, 0, 1, 1, 1]], len)).toThrow(/p\[10\] \(SW\), got 1073741824/);
    expect(() => checkKernelCall('t', 'conv2d_forward', [f(9), f(9), null, f(1), [1, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1, 0, 0, 2 ** 24, 1, 1]], len)).toThrow(/window span fits the input plus padding/);
  });
});

for (const be of BACKENDS) {
  const d = be.available().ok ? describe : describe.skip;
  d(`${be.name}: every entry point validates before touching memory`, () => {
    const name = be.name;
    test('alloc refuses negative, fractional, non-number and unaddressable counts', () => {
      expect(() => be.alloc(-1)).toThrow(new RegExp(`${name} alloc: expected a float count in \\[0, \\d+\\] .* for n, got -1`));
      expect(() => be.alloc(1.5)).toThrow(/got 1.5/);
      expect(() => be.alloc(Symbol('x') as never)).toThrow(/got a Symbol/);
      expect(() => be.alloc(2 ** 31)).toThrow(RangeError);
      // the old wrap: 2^30 floats = 2^32 bytes became a 16-byte block
      expect(() => be.alloc(2 ** 30)).toThrow(RangeError);
      expect(() => be.alloc(2 ** 30)).toThrow(/got 1073741824/);
    });

    test('read / write / fill / free refuse foreign, freed and too-small arguments', () => {
      const s = be.alloc(4);
      const other = (be === wasmAsBackend ? wasmEmBackend : wasmAsBackend);
      expect(() => be.read({ ptr: s.ptr, n: 4 }, 4)).toThrow(new RegExp(`${name} read: expected a live ${name} storage for s, got an object`));
      expect(() => be.read(s, 5)).toThrow(/expected an integer in \[0, 4\] for n, got 5/);
      expect(() => be.write(s, [1, 2, 3, 4, 5])).toThrow(/expected at most 4 elements/);
      expect(() => be.write(s, new Proxy([1], {}))).toThrow(/expected an array or typed array of numbers for data, got a Proxy/);
      expect(() => be.fill(s, 4, Symbol('v') as never)).toThrow(/expected a number for value, got a Symbol/);
      if (other.available().ok) {
        const o = other.alloc(4);
        expect(() => be.free(o)).toThrow(new RegExp(`expected a live ${name} storage`));
        other.free(o);
      }
      expect(() => be.write(s, [1, Symbol('e') as never])).toThrow(new RegExp(`${name} write: expected numbers in data, got an element that does not convert`));
      expect(() => be.fromArray([Symbol('e') as never])).toThrow(new RegExp(`${name} fromArray: expected numbers in data`));
      be.write(s, [1, 2, 3, 4]);
      expect(Array.from(be.read(s, 4))).toEqual([1, 2, 3, 4]);
      be.free(s);
      expect(() => be.free(s)).toThrow(/expected a live/);
      expect(() => be.read(s, 1)).toThrow(/expected a live/);
    });

    test('the kernel reproducers of the report throw and name backend and kernel', () => {
      const x = be.fromArray([1, 2, 3, 4]), y = be.alloc(4);
      const K = be.kernels;
      // a short p must not reuse the previous call's geometry
      K.activation_forward(x, y, [4, 0] as never, 0);
      expect(() => K.activation_forward(x, y, [4] as never, 0)).toThrow(new RegExp(`${name} activation_forward: expected exactly 2 integers for p, got 1 entries`));
      // a storage shorter than the geometry is refused instead of overwriting its neighbour
      const small = be.alloc(2), neighbour = be.fromArray([7, 7, 7, 7]);
      expect(() => K.activation_forward(x, small, [4, 0] as never, 0)).toThrow(/expected at least 4 elements \(from p\) for y, got 2 elements/);
      expect(Array.from(be.read(neighbour, 4))).toEqual([7, 7, 7, 7]);
      const evil = { toString() { throw new Error('x'); } };
      for (const bad of [Symbol('s'), evil, new Proxy(x, {}), new Float32Array(4), 3, 'x', undefined]) {
        expect(() => K.axpy(x, bad as never, [4] as never, 1)).toThrow(new RegExp(`${name} axpy: expected a live ${name} storage for y, got `));
      }
      const getter = [4];
      Object.defineProperty(getter, 0, { get() { throw new Error('boom'); } });
      expect(() => K.axpy(x, y, getter as never, 1)).toThrow(/expected an integer for p\[0\], got an entry whose getter throws/);
      expect(() => K.axpy(x, y, new Proxy([4], {}) as never, 1)).toThrow(/expected an Array or Int32Array of 1 integers for p, got a Proxy/);
      expect(() => K.softmax_backward(x, x, y, [2147483646, 3, 2147483647] as never)).toThrow(/p\[0\] \(outer\), got 2147483646/);
      expect(() => K.upsample_forward(x, y, [65536, 65536, 65536, 65536, 65536, 65536, 0, 0] as never)).toThrow(new RegExp(`${name} upsample_forward: expected H\\*OH and W\\*OW below 2\\^31`));
      expect(() => (K.gather_axis as (...a: unknown[]) => void)(x, Int32Array.from([0, 9]), y, [1, 4, 1, 2])).toThrow(/expected an index in \[0, 4\) for idx\[1\], got 9/);
      for (const s of [x, y, small, neighbour]) be.free(s);
    });

    test('20,000 failing calls leave memory where it was; a valid conv still gives the right answer', () => {
      const x = be.fromArray([1, 2, 3, 4]), y = be.alloc(4), short = be.alloc(1);
      const K = be.kernels;
      expect(knownConv(be)).toEqual(CONV_ANSWER);
      const before = memBytes(be);
      const sp = wasmInternals(be).stackPointer();
      const bad: Array<() => void> = [
        () => K.conv2d_forward(x, x, null, short, CONV_P as never),
        () => K.conv2d_forward(x, x, null, y, CONV_P.slice(0, 9) as never),
        () => K.axpy(x, Symbol('s') as never, [4] as never, 1),
        () => K.pool2d_forward(x, y, [2, 2, 1, 4, 5, 5, 4, 32768, 4, 2 ** 30, 3, 16, 1, 1] as never),
        () => be.alloc(2 ** 30),
        () => (K.gather_axis as (...a: unknown[]) => void)(x, Int32Array.from([0, -1]), y, [1, 4, 1, 2]),
      ];
      let thrown = 0;
      for (let i = 0; i < 20000; i++) {
        try {
          bad[i % bad.length]();
        } catch (e) {
          if (e instanceof Error && e.message.startsWith(`${name} `)) thrown++;
        }
      }
      expect(thrown).toBe(20000);
      expect(memBytes(be)).toBe(before);
      expect(wasmInternals(be).stackPointer()).toBe(sp);
      expect(knownConv(be)).toEqual(CONV_ANSWER);
      for (const s of [x, y, short]) be.free(s);
    });

    test('20,000 trapping kernel calls: stack and scratch are restored each time', () => {
      const it = wasmInternals(be);
      const e = it.exports()!;
      // a valid small conv geometry, but x points past the end of memory: the kernel takes its
      // scratch (wasm-as) or stack frame (wasm-em), then traps on the first read of x
      const p = toPtr(e.sp_alloc(64)), w = toPtr(e.sp_alloc(64)), y = toPtr(e.sp_alloc(64));
      const geo = [1, 1, 3, 3, 1, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1, 1];
      new Int32Array(e.memory.buffer, p, 16).set(geo);
      const sp = it.stackPointer();
      const badX = 0xfffffff0;
      for (let i = 0; i < 200; i++) expect(() => it.callRaw('conv2d_forward', badX, w, 0, y, p)).toThrow(new RegExp(`${be.name} conv2d_forward: the kernel failed inside the module`));
      const before = memBytes(be);
      for (let i = 0; i < 20000; i++) {
        try {
          it.callRaw('conv2d_forward', badX, w, 0, y, p);
        } catch {
          // counted by the checks below
        }
      }
      expect(memBytes(be)).toBe(before);
      expect(it.stackPointer()).toBe(sp);
      if (be.name === 'wasm-as') expect(it.scratchLive()).toBe(0);
      for (const q of [p, w, y]) e.sp_free(q);
      expect(knownConv(be)).toEqual(CONV_ANSWER);
    });
  });
}
