// gemm: C[M x N] = alpha * op(A) op(B) + (accumulate ? C : 0), row-major; A is M x K (K x M when
// transA), B is K x N (N x K when transB); p = [transA, transB, M, N, K, accumulate].
// The packed, register-tiled engine is in sgemm.ts.
import { sgemm } from './sgemm';
import { gi, outOfMemory } from './util';

export function gemm(a: usize, b: usize, c: usize, p: usize, alpha: f32): void {
  const tA = gi(p, 0) != 0, tB = gi(p, 1) != 0;
  const M = gi(p, 2), N = gi(p, 3), K = gi(p, 4);
  if (!sgemm(tA, tB, M, N, K, alpha, a, tA ? M : K, b, tB ? K : N, c, N, gi(p, 5) != 0)) outOfMemory();
}
