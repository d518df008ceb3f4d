/**
 * The roi_align graph op: shape inference, forward equal to the op layer, the gradient reaching
 * x (and the conv before it) through the executor, a roi count that changes from one step to
 * the next under the memory plan, and the errors of bad wiring.
 */
import * as ops from '../../src/backend/ops';
import { backendByName, listBackends } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { GraphBuilder } from '../../src/graph/builder';
import { forward } from '../../src/graph/executor';
import { initParams } from '../../src/graph/init';
import { randomArray } from '../util/rng';

const attrs = { pooledH: 3, pooledW: 2, samplingRatio: 0, spatialScale: 0.25 };

function build(R: number) {
  const b = new GraphBuilder();
  const x = b.input('image', [2, 3, 12, 12]);
  const rois = b.input('rois', [R, 4]);
  const batch = b.input('rois_batch', [R]);
  const f = b.conv2d(x, { name: 'c1', out: 5, k: 3, act: 'relu' });
  const y = b.roiAlign(f, rois, batch, attrs);
  b.output(y);
  return { b, f, y };
}

const boxes = (R: number, seed: number) => {
  const r = randomArray(R * 4, seed, -4, 52);
  const out: number[] = [];
  for (let i = 0; i < R; i++) {
    const [a, b2, c, d] = [r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]];
    out.push(Math.min(a, c), Math.min(b2, d), Math.max(a, c), Math.max(b2, d));
  }
  return out;
};

const backends = listBackends().filter((b) => b.available && (b.name === 'reference' || b.name === 'native')).map((b) => backendByName(b.name));

for (const be of backends) {
  describe(`roi_align graph op on ${be.name}`, () => {
    test('shape inference and the builder method', () => {
      const { b, y } = build(7);
      expect(b.graph.shapeOf(y)).toEqual([7, 5, 3, 2]);
      expect(b.graph.node(b.graph.nodes[b.graph.nodes.length - 1].id).type).toBe('roi_align');
    });

    test('forward equals the op layer; the roi count changes between steps', () => {
      const { b, f } = build(4);
      const g = b.graph;
      initParams(g, { seed: 3, backend: be });
      const image = Tensor.from(randomArray(2 * 3 * 12 * 12, 9), [2, 3, 12, 12], be);
      for (const R of [4, 9, 1, 4]) {
        const rois = Tensor.from(boxes(R, 100 + R), [R, 4], be);
        const batch = Tensor.from(Array.from({ length: R }, (_, i) => i % 2), [R], be);
        const out = forward(g, { image, rois, rois_batch: batch }, { fetch: [...g.outputs, f] });
        const y = out.outputs[g.outputs[0]];
        expect(y.shape).toEqual([R, 5, 3, 2]);
        const want = ops.roiAlign(out.outputs[f], rois, batch, attrs);
        expect(Array.from(y.toArray())).toEqual(Array.from(want.toArray()));
        [...Object.values(out.outputs), want, rois, batch].forEach((t) => t.dispose());
      }
      image.dispose();
    });

    test('backward reaches x through roi_align (and the conv before it)', () => {
      const { b, f } = build(3);
      const g = b.graph;
      initParams(g, { seed: 4, backend: be });
      const image = Tensor.from(randomArray(2 * 3 * 12 * 12, 10), [2, 3, 12, 12], be);
      const rois = Tensor.from(boxes(3, 7), [3, 4], be);
      const batch = Tensor.from([1, 0, 1], [3], be);
      const fw = forward(g, { image, rois, rois_batch: batch }, { grad: true, training: true, fetch: [...g.outputs, f] });
      const y = fw.outputs[g.outputs[0]];
      const dy = Tensor.from(randomArray(y.size, 11), y.shape, be);
      const grads = fw.tape!.backward({ [g.outputs[0]]: dy });
      const dw = grads.params.get('c1_weights')!;
      expect(dw.shape).toEqual([5, 3, 3, 3]);
      const vals = Array.from(dw.toArray());
      expect(vals.every(Number.isFinite) && vals.some((v) => v !== 0)).toBe(true);
      grads.params.forEach((t) => t.dispose());
      [...Object.values(fw.outputs), image, rois, batch, dy].forEach((t) => t.dispose());
    });
  });
}

describe('roi_align wiring errors', () => {
  test('rois must be [R, 4] and the batch indices [R]', () => {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 8, 8]);
    const rois3 = b.input('rois3', [2, 3]);
    const rois = b.input('rois', [2, 4]);
    const batch3 = b.input('batch3', [3]);
    const batch = b.input('batch', [2]);
    expect(() => b.roiAlign(x, rois3, batch, attrs)).toThrow(/roi_align: expected rois of shape \[R, 4\] \(x1, y1, x2, y2\) for input 1 of node .*, got \[2, 3\]/);
    expect(() => b.roiAlign(x, rois, batch3, attrs)).toThrow(/roi_align: expected roi batch indices of shape \[2\] \(one per roi\) for input 2 of node .*, got \[3\]/);
    expect(() => b.roiAlign(x, rois, batch, { ...attrs, pooledH: 0 })).toThrow(/roi_align: expected an integer >= 1 for attribute pooled_height of node/);
    expect(() => b.roiAlign(x, rois, batch, { ...attrs, spatialScale: -1 })).toThrow(/roi_align: expected a positive spatial_scale for attribute spatial_scale of node/);
  });
});
