// MomentumOptimizer: Paddle's Momentum + L2Decay by hand, decay per parameter kind, trainable
// flags, state round trip, and velocities pruned with their parameters followed by a real
// training step on the pruned network.
import { backendByName } from '../../src/backend/loader';
import * as ops from '../../src/backend/ops';
import { Tensor } from '../../src/backend/tensor';
import { forward } from '../../src/graph/executor';
import { apply, plan } from '../../src/prune';
import { AdamOptimizer } from '../../src/train/adam';
import { clipByGlobalNorm } from '../../src/train/clip';
import { DecayRules, isNormParamName, MomentumOptimizer } from '../../src/train/optimizer';
import { expectClose } from '../util/allclose';
import { initNet, nets, testBackends } from '../prune/nets';

const ref = backendByName('reference');
const T = (v: number[], shape = [v.length]): Tensor => Tensor.from(v, shape, ref);

describe('MomentumOptimizer', () => {
  test('two steps by hand: v = m v + (g + decay w); w -= lr v, decay by parameter kind', () => {
    // conv weight, decay 0.01: w = [1, -2], g = [0.5, 0], m 0.9, lr 0.1
    //   step 1: v = [0.5 + 0.01, 0 - 0.02] = [0.51, -0.02]; w = [1 - 0.051, -2 + 0.002] = [0.949, -1.998]
    //   step 2: v = [0.9*0.51 + 0.5 + 0.00949, 0.9*-0.02 - 0.01998] = [0.96849, -0.03798]
    //           w = [0.949 - 0.096849, -1.998 + 0.003798] = [0.852151, -1.994202]
    // BN scale, normDecay 0: w = [2], g = [1]: v = 1, w = 1.9; then v = 1.9, w = 1.71
    const params = new Map([['conv1_weights', T([1, -2])], ['conv1_bn_scale', T([2])]]);
    const grads = new Map([['conv1_weights', T([0.5, 0])], ['conv1_bn_scale', T([1])]]);
    const opt = new MomentumOptimizer({ momentum: 0.9, l2: 0.01, normDecay: 0, isNormParam: isNormParamName });
    opt.step(params, grads, 0.1);
    expectClose(params.get('conv1_weights')!.toArray(), [0.949, -1.998], 1e-12);
    expectClose(opt.state().get('conv1_weights')!.toArray(), [0.51, -0.02], 1e-12);
    opt.step(params, grads, 0.1);
    expectClose(params.get('conv1_weights')!.toArray(), [0.852151, -1.994202], 1e-12);
    expectClose(opt.state().get('conv1_weights')!.toArray(), [0.96849, -0.03798], 1e-12);
    expectClose(params.get('conv1_bn_scale')!.toArray(), [1.71], 1e-12);
    expect(opt.decayOf('conv1_bn_scale')).toBe(0);
    expect(opt.decayOf('conv1_weights')).toBe(0.01);
    opt.dispose();
  });

  test('norm parameters by name', () => {
    for (const n of ['yolo_block.0.0.0.bn.scale', 'yolo_transition.1.bn.offset', 'conv2_1_dw_bn_scale', 'conv1_bn_offset', 'bn2a_branch2b_scale', 'bn_conv1_offset']) {
      expect([n, isNormParamName(n)]).toEqual([n, true]);
    }
    for (const n of ['yolo_output.0.conv.bias', 'conv1_weights', 'yolo_block.0.0.0.bn.mean', 'conv1_bn_variance', 'fc_offset', 'res2a_branch2a_weights']) {
      expect([n, isNormParamName(n)]).toEqual([n, false]);
    }
    const opt = new MomentumOptimizer({ l2: 5e-4, normDecay: 1e-5 });
    expect(opt.decayOf('yolo_block.0.tip.bn.scale')).toBe(1e-5);
    expect(opt.decayOf('yolo_block.0.tip.conv.weights')).toBe(5e-4);
    expect(opt.momentum).toBe(0.9);
  });

  test('forParams: decay kinds and trainable flags from the model', () => {
    const g = nets.chain();
    g.param('c1_bn_scale').l2 = 0.003;
    g.param('c2_weights').decay = 'none';
    delete g.param('c2_bn_offset').l2; // a norm param without its own coefficient takes normDecay
    const opt = MomentumOptimizer.forParams(g.params.values(), { l2: 1e-4, normDecay: 2e-5 });
    expect(opt.decayOf('c1_weights')).toBe(1e-4);
    expect(opt.decayOf('c1_bn_scale')).toBe(0.003);
    expect(opt.decayOf('c2_bn_offset')).toBe(2e-5);
    expect(opt.decayOf('c2_weights')).toBe(0);
    expect(opt.decayOf('c2_bn_scale')).toBe(0); // the component's norm_decay (0) wins
    // A running statistic with a gradient in the map is left alone: not trainable.
    const params = new Map([['c1_bn_mean', T([1, 2])]]);
    opt.step(params, new Map([['c1_bn_mean', T([1, 1])]]), 0.5);
    expectClose(params.get('c1_bn_mean')!.toArray(), [1, 2], 0);
    expect(opt.state().has('c1_bn_mean')).toBe(false);
  });

  test('state round trip: flat arrays, {data, shape} and tensors resume identically', () => {
    const run = (opt: MomentumOptimizer, w: Tensor, steps: number): void => {
      for (let k = 0; k < steps; k++) opt.step(new Map([['w', w]]), new Map([['w', T([0.3, -0.1, 0.2, 0.05], [2, 2])]]), 0.05);
    };
    const a = new MomentumOptimizer({ l2: 0.01 });
    const wa = T([1, 2, 3, 4], [2, 2]);
    run(a, wa, 4);
    for (const form of ['flat', 'shaped', 'tensor'] as const) {
      const b = new MomentumOptimizer({ l2: 0.01 });
      const wb = T([1, 2, 3, 4], [2, 2]);
      run(b, wb, 2);
      const v = b.state().get('w')!;
      const saved = Float32Array.from(v.toArray());
      const c = new MomentumOptimizer({ l2: 0.01 });
      c.loadState(new Map([['w', form === 'flat' ? saved : form === 'shaped' ? { data: saved, shape: [2, 2] } : v]]));
      expect(c.state().get('w')!.size).toBe(4);
      run(c, wb, 2);
      expectClose(wb.toArray(), wa.toArray(), 1e-6);
      expect(c.state().get('w')!.shape).toEqual([2, 2]);
      b.dispose();
      c.dispose();
    }
  });

  test('bad input: one clear error naming the parameter', () => {
    const opt = new MomentumOptimizer();
    expect(() => opt.step(new Map(), new Map([['x', T([1])]]), 0.1)).toThrow('MomentumOptimizer: expected a parameter named x (it has a gradient), found none in params');
    expect(() => opt.step(new Map([['x', T([1, 2])]]), new Map([['x', T([1])]]), 0.1)).toThrow('MomentumOptimizer: expected shape [2] (as its parameter) for the gradient of x, got [1]');
    expect(() => opt.step(new Map([['x', T([1])]]), new Map([['x', T([1])]]), NaN)).toThrow(/lr/);
    opt.loadState(new Map([['x', { data: [0, 0, 0], shape: [3] }]]));
    expect(() => opt.step(new Map([['x', T([1, 2])]]), new Map([['x', T([1, 1])]]), 0.1)).toThrow(/prune optimizer state with the params\) for the velocity of x, got \[3\]$/);
    expect(() => new MomentumOptimizer({ l2: -1 })).toThrow(/l2/);
  });

  describe.each(testBackends().map((b) => [b.name, b] as const))('pruning with the optimizer state (%s)', (_name, tb) => {
    test('velocities are sliced with their params and training continues', () => {
      const g = initNet(nets.chain(), tb.backend, 3);
      const opt = MomentumOptimizer.forParams(g.params.values(), { l2: 1e-3 });
      const image = Tensor.from(Float32Array.from({ length: 2 * 3 * 8 * 8 }, (_, i) => Math.sin(i)), [2, 3, 8, 8], tb.backend);
      const trainStep = (): void => {
        const fw = forward(g, { image }, { grad: true, training: true });
        const seeds: Record<string, Tensor> = {};
        for (const [k, t] of Object.entries(fw.outputs)) seeds[k] = Tensor.full(t.shape, 1, tb.backend);
        const grads = fw.tape!.backward(seeds);
        const params = new Map([...g.params.values()].map((p) => [p.name, p.tensor!] as [string, Tensor]));
        opt.step(params, grads.params, 0.01);
        grads.params.forEach((t) => t.dispose());
        Object.values(fw.outputs).forEach((t) => t.dispose());
        Object.values(seeds).forEach((t) => t.dispose());
      };
      trainStep();
      trainStep();
      const before = new Map([...opt.state()].map(([k, t]) => [k, { shape: [...t.shape], data: Float64Array.from(t.toArray()) }]));
      expect(before.has('c1_weights')).toBe(true);
      expect(before.has('c1_bn_mean')).toBe(false);

      const p = plan(g, { params: ['c1_weights'], ratios: [0.5] });
      const kept = p.groups[0].kept;
      expect(kept).toHaveLength(4);
      apply(g, p, { optimizerState: opt.slots() });

      const sliced = (name: string, axis: number): number[] => {
        const b = before.get(name)!;
        const t = Tensor.from(b.data, b.shape, ref);
        const s = ops.gatherAxis(t, axis, kept);
        const out = Array.from(s.toArray());
        t.dispose();
        s.dispose();
        return out;
      };
      for (const [name, axis] of [['c1_weights', 0], ['c1_bn_scale', 0], ['c1_bn_offset', 0], ['c2_weights', 1]] as const) {
        const v = opt.state().get(name)!;
        expect(v.shape).toEqual(g.param(name).shape);
        expectClose(v.toArray(), sliced(name, axis), 1e-6);
      }
      // Untouched parameters keep their velocity as it was.
      expectClose(opt.state().get('c3_weights')!.toArray(), before.get('c3_weights')!.data, 0);

      const w = Array.from(g.param('c2_weights').tensor!.toArray());
      trainStep();
      expect(opt.state().get('c2_weights')!.shape).toEqual([6, 4, 3, 3]);
      const after = Array.from(g.param('c2_weights').tensor!.toArray());
      expect(after.some((x, i) => x !== w[i])).toBe(true);
      expect(after.every(Number.isFinite)).toBe(true);
      image.dispose();
      opt.dispose();
    });
  });
});

describe('AdamOptimizer', () => {
  test("two steps by hand: Paddle's adam kernel with L2 added to the gradient", () => {
    // w = [1], g = [0.5], decay 0.1 -> g' = 0.6 at step 1; beta1 0.9, beta2 0.999, eps 1e-8, lr 0.01
    //   m1 = 0.06, m2 = 0.00036; lr_t = 0.01 * sqrt(0.001) / 0.1; w -= lr_t * m1 / (sqrt(m2) + eps * sqrt(0.001))
    const b1 = 0.9, b2 = 0.999, eps = 1e-8, lr = 0.01;
    let w = 1, m1 = 0, m2 = 0;
    const expected: number[] = [];
    for (let t = 1; t <= 2; t++) {
      const g = 0.5 + 0.1 * w;
      m1 = b1 * m1 + (1 - b1) * g;
      m2 = b2 * m2 + (1 - b2) * g * g;
      const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      w -= (lrT * m1) / (Math.sqrt(m2) + eps * Math.sqrt(1 - b2 ** t));
      expected.push(w);
    }
    // the first step of Adam moves each weight by about lr, whatever the gradient's scale
    expect(1 - expected[0]).toBeCloseTo(0.01, 6);
    const params = new Map([['conv1_weights', T([1])], ['conv1_bn_scale', T([1])]]);
    const grads = new Map([['conv1_weights', T([0.5])], ['conv1_bn_scale', T([0.5])]]);
    const opt = new AdamOptimizer(new DecayRules({ l2: 0.1, normDecay: 0 }), { beta1: b1, beta2: b2, epsilon: eps });
    opt.step(params, grads, lr);
    expectClose(params.get('conv1_weights')!.toArray(), [expected[0]], 1e-12);
    opt.step(params, grads, lr);
    expectClose(params.get('conv1_weights')!.toArray(), [expected[1]], 1e-12);
    expect(opt.steps).toBe(2);
    // the norm parameter has no decay: its gradient stays 0.5 and both steps move it by ~lr
    expectClose(params.get('conv1_bn_scale')!.toArray(), [1 - 0.02], 1e-6);
    opt.dispose();
  });

  test('state round trip through named tensors continues identically; bad state is refused', () => {
    const mk = () => new Map([['a', T([1, 2, 3])]]);
    const g = new Map([['a', T([0.3, -0.2, 0.1])]]);
    const p1 = mk();
    const o1 = new AdamOptimizer(new DecayRules({ l2: 0.01 }));
    o1.step(p1, g, 0.1);
    const saved = new Map(o1.stateTensors().map(({ name, tensor }) => [name, { data: Float32Array.from(tensor.toArray()), shape: [...tensor.shape] }]));
    expect([...saved.keys()].sort()).toEqual(['@adam_t', 'a_moment1_0', 'a_moment2_0']);
    const p2 = new Map([['a', T([...p1.get('a')!.toArray()])]]);
    const o2 = new AdamOptimizer(new DecayRules({ l2: 0.01 }));
    o2.loadState(saved);
    expect(o2.steps).toBe(1);
    o1.step(p1, g, 0.1);
    o2.step(p2, g, 0.1);
    expectClose(p2.get('a')!.toArray(), p1.get('a')!.toArray(), 1e-6);
    expect(() => o2.loadState(new Map([['a_moment1_0', new Float32Array(3)]]))).toThrow(/both moments of every parameter/);
    expect(() => o2.loadState(new Map([['a_velocity', new Float32Array(3)]]))).toThrow(/Adam moment/);
    expect(() => new AdamOptimizer(new DecayRules(), { beta1: 1 })).toThrow(/beta1/);
    // the failed loads left the state as it was
    expect(o2.steps).toBe(2);
  });
});

describe('clipByGlobalNorm (OptimizerBuilder.clip_grad_by_norm)', () => {
  test('scales every counted gradient by limit / global norm, only above the limit', () => {
    // norm of [3, 0] and [4] is 5: limit 2.5 halves both; the uncounted gradient stays
    const g = new Map([['a', T([3, 0])], ['b', T([4])], ['frozen', T([100])]]);
    expect(clipByGlobalNorm(g, 2.5, (n) => n !== 'frozen')).toBeCloseTo(5, 12);
    expectClose(g.get('a')!.toArray(), [1.5, 0], 1e-12);
    expectClose(g.get('b')!.toArray(), [2], 1e-12);
    expectClose(g.get('frozen')!.toArray(), [100], 0);
    // under the limit nothing changes
    expect(clipByGlobalNorm(g, 10, (n) => n !== 'frozen')).toBeCloseTo(2.5, 12);
    expectClose(g.get('a')!.toArray(), [1.5, 0], 1e-12);
    expect(() => clipByGlobalNorm(g, 0)).toThrow(/expected a finite number > 0, got 0/);
  });
});
