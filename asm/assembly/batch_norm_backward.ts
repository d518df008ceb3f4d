// batch_norm_backward (batch statistics) over [N, C, HW], m = N*HW, xhat = (x - mean) * invstd:
//   dbias = sum dy, dscale = sum dy * xhat,
//   dx = scale * invstd / m * (m * dy - dbias - xhat * dscale)
//      = dy * (scale*invstd) - (x - mean) * (scale*invstd^2*dscale/m) - scale*invstd*dbias/m.
// All outputs overwritten. Sums use f32x4 partial sums per row, rows added in f64.
import { gi, fa, sumF, hsum } from './util';

export function batch_norm_backward(x: usize, dy: usize, scale: usize, savedMean: usize, savedInvstd: usize,
  dx: usize, dscale: usize, dbias: usize, p: usize): void {
  const N = gi(p, 0), C = gi(p, 1), HW = gi(p, 2);
  const m = <f64>N * <f64>HW;
  for (let c = 0; c < C; c++) {
    const mean = load<f32>(fa(savedMean, c)), invstd = <f64>load<f32>(fa(savedInvstd, c));
    const mv = f32x4.splat(mean);
    let sdy: f64 = 0, sdxc: f64 = 0;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * HW;
      const xr = fa(x, o), dr = fa(dy, o);
      sdy += sumF(dr, HW);
      let a = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= HW; i += 4) a = f32x4.add(a, f32x4.mul(v128.load(fa(dr, i)), f32x4.sub(v128.load(fa(xr, i)), mv)));
      let t: f64 = <f64>hsum(a);
      for (; i < HW; i++) t += <f64>load<f32>(fa(dr, i)) * (<f64>load<f32>(fa(xr, i)) - <f64>mean);
      sdxc += t;
    }
    const sdyx = sdxc * invstd;
    const si = <f64>load<f32>(fa(scale, c)) * invstd;
    const a = <f32>si;
    const bcoef = m > 0 ? <f32>(si * invstd * sdyx / m) : <f32>0;
    const cc = m > 0 ? <f32>(si * sdy / m) : <f32>0;
    const av = f32x4.splat(a), bv = f32x4.splat(bcoef), cv = f32x4.splat(cc);
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * HW;
      const xr = fa(x, o), dr = fa(dy, o), gr = fa(dx, o);
      let i = 0;
      for (; i + 4 <= HW; i += 4) {
        const v = f32x4.sub(f32x4.mul(v128.load(fa(dr, i)), av), f32x4.add(f32x4.mul(f32x4.sub(v128.load(fa(xr, i)), mv), bv), cv));
        v128.store(fa(gr, i), v);
      }
      for (; i < HW; i++) store<f32>(fa(gr, i), load<f32>(fa(dr, i)) * a - ((load<f32>(fa(xr, i)) - mean) * bcoef + cc));
    }
    store<f32>(fa(dbias, c), <f32>sdy);
    store<f32>(fa(dscale, c), <f32>sdyx);
  }
}
