/**
 * The native CPU backend: the C++ addon built by cmake-js (build/Release/slimprune.node) or by
 * node-gyp (build-gyp/...). Storages are Float32Arrays on the JS heap; the addon reads and
 * writes them in place. The typed interface below mirrors native/addon.cc.
 */
import * as os from 'os';
import * as path from 'path';
import type { Availability, Backend, KernelFn } from './backend';
import { KERNEL_NAMES, type KernelName } from './kernels';

/** What addon.cuda.available() says: the device, or why there is none. */
export interface CudaInfo {
  ok: boolean;
  /** whether the addon has CUDA compiled in */
  built: boolean;
  reason?: string;
  name?: string;
  /** e.g. '9.0' */
  computeCapability?: string;
  totalMemory?: number;
  freeMemory?: number;
  driverVersion?: number;
  runtimeVersion?: number;
}

/** addon.cuda when CUDA is compiled in: device buffers by numeric handle, kernels taking handles. */
export interface CudaAddonBuilt {
  available(): CudaInfo;
  alloc(n: number): number;
  free(handle: number): void;
  upload(handle: number, data: Float32Array): void;
  download(handle: number, n: number): Float32Array;
  fill(handle: number, n: number, value: number): void;
  sync(): void;
  /** live buffers and their bytes */
  memory(): { buffers: number; bytes: number };
  /** the kernels with a CUDA launcher in this build (handles where the CPU kernel takes Float32Arrays) */
  kernels: Partial<Record<KernelName, (...args: Array<number | Int32Array | null | number[]>) => void>>;
}

export interface NativeAddon {
  kernels: Record<KernelName, (...args: Array<Float32Array | Int32Array | null | number | number[]>) => void>;
  setThreads(n: number): void;
  getThreads(): number;
  cpuInfo(): { avx2: boolean; avx512: boolean; isa: string };
  /**
   * The FMA rate of the GEMM microkernel's build, measured for about `seconds` (0.001 to 10) with a
   * register-only loop of independent FMA chains, in GFLOP/s: on the calling thread and on every
   * pool thread at once; null where the build has no FMA loop (the portable microkernel).
   */
  fmaRate(seconds: number): { isa: string; lanes: number; chains: number; threads: number; oneThread: number; allThreads: number } | null;
  /** bytes from the start of its 64-byte cache line to a typed array's data */
  lineOffset(a: ArrayBufferView): number;
  /** whether 3x3 stride-1 convolutions (64+ channels) may run as Winograd F(2x2, 3x3); on by default */
  setWinograd(on: boolean): void;
  getWinograd(): boolean;
  /** filter caches (src/backend/prepared.ts) */
  newFilterCache(): object;
  freeFilterCache(cache: object): void;
  conv2d_act_forward_prepared(cache: object, x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array, p: Int32Array, alpha: number): void;
  /** conv2d_act_forward_prepared on channel-blocked maps (native/conv2d_blocked.h); cache may be null */
  conv2d_act_forward_blocked(cache: object | null, x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array, p: Int32Array, alpha: number, layout: number): void;
  /**
   * conv2d_act_forward_prepared for a 1x1 layer whose input is the channel concatenation of a and b,
   * each resized to the layer's H x W by nearest-neighbour unless it has that size; q = [Ca, Ha, Wa,
   * align_a, Hb, Wb, align_b]; cache may be null
   */
  conv2d_concat_forward(cache: object | null, a: Float32Array, b: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, p: Int32Array, alpha: number, q: Int32Array): void;
  /**
   * a stem layer and the depthwise -> 1x1 pairs after it in bands of rows (native/conv_chain.cc): p =
   * the stem's 17 integers, then 19 per pair (1 to 4 pairs); w = [ws, bs, then per pair wd, bd, wp,
   * bp]; f = the alphas (the stem's, then per pair alpha, alpha2)
   */
  conv_chain_forward(x: Float32Array, y: Float32Array, w: Array<Float32Array | null>, p: Int32Array, f: Float32Array): void;
  /** whether conv_chain_forward runs p in bands (false: the kernels one after the other) */
  convChainUsable(p: Int32Array): boolean;
  /**
   * conv2d_act_forward_prepared of a 3x3 layer into y3, then of the 1x1 layer reading y3 into y (the
   * same y; y3 afterwards unspecified), as one pass where the 3x3 layer runs by Winograd slivers
   * (native/conv2d_act_forward.cc); caches may be null
   */
  conv_wino_pw_forward(c3: object | null, c1: object | null, x: Float32Array, w3: Float32Array, b3: Float32Array | null, y3: Float32Array,
    w1: Float32Array, b1: Float32Array | null, y: Float32Array, p3: Int32Array, p1: Int32Array, alpha3: number, alpha1: number): void;
  /** whether conv_wino_pw_forward runs p3 and p1 as one pass on this machine */
  winoPwUsable(p3: Int32Array, p1: Int32Array): boolean;
  /** why conv2d_act_forward_blocked would refuse p and layout on this machine, or null */
  blockedProblem(p: Int32Array, layout: number): string | null;
  /** without CUDA compiled in, only available(), which says so */
  cuda: CudaAddonBuilt | { available(): CudaInfo };
}

const ROOT = path.join(__dirname, '..', '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');
const CANDIDATES = [
  path.join(ROOT, 'build', 'Release', 'slimprune.node'),
  path.join(ROOT, 'build', 'Debug', 'slimprune.node'),
  path.join(ROOT, 'build-gyp', 'Release', 'slimprune.node'),
];

/** Where the addon is looked for, in order: SLIMPRUNE_ADDON alone when set, else the build folders. */
export function addonPaths(): string[] {
  return process.env.SLIMPRUNE_ADDON ? [path.resolve(process.env.SLIMPRUNE_ADDON)] : CANDIDATES;
}

let addon: NativeAddon | null | undefined;
let failure = '';

/** Loads the addon once; null (with the reason in nativeLoadError()) when it is not there. */
export function loadAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  const tried: string[] = [];
  for (const file of addonPaths()) {
    try {
      // RTLD_NOW: an addon with an unresolved symbol fails here, with a message, instead of
      // killing the process at the first call of that kernel.
      const holder = { exports: {} as NativeAddon };
      process.dlopen(holder, file, os.constants.dlopen.RTLD_NOW);
      const m = holder.exports;
      const missing: string[] = KERNEL_NAMES.filter((k) => typeof m.kernels?.[k] !== 'function');
      for (const f of ['newFilterCache', 'freeFilterCache', 'conv2d_act_forward_prepared', 'conv2d_act_forward_blocked', 'blockedProblem', 'conv2d_concat_forward', 'conv_chain_forward', 'convChainUsable', 'conv_wino_pw_forward', 'winoPwUsable'] as const) if (typeof m[f] !== 'function') missing.push(f);
      if (missing.length) {
        tried.push(`${file}: lacks kernels ${missing.join(', ')}`);
        continue;
      }
      addon = m;
      return addon;
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      tried.push(msg.includes(file) ? msg : `${file}: ${msg}`);
    }
  }
  failure = `native addon not loaded (${tried.join('; ')}); build it with \`npm run build:native\``;
  addon = null;
  return addon;
}

export function nativeLoadError(): string {
  loadAddon();
  return failure;
}

/**
 * Where the C++ dwpw_act_forward beats its two kernels (measured on MobileNetV1's pairs, 2
 * threads): 3x3 depthwise with padding 1 whose rows it computes in place, band by band (stride 2,
 * or stride 1 on rows of 64 and more; native/depthwise_impl.h dw3_usable), on output rows of at
 * least 80 (1.05-1.33x at 80 to 304 columns; 0.87-1.01x at 40 and 76, where the depthwise
 * output of the two kernels stays in cache anyway), and at stride 2 on input rows of at least 128
 * (MobileNetV1's 128 channels at 608: 152 -> 76, whose 11.8 MB input the depthwise kernel alone
 * reads from memory; 1.32x in model forwards, A/B in one process; 80 -> 40 at 320 batch 2: 0.96x,
 * and 256 channels 76 -> 38: 0.70x).
 */
export function dwpwRowsWin(p: ArrayLike<number>): boolean {
  const [, C, , W, OC, KH, KW, , OW, SH, SW, PT, PL, DH, DW, G] = Array.from(p);
  return G === C && OC === C && KH === 3 && KW === 3 && DH === 1 && DW === 1 && PT === 1 && PL === 1 && SH === SW &&
    (SW === 2 || (SW === 1 && W >= 64)) && (OW >= 80 || (SW === 2 && W >= 128));
}

function makeNativeBackend(): Backend<Float32Array> {
  const addonOrThrow = (): NativeAddon => {
    const a = loadAddon();
    if (!a) throw new Error(`native: ${failure}`);
    return a;
  };
  /**
   * n zeros whose first element starts a 64-byte cache line: a view into an array 15 floats
   * longer (JS arrays start 16 bytes into a line, so every 64-byte vector load or store of a
   * kernel would straddle two lines, and a 128-byte row of a GEMM tile touch three).
   */
  const alignedFloats = (n: number): Float32Array => {
    const addon = loadAddon();
    if (!addon || n < 16) return new Float32Array(n);
    const a = new Float32Array(n + 15);
    const skip = ((64 - addon.lineOffset(a)) % 64) >> 2;  // a Float32Array's data is 4-byte aligned
    return a.subarray(skip, skip + n);
  };
  const kernels = {} as Record<KernelName, KernelFn<Float32Array>>;
  for (const k of KERNEL_NAMES) kernels[k] = (...args) => (addonOrThrow().kernels[k] as (...x: unknown[]) => void)(...args);
  return {
    name: 'native',
    precision: 'float32',
    filterCaches: {
      create: () => addonOrThrow().newFilterCache(),
      free: (c) => addonOrThrow().freeFilterCache(c),
      conv2dAct: (c, x, w, b, y, p, alpha) => addonOrThrow().conv2d_act_forward_prepared(c, x, w, b, y, p, alpha),
    },
    blocked: {
      problem: (p, layout) => addonOrThrow().blockedProblem(p, layout),
      conv2dAct: (c, x, w, b, y, p, alpha, layout) => addonOrThrow().conv2d_act_forward_blocked(c, x, w, b, y, p, alpha, layout),
    },
    concatConvs: {
      concatConv2dAct: (c, a, b, w, bias, y, p, alpha, q) => addonOrThrow().conv2d_concat_forward(c, a, b, w, bias, y, p, alpha, q),
    },
    convChains: {
      usable: (p) => addonOrThrow().convChainUsable(p),
      convChain: (x, y, w, p, f) => addonOrThrow().conv_chain_forward(x, y, w, p, f),
    },
    convPairs: {
      usable: (p3, p1) => addonOrThrow().winoPwUsable(p3, p1),
      convPair: (c3, c1, x, w3, b3, y3, w1, b1, y, p3, p1, alpha3, alpha1) =>
        addonOrThrow().conv_wino_pw_forward(c3, c1, x, w3, b3, y3, w1, b1, y, p3, p1, alpha3, alpha1),
    },
    available(): Availability {
      return loadAddon() ? { ok: true } : { ok: false, reason: failure };
    },
    supports: () => true,
    prefersFused: (k, p) => k === 'dwpw_act_forward' && dwpwRowsWin(p),
    alloc: (n) => alignedFloats(n),
    // set() copies a typed array in bulk and any other array-like element by element
    fromArray: (d) => {
      const a = alignedFloats(d.length);
      a.set(d);
      return a;
    },
    read: (s, n) => s.slice(0, n),
    write: (s, d) => s.set(d),
    fill: (s, n, v) => void s.fill(v, 0, n),
    free: () => undefined,
    setThreads: (n) => loadAddon()?.setThreads(n),
    getThreads: () => loadAddon()?.getThreads() ?? 1,
    kernels,
  };
}

export const nativeBackend = makeNativeBackend();
