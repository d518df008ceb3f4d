/**
 * The pair pass of replayed inference (src/graph/pair_fold.ts): a narrow 3x3 layer and the 1x1
 * layer reading its output run as one call, with the executor's answers bit for bit, including
 * where the executor's memory plan wrote the 1x1 layer's output over the 3x3 layer's input (the
 * pass gives it a storage of its own and the later calls read it there); a 3x3 layer's map the
 * caller gets back, or one a second layer reads, keeps its pair apart; `passes: false` keeps every
 * call as recorded. Backends without Backend.convPairs, and CPUs where no 3x3 layer runs by
 * Winograd slivers (no AVX2), are skipped with the reason.
 */
import { backendByName, listBackends } from '../../src/backend/loader';
import { foldNorms } from '../../src/export/bn_fold';
import { GraphBuilder } from '../../src/graph/builder';
import type { Graph } from '../../src/graph/graph';
import { randomizeParams } from './harness';
import { replayAgainstExecutor } from './replay_check';

const hosts = listBackends().filter((b) => b.name !== 'cuda' && b.available).map((b) => backendByName(b.name));
const probe3 = Int32Array.from([2, 26, 40, 40, 51, 3, 3, 40, 40, 1, 1, 1, 1, 1, 1, 1, 1]);
const probe1 = Int32Array.from([2, 51, 40, 40, 26, 1, 1, 40, 40, 1, 1, 0, 0, 1, 1, 1, 1]);
const withPairs = hosts.filter((b) => b.convPairs?.usable(probe3, probe1));
for (const b of hosts) {
  if (!b.convPairs) console.log(`pair pass tests: ${b.name} skipped: it has no 3x3 -> 1x1 pair kernel`);
  else if (!b.convPairs.usable(probe3, probe1)) console.log(`pair pass tests: ${b.name} skipped: no 3x3 layer runs by Winograd slivers on this CPU (no AVX2)`);
}

/**
 * A pruned YOLO head's tail, narrower: 26 -> 51 (3x3) -> 26 (1x1) -> 51 (3x3) -> 26 (1x1) -> 51
 * (3x3) -> 12 (1x1 output), batch norm + leaky_relu after each but the last (folded); `also`: a map
 * the caller gets back as well, `shared`: the first 3x3 layer's map is read by a second 1x1 layer.
 */
function tailNet(n: number, size: number, also: 'none' | 'first3x3', shared = false): Graph {
  const b = new GraphBuilder();
  const x = b.input('image', [n, 26, size, size]);
  const cbl = (t: string, name: string, out: number, k: number) =>
    b.batchNorm(b.conv2d(t, { name, out, k, pad: k >> 1 }), { name: `${name}_bn`, act: 'leaky_relu' });
  const a = cbl(x, 'c0', 51, 3);
  const p = cbl(a, 'c1', 26, 1);
  const q = cbl(cbl(p, 'c2', 51, 3), 'c3', 26, 1);
  const y = b.conv2d(cbl(q, 'c4', 51, 3), { name: 'out', out: 12, k: 1 });
  const outs = [y];
  if (also === 'first3x3') outs.push(a);
  if (shared) outs.push(b.conv2d(a, { name: 'side', out: 5, k: 1 }));
  b.output(...outs);
  return b.graph;
}

describe.each(withPairs.map((b) => b.name))('pair pass on %s', (name) => {
  const be = backendByName(name);
  const setup = (n: number, size: number, also: 'none' | 'first3x3', shared = false) => {
    const g0 = tailNet(n, size, also, shared);
    randomizeParams(g0, 9);
    for (const p of g0.params.values()) p.tensor = p.tensor!.to(be);
    return foldNorms(g0).graph;
  };
  const run = (g: Graph, n: number, size: number, passes = true) => replayAgainstExecutor(g, be, [n, 26, size, size], 60, passes);

  test.each([[1, 40], [2, 40], [1, 21]])('batch %i at %i: the three pairs run as three calls, the executor\'s answers bit for bit', (n, size) => {
    const g = setup(n, size, 'none');
    const off = run(g, n, size, false);
    expect(off.pairs).toBeUndefined();
    expect(run(g, n, size)).toMatchObject({ state: 'replayed', pairs: 3, calls: off.calls! - 3 });
  });
  test('the first 3x3 layer\'s map returned: that pair stays apart, same answers', () => {
    const g = setup(2, 40, 'first3x3');
    const off = run(g, 2, 40, false);
    expect(run(g, 2, 40)).toMatchObject({ state: 'replayed', pairs: 2, calls: off.calls! - 2 });
  });
  test('the first 3x3 layer\'s map read by a second 1x1 layer: that pair stays apart, same answers', () => {
    const g = setup(2, 40, 'none', true);
    const off = run(g, 2, 40, false);
    expect(run(g, 2, 40)).toMatchObject({ state: 'replayed', pairs: 2, calls: off.calls! - 2 });
  });
});
