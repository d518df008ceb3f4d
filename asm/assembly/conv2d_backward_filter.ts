// conv2d_backward_filter: dw (and db = sum of dy over n, oh, ow when db is given) of
// conv2d_forward; both overwritten. Per group g, summed over images n:
//   dw_g[OCg x K] += dy_g[OCg x OH*OW] * col^T[OH*OW x K],  col = im2col(x_g)
// col^T is packed NR rows of col at a time (im2col rows, then a transposing pack), so the
// whole col never exists; a 1x1, stride 1, unpadded conv packs x_g itself. The GEMM of the
// first image overwrites dw_g, the others accumulate. Depthwise convs take the direct f32x4 path in depthwise.ts.
import { alloc, free } from './mem';
import { packA, packB, packBPanelT, gemmPacked, packedASize, packedBSize, NR } from './sgemm';
import { im2colRow } from './im2col';
import { isDepthwise, depthwiseBackwardFilter } from './depthwise';
import { isPointwise } from './conv2d_forward';
import { gi, fa, zeroF, sumF, outOfMemory } from './util';

export function conv2d_backward_filter(x: usize, dy: usize, dw: usize, db: usize, p: usize): void {
  if (isDepthwise(p)) {
    depthwiseBackwardFilter(x, dy, dw, db, p);
    return;
  }
  const N = gi(p, 0), C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), OC = gi(p, 4);
  const OH = gi(p, 7), OW = gi(p, 8), G = gi(p, 15);
  const Cg = C / G, OCg = OC / G, K = Cg * gi(p, 5) * gi(p, 6), S = OH * OW;
  const direct = isPointwise(p);
  const ap = alloc(packedASize(OCg, S) << 2);
  const bp = alloc(packedBSize(S, K) << 2);
  const rows: usize = direct ? 0 : alloc(<usize>S * NR << 2);
  if (!ap || !bp || (!direct && !rows)) outOfMemory();
  for (let g = 0; g < G; g++) {
    const dwg = fa(dw, g * OCg * K);
    if (N == 0) zeroF(dwg, OCg * K);
    for (let n = 0; n < N; n++) {
      const xg = fa(x, (n * C + g * Cg) * H * W);
      packA(fa(dy, (n * OC + g * OCg) * S), S, false, OCg, S, 1, ap);
      // op(B)[s][k] = col[k][s]: col stored [K, S], transposed
      if (direct) {
        packB(xg, S, true, S, K, bp);
      } else {
        for (let j0 = 0; j0 < K; j0 += NR) {
          const cols = min(NR, K - j0);
          for (let c = 0; c < cols; c++) im2colRow(xg, p, j0 + c, fa(rows, c * S));
          packBPanelT(rows, S, cols, S, K, j0, bp);
        }
      }
      gemmPacked(OCg, K, S, ap, bp, dwg, K, n > 0);
    }
  }
  if (db) {
    for (let oc = 0; oc < OC; oc++) {
      let s: f64 = 0;
      for (let n = 0; n < N; n++) s += sumF(fa(dy, (n * OC + oc) * S), S);
      store<f32>(fa(db, oc), <f32>s);
    }
  }
  free(rows);
  free(bp);
  free(ap);
}
