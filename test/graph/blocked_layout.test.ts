/**
 * The layout pass of replayed inference (src/graph/blocked_layout.ts): chains of depthwise and 1x1
 * layers run on channel-blocked maps where the backend can, and every answer stays what the
 * executor gives, bit for bit; a map the caller gets back or a layer outside the rules stays NCHW;
 * `passes: false` (or SLIMPRUNE_PASSES=0) keeps every call as recorded. Machines whose backend
 * cannot (no AVX-512) are skipped with the reason.
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

const native = listBackends().find((b) => b.name === 'native');
const be = native?.available ? backendByName('native') : null;
const pw = Int32Array.from([1, 128, 2, 2, 128, 1, 1, 2, 2, 1, 1, 0, 0, 1, 1, 1, -1]);
const why = !be ? `native backend: ${native?.reason ?? 'absent'}` : !be.blocked ? 'no blocked convolutions' : be.blocked.problem(pw, 3);
if (why) console.log(`skipping the blocked-layout pass tests: ${why}`);
const d = why ? describe.skip : describe;

/**
 * MobileNet-like: depthwise + 1x1 pairs (batch norm + relu, folded) at 10x10 and, after a stride-2
 * depthwise layer, 5x5; the first pair's output is also upsampled into a concatenation (an NCHW
 * reader), and the last 1x1 layer's output is the graph's output.
 */
function chainNet(n: number): Graph {
  const b = new GraphBuilder();
  let y = b.input('image', [n, 128, 10, 10]);
  const pair = (x: string, name: string, c: number, out: number, stride = 1) => {
    let t = b.conv2d(x, { name: `${name}_dw`, out: c, k: 3, pad: 1, stride, groups: c });
    t = b.batchNorm(t, { name: `${name}_dw_bn`, act: 'relu' });
    t = b.conv2d(t, { name: `${name}_pw`, out, k: 1 });
    return b.batchNorm(t, { name: `${name}_pw_bn`, act: 'relu' });
  };
  const tap = pair(y, 'p1', 128, 128);
  y = pair(tap, 'p2', 128, 256, 2);
  y = pair(y, 'p3', 256, 160);
  const side = b.concat([b.upsample(y, { scale: 2 }), tap]);
  b.output(y, b.conv2d(side, { name: 'side', out: 8, k: 1 }));
  return b.graph;
}

d('blocked layout in replayed inference', () => {
  const setup = (n: number) => {
    const g0 = chainNet(n);
    randomizeParams(g0, 5);
    for (const p of g0.params.values()) p.tensor = p.tensor!.to(be!);
    return foldNorms(g0).graph;
  };
  const arrays = (o: Record<string, Tensor>) => Object.fromEntries(Object.entries(o).map(([k, t]) => [k, Array.from(t.toArray())]));

  test.each([1, 2, 3])('batch %i: the chain runs blocked, the answers are the executor\'s bit for bit', (n) => {
    const g = setup(n);
    const r = new InferenceRunner(g, { captureAfter: 1 });
    const off = new InferenceRunner(g, { captureAfter: 1, passes: false });
    for (let i = 0; i < 4; i++) {
      const x = Tensor.from(randomArray(n * 128 * 100, 10 + i), [n, 128, 10, 10], be!);
      const want = forward(g, { image: x }, { training: false }).outputs;
      const a = arrays(want);
      for (const runner of [r, off]) {
        const got = runner.run({ image: x });
        expect(arrays(got)).toEqual(a);
        Object.values(got).forEach((t) => t.dispose());
      }
      Object.values(want).forEach((t) => t.dispose());
      x.dispose();
    }
    // 6 convolutions: the first depthwise layer reads the (NCHW) input, the first 1x1 layer writes
    // the tap (read by the side layer), the last one the graph's output: all six blocked on one side;
    // the side layer reads the upsampled output and the tap in place of their concatenation
    expect(r.states).toEqual([{ shape: `[${n}, 128, 10, 10]`, state: 'replayed', calls: expect.any(Number), blocked: 6, folded: 1 }]);
    expect(off.states[0].blocked).toBeUndefined();
    r.dispose();
    off.dispose();
  });

  test('SLIMPRUNE_PASSES=0 keeps every call as recorded', () => {
    const g = setup(1);
    const saved = process.env.SLIMPRUNE_PASSES;
    process.env.SLIMPRUNE_PASSES = '0';
    const r = new InferenceRunner(g, { captureAfter: 1 });
    if (saved === undefined) delete process.env.SLIMPRUNE_PASSES;
    else process.env.SLIMPRUNE_PASSES = saved;
    const x = Tensor.from(randomArray(12800, 3), [1, 128, 10, 10], be!);
    for (let i = 0; i < 3; i++) Object.values(r.run({ image: x })).forEach((t) => t.dispose());
    expect(r.states[0]).toMatchObject({ state: 'replayed' });
    expect(r.states[0].blocked).toBeUndefined();
    expect(r.states[0].folded).toBeUndefined();
    r.dispose();
  });
});
