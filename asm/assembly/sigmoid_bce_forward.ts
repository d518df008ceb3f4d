// sigmoid_bce_forward: elementwise sigmoid cross entropy with logits x and targets z,
// loss = max(x, 0) - x * z + log(1 + exp(-|x|)) (never overflows). p = [n]; loss overwritten.
import { gi, fa } from './util';

export function sigmoid_bce_forward(x: usize, label: usize, loss: usize, p: usize): void {
  const n = gi(p, 0);
  for (let i = 0; i < n; i++) {
    const v = load<f32>(fa(x, i)), z = load<f32>(fa(label, i));
    store<f32>(fa(loss, i), max(v, <f32>0) - v * z + Mathf.log1p(Mathf.exp(-Mathf.abs(v))));
  }
}
