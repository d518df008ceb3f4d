// conv2d_act_forward: y = act(conv2d(x, w) + b); p = the 16 conv integers (conv2d_forward's)
// followed by act (fused_act.ts), alpha = leaky_relu's slope. conv2d_forward writes y, then the
// activation runs over it in place: no separate pre-activation buffer.
import { conv2d_forward } from './conv2d_forward';
import { fusedActInplace } from './fused_act';
import { gi } from './util';

export function conv2d_act_forward(x: usize, w: usize, b: usize, y: usize, p: usize, alpha: f32): void {
  conv2d_forward(x, w, b, y, p);
  fusedActInplace(gi(p, 16), y, gi(p, 0) * gi(p, 4) * gi(p, 7) * gi(p, 8), alpha);
}
