/**
 * How many channels a ratio removes, as PaddleSlim counts them:
 *   pruned = round_half_to_even(n * ratio), at most n - 1 (a layer keeps one channel at least).
 * 512 at 0.2: 102.4 -> 102 pruned, 410 kept; 512 at 0.4: 204.8 -> 205 pruned, 307 kept;
 * 3 at 0.5: 1.5 -> 2 pruned, 1 kept. n * ratio within 1e-9 of a half counts as a tie, so
 * decimal ratios whose product is a half in exact arithmetic round the same way everywhere.
 *
 * roundTo K (slimprune): the kept count is then rounded down to a multiple of K (so at least
 * the requested share is pruned), but kept at K or more and never above n (a layer of fewer
 * than K channels keeps what it has). A ratio pruning nothing stays a no-op.
 */

export function roundHalfToEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (Math.abs(d - 0.5) < 1e-9) return f % 2 === 0 ? f : f + 1;
  return Math.round(x);
}

/** Channels kept out of n at `ratio`. */
export function keptCount(n: number, ratio: number, roundTo = 1): number {
  const pruned = Math.min(roundHalfToEven(n * ratio), n - 1);
  let kept = n - pruned;
  if (roundTo > 1 && pruned > 0) {
    kept = Math.floor(kept / roundTo) * roundTo;
    kept = Math.min(Math.max(kept, roundTo), n);
  }
  return kept;
}
