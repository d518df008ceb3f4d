// roi_align_backward: the gradient of roi_align_forward with respect to x (none for rois).
// Each dy[r, c, ph, pw] is shared by the bin's gh x gw samples, each share going to the
// sample's four taps with the forward's weights: dx[..] += dy * w / (gh*gw). dx accumulated
// (the caller zeroes it). Rois are walked in order, so overlapping rois add up in the same
// order as the native kernel.
import { free } from './mem';
import { planCount, planGh, planGw, planRoi, planTaps } from './roi_align_plan';
import { fa, gi } from './util';

@inline function addAt(a: usize, v: f32): void {
  store<f32>(a, load<f32>(a) + v);
}

export function roi_align_backward(dy: usize, rois: usize, batch: usize, dx: usize, p: usize, spatial_scale: f32): void {
  const C = gi(p, 1), H = gi(p, 2), W = gi(p, 3), R = gi(p, 4), PH = gi(p, 5), PW = gi(p, 6);
  const plane = PH * PW;
  for (let r = 0; r < R; r++) {
    planRoi(rois, r, p, spatial_scale);
    if (!planTaps) continue;
    const gh = planGh, gw = planGw, count = planCount;
    const rows = planTaps, cols = planTaps + <usize>(PH * gh) * 16;
    const b = load<i32>(batch + (<usize>r << 2));
    for (let c = 0; c < C; c++) {
      const dp = fa(dx, (b * C + c) * H * W);
      const g = fa(dy, (r * C + c) * plane);
      for (let ph = 0; ph < PH; ph++) {
        const rt = rows + <usize>(ph * gh) * 16;
        for (let pw = 0; pw < PW; pw++) {
          const ct = cols + <usize>(pw * gw) * 16;
          const gv = load<f32>(fa(g, ph * PW + pw));
          for (let iy = 0; iy < gh; iy++) {
            const ty = rt + <usize>iy * 16;
            const ylo = load<i32>(ty);
            if (ylo < 0) continue;
            const r0 = fa(dp, ylo * W), r1 = fa(dp, load<i32>(ty, 4) * W);
            const ly = load<f32>(ty, 8), hy = load<f32>(ty, 12);
            for (let ix = 0; ix < gw; ix++) {
              const tx = ct + <usize>ix * 16;
              const xlo = load<i32>(tx);
              if (xlo < 0) continue;
              const xhi = load<i32>(tx, 4);
              const lx = load<f32>(tx, 8), hx = load<f32>(tx, 12);
              addAt(fa(r0, xlo), gv * (hy * hx) / count);
              addAt(fa(r0, xhi), gv * (hy * lx) / count);
              addAt(fa(r1, xlo), gv * (ly * hx) / count);
              addAt(fa(r1, xhi), gv * (ly * lx) / count);
            }
          }
        }
      }
    }
    free(planTaps);
  }
}
