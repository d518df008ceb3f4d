/**
 * Validation of a raw kernel call against the contract (src/backend/kernels.ts), for the entry
 * points that take buffers and `p` straight from a caller: the WASM wrappers, and tests of any
 * backend. The TS op layer (src/backend/op/check.ts) checks tensors and attributes; this file
 * checks what a kernel itself is handed, so that nothing a caller passes can make a kernel read
 * or write outside its buffers:
 *
 * - every buffer is a storage of the calling backend (an Int32Array for index buffers, null for
 *   an absent optional one) holding at least `sizes(p)` elements;
 * - `p` is an Array or Int32Array of exactly the kernel's parameter count of int32 integers,
 *   each in [0, MAX_DIM], plus the relations the kernels rely on (flags 0/1, strides >= 1,
 *   groups dividing channels, windows starting inside the input, index values in range, ...);
 * - the float attributes are numbers.
 *
 * Element counts are products of at most four integers <= 2^24, so they are exact or at least
 * far above MAX_ELEMS in float64 arithmetic: a product never wraps into a small size. Any JS
 * value is rendered without calling its own methods (Symbols, Proxies and throwing `toString`
 * give a message, never a second exception).
 * Messages: `<backend> <kernel>: expected <what> for <name>, got <value>`.
 */
import { types } from 'util';
import { MAX_DIM, MAX_ELEMS, MAX_SCRATCH_BYTES } from './limits';
import { KERNELS, KERNEL_NAMES, ROI_MAX_SAMPLING_RATIO, type BufSpec, type KernelName } from './kernels';

/** Wrong kind of argument (not a storage, not a number, not an array...). */
export class KernelTypeError extends TypeError {
  override name = 'KernelTypeError';
}
/** Right kind, wrong value (size, range, relation between geometry integers). */
export class KernelRangeError extends RangeError {
  override name = 'KernelRangeError';
}

/** A rendering of any JS value that never runs the value's own code. */
export function safeShow(v: unknown): string {
  switch (typeof v) {
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v.toString()}n`;
    case 'string':
      return v.length > 40 ? `'${v.slice(0, 40)}...'` : `'${v}'`;
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'symbol':
      return 'a Symbol';
    case 'function':
      return 'a function';
  }
  if (v === null) return 'null';
  if (types.isProxy(v)) return 'a Proxy';
  if (ArrayBuffer.isView(v)) {
    const shared = types.isSharedArrayBuffer((v as unknown as { buffer: unknown }).buffer) ? ' over a SharedArrayBuffer' : '';
    const len = (v as unknown as { length?: number }).length;
    return `${Object.prototype.toString.call(v).slice(8, -1)}(${len ?? (v as DataView).byteLength})${shared}`;
  }
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return 'an object';
}

/** The element count of `a` when it is a float storage of the checking backend, else undefined. */
export type StorageLength = (a: unknown) => number | undefined;

// Built only on the failure path, so a passing call allocates nothing but its copy of p.
function bad(who: string, kernel: string, what: string, name: string, got: string): never {
  throw new KernelRangeError(`${who} ${kernel}: expected ${what} for ${name}, got ${got}`);
}
function badType(who: string, kernel: string, what: string, name: string, got: string): never {
  throw new KernelTypeError(`${who} ${kernel}: expected ${what} for ${name}, got ${got}`);
}

/**
 * Checks one raw call `kernel(...bufs, p, ...floats)` made on backend `who`; returns `p` as an
 * Int32Array: the caller's own when it gave one (no getters can run on it), else a copy of the
 * array read once (so a getter cannot answer differently later).
 */
export function checkKernelCall(who: string, kernel: KernelName, args: ArrayLike<unknown>, storageLength: StorageLength): Int32Array {
  const spec = KERNELS[kernel] as { bufs: BufSpec[]; params: string[]; floats: string[]; sizes(p: ArrayLike<number>): number[] };
  const nb = spec.bufs.length;
  const nf = spec.floats.length;
  if (args.length !== nb + 1 + nf) {
    bad(who, kernel, `${nb + 1 + nf} arguments (${[...spec.bufs.map((s) => s.name), 'p', ...spec.floats].join(', ')})`, 'the call', `${args.length} arguments`);
  }
  const p = readP(who, kernel, spec.params.length, args[nb]);
  const problem = geometryProblem(kernel, p);
  if (problem) bad(who, kernel, problem[0], problem[1], problem[2]);
  for (let i = 0; i < nf; i++) {
    const f = args[nb + 1 + i];
    if (typeof f !== 'number') badType(who, kernel, 'a number', spec.floats[i], safeShow(f));
  }
  const need = spec.sizes(p);
  for (let i = 0; i < nb; i++) {
    const s = spec.bufs[i];
    const a = args[i];
    if (!(need[i] <= MAX_ELEMS)) bad(who, kernel, `at most ${MAX_ELEMS} elements (MAX_ELEMS)`, `${s.name} (from p)`, `${need[i]}`);
    if (a === null || a === undefined) {
      if (!s.optional) badType(who, kernel, s.i32 ? 'an Int32Array' : `a live ${who} storage`, s.name, safeShow(a));
      continue;
    }
    let have: number | undefined;
    if (s.i32) {
      if (!(a instanceof Int32Array && ArrayBuffer.isView(a) && !types.isProxy(a))) badType(who, kernel, 'an Int32Array', s.name, safeShow(a));
      have = (a as Int32Array).length;
    } else {
      have = storageLength(a);
      if (have === undefined) badType(who, kernel, `a live ${who} storage`, s.name, safeShow(a));
    }
    if (have < need[i]) bad(who, kernel, `at least ${need[i]} elements (from p)`, s.name, `${have} elements`);
  }
  if (kernel === 'roi_align_forward' || kernel === 'roi_align_backward') {
    const batch = args[2] as Int32Array;
    const N = p[0], R = p[4];
    for (let r = 0; r < R; r++) {
      const v = batch[r];
      if (v < 0 || v >= N) bad(who, kernel, `a batch index in [0, ${N})`, `batch[${r}]`, String(v));
    }
  }
  if (kernel === 'gather_axis' || kernel === 'scatter_add_axis') {
    const idx = args[1] as Int32Array;
    const axis = p[1], count = p[3];
    for (let j = 0; j < count; j++) {
      const v = idx[j];
      if (v < 0 || v >= axis) bad(who, kernel, `an index in [0, ${axis})`, `idx[${j}]`, String(v));
    }
  }
  return p;
}

function readP(who: string, kernel: string, count: number, raw: unknown): Int32Array {
  if (raw instanceof Int32Array && ArrayBuffer.isView(raw) && !types.isProxy(raw)) {
    if (raw.length !== count) bad(who, kernel, `exactly ${count} integers`, 'p', `${raw.length} entries`);
    return raw;
  }
  if (!Array.isArray(raw) || types.isProxy(raw)) badType(who, kernel, `an Array or Int32Array of ${count} integers`, 'p', safeShow(raw));
  const src = raw as unknown[];
  if (src.length !== count) bad(who, kernel, `exactly ${count} integers`, 'p', `${src.length} entries`);
  const p = new Int32Array(count);
  let i = 0;
  try {
    for (; i < count; i++) {
      const v = src[i];
      if (typeof v !== 'number' || (v | 0) !== v) badType(who, kernel, 'an int32 integer', `p[${i}]`, safeShow(v));
      p[i] = v;
    }
  } catch (e) {
    if (e instanceof KernelTypeError) throw e;
    // a getter inside p threw: that is the caller's bad argument, not an internal error
    badType(who, kernel, 'an integer', `p[${i}]`, 'an entry whose getter throws');
  }
  return p;
}

/** Integers below 2^31: what the kernels' int32 index arithmetic can hold. */
const I32 = 2 ** 31 - 1;

/**
 * The geometry rules of each kernel beyond "every entry in [0, MAX_DIM]". Returns the first
 * broken rule as [what, name, got], or null when `p` is coherent.
 */
export function geometryProblem(kernel: KernelName, p: Int32Array): Problem | null {
  const names = KERNELS[kernel].params;
  for (let i = 0; i < p.length; i++) {
    if (p[i] < 0 || p[i] > MAX_DIM) return [`an integer in [0, ${MAX_DIM}] (MAX_DIM)`, `p[${i}] (${names[i]})`, String(p[i])];
  }
  switch (kernel) {
    case 'gemm':
      return flag(p, names, 0) ?? flag(p, names, 1) ?? flag(p, names, 5);
    case 'conv2d_forward':
    case 'conv2d_backward_input':
    case 'conv2d_backward_filter':
      return convProblem(p);
    case 'conv2d_act_forward':
      return convProblem(p) ?? (p[16] > 2 ? ['a fused activation code in [0, 2]', 'p[16] (act)', String(p[16])] : null);
    case 'dwpw_act_forward':
      return convProblem(p) ?? dwpwProblem(p);
    case 'batch_norm_act_train_forward':
    case 'batch_norm_act_backward':
      return p[3] > 2 ? ['a fused activation code in [0, 2]', 'p[3] (act)', String(p[3])] : null;
    case 'activation_forward':
    case 'activation_backward':
      return p[1] > 5 ? ['an activation code in [0, 5]', 'p[1] (kind)', String(p[1])] : null;
    case 'pool2d_forward':
    case 'pool2d_backward':
      return poolProblem(p, names);
    case 'upsample_forward':
    case 'upsample_backward': {
      // align_corners is meaningful for both modes (nearest: Paddle's corner-aligned pick)
      const H = p[2], W = p[3], OH = p[4], OW = p[5];
      const wrong = flag(p, names, 6) ?? flag(p, names, 7) ?? pos(p, names, UPSAMPLE_POSITIVE);
      if (wrong) return wrong;
      if (H * OH > I32 || W * OW > I32) return ['H*OH and W*OW below 2^31', 'p (H, W, OH, OW)', `${H}*${OH}, ${W}*${OW}`];
      return null;
    }
    case 'gather_axis':
    case 'scatter_add_axis':
      return p[1] === 0 && p[3] > 0 ? ['a non-empty axis when count > 0', 'p[1] (axis)', '0'] : null;
    case 'roi_align_forward':
    case 'roi_align_backward':
      return roiProblem(p, names);
    case 'binary_forward':
    case 'binary_backward':
      if (p[3] > 2) return ['an op code in [0, 2]', 'p[3] (op)', String(p[3])];
      return p[4] > 2 ? ['a broadcast mode in [0, 2]', 'p[4] (bmode)', String(p[4])] : null;
    case 'channel_copy': {
      const srcC = p[1], srcOff = p[2], dstC = p[3], dstOff = p[4], count = p[5];
      if (srcOff + count > srcC) return [`srcOff + count <= srcC = ${srcC}`, 'p[2], p[5] (srcOff, count)', `${srcOff} + ${count}`];
      if (dstOff + count > dstC) return [`dstOff + count <= dstC = ${dstC}`, 'p[4], p[5] (dstOff, count)', `${dstOff} + ${count}`];
      return flag(p, names, 7);
    }
    default:
      return null;
  }
}

type Problem = [string, string, string];
/** Entry i must be 0 or 1. */
function flag(p: Int32Array, names: readonly string[], i: number): Problem | null {
  return p[i] > 1 ? ['0 or 1', `p[${i}] (${names[i]})`, String(p[i])] : null;
}
/** Entries idx must be >= 1. */
function pos(p: Int32Array, names: readonly string[], idx: readonly number[]): Problem | null {
  for (const i of idx) if (p[i] < 1) return ['a positive integer', `p[${i}] (${names[i]})`, String(p[i])];
  return null;
}
// Every size too: the op layer never launches these kernels on empty tensors, and the kernels
// divide by sizes (a zero OW is an integer division by zero, a trap in WASM).
const CONV_POSITIVE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15]; // all but PT, PL
const POOL_POSITIVE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]; // all but PT, PL and the flags
const UPSAMPLE_POSITIVE = [0, 1, 2, 3, 4, 5]; // N, C, H, W, OH, OW

function convProblem(p: Int32Array): Problem | null {
  const bad = pos(p, KERNELS.conv2d_forward.params, CONV_POSITIVE);
  if (bad) return bad;
  const C = p[1], H = p[2], W = p[3], OC = p[4], KH = p[5], KW = p[6], OH = p[7], OW = p[8];
  const SH = p[9], SW = p[10], PT = p[11], PL = p[12], DH = p[13], DW = p[14], G = p[15];
  if (C % G || OC % G) return [`C and OC divisible by G = ${G}`, 'p[1], p[4] (C, OC)', `${C}, ${OC}`];
  // The output rows span (OH-1)*SH + DH*(KH-1) + 1 rows of the padded input; what lies past
  // H + PT is the bottom padding, which must be a valid padding (<= MAX_DIM) too.
  const spanH = (OH - 1) * SH + DH * (KH - 1) + 1, spanW = (OW - 1) * SW + DW * (KW - 1) + 1;
  if (spanH - H - PT > MAX_DIM || spanW - W - PL > MAX_DIM) {
    return [`an output whose window span fits the input plus padding <= ${MAX_DIM}`, 'p (OH, SH, KH, DH / OW, SW, KW, DW)', `spans ${spanH}x${spanW} over ${H}x${W} padded by ${PT}, ${PL}`];
  }
  if (H + PT - DH * (KH - 1) - 1 >= OH * SH || W + PL - DW * (KW - 1) - 1 >= OW * SW) {
    return ['OH, OW at least the output size of the unpadded-bottom geometry', 'p[7..8] (OH, OW)', `${OH}x${OW}`];
  }
  // The largest temporary a backend makes: the column matrix of one image, or its padded planes.
  const cols = (C / G) * KH * KW * OH * OW;
  const planes = C * (H + PT + Math.max(0, spanH - H - PT)) * (W + PL + Math.max(0, spanW - W - PL));
  const bytes = 4 * Math.max(cols, planes);
  if (bytes > MAX_SCRATCH_BYTES) return [`scratch of at most ${MAX_SCRATCH_BYTES} bytes (MAX_SCRATCH_BYTES)`, 'p (conv geometry)', `${bytes} bytes`];
  return null;
}

// The depthwise half (G == C == OC, its activation), the pointwise half's OC2 and activation, and
// the depthwise output a backend may hold whole (one tensor of N x C x OH x OW).
function dwpwProblem(p: Int32Array): Problem | null {
  const C = p[1], OC = p[4], G = p[15];
  if (G !== C || OC !== C) return ['a depthwise layer (G == C == OC)', 'p[1], p[4], p[15] (C, OC, G)', `${C}, ${OC}, ${G}`];
  if (p[16] > 2) return ['a fused activation code in [0, 2]', 'p[16] (act)', String(p[16])];
  if (p[17] < 1) return ['at least 1 pointwise output channel', 'p[17] (OC2)', String(p[17])];
  if (p[18] > 2) return ['a fused activation code in [0, 2]', 'p[18] (act2)', String(p[18])];
  const bytes = 4 * p[0] * C * p[7] * p[8];
  if (bytes > MAX_SCRATCH_BYTES) return [`a depthwise output of at most ${MAX_SCRATCH_BYTES} bytes (MAX_SCRATCH_BYTES)`, 'p (N, C, OH, OW)', `${bytes} bytes`];
  return null;
}

// RoIAlign: the kernels divide by PH and PW and index x by H and W; N bounds the batch indices.
function roiProblem(p: Int32Array, names: readonly string[]): Problem | null {
  const bad = pos(p, names, [0, 2, 3, 5, 6]);
  if (bad) return bad;
  if (p[2] * p[3] > I32) return ['H*W below 2^31', 'p[2..3] (H, W)', `${p[2]}*${p[3]}`];
  // each bin averages sampling_ratio^2 samples: a huge ratio would keep a kernel busy for hours
  if (p[7] > ROI_MAX_SAMPLING_RATIO) return [`a sampling_ratio in [0, ${ROI_MAX_SAMPLING_RATIO}]`, 'p[7] (sampling_ratio)', String(p[7])];
  return null;
}

function poolProblem(p: Int32Array, names: readonly string[]): Problem | null {
  const H = p[2], W = p[3], OH = p[4], OW = p[5], KH = p[6], KW = p[7], SH = p[8], SW = p[9], PT = p[10], PL = p[11];
  const bad = flag(p, names, 12) ?? flag(p, names, 13) ?? pos(p, names, POOL_POSITIVE);
  if (bad) return bad;
  if (PT >= KH || PL >= KW) return [`padding smaller than the window ${KH}x${KW}`, 'p[10..11] (PT, PL)', `${PT}, ${PL}`];
  if (KH * KW > I32) return ['a window of fewer than 2^31 taps', 'p[6..7] (KH, KW)', `${KH}x${KW}`];
  // every window starts inside the input (or the top/left padding), so none lies wholly in padding
  if ((OH - 1) * SH >= H + PT || (OW - 1) * SW >= W + PL) {
    return ['windows that start inside the padded input', 'p[4..5] (OH, OW)', `${OH}x${OW} with stride ${SH}x${SW} over ${H}x${W}`];
  }
  return null;
}

/** The contract's kernels, for fuzzers and tests that walk all of them. */
export const CONTRACT_KERNELS: readonly KernelName[] = KERNEL_NAMES;
