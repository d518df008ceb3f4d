/**
 * Reservoir sampling as Paddle's assigners do it: keep the first `num` entries, then for each
 * later position i draw j = floor(u * i), u uniform in [0, 1), and swap entries j and i when
 * j < num. With useRandom false the first `num` entries are kept as they are. Works in place
 * on each of the parallel arrays (indices and, for fg rois, their matched gts) and truncates.
 */
import type { Rng } from '../../data/rng';

export function reservoirSample(num: number, lists: number[][], rng: Rng | null, useRandom: boolean): void {
  const len = lists[0].length;
  if (len <= num) return;
  if (useRandom) {
    if (!rng) throw new RangeError('reservoirSample: expected a seeded Rng for rng when use_random is true, got null');
    for (let i = num; i < len; i++) {
      const j = Math.floor(rng.random() * i);
      if (j < num) {
        for (const l of lists) {
          const t = l[j];
          l[j] = l[i];
          l[i] = t;
        }
      }
    }
  }
  for (const l of lists) l.length = num;
}
