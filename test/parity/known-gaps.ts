/**
 * Known gaps: kernels (or geometries of a kernel) that a backend declines through
 * backend.supports(), so that the op layer runs them on another backend. Each gap gives its
 * reason and one geometry `p` that hits it; test/parity/known_gaps.test.ts asserts that every
 * listed gap is still a gap (so a fixed gap gets removed from this list), and the parity cases
 * fail on any declined kernel that is not listed here.
 */
import type { KernelName } from '../../src/backend/kernels';

export interface KnownGap {
  backend: string;
  kernel: KernelName;
  reason: string;
  /** a geometry the backend declines */
  example: number[];
  /** whether a declined geometry is this gap (default: any geometry of the kernel) */
  covers?(p: readonly number[]): boolean;
}

export const KNOWN_GAPS: KnownGap[] = [];

/** The listed gap that explains `backend` declining `kernel` for `p`, if any. */
export function gapFor(backend: string, kernel: KernelName, p: readonly number[]): KnownGap | undefined {
  return KNOWN_GAPS.find((g) => g.backend === backend && g.kernel === kernel && (!g.covers || g.covers(p)));
}

/**
 * IEEE gaps: places where a backend computes a different value than the contract in
 * test/parity/ieee.ts asks for, on valid geometry, and why. The differential fuzz
 * (fuzz.test.ts) accepts a mismatch only when a gap covers its case; each gap names one fuzz
 * case that still shows it, so a fixed gap fails its check until it is removed from this list.
 */
export interface IeeeGap {
  backend: string;
  kernel: KernelName;
  reason: string;
  /** index of a fuzz case of `kernel` that shows the gap */
  exampleCase: number;
  /** whether a fuzz case is this gap */
  covers(c: { p: readonly number[]; special: boolean; omit: readonly string[] }): boolean;
}

/** Whether a conv geometry has padding on any side (top/left given, bottom/right implied by OH, OW). */
function convPadded(p: readonly number[]): boolean {
  const [, , H, W, , KH, KW, OH, OW, SH, SW, PT, PL, DH, DW] = p;
  return PT > 0 || PL > 0 || (OH - 1) * SH + (KH - 1) * DH + 1 > H + PT || (OW - 1) * SW + (KW - 1) * DW + 1 > W + PL;
}

/** The C++ conv2d_backward_filter (native/conv*.cc, also built as wasm-em) forms 0 * Inf beyond the padding taps. */
const filterGemmZeros = (backend: string, exampleCase: number): IeeeGap => ({
  backend,
  kernel: 'conv2d_backward_filter',
  reason: 'with padding and an Inf dy, the C++ backward filter also multiplies that dy by zeros of its padded buffers that lie outside the taps of some dw entries, so entries whose own taps are all in-bounds come out NaN instead of +-Inf or a finite value',
  exampleCase,
  covers: (c) => c.special && convPadded(c.p),
});

export const IEEE_GAPS: IeeeGap[] = [filterGemmZeros('native', 79), filterGemmZeros('wasm-em', 79)];

export function ieeeGapFor(backend: string, c: { kernel: KernelName; p: readonly number[]; special: boolean; omit: readonly string[] }): IeeeGap | undefined {
  return IEEE_GAPS.find((g) => g.backend === backend && g.kernel === c.kernel && g.covers(c));
}
