/**
 * Replayed inference (src/graph/replay.ts): InferenceRunner answers what the executor answers,
 * bit for bit, on every backend, from the third call of an input shape on by replaying the kernel
 * calls of one recorded forward; a forward whose course depends on computed data is refused and
 * keeps running the executor; the outputs belong to the caller and the plan keeps nothing of the
 * caller's.
 */
import * as path from 'path';
import { backendByName, listBackends } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { readConfig } from '../../src/config';
import { GraphBuilder } from '../../src/graph/builder';
import { forward } from '../../src/graph/executor';
import type { Graph } from '../../src/graph/graph';
import { registerOp } from '../../src/graph/ops';
import { InferenceRunner } from '../../src/graph/replay';
import { buildModel, initModel } from '../../src/nn';
import { randomArray } from '../util/rng';
import { randomizeParams, smallNet } from './harness';


const arrays = (o: Record<string, Tensor>) => Object.fromEntries(Object.entries(o).map(([k, t]) => [k, Array.from(t.toArray())]));

/** The executor's outputs (copied out), the tensors freed. */
function executor(g: Graph, feeds: Record<string, Tensor>, fetch?: string[]): Record<string, number[]> {
  const { outputs } = forward(g, feeds, { training: false, fetch });
  const r = arrays(outputs);
  const fed = new Set(Object.values(feeds));
  Object.values(outputs).forEach((t) => fed.has(t) || t.dispose());
  return r;
}

/** The runner's outputs (copied out), the tensors freed (but a feed the executor returned as it is). */
function runner(r: InferenceRunner, feeds: Record<string, Tensor>): Record<string, number[]> {
  const o = r.run(feeds);
  const a = arrays(o);
  const fed = new Set(Object.values(feeds));
  Object.values(o).forEach((t) => fed.has(t) || t.dispose());
  return a;
}

const hosts = listBackends().filter((b) => b.name !== 'cuda');
for (const b of hosts) if (!b.available) console.log(`replay tests: ${b.name} skipped: ${b.reason}`);
const names = hosts.filter((b) => b.available).map((b) => b.name);

describe.each(names)('InferenceRunner on %s', (name) => {
  const setup = (n = 2, hw = 8) => {
    const be = backendByName(name);
    const g = smallNet(n, hw);
    randomizeParams(g, 11);
    for (const p of g.params.values()) p.tensor = p.tensor!.to(be);
    return { be, g };
  };

  test('answers as the executor does, bit for bit, call after call, on different inputs', () => {
    const { be, g } = setup();
    const r = new InferenceRunner(g, { captureAfter: 1 });
    const xs = [1, 2, 3, 4, 1].map((s) => Tensor.from(randomArray(2 * 3 * 8 * 8, s), [2, 3, 8, 8], be));
    const states: string[] = [];
    for (const x of xs) {
      expect(runner(r, { image: x })).toEqual(executor(g, { image: x }));
      states.push(r.states[0].state);
    }
    expect(states).toEqual(['seen', 'replayed', 'replayed', 'replayed', 'replayed']);
    expect(r.states[0].calls).toBeGreaterThan(5);
    r.dispose();
    expect(() => r.run({ image: xs[0] })).toThrow('InferenceRunner: used after dispose');
    xs.forEach((x) => x.dispose());
    g.dispose();
  });

  test('by default a shape runs the executor 8 times before it records (short runs never pay for recording)', () => {
    const { be, g } = setup();
    const r = new InferenceRunner(g);
    const states: string[] = [];
    for (let s = 0; s < 10; s++) {
      const x = Tensor.from(randomArray(2 * 3 * 8 * 8, 60 + s), [2, 3, 8, 8], be);
      expect(runner(r, { image: x })).toEqual(executor(g, { image: x }));
      states.push(r.states[0].state === 'seen' ? `seen ${r.states[0].runs}` : r.states[0].state);
      x.dispose();
    }
    expect(states).toEqual(['seen 1', 'seen 2', 'seen 3', 'seen 4', 'seen 5', 'seen 6', 'seen 7', 'seen 8', 'replayed', 'replayed']);
    expect(() => new InferenceRunner(g, { captureAfter: 0.5 })).toThrow('InferenceRunner: expected captureAfter to be a positive integer, got 0.5');
    r.dispose();
    g.dispose();
  });

  test('the same input twice is checked against a synthetic one and replayed', () => {
    const { be, g } = setup();
    const r = new InferenceRunner(g, { captureAfter: 1 });
    const x = Tensor.from(randomArray(2 * 3 * 8 * 8, 5), [2, 3, 8, 8], be);
    const want = executor(g, { image: x });
    for (let k = 0; k < 3; k++) expect(runner(r, { image: x })).toEqual(want);
    expect(r.states).toEqual([{ shape: '[2, 3, 8, 8]', state: 'replayed', calls: expect.any(Number) }]);
    r.dispose();
    x.dispose();
    g.dispose();
  });

  test('the outputs are the caller\'s and the plan keeps nothing of the caller\'s', () => {
    const { be, g } = setup();
    const r = new InferenceRunner(g, { captureAfter: 1 });
    const mk = (s: number) => Tensor.from(randomArray(2 * 3 * 8 * 8, s), [2, 3, 8, 8], be);
    for (let k = 0; k < 2; k++) {
      const x = mk(20 + k);
      Object.values(r.run({ image: x })).forEach((t) => t.dispose());
      x.dispose();
    }
    const a = mk(30);
    const first = r.run({ image: a });
    const out = first[g.outputs[0]];
    const kept = Array.from(out.toArray());
    // a second call does not write the first call's outputs
    const b = mk(31);
    const second = r.run({ image: b });
    expect(Array.from(out.toArray())).toEqual(kept);
    expect(second[g.outputs[0]]).not.toBe(out);
    // the caller writing its output or freeing its feed changes no later answer
    out.set(new Float32Array(out.size).fill(7));
    a.dispose();
    b.dispose();
    const c = mk(32);
    expect(runner(r, { image: c })).toEqual(executor(g, { image: c }));
    [first, second].forEach((o) => Object.values(o).forEach((t) => t.dispose()));
    c.dispose();
    r.dispose();
    g.dispose();
  });

  test('an answer the caller disposed lends its storages to the next one; one still held or disposed after the runner is never reused', () => {
    const { be, g } = setup();
    const r = new InferenceRunner(g, { captureAfter: 1 });
    const mk = (s: number) => Tensor.from(randomArray(2 * 3 * 8 * 8, s), [2, 3, 8, 8], be);
    const x = mk(40);
    for (let k = 0; k < 2; k++) Object.values(r.run({ image: x })).forEach((t) => t.dispose());
    const storages = (o: Record<string, Tensor>) => new Set(Object.values(o).map((t) => t.storage));
    const first = r.run({ image: x });
    const taken = storages(first);
    Object.values(first).forEach((t) => t.dispose());
    const y = mk(41);
    const second = r.run({ image: y });
    expect(storages(second)).toEqual(taken);
    expect(arrays(second)).toEqual(executor(g, { image: y }));
    // held: the next answer takes other storages and leaves this one as it is
    const held = arrays(second);
    const third = r.run({ image: x });
    for (const s of storages(third)) expect(taken.has(s)).toBe(false);
    expect(arrays(second)).toEqual(held);
    expect(arrays(third)).toEqual(executor(g, { image: x }));
    Object.values(third).forEach((t) => t.dispose());
    r.dispose();
    // an answer that outlives the runner still reads, and is freed when the caller disposes it
    expect(arrays(second)).toEqual(held);
    Object.values(second).forEach((t) => t.dispose());
    x.dispose();
    y.dispose();
    g.dispose();
  });

  test('one plan per input shape, the least recently used dropped past maxShapes', () => {
    const { be, g } = setup();
    const r = new InferenceRunner(g, { maxShapes: 2, captureAfter: 1 });
    const x8 = Tensor.from(randomArray(2 * 3 * 8 * 8, 6), [2, 3, 8, 8], be);
    const x16 = Tensor.from(randomArray(1 * 3 * 16 * 16, 7), [1, 3, 16, 16], be);
    const x12 = Tensor.from(randomArray(2 * 3 * 12 * 12, 8), [2, 3, 12, 12], be);
    for (const x of [x8, x16, x8, x16, x8, x16]) expect(runner(r, { image: x })).toEqual(executor(g, { image: x }));
    expect(r.states.map((s) => [s.shape, s.state])).toEqual([['[2, 3, 8, 8]', 'replayed'], ['[1, 3, 16, 16]', 'replayed']]);
    expect(runner(r, { image: x12 })).toEqual(executor(g, { image: x12 }));
    expect(r.states.map((s) => [s.shape, s.state])).toEqual([['[1, 3, 16, 16]', 'replayed'], ['[2, 3, 12, 12]', 'seen']]);
    expect(runner(r, { image: x8 })).toEqual(executor(g, { image: x8 }));
    expect(r.states.map((s) => s.shape)).toEqual(['[2, 3, 12, 12]', '[2, 3, 8, 8]']);
    expect(() => new InferenceRunner(g, { maxShapes: 0 })).toThrow('InferenceRunner: expected maxShapes to be a positive integer, got 0');
    r.dispose();
    [x8, x16, x12].forEach((x) => x.dispose());
    g.dispose();
  });

  test('the recorded calls write the answers in place; an output that is a feed is copied out', () => {
    const { be, g } = setup();
    const x = Tensor.from(randomArray(2 * 3 * 8 * 8, 50), [2, 3, 8, 8], be);
    // kernel calls of one replayed run
    const count = (r: InferenceRunner): number => {
      const kernels = be.kernels as unknown as Record<string, (...a: unknown[]) => unknown>;
      const saved = { ...kernels };
      let n = 0;
      for (const [k, f] of Object.entries(saved)) kernels[k] = (...a: unknown[]) => (n++, f(...a));
      try {
        expect(runner(r, { image: x })).toEqual(executor(g, { image: x }, r === inPlace ? undefined : ['image', g.outputs[0]]));
      } finally {
        Object.assign(kernels, saved);
      }
      return n;
    };
    const inPlace = new InferenceRunner(g, { captureAfter: 1 });
    const copied = new InferenceRunner(g, { fetch: ['image', g.outputs[0]], captureAfter: 1 });
    for (const r of [inPlace, copied]) for (let k = 0; k < 2; k++) runner(r, { image: x });
    expect([inPlace.states[0].state, copied.states[0].state]).toEqual(['replayed', 'replayed']);
    // the same recorded calls; the second plan copies the feed into its input (which it fetches)
    // and its two outputs out, the first nothing (a copy of its output would make this 2)
    expect(count(copied) - count(inPlace)).toBe(3);
    inPlace.dispose();
    copied.dispose();
    x.dispose();
    g.dispose();
  });

  test('a fetched graph input comes back as this call\'s feed', () => {
    const { be, g } = setup();
    const r = new InferenceRunner(g, { fetch: ['image', g.outputs[0]], captureAfter: 1 });
    for (let s = 40; s < 44; s++) {
      const x = Tensor.from(randomArray(2 * 3 * 8 * 8, s), [2, 3, 8, 8], be);
      const got = runner(r, { image: x });
      expect(got.image).toEqual(Array.from(x.toArray()));
      expect(got).toEqual(executor(g, { image: x }, ['image', g.outputs[0]]));
      x.dispose();
    }
    expect(r.states[0].state).toBe('replayed');
    r.dispose();
    g.dispose();
  });
});

describe('InferenceRunner refuses what it cannot replay', () => {
  const be = backendByName('reference');

  test('a forward that reads computed data (RoI coordinates) keeps running the executor', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 2, 8, 8]);
    const rois = b.input('rois', [3, 4]);
    const batch = b.input('batch', [3]);
    b.output(b.roiAlign(x, rois, batch, { pooledH: 2, pooledW: 2, samplingRatio: 2, spatialScale: 1 }));
    const g = b.graph;
    const r = new InferenceRunner(g, { captureAfter: 1 });
    for (let s = 0; s < 3; s++) {
      const feeds = {
        x: Tensor.from(randomArray(128, s), [1, 2, 8, 8], be),
        rois: Tensor.from(randomArray(12, 10 + s, 0, 3).map((v, i) => v + (i % 4 >= 2 ? 4 : 0)), [3, 4], be),
        batch: Tensor.from([0, 0, 0], [3], be),
      };
      expect(runner(r, feeds)).toEqual(executor(g, feeds));
      Object.values(feeds).forEach((t) => t.dispose());
    }
    expect(r.states).toEqual([{ shape: '[1, 2, 8, 8] [3, 4] [3]', state: 'refused', reason: 'the forward reads computed tensor data back into JS (what runs depends on the data)' }]);
    r.dispose();
  });

  test('an op that computes in JS from a storage it reads directly fails the check against the witness', () => {
    registerOp({
      type: 'test_replay_js_square',
      inferShape: ({ inputs }) => [inputs[0]],
      forward: ({ inputs, backend }) => {
        const s = inputs[0].storage as Float64Array;
        return [Tensor.from(Array.from(s.subarray(0, inputs[0].size), (v) => v * v), inputs[0].shape, backend)];
      },
      saves: { inputs: [], outputs: [] },
    });
    const g = new GraphBuilder().graph;
    g.addInput('x', [2, 3]);
    g.addNode({ id: 'sq', type: 'test_replay_js_square', inputs: ['x'], outputs: ['y'] });
    g.outputs = ['y'];
    const r = new InferenceRunner(g, { captureAfter: 1 });
    for (let s = 0; s < 4; s++) {
      const x = Tensor.from(randomArray(6, s), [2, 3], be);
      expect(runner(r, { x })).toEqual(executor(g, { x }));
      x.dispose();
    }
    expect(r.states[0].state).toBe('refused');
    expect(r.states[0].reason).toMatch(/^replaying the recorded kernel calls gives other values than the executor \(output y, element \d+: /);
    r.dispose();
  });

  test('replay: false runs the executor every time', () => {
    const g = smallNet();
    randomizeParams(g, 12);
    const r = new InferenceRunner(g, { replay: false });
    const x = Tensor.from(randomArray(2 * 3 * 8 * 8, 9), [2, 3, 8, 8], be);
    for (let k = 0; k < 3; k++) expect(runner(r, { image: x })).toEqual(executor(g, { image: x }));
    expect(r.states).toEqual([]);
    r.dispose();
    x.dispose();
    g.dispose();
  });
});

const demo = path.join(__dirname, '..', '..', 'configs', 'demo', 'yolov3_mobilenet_v1_demo.yml');
const native = listBackends().find((b) => b.name === 'native');
if (!native?.available) console.log(`replay on the demo YOLOv3: skipped: ${native?.reason ?? 'no native backend'}`);
(native?.available ? describe : describe.skip)('InferenceRunner on the demo YOLOv3 (native)', () => {
  test('replays the eval forward (fused depthwise + 1x1, kept filters, eval batch norm) with the executor\'s bits', () => {
    const be = backendByName('native');
    const cfg = readConfig(demo, ['YOLOv3Head.width_scale=0.25']) as never;
    const m = buildModel(cfg, { mode: 'test', inputShape: [2, 3, 96, 96] });
    initModel(m, { seed: 3, backend: be });
    const r = new InferenceRunner(m.graph, { captureAfter: 1 });
    for (let s = 0; s < 4; s++) {
      const x = Tensor.from(randomArray(2 * 3 * 96 * 96, 50 + s), [2, 3, 96, 96], be);
      expect(runner(r, { [m.input]: x })).toEqual(executor(m.graph, { [m.input]: x }));
      x.dispose();
    }
    // the head's two upsample + concatenation pairs are read in place by the 1x1 layers after them
    expect(r.states).toEqual([expect.objectContaining({ shape: '[2, 3, 96, 96]', state: 'replayed', folded: 2 })]);
    r.dispose();
    m.dispose();
  });
});
