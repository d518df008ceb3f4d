// conv2d_forward: y[n,oc,oh,ow] = b[oc] + sum_{c in group, kh, kw} x[n,c,oh*SH-PT+kh*DH, ow*SW-PL+kw*DW] * w[oc,c',kh,kw]
// (NCHW, y overwritten, b optional). Per group g and image n this is one GEMM
//   y_g[OCg x OH*OW] = w_g[OCg x K] * col[K x OH*OW],  K = C/G * KH * KW,
// with col = im2col(x_g). It runs over bands of whole output rows [oh0, oh1) of about BAND_COLS
// output pixels each. A band is a conv of the same x with OH' = oh1 - oh0 and top padding
// PT' = PT - oh0*SH, so its col is built one row at a time and scattered straight into the GEMM's
// packed B layout. Working per band keeps the packed B (K x ~256 floats) and the band of y in L2
// between the pack and the GEMM's K blocks; packing the whole image first (K x OH*OW, megabytes
// for a 3x3 conv at 56x56) sent both through memory. A 1x1, stride 1, unpadded conv packs x_g
// itself, whole (one band): it has no col to build, and its wider GEMM measured faster.
// w_g is packed once per group and reused for every band and image; the bias is written first and
// the GEMM adds onto it. Depthwise convs (one input channel per group) take the direct f32x4 path
// in depthwise.ts.
import { alloc, free } from './mem';
import { packA, packB, packBRow, gemmPacked, packedASize, packedBSize } from './sgemm';
import { im2colRow } from './im2col';
import { isDepthwise, depthwiseForward } from './depthwise';
import { gi, fa, fillF, outOfMemory } from './util';

/** Target output pixels per band (columns of the band's GEMM). */
const BAND_COLS: i32 = 256;
/** The band's geometry: a copy of p with OH and PT replaced. */
const pb: usize = memory.data(16 * 4, 16);

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
  const OH = gi(p, 7), OW = gi(p, 8), SH = gi(p, 9), PT = gi(p, 11), G = gi(p, 15);
  const Cg = C / G, OCg = OC / G, K = Cg * gi(p, 5) * gi(p, 6), S = OH * OW;
  const direct = isPointwise(p);
  const band = direct || OW <= 0 ? max(1, OH) : max(1, min(OH, BAND_COLS / OW));
  const NB = band * OW;
  const ap = alloc(packedASize(OCg, K) << 2);
  const bp = alloc(packedBSize(K, NB) << 2);
  const row: usize = direct ? 0 : alloc(<usize>NB << 2);
  if (!ap || !bp || (!direct && !row)) outOfMemory();
  memory.copy(pb, p, 16 * 4);
  for (let g = 0; g < G; g++) {
    packA(fa(w, g * OCg * K), K, false, OCg, K, 1, ap);
    for (let n = 0; n < N; n++) {
      const xg = fa(x, (n * C + g * Cg) * H * W);
      const yg = fa(y, (n * OC + g * OCg) * S);
      if (b) for (let o = 0; o < OCg; o++) fillF(fa(yg, o * S), S, load<f32>(fa(b, g * OCg + o)));
      for (let oh0 = 0; oh0 < OH; oh0 += band) {
        const rows = min(band, OH - oh0), Nb = rows * OW;
        if (direct) {
          packB(fa(xg, oh0 * OW), S, false, K, Nb, bp);
        } else {
          store<i32>(pb, rows, 7 * 4);
          store<i32>(pb, PT - oh0 * SH, 11 * 4);
          for (let k = 0; k < K; k++) {
            im2colRow(xg, pb, k, row);
            packBRow(row, k, K, Nb, bp);
          }
        }
        gemmPacked(OCg, Nb, K, ap, bp, fa(yg, oh0 * OW), S, b != 0);
      }
    }
  }
  free(row);
  free(bp);
  free(ap);
}
