// conv2d_backward_input: dx = the gradient of conv2d_forward wrt x given dy (dx overwritten).
// Per group g and image n:
//   dcol[K x OH*OW] = w_g^T[K x OCg] * dy_g[OCg x OH*OW],  then dx_g = col2im(dcol)
// (the adjoint of im2col: every dcol entry is added to the x element it was read from). A 1x1,
// stride 1, unpadded conv writes the GEMM straight into dx_g. w_g^T is packed once per group.
// Depthwise convs take the direct f32x4 path in depthwise.ts.
import { alloc, free } from './mem';
import { packA, packB, gemmPacked, packedASize, packedBSize } from './sgemm';
import { col2im } from './im2col';
import { isDepthwise, depthwiseBackwardInput } from './depthwise';
import { isPointwise } from './conv2d_forward';
import { gi, fa, zeroF, outOfMemory } from './util';

export function conv2d_backward_input(dy: usize, w: usize, dx: usize, p: usize): void {
  if (isDepthwise(p)) {
    depthwiseBackwardInput(dy, w, dx, p);
    return;
  }
  const N = gi(p, 0), C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), OC = gi(p, 4);
  const OH = gi(p, 7), OW = gi(p, 8), G = gi(p, 15);
  const Cg = C / G, OCg = OC / G, K = Cg * gi(p, 5) * gi(p, 6), S = OH * OW;
  const direct = isPointwise(p);
  const ap = alloc(packedASize(K, OCg) << 2);
  const bp = alloc(packedBSize(OCg, S) << 2);
  const col: usize = direct ? 0 : alloc(<usize>K * S << 2);
  if (!ap || !bp || (!direct && !col)) outOfMemory();
  for (let g = 0; g < G; g++) {
    // op(A) = w_g^T, w_g stored [OCg, K]
    packA(fa(w, g * OCg * K), K, true, K, OCg, 1, ap);
    for (let n = 0; n < N; n++) {
      const dyg = fa(dy, (n * OC + g * OCg) * S);
      const dxg = fa(dx, (n * C + g * Cg) * H * W);
      packB(dyg, S, false, OCg, S, bp);
      if (direct) {
        gemmPacked(K, S, OCg, ap, bp, dxg, S, false);
      } else {
        gemmPacked(K, S, OCg, ap, bp, col, S, false);
        zeroF(dxg, Cg * H * W);
        col2im(col, Cg, p, dxg);
      }
    }
  }
  free(col);
  free(bp);
  free(ap);
}
