/**
 * Child-process driver of the native fuzz suite (test/fuzz/native.test.ts). Run as
 *
 *     node -r ./scripts/ts-register.js test/fuzz/native_driver.ts <addon> <seed> <calls>
 *
 * It makes `calls` seeded random calls straight into the addon's kernels (every kernel the addon
 * exports, in turn) and into setThreads, and prints one JSON summary line. Each call starts
 * from a valid call of its kernel (random small or extreme-but-valid geometry, buffers with
 * special values) and, most of the time, mutates it: hostile JS values of every type in any
 * argument (Symbols, Proxies, revoked Proxies, throwing toString/valueOf/getters, BigInts,
 * other typed arrays, SharedArrayBuffer, detached, shrunk and length-tracking views), hostile
 * integers and non-integers in `p`, getters in `p` that detach or resize a buffer or re-enter
 * the addon, short buffers, wrong argument counts. The contract checked: an unmutated valid
 * call returns; any call returns or throws an Error whose message starts with the kernel's name.
 * A crash kills only this process (the test sees the signal); a contract breach is listed in
 * `failures`. Same seed, same calls, same `digest`.
 */
import * as os from 'os';
import { KERNELS, type KernelSpec } from '../../src/backend/kernels';
import { MAX_DIM } from '../../src/backend/limits';

type Fn = (...args: unknown[]) => unknown;
interface Addon {
  kernels: Record<string, Fn>;
  setThreads: Fn;
  getThreads: () => number;
}

export interface FuzzSummary {
  seed: number;
  calls: number;
  returned: number;
  threw: number;
  /** per kernel (and setThreads): [returned, threw] */
  perKernel: Record<string, [number, number]>;
  /** mutation label -> times applied */
  mutations: Record<string, number>;
  failures: string[];
  digest: string;
  /** an axpy after the run still gives the right numbers */
  stillWorks: boolean;
}

// ---- seeded randomness ---------------------------------------------------------------------------
function makeRng(seed: number): () => number {
  let s = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly r: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  /** A dimension-like value that is usually small and sometimes near the 2^24 limit. */
  big(): number {
    return this.chance(0.6) ? this.int(1, 3) : this.chance(0.5) ? this.int(4, 64) : this.int(MAX_DIM / 4, MAX_DIM);
  }
  value(): number {
    return this.chance(0.9)
      ? this.r() * 4 - 2
      : this.pick([NaN, Infinity, -Infinity, -0, 1e-40, -1e-45, 3e38, -3e38, 1e30, 0]);
  }
}

// ---- valid calls -----------------------------------------------------------------------------------
/** A valid geometry for kernel `name`: small, or (extreme) with huge strides/paddings/dilations. */
function validParams(name: string, g: Gen, extreme: boolean): number[] {
  switch (name) {
    case 'gemm':
      return [g.int(0, 1), g.int(0, 1), g.int(0, 9), g.int(0, 9), g.int(0, 9), g.int(0, 1)];
    case 'conv2d_forward':
    case 'conv2d_backward_input':
    case 'conv2d_backward_filter':
      for (;;) {
        const G = g.int(1, 3), C = G * g.int(1, 2), OC = G * g.int(1, 3);
        const N = g.int(1, 2), H = g.int(1, 8), W = g.int(1, 8), KH = g.int(1, 3), KW = g.int(1, 3);
        const dim = (): number => (extreme ? g.big() : g.int(1, 3));
        const pad = (): number => (extreme && g.chance(0.5) ? g.big() : g.int(0, 2));
        const SH = dim(), SW = dim(), DH = extreme ? g.big() : g.int(1, 2), DW = extreme ? g.big() : g.int(1, 2);
        const PT = pad(), PL = pad(), PB = pad(), PR = pad();
        let OH = Math.floor((H + PT + PB - (KH - 1) * DH - 1) / SH) + 1;
        let OW = Math.floor((W + PL + PR - (KW - 1) * DW - 1) / SW) + 1;
        if (extreme && g.chance(0.3)) OH = g.int(1, 8);
        if (extreme && g.chance(0.3)) OW = g.int(1, 8);
        if (OH < 1 || OW < 1 || OH * OW > 256) continue;
        if ((OH - 1) * SH + (KH - 1) * DH + 1 - H - PT > MAX_DIM || (OW - 1) * SW + (KW - 1) * DW + 1 - W - PL > MAX_DIM) continue;
        return [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G];
      }
    case 'batch_norm_train_forward':
    case 'batch_norm_infer_forward':
    case 'batch_norm_backward':
    case 'affine_channel_forward':
    case 'affine_channel_backward':
      return [g.int(0, 3), g.int(0, 4), g.int(0, 10)];
    case 'bn_fold':
      return [g.int(0, 4), g.int(0, 6)];
    case 'gather_axis':
    case 'scatter_add_axis':
      return [g.int(0, 3), g.int(1, 5), g.int(0, 3), g.int(0, 5)];
    case 'activation_forward':
    case 'activation_backward':
      return [g.int(0, 20), g.int(0, 5)];
    case 'pool2d_forward':
    case 'pool2d_backward':
      for (;;) {
        const H = g.int(1, 8), W = g.int(1, 8), KH = g.int(1, 3), KW = g.int(1, 3);
        const SH = extreme ? g.big() : g.int(1, 3), SW = extreme ? g.big() : g.int(1, 3);
        const PT = g.int(0, KH - 1), PL = g.int(0, KW - 1);
        const OH = Math.floor((H + 2 * PT - KH) / SH) + 1, OW = Math.floor((W + 2 * PL - KW) / SW) + 1;
        if (OH < 1 || OW < 1) continue;
        return [g.int(1, 2), g.int(1, 3), H, W, OH, OW, KH, KW, SH, SW, PT, PL, g.int(0, 1), g.int(0, 1)];
      }
    case 'upsample_forward':
    case 'upsample_backward':
      return [g.int(1, 2), g.int(1, 3), g.int(1, 6), g.int(1, 6), g.int(1, 12), g.int(1, 12), g.int(0, 1), g.int(0, 1)];
    case 'binary_forward':
    case 'binary_backward':
      return [g.int(0, 3), g.int(0, 4), g.int(0, 5), g.int(0, 2), g.int(0, 2)];
    case 'channel_copy': {
      const srcC = g.int(0, 5), dstC = g.int(0, 5), count = g.int(0, Math.min(srcC, dstC));
      return [g.int(0, 2), srcC, g.int(0, srcC - count), dstC, g.int(0, dstC - count), count, g.int(0, 4), g.int(0, 1)];
    }
    case 'reduce_sum':
    case 'softmax_forward':
    case 'softmax_backward':
      return [g.int(0, 3), g.int(0, 6), g.int(0, 4)];
    case 'roi_align_forward':
    case 'roi_align_backward':
      // extreme: many samples per bin (a sampling_ratio up to 64)
      return [g.int(1, 2), g.int(0, 4), g.int(1, 6), g.int(1, 6), g.int(0, 4), g.int(1, 4), g.int(1, 4), extreme ? g.int(0, 64) : g.int(0, 3)];
    case 'conv2d_act_forward':
      return [...validParams('conv2d_forward', g, extreme), g.int(0, 2)];
    case 'dwpw_act_forward': {
      // a depthwise layer (G == C == OC: the spatial relations are untouched), then OC2 outputs
      const q = validParams('conv2d_forward', g, extreme);
      q[4] = q[1];
      q[15] = q[1];
      return [...q, g.int(0, 2), g.int(1, 5), g.int(0, 2)];
    }
    case 'batch_norm_act_train_forward':
    case 'batch_norm_act_backward':
      return [g.int(0, 3), g.int(0, 4), g.int(0, 10), g.int(0, 2)];
    default: // sgd_momentum, sigmoid_bce_*, axpy
      return [g.int(0, 20)];
  }
}

function validArgs(name: string, spec: KernelSpec, g: Gen, extreme: boolean): unknown[] {
  const p = validParams(name, g, extreme);
  const sizes = spec.sizes(p);
  const bufs = spec.bufs.map((b, i) => {
    if (b.optional && g.chance(0.3)) return g.chance(0.5) ? null : undefined;
    if (b.i32) {
      // index values in [0, p[1]) (gather's axis), or [0, N) for the roi batch indices
      const axis = name.startsWith('roi_align') ? p[0] : p[1];
      return Int32Array.from({ length: sizes[i] }, () => g.int(0, axis - 1));
    }
    const a = new Float32Array(sizes[i] + (g.chance(0.2) ? g.int(1, 3) : 0));
    for (let j = 0; j < a.length; j++) a[j] = g.value();
    return a;
  });
  const floats = spec.floats.map(() => (g.chance(0.9) ? g.r() : g.value()));
  return [...bufs, p, ...floats];
}

// ---- hostile values ---------------------------------------------------------------------------------
function detached(n: number): Float32Array {
  const a = new Float32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}
// Resizable ArrayBuffers (ES2024) are in Node 20, not in this project's TypeScript lib.
type Resizable = ArrayBuffer & { resize(bytes: number): void };
const ResizableBuffer = ArrayBuffer as unknown as new (bytes: number, opts: { maxByteLength: number }) => Resizable;
function shrunk(n: number): Float32Array {
  const ab = new ResizableBuffer(4 * n, { maxByteLength: 4 * n + 4 });
  const a = new Float32Array(ab, 0, n);
  ab.resize(Math.max(0, 4 * n - 4));
  return a;
}
function tracking(n: number): Float32Array {
  return new Float32Array(new ResizableBuffer(4 * n, { maxByteLength: 8 * n + 8 }));
}
function sab<T extends Float32Array | Int32Array>(src: T): T {
  const s = new SharedArrayBuffer(Math.max(4, src.byteLength));
  const out = (src instanceof Int32Array ? new Int32Array(s, 0, src.length) : new Float32Array(s, 0, src.length)) as T;
  out.set(src as never);
  return out;
}

/** Any JS value; `n` is the length a typed-array-like value should have. */
function hostile(g: Gen, n: number): [string, unknown] {
  const kinds: Array<[string, () => unknown]> = [
    ['symbol', () => Symbol('fuzz')],
    ['throwing toString', () => ({ toString() { throw new Error('toString'); } })],
    ['throwing valueOf', () => ({ valueOf() { throw 1; } })],
    ['throwing toPrimitive', () => ({ [Symbol.toPrimitive]() { throw new TypeError('prim'); } })],
    ['throwing getter object', () => Object.defineProperty({}, 'length', { get() { throw new Error('get'); } })],
    ['proxy of Float32Array', () => new Proxy(new Float32Array(n), {})],
    ['throwing proxy', () => new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); } })],
    ['revoked proxy', () => { const r = Proxy.revocable([], {}); r.revoke(); return r.proxy; }],
    ['bigint', () => 10n],
    ['string', () => g.pick(['', '3', 'abc', 'x'.repeat(100), '\u00e9\u{1F600}'])],
    ['empty array', () => []],
    ['number array', () => Array.from({ length: n }, () => 1)],
    ['sparse array', () => new Array(n)],
    ['function', () => () => 1],
    ['null', () => null],
    ['undefined', () => undefined],
    ['special number', () => g.pick([NaN, Infinity, -Infinity, -0, 1e300, -1, 2 ** 31, 0.5])],
    ['boolean', () => g.chance(0.5)],
    ['Float64Array', () => new Float64Array(n)],
    ['Int32Array', () => new Int32Array(n)],
    ['Uint8Array', () => new Uint8Array(4 * n)],
    ['BigInt64Array', () => new BigInt64Array(n)],
    ['DataView', () => new DataView(new ArrayBuffer(4 * n + 4))],
    ['ArrayBuffer', () => new ArrayBuffer(4 * n)],
    ['SharedArrayBuffer', () => new SharedArrayBuffer(4 * n + 4)],
    ['Float32Array prototype object', () => Object.create(Float32Array.prototype)],
    ['detached Float32Array', () => detached(n)],
    ['shrunk Float32Array', () => shrunk(n)],
    ['length-tracking Float32Array', () => tracking(n)],
    ['SAB Float32Array', () => sab(new Float32Array(n))],
    ['short Float32Array', () => new Float32Array(Math.max(0, n - 1))],
    ['date', () => new Date(0)],
    ['map', () => new Map()],
    ['promise', () => Promise.resolve(1)],
  ];
  const [label, make] = g.pick(kinds);
  return [label, make()];
}

// The driver's own checks must not trip over the hostile values either (a revoked Proxy throws
// from Array.isArray and instanceof).
function isArray(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}
function isBuffer(v: unknown): v is Float32Array | Int32Array {
  if (!ArrayBuffer.isView(v) || !(v instanceof Float32Array || v instanceof Int32Array)) return false;
  try {
    v.slice(0, 1); // throws for a detached or out-of-bounds view (ArrayBuffer#detached is not in every Node 20)
    return true;
  } catch {
    return false;
  }
}

const BAD_INTS = [0, -1, 1, 2, 3, 46341, 65536, MAX_DIM, MAX_DIM + 1, 2 ** 30, 2 ** 30 + 1, 2 ** 31 - 1, -(2 ** 31), -MAX_DIM];
const BAD_NONINTS: unknown[] = [NaN, 1.5, -0.5, 2 ** 31, -(2 ** 31) - 1, Infinity, -Infinity, 1e300, '3', null, undefined, true, 3n];

/** Mutates args in place (returns the labels of what it did). */
function mutate(addon: Addon, name: string, spec: KernelSpec, args: unknown[], g: Gen): string[] {
  const nb = spec.bufs.length;
  const labels: string[] = [];
  const times = g.int(1, 3);
  let plainP = isArray(args[nb]); // p still a plain array of data (no getters, no proxy) the driver may copy
  for (let t = 0; t < times; t++) {
    const what = g.int(0, 9);
    if (what <= 2) {
      // any argument (buffer, p or float) becomes a hostile value
      const i = g.int(0, args.length - 1);
      const a = args[i];
      const [label, v] = hostile(g, Math.max(1, isArray(a) ? a.length : isBuffer(a) ? a.length : 1));
      args[i] = v;
      if (i === nb) plainP = false;
      labels.push(`arg ${i}: ${label}`);
    } else if (what <= 5 && plainP && isArray(args[nb])) {
      // one geometry integer becomes a hostile (non-)integer
      const p = (args[nb] as unknown[]).slice();
      const i = g.int(0, p.length - 1);
      p[i] = g.chance(0.75) ? g.pick(BAD_INTS) : g.chance(0.85) ? g.pick(BAD_NONINTS) : Symbol('p');
      args[nb] = p;
      labels.push(`p[${i}] = ${String(p[i])}`);
    } else if (what === 6 && plainP && isArray(args[nb])) {
      // p as a typed array, a shared one, of the wrong length, or with getters
      const p = (args[nb] as number[]).slice();
      const form = g.int(0, 7);
      const i = g.int(0, Math.max(0, p.length - 1));
      const ints = (): Int32Array => Int32Array.from(p, (v) => (typeof v === 'number' ? v : 0));
      if (form === 0) args[nb] = ints();
      else if (form === 1) args[nb] = sab(ints());
      else if (form === 2) args[nb] = g.chance(0.5) ? p.slice(0, -1) : [...p, 1];
      else if (form === 3) args[nb] = Object.defineProperty(p, i, { get() { throw new Error('getter'); } });
      else if (form === 4) {
        // a getter that detaches (or resizes) a buffer after it was created but before it is read
        const bi = g.int(0, Math.max(0, nb - 1));
        const v = p[i];
        args[nb] = Object.defineProperty(p, i, {
          get() {
            const b = args[bi];
            if (isBuffer(b) && b.buffer instanceof ArrayBuffer) structuredClone(b.buffer, { transfer: [b.buffer] });
            return v;
          },
        });
      } else if (form === 5) {
        // a getter that re-enters the addon (a valid call of another kernel, then setThreads)
        const v = p[i];
        args[nb] = Object.defineProperty(p, i, {
          get() {
            const y = Float32Array.from([1, 2]);
            addon.kernels.axpy(Float32Array.from([1, 1]), y, [2], 1);
            addon.setThreads(1 + (typeof v === 'number' ? v & 1 : 0));
            return v;
          },
        });
      } else if (form === 6) args[nb] = new Proxy(p, {});
      else {
        const proto = Object.create(Array.prototype);
        Object.defineProperty(proto, i, { get() { throw new Error('proto getter'); } });
        const holes = new Array(p.length);
        Object.setPrototypeOf(holes, proto);
        args[nb] = holes;
      }
      plainP = form === 2;
      labels.push(`p form ${form}`);
    } else if (what === 7 && nb > 0) {
      // a buffer shortened by one element, or emptied
      const i = g.int(0, nb - 1);
      const b = args[i];
      if (isBuffer(b)) {
        args[i] = g.chance(0.7) ? b.subarray(0, Math.max(0, b.length - 1)) : b.subarray(0, 0);
        labels.push(`short ${spec.bufs[i].name}`);
      }
    } else if (what === 8) {
      // one argument too many or too few
      if (g.chance(0.5)) args.push(g.chance(0.5) ? 1 : new Float32Array(1));
      else args.pop();
      labels.push('argument count');
    } else if (nb > 0) {
      // a buffer replaced by a view of the right type over a SharedArrayBuffer (valid)
      const i = g.int(0, nb - 1);
      const b = args[i];
      if (isBuffer(b)) {
        args[i] = sab(b);
        labels.push(`shared ${spec.bufs[i].name}`);
      }
    }
  }
  return labels;
}

// ---- the run ------------------------------------------------------------------------------------------
export function runFuzz(addon: Addon, seed: number, calls: number): FuzzSummary {
  const g = new Gen(makeRng(seed));
  const names = Object.keys(addon.kernels).sort();
  const specs = KERNELS as unknown as Record<string, KernelSpec>;
  const s: FuzzSummary = { seed, calls: 0, returned: 0, threw: 0, perKernel: {}, mutations: {}, failures: [], digest: '', stillWorks: false };
  let h = 0x811c9dc5;
  const mix = (text: string): void => {
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  };
  const fail = (msg: string): void => {
    if (s.failures.length < 30) s.failures.push(msg);
  };
  const missing = Object.keys(KERNELS).filter((k) => !names.includes(k));
  if (missing.length) fail(`the addon lacks kernels ${missing.join(', ')}`);
  addon.setThreads(1 + (seed % 3));
  for (let c = 0; c < calls; c++) {
    let name: string;
    let args: unknown[];
    let labels: string[] = [];
    let fn: Fn;
    if (c % 50 === 49) {
      // setThreads with a hostile or an odd valid value
      name = 'setThreads';
      fn = addon.setThreads;
      const [label, v] = g.chance(0.2) ? ['valid', g.int(1, 3)] : g.chance(0.5) ? hostile(g, 1) : ['number', g.pick([-1, 1025, 0.5, NaN, Infinity, 2 ** 40, -0, 1e300])];
      args = g.chance(0.1) ? [] : [v];
      labels = [label];
    } else {
      name = names[c % names.length];
      fn = addon.kernels[name];
      const spec = specs[name];
      if (!spec) {
        // a kernel the contract does not know: hostile arguments only
        args = Array.from({ length: g.int(0, 6) }, () => hostile(g, 4)[1]);
        labels = ['unknown kernel'];
      } else {
        args = validArgs(name, spec, g, g.chance(0.3));
        if (g.chance(0.85)) {
          try {
            labels = mutate(addon, name, spec, args, g);
          } catch (e) {
            fail(`driver: mutating a ${name} call failed: ${(e as Error).message}`);
            continue;
          }
        }
      }
    }
    for (const l of labels) {
      const key = l.replace(/^arg \d+: /, '').replace(/^p\[\d+\] = .*/, 'p entry').replace(/^(short|shared) .*/, '$1 buffer');
      s.mutations[key] = (s.mutations[key] ?? 0) + 1;
    }
    const k = (s.perKernel[name] ??= [0, 0]);
    s.calls++;
    try {
      fn(...args);
      s.returned++;
      k[0]++;
      mix('R');
    } catch (e) {
      s.threw++;
      k[1]++;
      const msg = e instanceof Error ? e.message : `a non-Error ${typeof e}`;
      mix(`T${msg}`);
      if (!(e instanceof Error) || !msg.startsWith(`${name}: `)) fail(`${name} [${labels.join('; ')}] threw ${e instanceof Error ? e.constructor.name : typeof e}: ${msg}`);
      else if (labels.length === 0 && name !== 'setThreads') fail(`${name}: a valid call threw: ${msg} (p = ${JSON.stringify(args[specs[name].bufs.length])})`);
    }
  }
  addon.setThreads(0);
  const y = Float32Array.from([1, 2, 3]);
  addon.kernels.axpy(Float32Array.from([1, 1, 1]), y, [3], 2);
  s.stillWorks = y[0] === 3 && y[1] === 4 && y[2] === 5;
  s.digest = h.toString(16);
  return s;
}

if (require.main === module) {
  const [file, seedText, callsText] = process.argv.slice(2);
  const holder = { exports: {} as Addon };
  process.dlopen(holder, file, os.constants.dlopen.RTLD_NOW);
  const summary = runFuzz(holder.exports, Number(seedText), Number(callsText));
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
