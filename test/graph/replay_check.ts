/**
 * The replay passes' tests (chain_fold, pair_fold): a graph replayed by an InferenceRunner against
 * the executor's answers for the same feeds, bit for bit, over three calls.
 */
import type { Backend } from '../../src/backend/backend';
import { Tensor } from '../../src/backend/tensor';
import { forward } from '../../src/graph/executor';
import type { Graph } from '../../src/graph/graph';
import { InferenceRunner, type ReplayState } from '../../src/graph/replay';
import { firstDiff } from '../util/allclose';
import { randomArray } from '../util/rng';

/**
 * Runs g three times through a runner (recording after the first call) on random images of `shape`
 * (seeds seed, seed + 1, seed + 2), expecting the executor's outputs bit for bit each time; the
 * runner's state afterwards.
 */
export function replayAgainstExecutor(g: Graph, be: Backend<any>, shape: number[], seed: number, passes = true): ReplayState {
  const r = new InferenceRunner(g, { captureAfter: 1, passes });
  const size = shape.reduce((a, d) => a * d, 1);
  for (let i = 0; i < 3; i++) {
    const feeds = { image: Tensor.from(randomArray(size, seed + i), shape, be) };
    const want = forward(g, feeds, { training: false }).outputs;
    const got = r.run(feeds);
    for (const k of Object.keys(want)) {
      expect([k, firstDiff(got[k].toArray(), want[k].toArray())]).toEqual([k, -1]);
    }
    [...Object.values(got), ...Object.values(want), ...Object.values(feeds)].forEach((t) => t.dispose());
  }
  const s = r.states[0];
  r.dispose();
  return s;
}
