// Small helpers shared by the kernels: reading the int32 geometry, and f32x4 loops over
// contiguous float rows (copy, add, scale, sum) with a scalar tail for lengths that are not a
// multiple of 4. Pointers are byte addresses into linear memory, lengths are in floats.

/** p[i] of the int32 geometry at byte address p. */
@inline export function gi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** Byte address of float i of a buffer. */
@inline export function fa(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Traps: the kernel could not get scratch memory (the module cannot grow further). */
export function outOfMemory(): void {
  unreachable();
}

export function zeroF(dst: usize, n: i32): void {
  if (n >= 64) {
    memory.fill(dst, 0, <usize>n << 2);
    return;
  }
  // short runs (im2col borders): a loop beats the call into the engine's memory.fill
  let i = 0;
  const z = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) v128.store(fa(dst, i), z);
  for (; i < n; i++) store<f32>(fa(dst, i), 0);
}

export function fillF(dst: usize, n: i32, v: f32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(fa(dst, i), vv);
  for (; i < n; i++) store<f32>(fa(dst, i), v);
}

export function copyF(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    v128.store(fa(dst, i), v128.load(fa(src, i)));
    v128.store(fa(dst, i), v128.load(fa(src, i), 16), 16);
  }
  for (; i + 4 <= n; i += 4) v128.store(fa(dst, i), v128.load(fa(src, i)));
  for (; i < n; i++) store<f32>(fa(dst, i), load<f32>(fa(src, i)));
}

/** dst += src */
export function addF(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(fa(dst, i), f32x4.add(v128.load(fa(dst, i)), v128.load(fa(src, i))));
  for (; i < n; i++) store<f32>(fa(dst, i), load<f32>(fa(dst, i)) + load<f32>(fa(src, i)));
}

/** dst = src * s */
export function scaleF(dst: usize, src: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(fa(dst, i), f32x4.mul(v128.load(fa(src, i)), sv));
  for (; i < n; i++) store<f32>(fa(dst, i), load<f32>(fa(src, i)) * s);
}

@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * Sum of n floats, accumulated in f64 lanes (two pairs of f32 promoted per step): per-channel
 * statistics need it, since f32 partial sums of values far from zero lose the small spread
 * that batch norm then divides by.
 */
export function sumF(src: usize, n: i32): f64 {
  let a = f64x2.splat(0), b = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    a = f64x2.add(a, f64x2.promote_low_f32x4(v128.load64_zero(fa(src, i))));
    b = f64x2.add(b, f64x2.promote_low_f32x4(v128.load64_zero(fa(src, i), 8)));
  }
  let s: f64 = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1) + f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1);
  for (; i < n; i++) s += <f64>load<f32>(fa(src, i));
  return s;
}

/** Sum of a[i] * b[i] over n floats, same accumulation as sumF. */
export function dotF(a: usize, b: usize, n: i32): f64 {
  let x = f32x4.splat(0), y = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    x = f32x4.add(x, f32x4.mul(v128.load(fa(a, i)), v128.load(fa(b, i))));
    y = f32x4.add(y, f32x4.mul(v128.load(fa(a, i), 16), v128.load(fa(b, i), 16)));
  }
  for (; i + 4 <= n; i += 4) x = f32x4.add(x, f32x4.mul(v128.load(fa(a, i)), v128.load(fa(b, i))));
  let s: f64 = <f64>hsum(x) + <f64>hsum(y);
  for (; i < n; i++) s += <f64>load<f32>(fa(a, i)) * <f64>load<f32>(fa(b, i));
  return s;
}
