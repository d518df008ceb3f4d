// The SGEMM engine behind gemm and the convolutions (GotoBLAS-style, single thread, f32x4).
//
//   C[M x N] = op(A)[M x K] * op(B)[K x N]  (+ C when accumulating), row-major, byte pointers.
//
// Both operands are first packed so the inner loop reads memory strictly sequentially:
//   A (alpha folded in) -> row panels of MR rows, each stored k-major: Ap[k*MR + r];
//   B                   -> column panels of NR columns, each stored k-major: Bp[k*NR + c];
// with K cut into equal blocks of at most KC_MAX (kcOf), so one B panel (kc x NR floats, at
// most 12 KiB) stays in L1 while the MR-row A panels of the current block stream from L2.
// Ragged edges are zero-padded in the packs and written back through a small tile.
// The micro-kernel keeps a 4 x 8 block of C in 8 f32x4 registers: per k it splats 4 values of
// A (one load-splat each) and multiplies two vectors of B. With the two B vectors and the
// splat that is 11 to 15 live vector registers, all x86-64 has; 5x8, 6x8 and a k-unrolled
// 4x8 measured slower under V8. WASM SIMD has no fused multiply-add, so it is mul then add.
// Layout of a packed operand with P padded rows (A) or columns (B) and R = MR or NR:
//   the block starting at k = pc starts at float pc*P; panel q of that block at + q*kcb*R,
//   kcb = min(kc, K - pc), kc = kcOf(K).
import { alloc, free } from './mem';

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC_MAX: i32 = 384;
/** Rows of A per L2 block (a multiple of MR). */
const MC: i32 = 64;

/** The K block length for a GEMM of depth K: K split into equal blocks of at most KC_MAX, rounded up to 8. */
@inline export function kcOf(K: i32): i32 {
  const nb = (K + KC_MAX - 1) / KC_MAX;
  return nb <= 1 ? max(K, 1) : (((K + nb - 1) / nb + 7) & ~7);
}

const tile: usize = memory.data(MR * NR * 4, 16);

@inline export function roundUp(x: i32, m: i32): i32 {
  return ((x + m - 1) / m) * m;
}

/** Floats needed for packed A (M x K). */
@inline export function packedASize(M: i32, K: i32): usize {
  return <usize>roundUp(M, MR) * <usize>K;
}
/** Floats needed for packed B (K x N). */
@inline export function packedBSize(K: i32, N: i32): usize {
  return <usize>roundUp(N, NR) * <usize>K;
}

/** Packs alpha * op(A); A is M x K (row stride lda) or, transposed, K x M. */
export function packA(a: usize, lda: i32, trans: bool, M: i32, K: i32, alpha: f32, dst: usize): void {
  const Mp = roundUp(M, MR);
  const kc = kcOf(K);
  for (let pc = 0; pc < K; pc += kc) {
    const kcb = min(kc, K - pc);
    for (let i0 = 0; i0 < Mp; i0 += MR) {
      let d = dst + ((<usize>pc * Mp + <usize>i0 * kcb) << 2);
      const rows = min(MR, M - i0);
      if (!trans) {
        for (let r = 0; r < MR; r++) {
          let o = d + (<usize>r << 2);
          if (r < rows) {
            let s = a + ((<usize>(i0 + r) * lda + pc) << 2);
            for (let k = 0; k < kcb; k++) {
              store<f32>(o, load<f32>(s) * alpha);
              s += 4;
              o += MR << 2;
            }
          } else {
            for (let k = 0; k < kcb; k++) {
              store<f32>(o, 0);
              o += MR << 2;
            }
          }
        }
      } else {
        for (let k = 0; k < kcb; k++) {
          const s = a + ((<usize>(pc + k) * lda + i0) << 2);
          for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), r < rows ? load<f32>(s + (<usize>r << 2)) * alpha : 0);
          d += MR << 2;
        }
      }
    }
  }
}

/** Scatters row k of B (N floats at src) into a packed B of K rows. */
export function packBRow(src: usize, k: i32, K: i32, N: i32, dst: usize): void {
  const Np = roundUp(N, NR);
  const kc = kcOf(K);
  const pc = k - k % kc;
  const kcb = min(kc, K - pc);
  let o = dst + ((<usize>pc * Np + <usize>(k - pc) * NR) << 2);
  const step = <usize>kcb * NR << 2;
  let j0 = 0;
  for (; j0 + NR <= N; j0 += NR) {
    v128.store(o, v128.load(src + (<usize>j0 << 2)));
    v128.store(o, v128.load(src + (<usize>j0 << 2), 16), 16);
    o += step;
  }
  if (j0 < N) {
    for (let c = 0; c < NR; c++) store<f32>(o + (<usize>c << 2), j0 + c < N ? load<f32>(src + (<usize>(j0 + c) << 2)) : 0);
  }
}

/**
 * Packs the panel of columns j0 .. j0+NR-1 of a transposed B (op(B)[k][j] = row j at k):
 * row c of the panel (column j0 + c of op(B)) is K floats at src + c*ld floats; cols (<= NR) rows
 * exist, the others are zero. Full panels transpose 4 x 4 blocks with shuffles.
 */
export function packBPanelT(src: usize, ld: i32, cols: i32, K: i32, N: i32, j0: i32, dst: usize): void {
  const Np = roundUp(N, NR);
  const ldb = <usize>ld << 2;
  const kc = kcOf(K);
  for (let pc = 0; pc < K; pc += kc) {
    const kcb = min(kc, K - pc);
    let o = dst + ((<usize>pc * Np + <usize>j0 * kcb) << 2);
    let s = src + (<usize>pc << 2);
    let k = 0;
    if (cols == NR) {
      for (; k + 4 <= kcb; k += 4) {
        // rows 0..3 -> lanes 0..3 of the first half, rows 4..7 -> the second half
        for (let h = 0; h < 2; h++) {
          const r = s + <usize>(h * 4) * ldb;
          const a = v128.load(r), b = v128.load(r + ldb), c = v128.load(r + 2 * ldb), d = v128.load(r + 3 * ldb);
          const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
          const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5), t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
          const oh = o + (<usize>h << 4);
          v128.store(oh, i64x2.shuffle(t0, t2, 0, 2));
          v128.store(oh, i64x2.shuffle(t0, t2, 1, 3), NR * 4);
          v128.store(oh, i64x2.shuffle(t1, t3, 0, 2), NR * 8);
          v128.store(oh, i64x2.shuffle(t1, t3, 1, 3), NR * 12);
        }
        s += 16;
        o += NR * 16;
      }
    }
    for (; k < kcb; k++) {
      for (let c = 0; c < NR; c++) store<f32>(o + (<usize>c << 2), c < cols ? load<f32>(s + <usize>c * ldb) : 0);
      s += 4;
      o += NR << 2;
    }
  }
}

/** Packs op(B); B is K x N (row stride ldb) or, transposed, N x K. */
export function packB(b: usize, ldb: i32, trans: bool, K: i32, N: i32, dst: usize): void {
  if (!trans) {
    for (let k = 0; k < K; k++) packBRow(b + ((<usize>k * ldb) << 2), k, K, N, dst);
  } else {
    for (let j0 = 0; j0 < N; j0 += NR) packBPanelT(b + ((<usize>j0 * ldb) << 2), ldb, min(NR, N - j0), K, N, j0, dst);
  }
}

/** C[MR x NR] (row stride ldc bytes) = (acc ? C : 0) + Apanel * Bpanel over kc. */
@inline function micro(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    ap += 16;
    bp += 32;
  }
  if (acc) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc));
    c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc));
    c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc));
    c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
}

/** C (row stride ldc floats) = packed A * packed B (+ C when accumulate). */
export function gemmPacked(M: i32, N: i32, K: i32, ap: usize, bp: usize, c: usize, ldc: i32, accumulate: bool): void {
  const Mp = roundUp(M, MR);
  const Np = roundUp(N, NR);
  const ldcb = <usize>ldc << 2;
  if (K == 0) {
    if (!accumulate) for (let i = 0; i < M; i++) memory.fill(c + <usize>i * ldcb, 0, <usize>N << 2);
    return;
  }
  const kc = kcOf(K);
  for (let pc = 0; pc < K; pc += kc) {
    const kcb = min(kc, K - pc);
    const acc = accumulate || pc > 0;
    const aBlock = ap + ((<usize>pc * Mp) << 2);
    const bBlock = bp + ((<usize>pc * Np) << 2);
    for (let ic = 0; ic < Mp; ic += MC) {
      const iend = min(Mp, ic + MC);
      for (let j0 = 0; j0 < Np; j0 += NR) {
        const bpan = bBlock + ((<usize>j0 * kcb) << 2);
        const cols = min(NR, N - j0);
        for (let i0 = ic; i0 < iend; i0 += MR) {
          const apan = aBlock + ((<usize>i0 * kcb) << 2);
          const rows = min(MR, M - i0);
          const cp = c + <usize>i0 * ldcb + (<usize>j0 << 2);
          if (rows == MR && cols == NR) {
            micro(apan, bpan, kcb, cp, ldcb, acc);
          } else {
            micro(apan, bpan, kcb, tile, NR << 2, false);
            for (let r = 0; r < rows; r++) {
              for (let q = 0; q < cols; q++) {
                const o = cp + <usize>r * ldcb + (<usize>q << 2);
                const t = load<f32>(tile + (<usize>(r * NR + q) << 2));
                store<f32>(o, acc ? load<f32>(o) + t : t);
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Plain-argument SGEMM: C = alpha * op(A) op(B) (+ C when accumulate), with row strides.
 * alpha scales the finished product, not A: folding it into A would round alpha * a first, so a
 * denormal a could underflow to 0 and turn 0 * Inf into NaN where alpha * (a * Inf) is Inf.
 * With alpha != 1 and accumulate, the product goes through a temporary M x N buffer.
 * Returns false when the scratch cannot be allocated.
 */
export function sgemm(transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: bool): bool {
  if (M <= 0 || N <= 0) return true;
  const scaled = alpha != 1;
  const ap = alloc(packedASize(M, K) << 2);
  const bp = alloc(packedBSize(K, N) << 2);
  const tmp: usize = scaled && accumulate ? alloc(<usize>M * <usize>N << 2) : 0;
  if (ap == 0 || bp == 0 || (scaled && accumulate && tmp == 0)) {
    free(ap);
    free(bp);
    free(tmp);
    return false;
  }
  packA(a, lda, transA, M, K, 1, ap);
  packB(b, ldb, transB, K, N, bp);
  if (!scaled) {
    gemmPacked(M, N, K, ap, bp, c, ldc, accumulate);
  } else {
    const out = accumulate ? tmp : c, ldo = accumulate ? N : ldc;
    gemmPacked(M, N, K, ap, bp, out, ldo, false);
    for (let i = 0; i < M; i++) {
      const orow = out + ((<usize>i * ldo) << 2), crow = c + ((<usize>i * ldc) << 2);
      for (let j = 0; j < N; j++) {
        const v = alpha * load<f32>(orow + (<usize>j << 2));
        store<f32>(crow + (<usize>j << 2), accumulate ? load<f32>(crow + (<usize>j << 2)) + v : v);
      }
    }
  }
  free(tmp);
  free(bp);
  free(ap);
  return true;
}
