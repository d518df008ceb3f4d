/**
 * The executor's memory plan (src/graph/memory_plan.ts): from the second step of a graph at one
 * input shape on, a training step takes every storage from the graph's pool and allocates none;
 * recycled storages change no result (bit for bit against runs without the plan, over several
 * steps, batch-norm running statistics included); a change of input size does not grow the pool;
 * a failed run and Graph.dispose() hand the pool's storages back to the backend.
 */
import * as path from 'path';
import type { Backend } from '../../src/backend/backend';
import { listBackends, backendByName } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { readConfig } from '../../src/config';
import { forward } from '../../src/graph/executor';
import type { Graph } from '../../src/graph/graph';
import { GraphMemoryPool, memoryPoolOf } from '../../src/graph/memory_plan';
import { buildModel, initModel } from '../../src/nn';
import { randomArray } from '../util/rng';
import { randomizeParams, reference, smallNet } from './harness';

/** A backend counting its live storages and its allocs of new storages (fromArray, a copy of host data, apart). */
function counting(inner: Backend<any>): { be: Backend<any>; live: () => number; allocs: () => number } {
  let live = 0;
  let allocs = 0;
  const be: Backend<any> = {
    ...inner,
    name: `counting-${inner.name}`,
    available: () => inner.available(),
    supports: (k, p) => inner.supports(k, p),
    alloc: (n) => (live++, allocs++, inner.alloc(n)),
    fromArray: (d) => (live++, inner.fromArray(d)),
    free: (s) => (live--, inner.free(s)),
  };
  return { be, live: () => live, allocs: () => allocs };
}


interface StepOut {
  out: Float32Array | Float64Array;
  grads: Map<string, Float32Array | Float64Array>;
  mean: Float32Array | Float64Array;
}

/** One training step (forward in train mode, backward from a fixed seed); results copied out, tensors freed. */
function step(g: Graph, image: Tensor, memoryPlan: boolean): StepOut {
  const o = g.outputs[0];
  const r = forward(g, { image }, { training: true, grad: true, memoryPlan });
  const out = r.outputs[o].toArray();
  const dy = Tensor.from(randomArray(r.outputs[o].size, 9), r.outputs[o].shape, image.backend);
  r.outputs[o].dispose();
  const gr = r.tape!.backward({ [o]: dy });
  dy.dispose();
  const grads = new Map([...gr.params].map(([k, t]) => [k, t.toArray()] as const));
  gr.params.forEach((t) => t.dispose());
  return { out, grads, mean: g.param('c1_bn_mean').tensor!.toArray() };
}

const hosts = listBackends().filter((b) => b.name !== 'cuda');
for (const b of hosts) if (!b.available) console.log(`memory plan tests: ${b.name} skipped: ${b.reason}`);
const names = hosts.filter((b) => b.available).map((b) => b.name);

describe.each(names)('memory plan on %s', (name) => {
  test('from the second step on, a training step allocates nothing and recycles every storage', () => {
    const { be, allocs } = counting(backendByName(name));
    const g = smallNet();
    randomizeParams(g, 3);
    for (const p of g.params.values()) p.tensor = p.tensor!.to(be);
    const image = Tensor.from(randomArray(2 * 3 * 8 * 8, 1), [2, 3, 8, 8], be);
    step(g, image, true);
    const pool = memoryPoolOf(g);
    const first = { ...pool.stats };
    expect(first.allocated).toBeGreaterThan(10);
    const before = allocs();
    step(g, image, true);
    expect(allocs()).toBe(before);
    expect(pool.stats.allocated).toBe(first.allocated);
    // every storage the first step made or recycled, the second recycled
    expect(pool.stats.reused - first.reused).toBe(first.allocated + first.reused);
    g.dispose();
    image.dispose();
  });

  test('recycled storages change no result: three steps with and without the plan agree bit for bit', () => {
    const be = backendByName(name);
    const runs = [true, false].map((plan) => {
      const g = smallNet();
      randomizeParams(g, 4);
      for (const p of g.params.values()) p.tensor = p.tensor!.to(be);
      const image = Tensor.from(randomArray(2 * 3 * 8 * 8, 2), [2, 3, 8, 8], be);
      const steps = [step(g, image, plan), step(g, image, plan), step(g, image, plan)];
      // an eval run between, on the same pool, then a train step again
      const e = forward(g, { image }, { memoryPlan: plan });
      const evalOut = e.outputs[g.outputs[0]].toArray();
      e.outputs[g.outputs[0]].dispose();
      steps.push(step(g, image, plan));
      g.dispose();
      image.dispose();
      return { steps, evalOut };
    });
    const [on, off] = runs;
    expect(Array.from(on.evalOut)).toEqual(Array.from(off.evalOut));
    on.steps.forEach((s, i) => {
      const t = off.steps[i];
      expect(Array.from(s.out)).toEqual(Array.from(t.out));
      expect(Array.from(s.mean)).toEqual(Array.from(t.mean));
      expect([...s.grads.keys()].sort()).toEqual([...t.grads.keys()].sort());
      for (const [k, v] of s.grads) expect(Array.from(v)).toEqual(Array.from(t.grads.get(k)!));
    });
  });
});

describe('memory plan bounds', () => {
  test('alternating input sizes does not grow the pool beyond the last two cycles', () => {
    const { be, live } = counting(reference());
    const g = smallNet();
    randomizeParams(g, 5);
    for (const p of g.params.values()) p.tensor = p.tensor!.to(be);
    const sizes = [8, 16, 12];
    const images = sizes.map((s, i) => Tensor.from(randomArray(2 * 3 * s * s, i), [2, 3, s, s], be));
    const base = live();
    const held: number[] = [];
    for (let k = 0; k < 9; k++) {
      step(g, images[k % 3], true);
      held.push(memoryPoolOf(g).stats.heldElements);
    }
    // the pool holds at most what two consecutive cycles freed: never more than after cycles 2-3
    const bound = Math.max(...held.slice(0, 3));
    expect(Math.max(...held)).toBeLessThanOrEqual(bound);
    expect(memoryPoolOf(g).stats.returned).toBeGreaterThan(0);
    expect(live() - base).toBe(memoryPoolOf(g).stats.heldStorages);
    g.dispose();
    expect(live()).toBe(base - g.paramList().length);
  });

  test('a failed run and Graph.dispose() hand every pooled storage back to the backend', () => {
    const { be, live } = counting(reference());
    const g = smallNet();
    randomizeParams(g, 6);
    for (const p of g.params.values()) p.tensor = p.tensor!.to(be);
    const image = Tensor.from(randomArray(2 * 3 * 8 * 8, 3), [2, 3, 8, 8], be);
    const base = live();
    step(g, image, true);
    expect(memoryPoolOf(g).stats.heldStorages).toBeGreaterThan(0);
    // c3 without weights: the run fails at its last node, after every other one ran
    const w = g.param('c3_weights').tensor;
    g.param('c3_weights').tensor = undefined;
    expect(() => forward(g, { image }, { training: true, grad: true })).toThrow('conv2d: expected parameter data');
    g.param('c3_weights').tensor = w;
    expect(memoryPoolOf(g).stats.heldStorages).toBe(0);
    expect(live()).toBe(base);
    step(g, image, true);
    expect(memoryPoolOf(g).stats.heldStorages).toBeGreaterThan(0);
    // a gradient kept past dispose() goes to the backend, not to a pool that is gone
    const r = forward(g, { image }, { training: true, grad: true });
    const o = g.outputs[0];
    const kept = r.tape!.backward({ [o]: r.outputs[o] });
    r.outputs[o].dispose();
    const nParams = g.paramList().length;
    g.dispose();
    expect(live()).toBe(base - nParams + kept.params.size);
    kept.params.forEach((t) => t.dispose());
    expect(live()).toBe(base - nParams);
    image.dispose();
  });

  test('the pool lists a storage once, however often it is given back, and recycles only exact sizes', () => {
    const be = reference();
    const pool = new GraphMemoryPool();
    const s = be.alloc(6);
    pool.give(be, s, 6);
    pool.give(be, s, 6);
    expect(pool.stats.heldStorages).toBe(1);
    expect(pool.take(be, 5)).toBeUndefined();
    expect(pool.take(be, 6)).toBe(s);
    expect(pool.take(be, 6)).toBeUndefined();
    expect(pool.stats).toMatchObject({ reused: 1, allocated: 2, heldStorages: 0, heldElements: 0 });
    pool.release();
    expect(pool.take(be, 6)).toBeUndefined();
  });
});

const demo = path.join(__dirname, '..', '..', 'configs', 'demo', 'yolov3_mobilenet_v1_demo.yml');
const native = listBackends().find((b) => b.name === 'native');
(native?.available ? describe : describe.skip)('memory plan on the demo YOLOv3 (native)', () => {
  test('the second training step takes all of its storages from the pool and matches a step without the plan', () => {
    const be = backendByName('native');
    const cfg = readConfig(demo, ['YOLOv3Head.width_scale=0.125']) as never;
    const shape = [2, 3, 64, 64];
    const results = [true, false].map((plan) => {
      const m = buildModel(cfg, { mode: 'train', inputShape: shape });
      initModel(m, { seed: 11, backend: be });
      const image = Tensor.from(randomArray(2 * 3 * 64 * 64, 7), shape, be);
      const once = () => {
        const r = forward(m.graph, { [m.input]: image }, { training: true, grad: true, memoryPlan: plan });
        const seeds: Record<string, Tensor> = {};
        m.outputs.forEach((o, i) => (seeds[o] = Tensor.from(randomArray(r.outputs[o].size, 20 + i), r.outputs[o].shape, be)));
        const outs = m.outputs.map((o) => Array.from(r.outputs[o].toArray()));
        m.outputs.forEach((o) => r.outputs[o].dispose());
        const g = r.tape!.backward(seeds);
        Object.values(seeds).forEach((t) => t.dispose());
        const grads = [...g.params.keys()].sort().map((k) => Array.from(g.params.get(k)!.toArray()));
        g.params.forEach((t) => t.dispose());
        return { outs, grads };
      };
      once();
      const before = plan ? { ...memoryPoolOf(m.graph).stats } : null;
      const second = once();
      if (before) {
        const after = memoryPoolOf(m.graph).stats;
        expect(after.allocated).toBe(before.allocated);
        expect(after.reused - before.reused).toBe(before.allocated + before.reused);
      }
      m.dispose();
      image.dispose();
      return second;
    });
    expect(results[0].outs).toEqual(results[1].outs);
    expect(results[0].grads).toEqual(results[1].grads);
  });
});
