// batch_norm_act_backward: the backward of y = act(batch_norm_train(x)) over [N, C, HW];
// p = {N, C, HW, act} (fused_act.ts), float alpha. dz = dy * act'(from y) is written into dx, then
// batch_norm_backward runs with dz read from and dx written to that same buffer (it reads each
// element before it writes it), so the activation's gradient never has a buffer of its own.
import { batch_norm_backward } from './batch_norm_backward';
import { fusedActGrad } from './fused_act';
import { gi } from './util';

export function batch_norm_act_backward(x: usize, y: usize, dy: usize, scale: usize, savedMean: usize, savedInvstd: usize,
  dx: usize, dscale: usize, dbias: usize, p: usize, alpha: f32): void {
  fusedActGrad(gi(p, 3), y, dy, dx, gi(p, 0) * gi(p, 1) * gi(p, 2), alpha);
  batch_norm_backward(x, dx, scale, savedMean, savedInvstd, dx, dscale, dbias, p);
}
