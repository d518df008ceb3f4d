/**
 * `OptimizerBuilder.clip_grad_by_norm` (PaddleDetection's GradientClipByGlobalNorm): when the
 * L2 norm of all the gradients together exceeds the limit, every gradient is scaled by
 * limit / norm, so the step keeps its direction and its length is capped. Only the gradients
 * the optimizer will apply count (trainable parameters).
 */
import type { Tensor } from '../backend/tensor';

/** Scales `grads` in place when their global norm exceeds `maxNorm`; returns the norm before clipping. */
export function clipByGlobalNorm(grads: Map<string, Tensor>, maxNorm: number, counts: (name: string) => boolean = () => true): number {
  if (!(typeof maxNorm === 'number' && Number.isFinite(maxNorm) && maxNorm > 0)) {
    throw new RangeError(`clip_grad_by_norm: expected a finite number > 0, got ${String(maxNorm)}`);
  }
  const arrays = new Map<string, Float32Array | Float64Array>();
  let sq = 0;
  for (const [name, g] of grads) {
    if (!counts(name)) continue;
    const a = g.toArray();
    arrays.set(name, a);
    for (let i = 0; i < a.length; i++) sq += a[i] * a[i];
  }
  const norm = Math.sqrt(sq);
  if (norm > maxNorm) {
    const k = maxNorm / norm;
    for (const [name, a] of arrays) {
      for (let i = 0; i < a.length; i++) a[i] *= k;
      grads.get(name)!.set(a);
    }
  }
  return norm;
}
