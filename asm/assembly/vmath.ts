// f32x4 exp and sigmoid for the activation, softmax and loss kernels.
// exp(x) = 2^n * e^r with n = round(x / ln 2), r = x - n ln 2 (ln 2 split in two parts so r is
// exact), e^r from a degree-6 polynomial on [-ln2/2, ln2/2] (Cephes' expf coefficients,
// relative error about 1e-7), 2^n built directly in the exponent bits. x is clamped to
// [-87.3, 88.37] so 2^n stays a normal float; below -87.3 the result is 0 (exp underflows
// there anyway, and softmax / sigmoid then give exact zeros). NaN stays NaN (the clamp keeps it,
// and the underflow mask only clears lanes that compare below -87.3).

@inline export function vexp(x0: v128): v128 {
  const x = f32x4.min(f32x4.max(x0, f32x4.splat(-87.3)), f32x4.splat(88.37));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let q = f32x4.splat(1.9875691500e-4);
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.3981999507e-3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(8.3334519073e-3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(4.1665795894e-2));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.6666665459e-1));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(5.0000001201e-1));
  const e = f32x4.add(f32x4.add(f32x4.mul(q, f32x4.mul(r, r)), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(e, scale), f32x4.lt(x0, f32x4.splat(-87.3)));
}

/** 1 / (1 + exp(-x)), computed from e = exp(-|x|) so nothing overflows. */
@inline export function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  const inv = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  const neg = f32x4.lt(x, f32x4.splat(0));
  return v128.bitselect(f32x4.mul(e, inv), inv, neg);
}

@inline export function sigmoid(x: f32): f32 {
  if (x >= 0) return 1 / (1 + Mathf.exp(-x));
  const e = Mathf.exp(x);
  return e / (1 + e);
}
