// gemm: hand-computed products with each transpose flag, accumulate and alpha, and gradient
// checks of A and B computed by gemm itself with other transpose flags:
//   dop(A) = alpha dC op(B)^T,  dop(B) = alpha op(A)^T dC.
import { gemm } from '../../src/backend/reference/gemm';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { randomArray } from '../util/rng';

describe('reference gemm by hand', () => {
  // A = [[1, 2, 3], [4, 5, 6]] (2x3), B = [[1, 0], [0, 1], [1, 1]] (3x2): AB = [[4, 5], [10, 11]]
  const A = Float64Array.of(1, 2, 3, 4, 5, 6), At = Float64Array.of(1, 4, 2, 5, 3, 6);
  const B = Float64Array.of(1, 0, 0, 1, 1, 1), Bt = Float64Array.of(1, 0, 1, 0, 1, 1);
  const AB = [4, 5, 10, 11];

  test.each([
    [0, 0, A, B],
    [1, 0, At, B],
    [0, 1, A, Bt],
    [1, 1, At, Bt],
  ])('transA %i transB %i', (ta, tb, a, b) => {
    const c = new Float64Array(4).fill(NaN);
    gemm(a, b, c, [ta, tb, 2, 2, 3, 0], 1);
    expectClose(c, AB, 0);
  });

  test('alpha and accumulate', () => {
    const c = Float64Array.of(1, 1, 1, 1);
    gemm(A, B, c, [0, 0, 2, 2, 3, 1], 2);
    expectClose(c, [9, 11, 21, 23], 0);
    gemm(A, B, c, [0, 0, 2, 2, 3, 0], -1);
    expectClose(c, [-4, -5, -10, -11], 0);
  });
});

describe('reference gemm gradients through its own transposes', () => {
  const M = 3, N = 4, K = 5, alpha = 1.5;
  for (const ta of [0, 1]) {
    for (const tb of [0, 1]) {
      test(`transA ${ta} transB ${tb}`, () => {
        const a = randomArray(M * K, 71 + ta), b = randomArray(K * N, 73 + tb), c = new Float64Array(M * N), r = randomArray(M * N, 75);
        const loss = projectionLoss(() => {
          gemm(a, b, c, [ta, tb, M, N, K, 0], alpha);
          return c;
        }, r);
        const da = new Float64Array(M * K), db = new Float64Array(K * N);
        // dA (stored M x K): r op(B)^T;  stored K x M: op(B) r^T.
        if (!ta) gemm(r, b, da, [0, tb ? 0 : 1, M, K, N, 0], alpha);
        else gemm(b, r, da, [tb, 1, K, M, N, 0], alpha);
        // dB (stored K x N): op(A)^T r;  stored N x K: r^T op(A).
        if (!tb) gemm(a, r, db, [ta ? 0 : 1, 0, K, N, M, 0], alpha);
        else gemm(r, a, db, [1, ta, N, K, M, 0], alpha);
        checkGrad('gemm da', loss, a, da);
        checkGrad('gemm db', loss, b, db);
      });
    }
  }
});
