import { GraphBuilder } from '../../src/graph/builder';
import { initParams } from '../../src/graph/init';
import { foldNorms, ExportError } from '../../src/export/bn_fold';
import { maxRel, randomiseNorms, run, sampleInput, smallYolo } from './helpers';

describe('folding norms into convs', () => {
  test('YOLOv3-MobileNet: folded and unfolded outputs agree to 1e-4, no norm left, conv feeds its activation', () => {
    const m = smallYolo(3);
    const x = sampleInput(2, 64);
    const want = run(m.graph, m.input, x, [2, 3, 64, 64]);
    const { graph, folded } = foldNorms(m.graph);
    try {
      const norms = m.graph.nodes.filter((n) => n.type === 'batch_norm').length;
      expect(norms).toBeGreaterThan(20);
      expect(folded.size).toBe(norms);
      expect(graph.nodes.some((n) => n.type === 'batch_norm')).toBe(false);
      // every activation now reads a conv directly
      for (const n of graph.nodes.filter((n) => n.type === 'leaky_relu' || n.type === 'relu')) expect(graph.producer(n.inputs[0])?.type).toBe('conv2d');
      const got = run(graph, m.input, x, [2, 3, 64, 64]);
      const rel = maxRel(got, want);
      expect(rel).toBeLessThan(1e-4);
      expect(rel).toBeGreaterThan(0); // a different computation, not the same graph
      // the source graph is untouched
      expect(m.graph.nodes.filter((n) => n.type === 'batch_norm').length).toBe(norms);
    } finally {
      graph.dispose();
      m.dispose();
    }
  });

  test('affine channel, a conv with its own bias, and a norm whose conv output is also read elsewhere', () => {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 8, 8]);
    const c1 = b.conv2d(x, { name: 'c1', out: 4, k: 3, bias: true });
    const a1 = b.affineChannel(c1, { name: 'a1', act: 'relu' });
    const c2 = b.conv2d(a1, { name: 'c2', out: 4, k: 1 });
    const n2 = b.batchNorm(c2, { name: 'n2' });
    const s = b.add(n2, c2); // c2's output has two readers: its norm cannot be folded
    b.output(s);
    initParams(b.graph, { seed: 5 });
    randomiseNorms(b.graph, 9);
    const input = sampleInput(1, 8);
    const want = run(b.graph, 'image', input, [1, 3, 8, 8]);
    const { graph, folded } = foldNorms(b.graph);
    try {
      expect([...folded]).toEqual([['a1', 'c1']]);
      expect(graph.node('c1').params).toEqual({ weight: 'c1_weights', bias: 'c1_bias' });
      expect(graph.nodes.map((n) => n.type)).toEqual(['conv2d', 'relu', 'conv2d', 'batch_norm', 'elementwise_add']);
      expect(maxRel(run(graph, 'image', input, [1, 3, 8, 8]), want)).toBeLessThan(1e-5);
    } finally {
      graph.dispose();
      b.graph.dispose();
    }
  });

  test('a graph without weights is refused naming the parameter', () => {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 8, 8]);
    b.output(b.batchNorm(b.conv2d(x, { name: 'c', out: 2, k: 1 }), { name: 'bn' }));
    expect(() => foldNorms(b.graph)).toThrow(ExportError);
    expect(() => foldNorms(b.graph)).toThrow(/expected data for parameter c_weights/);
  });
});
