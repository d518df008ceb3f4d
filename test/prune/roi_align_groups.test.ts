/**
 * RoIAlign in the pruner: channels pass from the feature map to the pooled output, so the conv
 * feeding roi_align and the conv reading its output form one group. Pruning the first conv
 * removes the second conv's matching input channels; the pruned network gives the outputs of
 * the unpruned one with those channels zeroed, and trains (backward) at the pruned shapes.
 */
import { Tensor } from '../../src/backend/tensor';
import { GraphBuilder } from '../../src/graph/builder';
import { forward } from '../../src/graph/executor';
import { apply, groupOf, plan } from '../../src/prune';
import { complement } from '../../src/prune/mapping';
import { allclose } from '../util/allclose';
import { randomArray } from '../util/rng';
import { deepClone, initNet, run, testBackends } from './nets';

function net() {
  const b = new GraphBuilder();
  const x = b.input('image', [2, 3, 16, 16]);
  const rois = b.input('rois', [3, 4]);
  const batch = b.input('rois_batch', [3]);
  const f = b.conv2d(x, { name: 'c1', out: 8, k: 3, stride: 2, act: 'relu' }); // [2, 8, 8, 8], stride 2
  const r = b.roiAlign(f, rois, batch, { pooledH: 2, pooledW: 2, samplingRatio: 0, spatialScale: 0.5 }, 'roi');
  b.output(b.conv2d(r, { name: 'c2', out: 4, k: 1 }));
  return b.graph;
}

for (const tb of testBackends()) {
  describe(`conv -> roi_align -> conv on ${tb.name}`, () => {
    const feeds = () => ({
      image: Tensor.from(randomArray(2 * 3 * 16 * 16, 5), [2, 3, 16, 16], tb.backend),
      rois: Tensor.from([0, 0, 9, 7, 3.5, 2, 15.5, 14, -2, 6, 6, 18], [3, 4], tb.backend),
      rois_batch: Tensor.from([0, 1, 1], [3], tb.backend),
    });

    test('one group: c1 filters, c2 input channels', () => {
      const g = net();
      const members = groupOf(g, 'c1_weights').members.map((m) => (m.kind === 'param' ? `${m.param}:${m.axis}:${m.role}` : m.kind)).filter((s) => s.includes(':')).sort();
      expect(members).toEqual(['c1_weights:0:producer', 'c2_weights:1:consumer']);
    });

    test('pruning c1 shrinks c2 and keeps the outputs of the zeroed network; backward at the pruned shapes', () => {
      const base = initNet(net(), tb.backend);
      const p = plan(base, { params: ['c1_weights'], ratios: [0.5], warn: () => undefined });
      const zeroed = deepClone(base);
      apply(zeroed, p, { mode: 'lazy', lazyMembers: 'consumers' });
      const pruned = deepClone(base);
      apply(pruned, p);
      expect(pruned.param('c1_weights').shape).toEqual([4, 3, 3, 3]);
      expect(pruned.param('c2_weights').shape).toEqual([4, 4, 1, 1]);
      expect(complement(8, p.groups[0].kept)).toHaveLength(4);

      const f = feeds();
      const orig = run(base, f), want = run(zeroed, f), got = run(pruned, f);
      const k = Object.keys(want)[0];
      expect(got[k].shape).toEqual([3, 4, 2, 2]);
      expect(allclose(want[k].data, orig[k].data, { rtol: 1e-6, atol: 1e-6 }).ok).toBe(false); // the pruned channels mattered
      const c = allclose(got[k].data, want[k].data, tb.tol);
      expect(c.ok).toBe(true);

      const fw = forward(pruned, f, { grad: true, training: true });
      const seeds = { [k]: Tensor.full(fw.outputs[k].shape, 1, tb.backend) };
      const grads = fw.tape!.backward(seeds);
      expect(grads.params.get('c1_weights')!.shape).toEqual([4, 3, 3, 3]);
      expect(grads.params.get('c2_weights')!.shape).toEqual([4, 4, 1, 1]);
      const g1 = Array.from(grads.params.get('c1_weights')!.toArray());
      expect(g1.every(Number.isFinite) && g1.some((v) => v !== 0)).toBe(true);
      grads.params.forEach((t) => t.dispose());
      [...Object.values(fw.outputs), ...Object.values(seeds), ...Object.values(f)].forEach((t) => t.dispose());
    });
  });
}
