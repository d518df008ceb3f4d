/**
 * What a backend is: a small object with a name, an availability check, a support check and
 * the kernels of the contract (src/backend/kernels.ts), plus storage management.
 *
 * Storage is backend-specific: the native backend keeps Float32Arrays on the JS heap (the
 * addon reads and writes them in place), the reference keeps Float64Arrays, the WASM backends
 * keep regions of their linear memory. Tensors never look inside a storage; they ask their
 * backend to read or write it.
 *
 * A storage is freed once, by its owner (a Tensor, a Graph's parameters). Backends whose kernels
 * cannot check their own arguments (WASM) validate every call against the contract
 * (src/backend/contract_check.ts) and refuse storages that are foreign, freed or too small.
 */
import type { KernelName } from './kernels';

export type Availability = { ok: true } | { ok: false; reason: string };

/** A kernel call: storages (or Int32Array index buffers, or null for absent optional buffers), then p, then floats. */
export type KernelFn<S> = (...args: Array<S | Int32Array | null | number>) => void;

export interface Backend<S = unknown> {
  readonly name: string;
  /** Whether this backend can run on this machine, and if not, why. Cheap after the first call. */
  available(): Availability;
  /** Whether a kernel (with this geometry) runs here; false means "use another backend for it". */
  supports(kernel: KernelName, p?: ArrayLike<number>): boolean;
  /**
   * Whether a fused kernel that only the fusion pass chooses (dwpw_act_forward) is faster here than
   * the kernels it replaces, for this geometry; absent: never chosen (both give the same numbers).
   */
  prefersFused?(kernel: KernelName, p: ArrayLike<number>): boolean;
  /**
   * Kept copies of convolution filters for repeated inference (src/backend/prepared.ts): a cache
   * per filter, filled by the first conv2d_act_forward_prepared call and reused by the later ones
   * with the same weight and bias storages; absent: filters are packed per call.
   */
  readonly filterCaches?: FilterCaches<S>;
  /**
   * Convolutions on channel-blocked maps (16 channels per block), which a replayed inference
   * forward runs where its maps can stay blocked from layer to layer (src/graph/blocked_layout.ts);
   * absent: never used.
   */
  readonly blocked?: BlockedConvs<S>;
  /**
   * A 1x1 convolution whose input is a channel concatenation of two maps, each resized by
   * nearest-neighbour where its size differs, read from the two maps themselves (the replayed
   * forward's concatenation pass, src/graph/concat_fold.ts); absent: never used.
   */
  readonly concatConvs?: ConcatConvs<S>;
  /**
   * An image's stem convolution and the depthwise -> 1x1 pairs after it in bands of rows, the maps
   * between them never made (the replayed forward's chain pass, src/graph/chain_fold.ts); absent:
   * never used.
   */
  readonly convChains?: ConvChains<S>;
  /**
   * A 3x3 convolution and the 1x1 convolution reading its output as one call, the 3x3 layer's
   * outputs going through the 1x1 layer while in cache where the backend runs the 3x3 layer by
   * slivers of Winograd tiles (the replayed forward's pair pass, src/graph/pair_fold.ts); absent:
   * never used.
   */
  readonly convPairs?: ConvPairs<S>;
  /** Element precision of storages: the reference computes in float64, everything else float32. */
  readonly precision: 'float32' | 'float64';
  alloc(n: number): S;
  /** New storage holding a copy of data. */
  fromArray(data: ArrayLike<number>): S;
  /** A copy of the storage's first n elements as plain numbers (Float32Array or Float64Array). */
  read(s: S, n: number): Float32Array | Float64Array;
  /** Overwrite the storage's first data.length elements. */
  write(s: S, data: ArrayLike<number>): void;
  fill(s: S, n: number, value: number): void;
  free(s: S): void;
  /** Worker threads used by heavy kernels (backends without threads return 1). */
  setThreads?(n: number): void;
  getThreads?(): number;
  readonly kernels: Record<KernelName, KernelFn<S>>;
}

/** Backend.filterCaches: opaque caches and the convolution that uses one. */
export interface FilterCaches<S> {
  create(): object;
  /** frees what the cache holds now (it stays usable: the next call fills it again) */
  free(cache: object): void;
  /** conv2d_act_forward's arguments after the cache; p's act (last entry) may be -1: none */
  conv2dAct(cache: object, x: S, w: S, b: S | null, y: S, p: Int32Array, alpha: number): void;
}

/**
 * Backend.blocked: conv2d_act_forward on channel-blocked maps. A blocked map of [N, C, H, W] holds
 * element (n, c, h, w) at ((n * C/16 + floor(c/16)) * H*W + h*W + w) * 16 + c % 16: the same number
 * of elements as NCHW, so it lives in the same storage. Each output has the value
 * conv2d_act_forward gives it, bit for bit.
 */
export interface BlockedConvs<S> {
  /** why a call with geometry p (conv2d_act_forward's, act -1 allowed) and layout would be refused here, or null */
  problem(p: Int32Array, layout: BlockedLayout): string | null;
  /** layout: BLOCKED_X | BLOCKED_Y bits; cache: the filter's cache (filterCaches) or null */
  conv2dAct(cache: object | null, x: S, w: S, b: S | null, y: S, p: Int32Array, alpha: number, layout: BlockedLayout): void;
}

/** BlockedConvs layout bits: x blocked, y blocked. */
export const BLOCKED_X = 1;
export const BLOCKED_Y = 2;
export type BlockedLayout = 1 | 2 | 3;

/**
 * Backend.concatConvs: conv2d_act_forward (act -1 allowed) of a 1x1, stride-1, unpadded, one-group
 * layer (geometry p, C = Ca + Cb) on concat([resize(a), resize(b)]) without making it, the same
 * values bit for bit; q = [Ca, Ha, Wa, align_corners a, Hb, Wb, align_corners b], a of [N, Ca, Ha,
 * Wa] and b of [N, C - Ca, Hb, Wb], each resized to p's H x W as upsample_forward's nearest mode
 * does unless it has that size; cache: the filter's cache (filterCaches) or null.
 */
export interface ConcatConvs<S> {
  concatConv2dAct(cache: object | null, a: S, b: S, w: S, bias: S | null, y: S, p: Int32Array, alpha: number, q: Int32Array): void;
}

/**
 * Backend.convChains: conv2d_act_forward of a stem layer (p: its 17 integers) followed by
 * dwpw_act_forward of each pair after it (19 integers each), y the last pair's output, the same
 * values bit for bit; w = [ws, bs, then per pair wd, bd, wp, bp] (biases may be null), f = [the
 * stem's alpha, then per pair alpha, alpha2]. usable(p): whether the band path runs for p (else
 * the call runs the kernels one after the other through temporaries, which gains nothing).
 */
export interface ConvChains<S> {
  usable(p: Int32Array): boolean;
  convChain(x: S, y: S, w: Array<S | null>, p: Int32Array, f: Float32Array): void;
}

/**
 * Backend.convPairs: conv2d_act_forward of a 3x3 layer (p3, 17 integers; its filter cache c3 or
 * null) into y3, then of the 1x1 layer (p1: stride 1, unpadded, one group; c1) reading y3 into y,
 * the same values of y bit for bit; y3's contents afterwards are unspecified (where the pair runs
 * as one pass it is not written). usable(p3, p1): whether it runs as one pass (else the two
 * layers run one after the other through y3, which gains nothing).
 */
export interface ConvPairs<S> {
  usable(p3: Int32Array, p1: Int32Array): boolean;
  convPair(c3: object | null, c1: object | null, x: S, w3: S, b3: S | null, y3: S, w1: S, b1: S | null, y: S, p3: Int32Array, p1: Int32Array, alpha3: number, alpha1: number): void;
}
