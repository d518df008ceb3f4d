/**
 * The executor's contract: train vs eval batch norm, memory (every activation and gradient it
 * allocates is freed when no longer needed), errors, and seeded initialisation.
 */
import type { Backend } from '../../src/backend/backend';
import { Tensor } from '../../src/backend/tensor';
import { GraphBuilder } from '../../src/graph/builder';
import { forward } from '../../src/graph/executor';
import { memoryPoolOf, releaseMemoryPool } from '../../src/graph/memory_plan';
import { initParams, initValues } from '../../src/graph/init';
import { buildModel } from '../../src/nn';
import { randomArray } from '../util/rng';
import { randomizeParams, reference } from './harness';

/** The reference backend, counting live storages. */
function counting(): { be: Backend<any>; live: () => number } {
  const ref = reference();
  let live = 0;
  const be: Backend<any> = {
    ...ref,
    name: 'counting',
    available: () => ref.available(),
    supports: (k, p) => ref.supports(k, p),
    alloc: (n) => (live++, ref.alloc(n)),
    fromArray: (d) => (live++, ref.fromArray(d)),
    free: (s) => (live--, ref.free(s)),
  };
  return { be, live: () => live };
}

function smallNet() {
  const b = new GraphBuilder();
  const x = b.input('image', [2, 3, 8, 8]);
  let y = b.conv2d(x, { name: 'c1', out: 4, k: 3, act: undefined });
  y = b.batchNorm(y, { name: 'c1_bn', act: 'relu' });
  const r = b.conv2d(y, { name: 'c2', out: 4, k: 3 });
  y = b.add(y, b.sigmoid(r), { name: 'sum' });
  const [a, c] = b.split(y, [1, 3]);
  y = b.concat([b.upsample(a, { scale: 2 }), b.upsample(c, { scale: 2 })]);
  y = b.pool2d(y, { type: 'max', k: 2, stride: 2 });
  b.output(b.fc(b.flatten(y), { name: 'fc', out: 5 }));
  return b.graph;
}

describe('executor', () => {
  test('train mode normalises with batch statistics and updates running ones; eval uses running ones', () => {
    const b = new GraphBuilder();
    b.output(b.batchNorm(b.input('x', [4, 2, 1, 1]), { name: 'bn', momentum: 0.5 }));
    const g = b.graph;
    initParams(g, { backend: reference() });
    const x = Tensor.from([1, 10, 2, 20, 3, 30, 6, 40], [4, 2, 1, 1], reference());
    const train = forward(g, { x }, { training: true }).outputs.bn.toArray();
    // channel 0: mean 3, biased var 3.5
    expect(train[0]).toBeCloseTo((1 - 3) / Math.sqrt(3.5 + 1e-5), 9);
    expect(Array.from(g.param('bn_mean').tensor!.toArray())).toEqual([1.5, 12.5]);
    expect(g.param('bn_variance').tensor!.toArray()[0]).toBeCloseTo(0.5 + 0.5 * 3.5, 12);
    const evalOut = forward(g, { x }, { training: false }).outputs.bn.toArray();
    expect(evalOut[0]).toBeCloseTo((1 - 1.5) / Math.sqrt(2.25 + 1e-5), 9);
    expect(Array.from(g.param('bn_mean').tensor!.toArray())).toEqual([1.5, 12.5]); // eval leaves them
  });

  test('frees every activation and gradient it allocated', () => {
    const g = smallNet();
    const { be, live } = counting();
    randomizeParams(g, 2);
    for (const p of g.params.values()) p.tensor = p.tensor!.to(be);
    const base = live();
    const image = Tensor.from(randomArray(2 * 3 * 8 * 8, 1), [2, 3, 8, 8], be);
    const out = g.outputs[0];
    // freed storages wait in the graph's pool (the memory plan) for the next run
    const held = () => memoryPoolOf(g).stats.heldStorages;
    // eval: only the fetched output remains
    const e = forward(g, { image }, {});
    expect(held()).toBeGreaterThan(0);
    expect(live() - held()).toBe(base + 2);
    e.outputs[out].dispose();
    // train with backward: the output plus one gradient per trainable parameter remain
    const t = forward(g, { image }, { training: true, grad: true, inputGrads: ['image'] });
    const dy = Tensor.full([2, 5], 1, be);
    const grads = t.tape!.backward({ [out]: dy });
    const trainable = g.paramList().filter((p) => p.trainable).length;
    expect(grads.params.size).toBe(trainable);
    expect(live() - held()).toBe(base + 1 /* image */ + 1 /* output */ + 1 /* dy */ + trainable + 1 /* image grad */);
    // a tape that is not used frees its activations on dispose
    const t2 = forward(g, { image }, { training: true, grad: true });
    t2.tape!.dispose();
    t2.outputs[out].dispose();
    expect(live() - held()).toBe(base + 3 + trainable + 1);
    // the pool hands its storages back to the backend when the graph lets it go
    releaseMemoryPool(g);
    expect(live()).toBe(base + 3 + trainable + 1);
    expect(() => t.tape!.backward({ [out]: dy })).toThrow('backward: expected a fresh tape');
  });

  test('runs at another input size than the graph was built for, and on a scalar loss', () => {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 16, 16]);
    const y = b.conv2d(x, { name: 'c', out: 2, k: 3, stride: 2, bias: true });
    b.output(b.mean(y));
    const g = b.graph;
    initParams(g, { backend: reference(), seed: 3 });
    const image = Tensor.from(randomArray(2 * 3 * 10 * 12, 4), [2, 3, 10, 12], reference());
    const r = forward(g, { image }, { training: true, grad: true });
    const grads = r.tape!.backward(g.outputs[0]);
    // d mean / d bias = 1 for each output channel
    expect(Array.from(grads.params.get('c_bias')!.toArray()).map((v) => +v.toFixed(12))).toEqual([0.5, 0.5]);
  });

  test('clear errors: missing weights, wrong input channels, shapes that no longer fit', () => {
    const g = smallNet();
    const image = Tensor.zeros([2, 3, 8, 8], reference());
    expect(() => forward(g, { image })).toThrow('conv2d: expected parameter data (initialise the parameters or load weights first) for parameter c1_weights of node c1, got none');
    randomizeParams(g);
    expect(() => forward(g, { image: Tensor.zeros([2, 4, 8, 8], reference()) })).toThrow('forward: expected a tensor of rank 4 with 3 channels');
    g.param('c2_weights').shape = [4, 3, 3, 3];
    expect(() => g.inferShapes()).toThrow('conv2d: expected an input of 3 channels (weight c2_weights is [4, 3, 3, 3], groups 1) for node c2, got [2, 4, 8, 8]');
  });

  test('seeded initialisation: reproducible, per-parameter streams, Paddle initialisers', () => {
    // one output level keeps the head small (ch = 128) so that initialising it is quick
    const a = buildModel({ architecture: 'YOLOv3', YOLOv3: { backbone: 'MobileNet' }, MobileNet: { conv_group_scale: 0.125 }, YOLOv3Head: { num_classes: 2, anchor_masks: [[0, 1, 2]] } }, { inputShape: [1, 3, 64, 64] });
    initParams(a.graph, { seed: 5, backend: reference() });
    const w = a.graph.param('conv2_1_sep_weights');
    const again = initValues(w.init, 4 * 8, 5, 'conv2_1_sep_weights');
    expect(Array.from(w.tensor!.toArray())).toEqual(Array.from(again));
    expect(Array.from(initValues(w.init, 32, 6, 'conv2_1_sep_weights'))).not.toEqual(Array.from(again));
    // MSRA uniform: |w| <= sqrt(6 / fan_in), fan_in = 4 * 1 * 1
    expect(w.init).toEqual({ type: 'uniform', low: -Math.sqrt(6 / 4), high: Math.sqrt(6 / 4) });
    // head conv: N(0, sqrt(2 / (k*k*C_in)))
    expect(a.graph.param('yolo_block.0.0.1.conv.weights').init).toEqual({ type: 'normal', mean: 0, std: Math.sqrt(2 / (9 * 128)) });
    expect(Array.from(a.graph.param('yolo_block.0.0.1.bn.var').tensor!.toArray()).every((v) => v === 1)).toBe(true);
    const big = Array.from(initValues({ type: 'normal', mean: 0, std: 2 }, 20000, 1, 'n'));
    const mean = big.reduce((s, v) => s + v, 0) / big.length;
    const sd = Math.sqrt(big.reduce((s, v) => s + (v - mean) ** 2, 0) / big.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(sd - 2)).toBeLessThan(0.05);
  });
});
