// roi_align_forward: y[r, c, ph, pw] = the mean over the bin's gh x gw samples of the bilinear
// value of x[batch[r], c] (plan and border rules in roi_align_plan.ts: only the samples inside
// the map are visited, the others add 0). y overwritten; a roi whose plan is empty gives 0.
// Sums run samples row by row, taps lo/lo, lo/hi, hi/lo, hi/hi, the order of the native kernel.
import { free } from './mem';
import { colCount, colTaps, planCount, planImage, planRoi, planTaps, rowCount, rowTaps, tapAt } from './roi_align_plan';
import { fa, gi, zeroF } from './util';

export function roi_align_forward(x: usize, rois: usize, batch: usize, y: usize, p: usize, spatial_scale: f32): void {
  const C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), R = gi(p, 4), PH = gi(p, 5), PW = gi(p, 6);
  const plane = PH * PW;
  for (let r = 0; r < R; r++) {
    planRoi(rois, batch, r, p, spatial_scale);
    const out = fa(y, r * C * plane);
    if (!planTaps) {
      zeroF(out, C * plane);
      continue;
    }
    for (let c = 0; c < C; c++) {
      const xp = fa(x, (planImage * C + c) * H * W);
      const op = out + <usize>(c * plane) * 4;
      for (let ph = 0; ph < PH; ph++) {
        const rt = rowTaps(ph), nr = rowCount(ph);
        for (let pw = 0; pw < PW; pw++) {
          const ct = colTaps(pw), nc = colCount(pw);
          let acc: f32 = 0;
          for (let iy = 0; iy < nr; iy++) {
            const ty = tapAt(rt, iy);
            const r0 = fa(xp, ty.lo * W), r1 = fa(xp, ty.hi * W);
            for (let ix = 0; ix < nc; ix++) {
              const tx = tapAt(ct, ix);
              acc += ty.h * tx.h * load<f32>(fa(r0, tx.lo));
              acc += ty.h * tx.l * load<f32>(fa(r0, tx.hi));
              acc += ty.l * tx.h * load<f32>(fa(r1, tx.lo));
              acc += ty.l * tx.l * load<f32>(fa(r1, tx.hi));
            }
          }
          store<f32>(op + <usize>(ph * PW + pw) * 4, acc / planCount);
        }
      }
    }
    free(planTaps);
  }
}
