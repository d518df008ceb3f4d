// roi_align_backward: the gradient of roi_align_forward with respect to x (none for rois).
// Each dy[r, c, ph, pw] is shared by the bin's gh x gw samples, each share going to the
// sample's four taps with the forward's weights: dx[..] += dy * w / (gh*gw) (only samples
// inside the map have taps, roi_align_plan.ts). dx accumulated (the caller zeroes it). Rois are
// walked in order, so overlapping rois add up in the same order as the native kernel.
import { free } from './mem';
import { colCount, colTaps, planCount, planImage, planRoi, planTaps, rowCount, rowTaps, tapAt } from './roi_align_plan';
import { fa, gi } from './util';

@inline function addAt(a: usize, v: f32): void {
  store<f32>(a, load<f32>(a) + v);
}

export function roi_align_backward(dy: usize, rois: usize, batch: usize, dx: usize, p: usize, spatial_scale: f32): void {
  const C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), R = gi(p, 4), PH = gi(p, 5), PW = gi(p, 6);
  const plane = PH * PW;
  for (let r = 0; r < R; r++) {
    planRoi(rois, batch, r, p, spatial_scale);
    if (!planTaps) continue;
    const count = planCount;
    for (let c = 0; c < C; c++) {
      const dp = fa(dx, (planImage * C + c) * H * W);
      const g = fa(dy, (r * C + c) * plane);
      for (let ph = 0; ph < PH; ph++) {
        const rt = rowTaps(ph), nr = rowCount(ph);
        for (let pw = 0; pw < PW; pw++) {
          const ct = colTaps(pw), nc = colCount(pw);
          const gv = load<f32>(fa(g, ph * PW + pw));
          for (let iy = 0; iy < nr; iy++) {
            const ty = tapAt(rt, iy);
            const r0 = fa(dp, ty.lo * W), r1 = fa(dp, ty.hi * W);
            for (let ix = 0; ix < nc; ix++) {
              const tx = tapAt(ct, ix);
              addAt(fa(r0, tx.lo), gv * (ty.h * tx.h) / count);
              addAt(fa(r0, tx.hi), gv * (ty.h * tx.l) / count);
              addAt(fa(r1, tx.lo), gv * (ty.l * tx.h) / count);
              addAt(fa(r1, tx.hi), gv * (ty.l * tx.l) / count);
            }
          }
        }
      }
    }
    free(planTaps);
  }
}
