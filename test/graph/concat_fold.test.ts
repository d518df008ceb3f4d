/**
 * The concatenation pass of replayed inference (src/graph/concat_fold.ts): a 1x1 layer after a
 * concatenation of an upsampled map and another one reads the two maps in place, with the
 * executor's answers bit for bit; a concatenation something else reads too, one that is returned,
 * or a layer that is not 1x1 keeps the recorded calls. Backends without Backend.concatConvs are
 * skipped with the reason.
 */
import { backendByName, listBackends } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { foldNorms } from '../../src/export/bn_fold';
import { GraphBuilder } from '../../src/graph/builder';
import { forward } from '../../src/graph/executor';
import type { Graph } from '../../src/graph/graph';
import { InferenceRunner } from '../../src/graph/replay';
import { randomArray } from '../util/rng';
import { randomizeParams } from './harness';

const hosts = listBackends().filter((b) => b.name !== 'cuda' && b.available).map((b) => backendByName(b.name));
const withFold = hosts.filter((b) => b.concatConvs);
for (const b of hosts) if (!b.concatConvs) console.log(`concatenation pass tests: ${b.name} skipped: it has no in-place concatenation convolution`);

/** coarse [n, 24, 3, 4] upsampled x2 next to fine [n, 40, 6, 8], then a 1x1 (or 3x3) layer; `also`: the concatenation is read again */
function headNet(n: number, k: number, also: 'none' | 'output' | 'pool'): Graph {
  const b = new GraphBuilder();
  const coarse = b.input('coarse', [n, 24, 3, 4]);
  const fine = b.input('fine', [n, 40, 6, 8]);
  const c = b.conv2d(coarse, { name: 'c', out: 24, k: 1 });
  const cat = b.concat([b.upsample(b.batchNorm(c, { name: 'c_bn', act: 'leaky_relu', alpha: 0.1 }), { scale: 2 }), fine]);
  let y = b.conv2d(cat, { name: 'head', out: 36, k, pad: (k - 1) / 2 });
  y = b.batchNorm(y, { name: 'head_bn', act: 'relu' });
  if (also === 'output') b.output(y, cat);
  else if (also === 'pool') b.output(y, b.pool2d(cat, { type: 'max', k: 2, stride: 2 }));
  else b.output(y);
  return b.graph;
}

describe.each(withFold.map((b) => b.name))('concatenation pass on %s', (name) => {
  const be = backendByName(name);
  const run = (g: Graph, n: number) => {
    const r = new InferenceRunner(g, { captureAfter: 1 });
    for (let i = 0; i < 4; i++) {
      const feeds = { coarse: Tensor.from(randomArray(n * 24 * 12, 20 + i), [n, 24, 3, 4], be), fine: Tensor.from(randomArray(n * 40 * 48, 30 + i), [n, 40, 6, 8], be) };
      const want = forward(g, feeds, { training: false }).outputs;
      const got = r.run(feeds);
      expect(Object.fromEntries(Object.entries(got).map(([k, t]) => [k, Array.from(t.toArray())])))
        .toEqual(Object.fromEntries(Object.entries(want).map(([k, t]) => [k, Array.from(t.toArray())])));
      [...Object.values(got), ...Object.values(want), ...Object.values(feeds)].forEach((t) => t.dispose());
    }
    const s = r.states[0];
    r.dispose();
    return s;
  };
  const setup = (n: number, k: number, also: 'none' | 'output' | 'pool') => {
    const g0 = headNet(n, k, also);
    randomizeParams(g0, 3);
    for (const p of g0.params.values()) p.tensor = p.tensor!.to(be);
    return foldNorms(g0).graph;
  };

  test.each([1, 2])('batch %i: the 1x1 layer reads the maps in place, the executor\'s answers bit for bit', (n) => {
    expect(run(setup(n, 1, 'none'), n)).toMatchObject({ state: 'replayed', folded: 1 });
  });
  test.each([['returned', 'output'], ['pooled as well', 'pool']] as const)('a concatenation %s is made as recorded', (_what, also) => {
    const s = run(setup(2, 1, also), 2);
    expect(s.state).toBe('replayed');
    expect(s.folded).toBeUndefined();
  });
  test('a 3x3 layer reads the concatenation as recorded', () => {
    const s = run(setup(2, 3, 'none'), 2);
    expect(s.state).toBe('replayed');
    expect(s.folded).toBeUndefined();
  });
});
