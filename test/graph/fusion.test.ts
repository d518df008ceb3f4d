/**
 * The fusion pass (src/graph/fusion): which chains it fuses and which it must leave alone, and
 * that a run with fusion gives exactly what the same run without it gives (outputs, every
 * parameter gradient, the input gradient, running statistics), train and eval, on every
 * available backend.
 */
import { listBackends, backendByName } from '../../src/backend/loader';
import { referenceBackend } from '../../src/backend/reference';
import { Tensor } from '../../src/backend/tensor';
import { GraphBuilder } from '../../src/graph/builder';
import { forward } from '../../src/graph/executor';
import { fuseNodes } from '../../src/graph/fusion/fuse';
import { initParams } from '../../src/graph/init';
import { randomArray } from '../util/rng';

/** conv -> bn -> relu, conv -> bn -> leaky_relu, conv(+bias) -> relu6, a bn feeding two nodes, conv(+bias) head. */
function model() {
  const b = new GraphBuilder();
  const x = b.input('x', [2, 3, 9, 9]);
  const a1 = b.batchNorm(b.conv2d(x, { name: 'c1', out: 8, k: 3 }), { name: 'bn1', act: 'relu' });
  const a2 = b.batchNorm(b.conv2d(a1, { name: 'c2', out: 8, k: 3, stride: 2 }), { name: 'bn2', act: 'leaky_relu', alpha: 0.1 });
  const a3 = b.conv2d(a2, { name: 'c3', out: 8, k: 1, bias: true, act: 'relu6' });
  // bn4's output feeds both the relu and the add: not fusable
  const z4 = b.batchNorm(b.conv2d(a3, { name: 'c4', out: 8, k: 3 }), { name: 'bn4' });
  const a4 = b.add(b.relu(z4), z4);
  const out = b.conv2d(a4, { name: 'head', out: 5, k: 1, bias: true });
  b.output(out);
  return { g: b.graph, z4, a3 };
}

describe('fuseNodes', () => {
  test('training: bn+act and conv(+bias)+act chains fused; a shared intermediate, a fetched one and eval-mode bns are not', () => {
    const { g, a3 } = model();
    const types = (ns: { type: string }[]) => ns.map((n) => n.type);
    const train = fuseNodes(g, { training: true, fetch: g.outputs, backend: referenceBackend });
    expect(types(train)).toEqual([
      'conv2d', 'batch_norm_act', 'conv2d', 'batch_norm_act', 'conv2d_act', 'conv2d', 'batch_norm', 'relu', 'elementwise_add', 'conv2d',
    ]);
    const fusedBn = train[1];
    expect(fusedBn.id).toBe(`bn1+${g.nodes[2].id}`);
    expect(fusedBn.params).toEqual(g.nodes[1].params);
    expect(fusedBn.attrs).toMatchObject({ act: 'relu', alpha: 0 });
    expect(train[3].attrs).toMatchObject({ act: 'leaky_relu', alpha: 0.1 });
    expect(train[4].outputs).toEqual([a3]);
    // the conv's output fetched: that chain stays as it is
    const fetched = fuseNodes(g, { training: true, fetch: [...g.outputs, g.nodes[6].outputs[0]], backend: referenceBackend });
    expect(types(fetched).filter((t) => t === 'conv2d_act')).toEqual([]);
    // eval: batch norms use running statistics, which have no fused kernel
    expect(types(fuseNodes(g, { training: false, fetch: g.outputs, backend: referenceBackend }))).not.toContain('batch_norm_act');
    // the graph itself is never changed
    expect(types(g.nodes)).not.toContain('batch_norm_act');
  });

  test('a backend without the fused kernels gets the graph as it is; frozen norms and negative leaky slopes stay unfused', () => {
    const { g } = model();
    const none = { ...referenceBackend, supports: () => false };
    expect(fuseNodes(g, { training: true, fetch: g.outputs, backend: none })).toBe(g.nodes);
    const b = new GraphBuilder();
    const x = b.input('x', [1, 2, 4, 4]);
    const y = b.batchNorm(x, { name: 'frozen', useGlobalStats: true, act: 'relu' });
    b.output(b.conv2d(y, { name: 'c', out: 2, k: 1, bias: true, act: 'leaky_relu', alpha: -0.2 }));
    expect(fuseNodes(b.graph, { training: true, fetch: b.graph.outputs, backend: referenceBackend })).toBe(b.graph.nodes);
  });
});

/** MobileNet's separable blocks: depthwise 3x3 (+bias) relu -> 1x1 (+bias) relu, stride 1 on 96 columns and stride 2, a 5x5 depthwise. */
function separable(width = 96) {
  const b = new GraphBuilder();
  const x = b.input('x', [2, 4, 6, width]);
  const d1 = b.conv2d(x, { name: 'dw1', out: 4, k: 3, groups: 4, bias: true, act: 'relu' });
  const p1 = b.conv2d(d1, { name: 'pw1', out: 8, k: 1, bias: true, act: 'relu' });
  const d2 = b.conv2d(p1, { name: 'dw2', out: 8, k: 3, stride: 2, groups: 8, bias: true, act: 'relu6' });
  const p2 = b.conv2d(d2, { name: 'pw2', out: 6, k: 1, act: 'leaky_relu', alpha: 0.1 });
  const d3 = b.conv2d(p2, { name: 'dw3', out: 6, k: 5, groups: 6, bias: true, act: 'relu' });
  const p3 = b.conv2d(d3, { name: 'pw3', out: 3, k: 1, bias: true, act: 'relu' });
  b.output(p3);
  return { g: b.graph, d1, p1 };
}

describe('fuseNodes: depthwise -> pointwise (inference)', () => {
  const types = (ns: { type: string }[]) => ns.map((n) => n.type);
  // fusion is structural; the backend's prefersFused only picks the kernel at run time
  const prefers = { ...referenceBackend, prefersFused: () => true };

  test('each depthwise conv_act feeding only a 1x1 conv_act becomes one dwpw_act node', () => {
    const { g, d1 } = separable();
    const nodes = fuseNodes(g, { training: false, fetch: g.outputs, backend: prefers });
    expect(types(nodes)).toEqual(['dwpw_act', 'dwpw_act', 'dwpw_act']);
    expect(nodes[0].params).toEqual({ weight: 'dw1_weights', bias: 'dw1_bias', weight2: 'pw1_weights', bias2: 'pw1_bias' });
    expect(nodes[1].params).toEqual({ weight: 'dw2_weights', bias: 'dw2_bias', weight2: 'pw2_weights' });
    expect(nodes[1].attrs).toMatchObject({ act: 'relu6', pw_act: 'leaky_relu', pw_alpha: 0.1, strides: [2, 2] });
    expect(nodes[0].inputs).toEqual(['x']);
    // not in training, not when a backward pass follows, not when the depthwise output is fetched,
    // not on a backend without prefersFused
    expect(types(fuseNodes(g, { training: true, fetch: g.outputs, backend: prefers }))).not.toContain('dwpw_act');
    expect(types(fuseNodes(g, { training: false, grad: true, fetch: g.outputs, backend: prefers }))).not.toContain('dwpw_act');
    expect(types(fuseNodes(g, { training: false, fetch: [...g.outputs, d1], backend: prefers }))).toEqual(['conv2d_act', 'conv2d_act', 'dwpw_act', 'dwpw_act']);
    expect(types(fuseNodes(g, { training: false, fetch: g.outputs, backend: referenceBackend }))).not.toContain('dwpw_act');
  });

  test('a depthwise output read twice, a grouped (not depthwise) conv and a 3x3 consumer stay apart', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4, 8, 8]);
    const d = b.conv2d(x, { name: 'dw', out: 4, k: 3, groups: 4, act: 'relu' });
    const two = b.add(b.conv2d(d, { name: 'pwa', out: 4, k: 1, act: 'relu' }), d);
    const gr = b.conv2d(two, { name: 'grouped', out: 4, k: 3, groups: 2, act: 'relu' });
    const d2 = b.conv2d(b.conv2d(gr, { name: 'pwb', out: 4, k: 1, act: 'relu' }), { name: 'dw2', out: 4, k: 3, groups: 4, act: 'relu' });
    b.output(b.conv2d(d2, { name: 'full', out: 4, k: 3, act: 'relu' }));
    const nodes = fuseNodes(b.graph, { training: false, fetch: b.graph.outputs, backend: prefers });
    expect(types(nodes)).not.toContain('dwpw_act');
  });
});

const names = ['reference', ...listBackends().filter((b) => b.available && b.name !== 'cuda' && b.name !== 'reference').map((b) => b.name)];

describe.each(names)('a fused run equals the unfused run on %s', (name) => {
  const be = name === 'reference' ? referenceBackend : backendByName(name);

  /** One eval forward of a fresh graph (params seeded), its single output as numbers. */
  const evalOnce = (g: ReturnType<typeof model>['g'], shape: number[], seed: number, fuse: boolean): number[] => {
    initParams(g, { seed, backend: be });
    const x = Tensor.from(randomArray(shape.reduce((a, d) => a * d, 1), seed + 1, -2, 2), shape, be);
    const r = forward(g, { x }, { fuse });
    const y = Array.from(r.outputs[g.outputs[0]].toArray());
    r.outputs[g.outputs[0]].dispose();
    x.dispose();
    g.dispose();
    return y;
  };

  test('training step: outputs, parameter and input gradients, running statistics, bit for bit', () => {
    const runs = [true, false].map((fuse) => {
      const { g } = model();
      initParams(g, { seed: 3, backend: be });
      const x = Tensor.from(randomArray(2 * 3 * 81, 4, -2, 2), [2, 3, 9, 9], be);
      const out = g.outputs[0];
      const dy = Tensor.from(randomArray(2 * 5 * 5 * 5, 5), [2, 5, 5, 5], be);
      const r = forward(g, { x }, { training: true, grad: true, inputGrads: ['x'], fuse });
      const grads = r.tape!.backward({ [out]: dy });
      const res = {
        y: Array.from(r.outputs[out].toArray()),
        dx: Array.from(grads.inputs.x.toArray()),
        params: Object.fromEntries([...grads.params].map(([k, t]) => [k, Array.from(t.toArray())])),
        stats: Object.fromEntries(g.paramList().filter((p) => /_(mean|variance)$/.test(p.name)).map((p) => [p.name, Array.from(p.tensor!.toArray())])),
      };
      [x, dy, r.outputs[out], grads.inputs.x, ...grads.params.values()].forEach((t) => t.dispose());
      g.dispose();
      return res;
    });
    expect(Object.keys(runs[0].params).sort()).toEqual(Object.keys(runs[1].params).sort());
    expect(Object.keys(runs[0].params).length).toBe(13); // 5 conv weights, 2 conv biases, 3 bns' scale and offset
    expect(runs[0]).toEqual(runs[1]);
  });

  test('eval forward of separable blocks (depthwise -> pointwise fused): equal outputs', () => {
    // the fused kernel runs where the backend prefers it (native: the first block's 96 columns)
    const kernels = be.kernels as Record<string, (...a: unknown[]) => void>;
    const real = kernels.dwpw_act_forward;
    let calls = 0;
    kernels.dwpw_act_forward = (...a: unknown[]) => {
      calls++;
      real(...a);
    };
    let outs: number[][];
    try {
      outs = [true, false].map((fuse) => evalOnce(separable().g, [2, 4, 6, 96], 5, fuse));
    } finally {
      kernels.dwpw_act_forward = real;
    }
    expect(calls).toBe(be.prefersFused ? 1 : 0);
    expect(outs[0].length).toBe(2 * 3 * 3 * 48);
    expect(outs[0]).toEqual(outs[1]);
  });

  test('eval forward: equal outputs', () => {
    const outs = [true, false].map((fuse) => evalOnce(model().g, [2, 3, 9, 9], 3, fuse));
    expect(outs[0]).toEqual(outs[1]);
  });
});
