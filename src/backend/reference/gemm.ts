/**
 * Row-major matrix product, the contract's gemm:
 *   C[M, N] = alpha * op(A) op(B) + (accumulate ? C : 0)
 * op(A)[i, k] = transA ? a[k * M + i] : a[i * K + k]   (A stored K x M when transposed)
 * op(B)[k, j] = transB ? b[j * K + k] : b[k * N + j]   (B stored N x K when transposed)
 * p = [transA, transB, M, N, K, accumulate]; floats: alpha.
 * Its gradient needs no kernel of its own: dA = dC op(B)^T and dB = op(A)^T dC are gemms with
 * other transpose flags.
 */
import type { F64, Geom } from './types';

export function gemm(a: F64, b: F64, c: F64, p: Geom, alpha: number): void {
  const transA = p[0] !== 0, transB = p[1] !== 0;
  const M = p[2], N = p[3], K = p[4], accumulate = p[5] !== 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const av = transA ? a[k * M + i] : a[i * K + k];
        const bv = transB ? b[j * K + k] : b[k * N + j];
        s += av * bv;
      }
      c[i * N + j] = alpha * s + (accumulate ? c[i * N + j] : 0);
    }
  }
}
