/**
 * Elementwise closeness of two arrays, numpy's rule: |a - b| <= atol + rtol * |b| (b is the
 * expected value). Equal values (equal infinities too) are close; a NaN, or a length
 * mismatch, never is. `at` is the index of the worst element measured against its own
 * tolerance, |a - b| / (atol + rtol * |b|).
 */
// Bound once: global lookups are slow inside vm contexts (the test environment).
const { abs } = Math;

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

export interface CloseResult {
  ok: boolean;
  /** largest |a - b| (Infinity on NaN or length mismatch) */
  maxErr: number;
  /** index of the worst element, -1 for empty arrays or a length mismatch */
  at: number;
}

export function allclose(a: ArrayLike<number>, b: ArrayLike<number>, tol: Tolerance = {}): CloseResult {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-8;
  if (a.length !== b.length) return { ok: false, maxErr: Infinity, at: -1 };
  let ok = true;
  let maxErr = 0;
  let worst = -Infinity;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    // Equal values (equal infinities included) are close; a NaN on either side never is.
    const same = a[i] === b[i];
    const err = same ? 0 : Number.isNaN(a[i] - b[i]) ? Infinity : abs(a[i] - b[i]);
    const ratio = same ? 0 : err === Infinity ? Infinity : err / (atol + rtol * abs(b[i]));
    if (err > maxErr) maxErr = err;
    if (ratio > 1) ok = false;
    if (ratio > worst) {
      worst = ratio;
      at = i;
    }
  }
  return { ok, maxErr, at };
}

/**
 * Throws a readable error when a and b are not close. `tol` as a number sets rtol and atol to
 * it; as an object it gives them separately (defaults rtol 1e-5, atol 1e-8).
 */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number | Tolerance = {}, what = 'values'): void {
  const t = typeof tol === 'number' ? { rtol: tol, atol: tol } : tol;
  const r = allclose(a, b, t);
  if (r.ok) return;
  if (a.length !== b.length) throw new Error(`${what}: expected ${b.length} elements, got ${a.length}`);
  throw new Error(
    `${what}: not close (rtol ${t.rtol ?? 1e-5}, atol ${t.atol ?? 1e-8}): ` +
      `at [${r.at}] got ${a[r.at]}, expected ${b[r.at]}; max |a-b| = ${r.maxErr} over ${a.length} elements`,
  );
}

/**
 * max |a - b| / max |b| (1 when b is all zero): one number for "how far is a from b" across a
 * whole tensor, the way gradients of a model are compared between backends. No Math.* in the
 * loop: global lookups are slow inside jest's vm context.
 */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, s = 0;
  for (let i = 0; i < a.length; i++) {
    const e = a[i] - b[i], v = b[i];
    d = e > d ? e : -e > d ? -e : d;
    s = v > s ? v : -v > s ? -v : s;
  }
  return d / (s || 1);
}

/** The first index where a and b differ (NaN equals NaN; a length past the shorter one's end), or -1. */
export function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i] && !(a[i] !== a[i] && b[i] !== b[i])) return i;
  return a.length === b.length ? -1 : n;
}
