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
