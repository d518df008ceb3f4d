// roi_align_forward: y[r, c, ph, pw] = the mean over the bin's gh x gw samples of the bilinear
// value of x[batch[r], c] (plan and border rules in roi_align_plan.ts). y overwritten; a roi
// whose plan is empty gives 0. Sums run samples row by row, taps lo/lo, lo/hi, hi/lo, hi/hi,
// the order of the native kernel.
import { free } from './mem';
import { planCount, planGh, planGw, planRoi, planTaps } from './roi_align_plan';
import { fa, gi, zeroF } from './util';

export function roi_align_forward(x: usize, rois: usize, batch: usize, y: usize, p: usize, spatial_scale: f32): void {
  const C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), R = gi(p, 4), PH = gi(p, 5), PW = gi(p, 6);
  const plane = PH * PW;
  for (let r = 0; r < R; r++) {
    planRoi(rois, r, p, spatial_scale);
    const out = fa(y, r * C * plane);
    if (!planTaps) {
      zeroF(out, C * plane);
      continue;
    }
    const gh = planGh, gw = planGw, count = planCount;
    const rows = planTaps, cols = planTaps + <usize>(PH * gh) * 16;
    const b = load<i32>(batch + (<usize>r << 2));
    for (let c = 0; c < C; c++) {
      const xp = fa(x, (b * C + c) * H * W);
      const op = out + <usize>(c * plane) * 4;
      for (let ph = 0; ph < PH; ph++) {
        const rt = rows + <usize>(ph * gh) * 16;
        for (let pw = 0; pw < PW; pw++) {
          const ct = cols + <usize>(pw * gw) * 16;
          let acc: f32 = 0;
          for (let iy = 0; iy < gh; iy++) {
            const ty = rt + <usize>iy * 16;
            const ylo = load<i32>(ty);
            if (ylo < 0) continue;
            const r0 = fa(xp, ylo * W), r1 = fa(xp, load<i32>(ty, 4) * W);
            const ly = load<f32>(ty, 8), hy = load<f32>(ty, 12);
            for (let ix = 0; ix < gw; ix++) {
              const tx = ct + <usize>ix * 16;
              const xlo = load<i32>(tx);
              if (xlo < 0) continue;
              const xhi = load<i32>(tx, 4);
              const lx = load<f32>(tx, 8), hx = load<f32>(tx, 12);
              acc += hy * hx * load<f32>(fa(r0, xlo));
              acc += hy * lx * load<f32>(fa(r0, xhi));
              acc += ly * hx * load<f32>(fa(r1, xlo));
              acc += ly * lx * load<f32>(fa(r1, xhi));
            }
          }
          store<f32>(op + <usize>(ph * PW + pw) * 4, acc / count);
        }
      }
    }
    free(planTaps);
  }
}
