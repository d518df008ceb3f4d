/**
 * Lazy feeds: a graph input computed in the middle of a forward from values computed before it,
 * as a two-stage detector makes its RoIs from its RPN's outputs. Checked: the value it sees, the
 * result downstream, no gradient through it, the memory it leaves, and its errors.
 */
import { backendByName } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { GraphBuilder } from '../../src/graph/builder';
import { forward, LazyFeed } from '../../src/graph/executor';
import { initParams } from '../../src/graph/init';
import { releaseMemoryPool } from '../../src/graph/memory_plan';

const ref = () => backendByName('reference');

/** image -> conv c1 -> y (an output); gate (lazy, from y) + conv c2(y) -> out. */
function net() {
  const b = new GraphBuilder();
  const x = b.input('image', [1, 2, 4, 4]);
  const y = b.conv2d(x, { name: 'c1', out: 2, k: 1, bias: true });
  const gate = b.input('gate', [1, 2, 4, 4]);
  const z = b.conv2d(y, { name: 'c2', out: 2, k: 1 });
  const out = b.add(z, gate, { name: 'out' });
  b.output(y, out);
  initParams(b.graph, { seed: 5, backend: ref() });
  return { g: b.graph, y, out };
}

describe('lazy feeds', () => {
  test('computed from an earlier value, used downstream, no gradient through it', () => {
    const { g, y, out } = net();
    const image = Tensor.from(Array.from({ length: 32 }, (_, i) => Math.sin(i)), [1, 2, 4, 4], ref());
    let seen: number[] = [];
    const gate = new LazyFeed([y], (v) => {
      seen = Array.from(v[y].toArray());
      return Tensor.from(seen.map((a) => 3 * a), [1, 2, 4, 4], ref());
    });
    const r = forward(g, { image, gate }, { grad: true, training: true });
    const yv = Array.from(r.outputs[y].toArray());
    expect(seen).toEqual(yv);
    // out = c2(y) + 3y; compare with a plain forward fed the same gate
    const plain = forward(g, { image, gate: Tensor.from(yv.map((a) => 3 * a), [1, 2, 4, 4], ref()) });
    expect(Array.from(r.outputs[out].toArray())).toEqual(Array.from(plain.outputs[out].toArray()));
    // d sum(out) / d c1_bias comes only through c2 (the gate is a constant): sum over c2's rows, times 16 pixels
    const grads = r.tape!.backward({ [out]: Tensor.full([1, 2, 4, 4], 1, ref()), [y]: Tensor.zeros([1, 2, 4, 4], ref()) });
    const w2 = Array.from(g.param('c2_weights').tensor!.toArray());
    const want = [0, 1].map((c) => 16 * (w2[c] + w2[2 + c]));
    Array.from(grads.params.get('c1_bias')!.toArray()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 10));
    g.dispose();
  });

  test('frees what it made and what it read', () => {
    const { g, y, out } = net();
    const be = ref();
    let live = 0;
    const counting = { ...be, name: 'counting', alloc: (n: number) => (live++, be.alloc(n)), fromArray: (d: Float64Array) => (live++, be.fromArray(d)), free: (s: unknown) => (live--, be.free(s)) } as typeof be;
    for (const p of g.params.values()) p.tensor = p.tensor!.to(counting);
    const base = live;
    const image = Tensor.from(new Array(32).fill(1), [1, 2, 4, 4], counting);
    // eval, fetching only `out`: y is read by the lazy feed after its last consumer ran
    const gate = new LazyFeed([y], (v) => Tensor.from(v[y].toArray(), [1, 2, 4, 4], counting));
    const r = forward(g, { image, gate }, { fetch: [out] });
    r.outputs[out].dispose();
    releaseMemoryPool(g);
    expect(live).toBe(base + 1 /* image */);
    g.dispose();
  });

  test('a lazy feed reading a value not computed yet, or giving a wrong shape, is refused', () => {
    const { g, y, out } = net();
    const image = Tensor.from(new Array(32).fill(1), [1, 2, 4, 4], ref());
    const early = new LazyFeed([out], (v) => v[out]);
    expect(() => forward(g, { image, gate: early })).toThrow(`forward: expected values computed before the lazy feed runs for input gate, got ${out} not computed yet`);
    const wrong = new LazyFeed([y], () => Tensor.zeros([1, 3, 4, 4], ref()));
    expect(() => forward(g, { image, gate: wrong })).toThrow('forward: expected a tensor of rank 4 with 2 channels');
    expect(() => forward(g, { image, gate: new LazyFeed(['nope'], () => image) })).toThrow('graph: expected the name of a value of this graph for value, got nope');
    g.dispose();
  });
});
