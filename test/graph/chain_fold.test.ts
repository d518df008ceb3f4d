/**
 * The chain pass of replayed inference (src/graph/chain_fold.ts): an image's stem convolution and
 * the depthwise -> 1x1 pairs right after it run as one call in bands of rows, with the executor's
 * answers bit for bit; a map between them that the caller gets back ends the chain there (or
 * leaves the stem alone), and `passes: false` keeps every call as recorded. Backends without
 * Backend.convChains are skipped with the reason.
 */
import { backendByName, listBackends } from '../../src/backend/loader';
import { foldNorms } from '../../src/export/bn_fold';
import { GraphBuilder } from '../../src/graph/builder';
import type { Graph } from '../../src/graph/graph';
import { randomizeParams } from './harness';
import { replayAgainstExecutor } from './replay_check';

const hosts = listBackends().filter((b) => b.name !== 'cuda' && b.available).map((b) => backendByName(b.name));
const withChains = hosts.filter((b) => b.convChains);
for (const b of hosts) if (!b.convChains) console.log(`chain pass tests: ${b.name} skipped: it has no stem + depthwise -> 1x1 chain kernel`);

/**
 * MobileNetV1's front, narrower: a 3 -> 8 stem at stride 2, then depthwise + 1x1 pairs 8 -> 16
 * (stride 1) and 16 -> 24 (stride 2) (from 608 up two more: 24 -> 24, 24 -> 32 at stride 2), batch
 * norm + relu after each convolution (folded), and a 3x3 layer after them; `also`: which map
 * between them the caller gets back as well.
 */
function frontNet(n: number, size: number, also: 'none' | 'stem' | 'pair1'): Graph {
  const b = new GraphBuilder();
  const x = b.input('image', [n, 3, size, size]);
  const stem = b.batchNorm(b.conv2d(x, { name: 'stem', out: 8, k: 3, stride: 2, pad: 1 }), { name: 'stem_bn', act: 'relu' });
  const pair = (t: string, name: string, c: number, out: number, stride: number) => {
    let u = b.conv2d(t, { name: `${name}_dw`, out: c, k: 3, pad: 1, stride, groups: c });
    u = b.batchNorm(u, { name: `${name}_dw_bn`, act: 'relu' });
    u = b.conv2d(u, { name: `${name}_pw`, out, k: 1 });
    return b.batchNorm(u, { name: `${name}_pw_bn`, act: 'relu' });
  };
  const p1 = pair(stem, 'p1', 8, 16, 1);
  let p2 = pair(p1, 'p2', 16, 24, 2);
  // at 608, two more (fused depthwise -> 1x1 calls at 152 columns): 24 -> 24, then 24 -> 32 at stride 2
  if (size >= 608) p2 = pair(pair(p2, 'p3', 24, 24, 1), 'p4', 24, 32, 2);
  const y = b.conv2d(p2, { name: 'head', out: 10, k: 3, pad: 1 });
  if (also === 'stem') b.output(y, stem);
  else if (also === 'pair1') b.output(y, p1);
  else b.output(y);
  return b.graph;
}

describe.each(withChains.map((b) => b.name))('chain pass on %s', (name) => {
  const be = backendByName(name);
  const setup = (n: number, size: number, also: 'none' | 'stem' | 'pair1') => {
    const g0 = frontNet(n, size, also);
    randomizeParams(g0, 5);
    for (const p of g0.params.values()) p.tensor = p.tensor!.to(be);
    return foldNorms(g0).graph;
  };
  const run = (g: Graph, n: number, size: number, passes = true) => replayAgainstExecutor(g, be, [n, 3, size, size], 40, passes);

  test.each([1, 2])('batch %i at 320: the stem and both pairs run as one chain, the executor\'s answers bit for bit', (n) => {
    const g = setup(n, 320, 'none');
    const off = run(g, n, 320, false);
    // three recorded calls became one
    expect(run(g, n, 320)).toMatchObject({ state: 'replayed', chains: 1, calls: off.calls! - 2 });
  });
  test('batch 1 at 608: the stem and four pairs run as one chain, the executor\'s answers bit for bit', () => {
    const g = setup(1, 608, 'none');
    const off = run(g, 1, 608, false);
    expect(run(g, 1, 608)).toMatchObject({ state: 'replayed', chains: 1, calls: off.calls! - 4 });
  });
  test('the first pair\'s map returned: the chain ends before the second pair, same answers', () => {
    const g = setup(1, 320, 'pair1');
    const off = run(g, 1, 320, false);
    expect(run(g, 1, 320)).toMatchObject({ state: 'replayed', chains: 1, calls: off.calls! - 1 });
  });
  test('a 160 input: the second pair\'s 40-column rows run unfused, the stem and the first pair as one chain', () => {
    const g = setup(2, 160, 'none');
    const off = run(g, 2, 160, false);
    expect(run(g, 2, 160)).toMatchObject({ state: 'replayed', chains: 1, calls: off.calls! - 1 });
  });
  test('the stem\'s map returned: no chain, same answers', () => {
    const s = run(setup(1, 320, 'stem'), 1, 320);
    expect(s.state).toBe('replayed');
    expect(s.chains).toBeUndefined();
  });
  test('passes off: no chain', () => {
    const s = run(setup(1, 320, 'none'), 1, 320, false);
    expect(s.state).toBe('replayed');
    expect(s.chains).toBeUndefined();
  });
});
