/**
 * Channel importance scores along one axis of a parameter, viewed as [outer, A, inner]:
 * channel c is the slice x[:, c, :] (for a conv weight [OC, C, KH, KW] on axis 0, filter c).
 *   l1_norm          sum |x|                          (PaddleSlim's default)
 *   l2_norm          sqrt(sum x^2)
 *   geometry_median  FPGM: sum over the other channels d of ||x_c - x_d||_2; a filter close
 *                    to all others is replaceable by them, so it scores low
 *   bn_scale         |gamma| of the norm after the conv (the param is then the scale [C])
 * Lower score = pruned first. Computed in float64 on a host copy of the data.
 */
import type { Criterion } from './types';

const { abs, sqrt } = Math;

export function channelScores(data: ArrayLike<number>, shape: readonly number[], axis: number, criterion: Criterion): number[] {
  const A = shape[axis];
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const scores = new Array<number>(A).fill(0);
  if (criterion === 'bn_scale') {
    for (let c = 0; c < A; c++) scores[c] = abs(data[c]);
    return scores;
  }
  if (criterion === 'l1_norm' || criterion === 'l2_norm') {
    const sum = criterion === 'l1_norm' ? sumAbs : sumSquares;
    for (let o = 0; o < outer; o++) for (let c = 0; c < A; c++) scores[c] += sum(data, (o * A + c) * inner, inner);
    if (criterion === 'l2_norm') for (let c = 0; c < A; c++) scores[c] = sqrt(scores[c]);
    return scores;
  }
  // geometry_median: gather each channel into a contiguous row of D = outer * inner values
  const D = outer * inner;
  const rows = new Float64Array(A * D);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < A; c++) {
      const src = (o * A + c) * inner;
      const dst = c * D + o * inner;
      for (let k = 0; k < inner; k++) rows[dst + k] = data[src + k];
    }
  }
  for (let c = 0; c < A; c++) {
    for (let d = c + 1; d < A; d++) {
      let s = 0;
      const a = c * D, b = d * D;
      for (let k = 0; k < D; k++) {
        const t = rows[a + k] - rows[b + k];
        s += t * t;
      }
      const dist = sqrt(s);
      scores[c] += dist;
      scores[d] += dist;
    }
  }
  return scores;
}

// The hot path of l1/l2 scoring (tens of millions of weights per plan): four independent
// accumulators so the additions pipeline instead of waiting on one another, and no global
// lookups in the loop (slow inside vm contexts such as the test environment).
function sumAbs(d: ArrayLike<number>, start: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const e = start + n;
  let k = start;
  for (; k + 4 <= e; k += 4) {
    s0 += abs(d[k]);
    s1 += abs(d[k + 1]);
    s2 += abs(d[k + 2]);
    s3 += abs(d[k + 3]);
  }
  for (; k < e; k++) s0 += abs(d[k]);
  return s0 + s1 + (s2 + s3);
}
function sumSquares(d: ArrayLike<number>, start: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const e = start + n;
  let k = start;
  for (; k + 4 <= e; k += 4) {
    s0 += d[k] * d[k];
    s1 += d[k + 1] * d[k + 1];
    s2 += d[k + 2] * d[k + 2];
    s3 += d[k + 3] * d[k + 3];
  }
  for (; k < e; k++) s0 += d[k] * d[k];
  return s0 + s1 + (s2 + s3);
}

/**
 * The `count` lowest-scoring channels (ties: lower index first), as the indices kept:
 * everything else, ascending.
 */
export function keptByScore(scores: readonly number[], count: number): number[] {
  const order = scores.map((s, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  const drop = new Uint8Array(scores.length);
  for (let k = 0; k < count; k++) drop[order[k]] = 1;
  const kept: number[] = [];
  for (let i = 0; i < scores.length; i++) if (!drop[i]) kept.push(i);
  return kept;
}
