/**
 * Finite-difference gradient checking in float64.
 *
 * A backward kernel is checked through a scalar loss L = sum(y * r) with a fixed random r, so
 * that dL/dy = r: the analytic gradient is the backward kernel fed dy = r, the numeric one is
 * the central difference (L(x + h e_i) - L(x - h e_i)) / 2h for every element i. With h = 1e-6
 * the truncation error is O(h^2) and the rounding error about 1e-16 |L| / h, so float64 agrees
 * to ~1e-9 relative; a wrong kernel is off by O(1).
 */

/** sum_i a[i] * b[i] */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Numeric gradient of loss() with respect to every element of x, by central differences.
 * x is perturbed in place and restored; loss() must read x afresh on every call.
 */
export function numericGrad(loss: () => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + h;
    const up = loss();
    x[i] = keep - h;
    const down = loss();
    x[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/**
 * Normwise relative error between two gradients: max_i |a_i - n_i| / max(max|a|, max|n|).
 * 0 when both are exactly zero. Normwise rather than per element, so that tiny entries (pure
 * rounding noise in the numeric gradient) do not dominate.
 */
export function gradError(analytic: ArrayLike<number>, numeric: ArrayLike<number>): number {
  if (analytic.length !== numeric.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < analytic.length; i++) {
    const d = Math.abs(analytic[i] - numeric[i]);
    if (Number.isNaN(d)) return Infinity;
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(analytic[i]), Math.abs(numeric[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

export interface GradCheckResult {
  err: number;
  numeric: Float64Array;
}

/**
 * Compares an analytic gradient with the numeric one of loss() wrt x; throws a readable
 * error when the normwise relative error is above tol (default 1e-6). Also fails when the
 * gradient is identically zero, which would make the check vacuous, unless allowZero.
 */
export function checkGrad(
  what: string,
  loss: () => number,
  x: Float64Array,
  analytic: ArrayLike<number>,
  opts: { h?: number; tol?: number; allowZero?: boolean } = {},
): GradCheckResult {
  const numeric = numericGrad(loss, x, opts.h ?? 1e-6);
  const err = gradError(analytic, numeric);
  const tol = opts.tol ?? 1e-6;
  if (!(err <= tol)) {
    let at = 0;
    for (let i = 1; i < numeric.length; i++) {
      if (Math.abs(analytic[i] - numeric[i]) > Math.abs(analytic[at] - numeric[at])) at = i;
    }
    throw new Error(
      `${what}: gradient mismatch, relative error ${err.toExponential(3)} > ${tol}; ` +
        `at [${at}] analytic ${analytic[at]}, numeric ${numeric[at]}`,
    );
  }
  if (!opts.allowZero && numeric.every((v) => v === 0)) {
    throw new Error(`${what}: numeric gradient is identically zero, the check would prove nothing`);
  }
  return { err, numeric };
}

/**
 * The scalar loss L = sum(forward() * r) as a closure, for numericGrad/checkGrad: forward()
 * recomputes the output from the (perturbed) inputs each time.
 */
export function projectionLoss(forward: () => ArrayLike<number>, r: ArrayLike<number>): () => number {
  return () => dot(forward(), r);
}
