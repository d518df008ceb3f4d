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
import { KERNELS, KERNEL_NAMES, type BufSpec, type KernelName } from './kernels';

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

/** Throws `<who> <kernel>: expected <what> for <name>, got <got>`; `got` is already rendered. */
type Fail = (what: string, name: string, got: string) => never;

/** The element count of `a` when it is a float storage of the checking backend, else undefined. */
export type StorageLength = (a: unknown) => number | undefined;

/**
 * Checks one raw call `kernel(...bufs, p, ...floats)` made on backend `who`; returns `p` copied
 * into a fresh Int32Array (so a caller's later change, or a getter, cannot alter what was checked).
 */
export function checkKernelCall(who: string, kernel: KernelName, args: ArrayLike<unknown>, storageLength: StorageLength): Int32Array {
  const spec = KERNELS[kernel] as { bufs: BufSpec[]; params: string[]; floats: string[]; sizes(p: ArrayLike<number>): number[] };
  const fail: Fail = (what, name, got) => {
    throw new KernelRangeError(`${who} ${kernel}: expected ${what} for ${name}, got ${got}`);
  };
  const failType: Fail = (what, name, got) => {
    throw new KernelTypeError(`${who} ${kernel}: expected ${what} for ${name}, got ${got}`);
  };
  const nb = spec.bufs.length;
  const nf = spec.floats.length;
  if (args.length !== nb + 1 + nf) {
    fail(`${nb + 1 + nf} arguments (${[...spec.bufs.map((s) => s.name), 'p', ...spec.floats].join(', ')})`, 'the call', `${args.length} arguments`);
  }
  const p = readP(spec.params.length, args[nb], fail, failType);
  checkGeometryOrFail(kernel, p, fail);
  for (let i = 0; i < nf; i++) {
    const f = args[nb + 1 + i];
    if (typeof f !== 'number') failType('a number', spec.floats[i], safeShow(f));
  }
  const need = spec.sizes(p);
  for (let i = 0; i < nb; i++) {
    const s = spec.bufs[i];
    const a = args[i];
    if (!(need[i] <= MAX_ELEMS)) fail(`at most ${MAX_ELEMS} elements (MAX_ELEMS)`, `${s.name} (from p)`, `${need[i]}`);
    if (a === null || a === undefined) {
      if (!s.optional) failType(s.i32 ? 'an Int32Array' : `a live ${who} storage`, s.name, safeShow(a));
      continue;
    }
    let have: number | undefined;
    if (s.i32) {
      if (!(ArrayBuffer.isView(a) && !types.isProxy(a) && a instanceof Int32Array)) failType('an Int32Array', s.name, safeShow(a));
      have = (a as Int32Array).length;
    } else {
      have = storageLength(a);
      if (have === undefined) failType(`a live ${who} storage`, s.name, safeShow(a));
    }
    if (have < need[i]) fail(`at least ${need[i]} elements (from p)`, s.name, `${have} elements`);
  }
  if (kernel === 'gather_axis' || kernel === 'scatter_add_axis') {
    const idx = args[1] as Int32Array;
    const axis = p[1], count = p[3];
    for (let j = 0; j < count; j++) {
      const v = idx[j];
      if (v < 0 || v >= axis) fail(`an index in [0, ${axis})`, `idx[${j}]`, String(v));
    }
  }
  return p;
}

function readP(count: number, raw: unknown, fail: Fail, failType: Fail): Int32Array {
  const isI32 = ArrayBuffer.isView(raw) && !types.isProxy(raw) && raw instanceof Int32Array;
  if (!isI32 && !(Array.isArray(raw) && !types.isProxy(raw))) failType(`an Array or Int32Array of ${count} integers`, 'p', safeShow(raw));
  const src = raw as ArrayLike<unknown>;
  if (src.length !== count) fail(`exactly ${count} integers`, 'p', `${src.length} entries`);
  const p = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    // A plain array may hold getters; reading one may throw, which is the caller's error to see.
    let v: unknown;
    try {
      v = src[i];
    } catch {
      failType('an integer', `p[${i}]`, 'an entry whose getter throws');
    }
    if (typeof v !== 'number' || (v | 0) !== v) failType('an int32 integer', `p[${i}]`, safeShow(v));
    p[i] = v as number;
  }
  return p;
}

/** Integers below 2^31: what the kernels' int32 index arithmetic can hold. */
const I32 = 2 ** 31 - 1;

/**
 * The geometry rules of each kernel beyond "every entry in [0, MAX_DIM]". Returns the first
 * broken rule as [what, name, got], or null when `p` is coherent.
 */
export function geometryProblem(kernel: KernelName, p: Int32Array): [string, string, string] | null {
  const names = KERNELS[kernel].params;
  for (let i = 0; i < p.length; i++) {
    if (p[i] < 0 || p[i] > MAX_DIM) return [`an integer in [0, ${MAX_DIM}] (MAX_DIM)`, `p[${i}] (${names[i]})`, String(p[i])];
  }
  const flag = (i: number) => (p[i] > 1 ? ['0 or 1', `p[${i}] (${names[i]})`, String(p[i])] as [string, string, string] : null);
  const pos = (...idx: number[]) => {
    for (const i of idx) if (p[i] < 1) return ['a positive integer', `p[${i}] (${names[i]})`, String(p[i])] as [string, string, string];
    return null;
  };
  switch (kernel) {
    case 'gemm':
      return flag(0) ?? flag(1) ?? flag(5);
    case 'conv2d_forward':
    case 'conv2d_backward_input':
    case 'conv2d_backward_filter':
      return convProblem(p);
    case 'activation_forward':
    case 'activation_backward':
      return p[1] > 5 ? ['an activation code in [0, 5]', 'p[1] (kind)', String(p[1])] : null;
    case 'pool2d_forward':
    case 'pool2d_backward':
      return poolProblem(p, flag, pos);
    case 'upsample_forward':
    case 'upsample_backward': {
      // align_corners is meaningful for both modes (nearest: Paddle's corner-aligned pick)
      const [N, C, H, W, OH, OW] = p;
      const bad = flag(6) ?? flag(7);
      if (bad) return bad;
      if (N * C * OH * OW > 0 && (H < 1 || W < 1)) return ['a non-empty input when the output is non-empty', 'p[2..3] (H, W)', `${H}x${W}`];
      if (H * OH > I32 || W * OW > I32) return ['H*OH and W*OW below 2^31', 'p (H, W, OH, OW)', `${H}*${OH}, ${W}*${OW}`];
      return null;
    }
    case 'binary_forward':
    case 'binary_backward':
      if (p[3] > 2) return ['an op code in [0, 2]', 'p[3] (op)', String(p[3])];
      return p[4] > 2 ? ['a broadcast mode in [0, 2]', 'p[4] (bmode)', String(p[4])] : null;
    case 'channel_copy': {
      const [, srcC, srcOff, dstC, dstOff, count] = p;
      if (srcOff + count > srcC) return [`srcOff + count <= srcC = ${srcC}`, 'p[2], p[5] (srcOff, count)', `${srcOff} + ${count}`];
      if (dstOff + count > dstC) return [`dstOff + count <= dstC = ${dstC}`, 'p[4], p[5] (dstOff, count)', `${dstOff} + ${count}`];
      return flag(7);
    }
    default:
      return null;
  }
}

function convProblem(p: Int32Array): [string, string, string] | null {
  const [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G] = p;
  for (const [v, name] of [[KH, 'p[5] (KH)'], [KW, 'p[6] (KW)'], [SH, 'p[9] (SH)'], [SW, 'p[10] (SW)'], [DH, 'p[13] (DH)'], [DW, 'p[14] (DW)'], [G, 'p[15] (G)']] as const) {
    if (v < 1) return ['a positive integer', name, String(v)];
  }
  if (C % G || OC % G) return [`C and OC divisible by G = ${G}`, 'p[1], p[4] (C, OC)', `${C}, ${OC}`];
  if (N * OC * OH * OW === 0) return null;
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

function poolProblem(
  p: Int32Array,
  flag: (i: number) => [string, string, string] | null,
  pos: (...i: number[]) => [string, string, string] | null,
): [string, string, string] | null {
  const [N, C, H, W, OH, OW, KH, KW, SH, SW, PT, PL] = p;
  const bad = flag(12) ?? flag(13) ?? pos(6, 7, 8, 9);
  if (bad) return bad;
  if (PT >= KH || PL >= KW) return [`padding smaller than the window ${KH}x${KW}`, 'p[10..11] (PT, PL)', `${PT}, ${PL}`];
  if (KH * KW > I32) return ['a window of fewer than 2^31 taps', 'p[6..7] (KH, KW)', `${KH}x${KW}`];
  if (N * C * OH * OW === 0) return null;
  // every window starts inside the input (or the top/left padding), so none lies wholly in padding
  if ((OH - 1) * SH >= H + PT || (OW - 1) * SW >= W + PL) {
    return ['windows that start inside the padded input', 'p[4..5] (OH, OW)', `${OH}x${OW} with stride ${SH}x${SW} over ${H}x${W}`];
  }
  return null;
}

function checkGeometryOrFail(kernel: KernelName, p: Int32Array, fail: Fail): void {
  const bad = geometryProblem(kernel, p);
  if (bad) fail(bad[0], bad[1], bad[2]);
}

/** The contract's kernels, for fuzzers and tests that walk all of them. */
export const CONTRACT_KERNELS: readonly KernelName[] = KERNEL_NAMES;
