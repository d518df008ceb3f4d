// batch_norm_act_train_forward: y = act(batch_norm_train(x)) over [N, C, HW]; p = {N, C, HW, act}
// (fused_act.ts), floats eps, momentum, alpha. batch_norm_train_forward writes y and the
// statistics, then the activation runs over y in place: no separate pre-activation buffer.
import { batch_norm_train_forward } from './batch_norm_train_forward';
import { fusedActInplace } from './fused_act';
import { gi } from './util';

export function batch_norm_act_train_forward(x: usize, scale: usize, bias: usize, y: usize, savedMean: usize, savedInvstd: usize,
  runningMean: usize, runningVar: usize, p: usize, eps: f32, momentum: f32, alpha: f32): void {
  batch_norm_train_forward(x, scale, bias, y, savedMean, savedInvstd, runningMean, runningVar, p, eps, momentum);
  fusedActInplace(gi(p, 3), y, gi(p, 0) * gi(p, 1) * gi(p, 2), alpha);
}
