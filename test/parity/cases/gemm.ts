/**
 * Parity cases for gemm: odd sizes around tile edges with every transpose combination, alpha
 * and accumulation, and the fully connected layer (forward with bias, backward) built on it.
 */
import * as ops from '../../../src/backend/ops';
import type { ParityCase } from '../harness';

const SIZES: Array<[number, number, number]> = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 5],
  [17, 33, 9],
  [1, 100, 1],
  [64, 65, 63],
  [37, 1, 128],
  [8, 17, 256],
  // above the native threading threshold, K split into blocks
  [200, 45, 40],
  [97, 70, 300],
];

const gemmCases: ParityCase[] = [];
for (const [M, N, K] of SIZES) {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      gemmCases.push({
        name: `gemm M=${M} N=${N} K=${K} transA=${+transA} transB=${+transB}`,
        inputs: { a: transA ? [K, M] : [M, K], b: transB ? [N, K] : [K, N], c: [M, N] },
        run: (t) => ({
          plain: ops.gemm(t.a, t.b, { transA, transB }),
          // alpha and accumulate into c (c is updated in place and compared too)
          acc: ops.gemm(t.a, t.b, { transA, transB, alpha: -0.75, c: t.c, accumulate: true }),
        }),
        reduce: K,
        kernels: ['gemm'],
      });
    }
  }
}

const fcCases: ParityCase[] = [
  { N: 1, shape: [1, 5], M: 3 },
  { N: 3, shape: [3, 4, 2, 2], M: 17 },
  { N: 5, shape: [5, 33], M: 8 },
].map(({ N, shape, M }) => {
  const K = shape.slice(1).reduce((a, b) => a * b, 1);
  return {
    name: `fullyConnected x=[${shape.join(',')}] out=${M}`,
    inputs: { x: shape, w: [K, M], b: [M], dy: [N, M] },
    run: (t) => {
      const y = ops.fullyConnected(t.x, t.w, t.b);
      const g = ops.fullyConnectedBackward(t.x, t.w, t.dy, { withBias: true });
      return { y, dx: g.dx, dw: g.dw, db: g.db };
    },
    reduce: { y: K, dx: M, dw: N, db: N },
    kernels: ['gemm', 'binary_forward', 'reduce_sum'],
  };
});

export const GEMM_CASES: ParityCase[] = [...gemmCases, ...fcCases];
