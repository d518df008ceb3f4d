// batch_norm_train_forward over x viewed as [N, C, HW]: per channel the batch mean and the
// biased variance (two passes: mean, then squared deviations; f32x4 partial sums per row,
// rows added in f64), invstd = 1/sqrt(var + eps), y = (x - mean) * invstd * scale + bias
// (mean carried as two f32 terms);
// running = running * momentum + batch * (1 - momentum) (Paddle's convention, the running
// variance takes the biased batch variance). saved_mean / saved_invstd feed the backward.
import { gi, fa, sumF } from './util';

export function batch_norm_train_forward(x: usize, scale: usize, bias: usize, y: usize, savedMean: usize, savedInvstd: usize,
  runningMean: usize, runningVar: usize, p: usize, eps: f32, momentum: f32): void {
  const N = gi(p, 0), C = gi(p, 1), HW = gi(p, 2);
  const m = <f64>N * <f64>HW;
  for (let c = 0; c < C; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) s += sumF(fa(x, (n * C + c) * HW), HW);
    const mean = m > 0 ? s / m : 0;
    const mv = f32x4.splat(<f32>mean);
    let sq: f64 = 0;
    for (let n = 0; n < N; n++) {
      const xr = fa(x, (n * C + c) * HW);
      let a = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const d = f32x4.sub(v128.load(fa(xr, i)), mv);
        a = f32x4.add(a, f32x4.mul(d, d));
      }
      let t: f64 = <f64>f32x4.extract_lane(a, 0) + <f64>f32x4.extract_lane(a, 1) + <f64>f32x4.extract_lane(a, 2) + <f64>f32x4.extract_lane(a, 3);
      for (; i < HW; i++) {
        const d = <f64>load<f32>(fa(xr, i)) - mean;
        t += d * d;
      }
      sq += t;
    }
    const variance = m > 0 ? sq / m : 0;
    const invstd = 1 / Math.sqrt(variance + <f64>eps);
    // y = ((x - meanHi) - meanLo) * k + bias: the mean split into two f32 terms, so the
    // subtraction keeps its precision when the channel's spread is tiny next to its mean
    // (x * k + (bias - mean * k) would cancel catastrophically there).
    const k = <f32>(invstd * <f64>load<f32>(fa(scale, c)));
    const b = load<f32>(fa(bias, c));
    const meanHi = <f32>mean, meanLo = <f32>(mean - <f64>meanHi);
    const kv = f32x4.splat(k), bv = f32x4.splat(b), hv = f32x4.splat(meanHi), lv = f32x4.splat(meanLo);
    for (let n = 0; n < N; n++) {
      const xr = fa(x, (n * C + c) * HW), yr = fa(y, (n * C + c) * HW);
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const d = f32x4.sub(f32x4.sub(v128.load(fa(xr, i)), hv), lv);
        v128.store(fa(yr, i), f32x4.add(f32x4.mul(d, kv), bv));
      }
      for (; i < HW; i++) store<f32>(fa(yr, i), ((load<f32>(fa(xr, i)) - meanHi) - meanLo) * k + b);
    }
    store<f32>(fa(savedMean, c), <f32>mean);
    store<f32>(fa(savedInvstd, c), <f32>invstd);
    const mom = <f64>momentum;
    store<f32>(fa(runningMean, c), <f32>(<f64>load<f32>(fa(runningMean, c)) * mom + mean * (1 - mom)));
    store<f32>(fa(runningVar, c), <f32>(<f64>load<f32>(fa(runningVar, c)) * mom + variance * (1 - mom)));
  }
}
