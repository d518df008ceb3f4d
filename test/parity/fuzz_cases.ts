/**
 * Random valid kernel calls for the differential fuzz (fuzz.test.ts): for every kernel of the
 * contract, a seeded generator of geometries `p` (sizes around SIMD and tile edges, stride >
 * kernel, padding >= kernel, dilation, groups, 1x1 spatial, huge windows and strides), float
 * attributes and index buffers, plus inputs with IEEE special values mixed in. Everything is
 * a function of the seed, so a failure is replayed from the seed it prints.
 */
import { KERNELS, type KernelName } from '../../src/backend/kernels';
import { rng } from '../util/rng';
import { IEEE } from './ieee';

export interface FuzzCase {
  kernel: KernelName;
  seed: number;
  p: number[];
  floats: number[];
  idx?: number[];
  /** optional buffers passed as null */
  omit: string[];
  /** whether inputs carry special values (NaN, +-Inf, denormals, -0, huge magnitudes) */
  special: boolean;
}

/** A small seeded source of choices. */
export class Dice {
  private readonly r: () => number;
  constructor(seed: number) {
    this.r = rng(seed);
  }
  /** uniform in [0, 1) */
  u(): number {
    return (this.r() + 1) / 2;
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.u() * (hi - lo + 1));
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.u() * a.length)];
  }
  chance(p: number): boolean {
    return this.u() < p;
  }
}

/** Lengths around 4- and 8-lane vectors and 16/32-wide tiles. */
const EDGE = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33];
const SMALL = [1, 2, 3, 4, 5, 7, 8, 9];
const SPATIAL = [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 16, 17];

/** Output extent of a sliding window; at least 1 because the caller keeps in + pads >= extent. */
const outSize = (n: number, pa: number, pb: number, ext: number, s: number, ceil: boolean) =>
  Math.floor((n + pa + pb - ext + (ceil ? s - 1 : 0)) / s) + 1;

function convGeometry(d: Dice, mustBeDepthwise = false): number[] {
  const depthwise = mustBeDepthwise || d.chance(0.2);
  const G = depthwise ? d.pick([1, 3, 4, 8, 17]) : d.pick([1, 1, 1, 2, 3]);
  const cpg = depthwise ? 1 : d.pick([1, 2, 3, 4, 5, 8]);
  const opg = mustBeDepthwise ? 1 : depthwise ? d.pick([1, 1, 2]) : d.pick([1, 2, 3, 4, 5, 8, 9]);
  const N = d.int(1, 2), C = G * cpg, OC = G * opg;
  const KH = d.pick([1, 1, 2, 3, 3, 5]), KW = d.chance(0.2) ? d.pick([1, 7]) : KH;
  const DH = d.pick([1, 1, 1, 2, 3]), DW = d.chance(0.5) ? DH : d.pick([1, 2]);
  const eh = (KH - 1) * DH + 1, ew = (KW - 1) * DW + 1;
  const huge = d.chance(0.08);
  const SH = huge ? d.pick([1000, 65536]) : d.pick([1, 1, 2, 2, 3, 5]);
  const SW = huge ? SH : d.chance(0.7) ? SH : d.pick([1, 2, 4]);
  const PT = d.chance(0.08) ? d.pick([eh, eh + 3, 40]) : d.int(0, eh);
  const PL = d.chance(0.7) ? (PT <= ew + 3 ? PT : ew) : d.int(0, ew + 1);
  const PB = d.chance(0.7) ? PT : d.int(0, eh);
  const PR = d.chance(0.7) ? PL : d.int(0, ew);
  let H = d.pick(SPATIAL), W = d.chance(0.6) ? H : d.pick(SPATIAL);
  H = Math.max(H, eh - PT - PB);
  W = Math.max(W, ew - PL - PR);
  const OH = outSize(H, PT, PB, eh, SH, false), OW = outSize(W, PL, PR, ew, SW, false);
  return [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G];
}

function poolGeometry(d: Dice): number[] {
  const N = d.int(1, 2), C = d.pick(SMALL);
  let H = d.pick(SPATIAL), W = d.chance(0.6) ? H : d.pick(SPATIAL);
  const hugeWin = d.chance(0.1);
  const KH = hugeWin ? 65536 : d.pick([1, 2, 2, 3, 3, 5, 7]);
  const KW = hugeWin ? 65536 : d.chance(0.7) ? KH : d.pick([1, 2, 3]);
  const SH = d.chance(0.1) ? d.pick([1000, 65536]) : d.pick([1, 1, 2, 2, 3, 4]);
  const SW = d.chance(0.7) ? SH : d.pick([1, 2, 3]);
  // padding >= kernel makes windows that lie wholly in the padding
  const PT = hugeWin ? 32768 : d.chance(0.25) ? d.int(KH, KH + 2) : d.int(0, Math.floor(KH / 2));
  const PL = hugeWin ? 32768 : d.chance(0.7) ? Math.min(PT, KW + 2) : d.int(0, KW);
  H = Math.max(H, KH - 2 * PT);
  W = Math.max(W, KW - 2 * PL);
  const ceil = d.chance(0.3);
  const OH = outSize(H, PT, PT, KH, SH, ceil), OW = outSize(W, PL, PL, KW, SW, ceil);
  return [N, C, H, W, OH, OW, KH, KW, SH, SW, PT, PL, d.int(0, 1), d.int(0, 1)];
}

function upsampleGeometry(d: Dice): number[] {
  const H = d.pick(SPATIAL), W = d.pick(SPATIAL);
  const up = d.chance(0.6);
  const OH = up ? H * d.pick([1, 2, 2, 3]) + (d.chance(0.3) ? d.int(0, 3) : 0) : d.int(1, H);
  const OW = d.chance(0.6) ? Math.max(1, Math.round((OH * W) / H)) : d.pick([1, 2, 5, 16, 17, 33]);
  return [d.int(1, 2), d.pick(SMALL), H, W, OH, OW, d.int(0, 1), d.int(0, 1)];
}

const nchw = (d: Dice) => [d.int(1, 3), d.pick(EDGE), d.pick([1, 2, 3, 4, 5, 9, 16, 17, 33, 49])];

/** p (and floats, idx, omitted buffers) for one call of `kernel`. */
function geometry(kernel: KernelName, d: Dice): Omit<FuzzCase, 'kernel' | 'seed' | 'special'> {
  const f = (v: number) => Math.fround(v);
  const omitSome = (names: string[], keepOne: boolean) => {
    const o = names.filter(() => d.chance(0.25));
    return keepOne && o.length === names.length ? o.slice(1) : o;
  };
  switch (kernel) {
    case 'gemm':
      return { p: [d.int(0, 1), d.int(0, 1), d.pick(EDGE), d.pick([...EDGE, 64, 65]), d.pick([...EDGE, 64, 65]), d.int(0, 1)], floats: [f(d.pick([1, 1, -2.5, 0.37, 0]))], omit: [] };
    case 'conv2d_forward':
      return { p: convGeometry(d), floats: [], omit: d.chance(0.3) ? ['b'] : [] };
    case 'conv2d_backward_input':
      return { p: convGeometry(d), floats: [], omit: [] };
    case 'conv2d_backward_filter':
      return { p: convGeometry(d), floats: [], omit: d.chance(0.3) ? ['db'] : [] };
    case 'batch_norm_train_forward':
      return { p: nchw(d), floats: [f(d.pick([1e-5, 1e-3])), f(d.pick([0.9, 0.99, 0.1]))], omit: [] };
    case 'batch_norm_infer_forward':
      return { p: nchw(d), floats: [f(d.pick([1e-5, 1e-3]))], omit: [] };
    case 'batch_norm_backward':
    case 'affine_channel_forward':
      return { p: nchw(d), floats: [], omit: [] };
    case 'affine_channel_backward':
      return { p: nchw(d), floats: [], omit: omitSome(['dx', 'dscale', 'dbias'], true) };
    case 'bn_fold':
      return { p: [d.pick(EDGE), d.pick([1, 9, 27, 72])], floats: [f(d.pick([1e-5, 1e-3]))], omit: d.chance(0.3) ? ['b'] : [] };
    case 'gather_axis':
    case 'scatter_add_axis': {
      const axis = d.pick(SMALL), count = d.pick([1, 2, 3, 5, 8]);
      const idx = Array.from({ length: count }, () => d.int(0, axis - 1));
      return { p: [d.int(1, 3), axis, d.pick([1, 3, 4, 17]), count], floats: [], idx, omit: [] };
    }
    case 'activation_forward':
    case 'activation_backward': {
      const kind = d.int(0, 5);
      return { p: [d.pick([...EDGE, 64, 67]), kind], floats: [f(kind === 5 ? 0.2 : d.pick([0.1, 0.01]))], omit: [] };
    }
    case 'pool2d_forward':
    case 'pool2d_backward':
      return { p: poolGeometry(d), floats: [], omit: [] };
    case 'upsample_forward':
    case 'upsample_backward':
      return { p: upsampleGeometry(d), floats: [], omit: [] };
    case 'binary_forward':
      return { p: [d.int(1, 3), d.pick(EDGE), d.pick([1, 3, 4, 5, 16, 17]), d.int(0, 2), d.int(0, 2)], floats: [], omit: [] };
    case 'binary_backward':
      return { p: [d.int(1, 3), d.pick(EDGE), d.pick([1, 3, 4, 5, 16, 17]), d.int(0, 2), d.int(0, 2)], floats: [], omit: omitSome(['da', 'db'], true) };
    case 'channel_copy': {
      const srcC = d.pick(EDGE), dstC = d.pick(EDGE), count = d.int(1, Math.min(srcC, dstC));
      return { p: [d.int(1, 3), srcC, d.int(0, srcC - count), dstC, d.int(0, dstC - count), count, d.pick([1, 3, 4, 5, 17]), d.int(0, 1)], floats: [], omit: [] };
    }
    case 'sgd_momentum':
      return { p: [d.pick([...EDGE, 64, 67])], floats: [f(d.pick([0.01, 0.1, 1e-4])), f(d.pick([0.9, 0])), f(d.pick([5e-4, 0]))], omit: [] };
    case 'reduce_sum':
    case 'softmax_forward':
    case 'softmax_backward':
      return { p: [d.int(1, 3), d.pick([...EDGE, 80]), d.pick([1, 1, 3, 4, 5, 17])], floats: [], omit: [] };
    case 'sigmoid_bce_forward':
    case 'sigmoid_bce_backward':
      return { p: [d.pick([...EDGE, 64, 67])], floats: [], omit: [] };
    case 'axpy':
      return { p: [d.pick([...EDGE, 64, 67])], floats: [f(d.pick([1, -0.5, 3, 0]))], omit: [] };
    case 'conv2d_act_forward':
      // relu and leaky_relu only: the 'sum' bound is the kernel run on |inputs|, which these map
      // to itself; relu6 would clamp the bound to 6 while the error scales with the sum of |terms|
      // (relu6 is covered by the parity cases)
      return { p: [...convGeometry(d), d.int(0, 1)], floats: [f(d.pick([0.1, 0.01]))], omit: d.chance(0.3) ? ['b'] : [] };
    case 'dwpw_act_forward':
      // a depthwise layer (multiplier 1), then OC2 outputs; relu and leaky_relu only, as above
      return {
        p: [...convGeometry(d, true), d.int(0, 1), d.pick([1, 2, 5, 13, 17]), d.int(0, 1)],
        floats: [f(d.pick([0.1, 0.01])), f(d.pick([0.1, 0.01]))],
        omit: [...(d.chance(0.3) ? ['bd'] : []), ...(d.chance(0.3) ? ['bp'] : [])],
      };
    case 'batch_norm_act_train_forward':
      return { p: [...nchw(d), d.int(0, 2)], floats: [f(d.pick([1e-5, 1e-3])), f(d.pick([0.9, 0.99, 0.1])), f(d.pick([0.1, 0.01]))], omit: [] };
    case 'batch_norm_act_backward':
      return { p: [...nchw(d), d.int(0, 2)], floats: [f(d.pick([0.1, 0.01]))], omit: [] };
    case 'roi_align_forward':
    case 'roi_align_backward': {
      const N = d.int(1, 3), R = d.pick([0, 1, 2, 3, 5, 8]);
      const idx = Array.from({ length: R }, () => d.int(0, N - 1));
      const p = [N, d.pick(SMALL), d.pick(SPATIAL), d.pick(SPATIAL), R, d.pick([1, 2, 3, 7, 14]), d.pick([1, 2, 3, 7, 14]), d.pick([0, 0, 1, 2, 3])];
      return { p, floats: [f(d.pick([1, 0.5, 0.25, 0.0625]))], idx, omit: [] };
    }
  }
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The seed of case i of a kernel: stable across runs and independent of the other kernels. */
export const caseSeed = (kernel: KernelName, i: number) => (hash(kernel) + Math.imul(i, 0x9e3779b1)) >>> 0;

/** Case `i` of `kernel`: odd cases carry special values. */
export function fuzzCase(kernel: KernelName, i: number): FuzzCase {
  const seed = caseSeed(kernel, i);
  return { kernel, seed, special: i % 2 === 1, ...geometry(kernel, new Dice(seed)) };
}

/**
 * The inputs of a case as float32-representable float64 arrays (null for omitted buffers,
 * Int32Array for index buffers). 'out' buffers start as NaN, so an element a kernel forgets to
 * write shows up; 'in' and 'inout' buffers are random. In a special case each buffer holds every
 * special value once (as far as its length allows) at seeded positions, and about one element in
 * eight of the rest is a special value too.
 */
export function fuzzInputs(c: FuzzCase): Array<Float64Array | Int32Array | null> {
  const spec = KERNELS[c.kernel];
  const sizes = spec.sizes(c.p);
  const huge = IEEE[c.kernel].huge;
  const specials = [NaN, Infinity, -Infinity, -0, 0, 1e-40, -1e-40, 1.4e-45, -3e-39, huge, -huge, huge / 3, -huge * 0.7];
  return spec.bufs.map((b, i) => {
    if (c.omit.includes(b.name)) return null;
    if (b.i32) return Int32Array.from(c.idx ?? []);
    const d = new Dice(c.seed * 31 + i + 1);
    const out = new Float64Array(sizes[i]);
    if (b.role === 'out') return out.fill(NaN);
    // rois: corners across the map and beyond it, in image pixels
    const [lo, hi] = /var|invstd/.test(b.name) ? [0.25, 2] : /label/.test(b.name) ? [0, 1] : b.name === 'rois' ? [-8, 40] : [-1, 1];
    for (let j = 0; j < out.length; j++) {
      out[j] = Math.fround(c.special && d.chance(1 / 8) ? d.pick(specials) : lo + d.u() * (hi - lo));
    }
    if (c.special) for (const v of specials.slice(0, out.length)) out[d.int(0, out.length - 1)] = Math.fround(v);
    return out;
  });
}

/** A one-line description of a case, with what replays it. */
export function describeCase(c: FuzzCase, i: number): string {
  const extra = [c.floats.length ? `floats=[${c.floats.join(', ')}]` : '', c.omit.length ? `omit=${c.omit.join(',')}` : '', c.idx ? `idx=[${c.idx.join(',')}]` : ''].filter(Boolean).join(' ');
  return `${c.kernel} case ${i} (seed ${c.seed}${c.special ? ', special values' : ''}) p=[${c.p.join(', ')}]${extra ? ' ' + extra : ''}`;
}
