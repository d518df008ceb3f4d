// conv2d_forward: y[n,oc,oh,ow] = b[oc] + sum_{c in group, kh, kw} x[n,c,oh*SH-PT+kh*DH, ow*SW-PL+kw*DW] * w[oc,c',kh,kw]
// (NCHW, y overwritten, b optional). Per group g and image n this is one GEMM
//   y_g[OCg x OH*OW] = w_g[OCg x K] * col[K x OH*OW],  K = C/G * KH * KW,
// with col = im2col(x_g), built one row at a time and scattered straight into the GEMM's packed
// B layout (a 1x1, stride 1, unpadded conv packs x_g itself). w_g is packed once per group and
// reused for every image; the bias is written first and the GEMM adds onto it.
// Depthwise convs (one input channel per group) take the direct f32x4 path in depthwise.ts.
import { alloc, free } from './mem';
import { packA, packB, packBRow, gemmPacked, packedASize, packedBSize } from './sgemm';
import { im2colRow } from './im2col';
import { isDepthwise, depthwiseForward } from './depthwise';
import { gi, fa, fillF, outOfMemory } from './util';

/** Whether a conv reads x as it is (1x1, stride 1, no padding, output size = input size). */
export function isPointwise(p: usize): bool {
  return gi(p, 5) == 1 && gi(p, 6) == 1 && gi(p, 9) == 1 && gi(p, 10) == 1 && gi(p, 11) == 0 && gi(p, 12) == 0 &&
    gi(p, 7) == gi(p, 2) && gi(p, 8) == gi(p, 3);
}

export function conv2d_forward(x: usize, w: usize, b: usize, y: usize, p: usize): void {
  if (isDepthwise(p)) {
    depthwiseForward(x, w, b, y, p);
    return;
  }
  const N = gi(p, 0), C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), OC = gi(p, 4);
  const OH = gi(p, 7), OW = gi(p, 8), G = gi(p, 15);
  const Cg = C / G, OCg = OC / G, K = Cg * gi(p, 5) * gi(p, 6), S = OH * OW;
  const direct = isPointwise(p);
  const ap = alloc(packedASize(OCg, K) << 2);
  const bp = alloc(packedBSize(K, S) << 2);
  const row: usize = direct ? 0 : alloc(<usize>S << 2);
  if (!ap || !bp || (!direct && !row)) outOfMemory();
  for (let g = 0; g < G; g++) {
    packA(fa(w, g * OCg * K), K, false, OCg, K, 1, ap);
    for (let n = 0; n < N; n++) {
      const xg = fa(x, (n * C + g * Cg) * H * W);
      const yg = fa(y, (n * OC + g * OCg) * S);
      if (direct) {
        packB(xg, S, false, K, S, bp);
      } else {
        for (let k = 0; k < K; k++) {
          im2colRow(xg, p, k, row);
          packBRow(row, k, K, S, bp);
        }
      }
      if (b) for (let o = 0; o < OCg; o++) fillF(fa(yg, o * S), S, load<f32>(fa(b, g * OCg + o)));
      gemmPacked(OCg, S, K, ap, bp, yg, S, b != 0);
    }
  }
  free(row);
  free(bp);
  free(ap);
}
