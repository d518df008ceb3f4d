/**
 * relu, relu6 and leaky_relu (alpha >= 0) keep their output for backward instead of their input,
 * so that the input (a batch norm's output in every conv block) is freed as soon as the
 * activation ran. The gradient must be bit for bit the one computed from the input, kinks
 * (0, 6, -0) and NaN included, on every available backend; leaky_relu with a negative alpha
 * keeps its input.
 */
import { listBackends, backendByName } from '../../src/backend/loader';
import * as ops from '../../src/backend/ops';
import { Tensor } from '../../src/backend/tensor';
import { GraphBuilder } from '../../src/graph/builder';
import { forward } from '../../src/graph/executor';
import { opDef } from '../../src/graph/ops';
import { randomArray } from '../util/rng';

const names = listBackends().filter((b) => b.available && b.name !== 'cuda').map((b) => b.name);

/** Random values with the kinks mixed in. */
function values(n: number): number[] {
  const r = Array.from(randomArray(n, 5, -8, 8));
  const special = [0, -0, 6, -6, 1e-30, -1e-30, Number.NaN, 5.999999, 6.000001];
  special.forEach((v, i) => (r[i * 3] = v));
  return r;
}

describe.each(names)('activations backward from their output on %s', (name) => {
  const be = backendByName(name);
  for (const [kind, alpha] of [['relu', 0], ['relu6', 0], ['leaky_relu', 0.1], ['leaky_relu', 0]] as const) {
    test(`${kind} (alpha ${alpha}): the graph's gradient equals the kernel's from the input, bit for bit`, () => {
      const b = new GraphBuilder();
      const x = b.input('x', [2, 3, 4, 5]);
      const y = b.act(x, kind, alpha);
      b.output(y);
      const g = b.graph;
      const node = g.nodes[g.nodes.length - 1];
      expect(opDef(node.type).savesFor!(node)).toEqual({ inputs: [], outputs: [0] });
      const xs = Tensor.from(values(120), [2, 3, 4, 5], be);
      const dy = Tensor.from(randomArray(120, 6), [2, 3, 4, 5], be);
      const r = forward(g, { x: xs }, { training: true, grad: true, inputGrads: ['x'] });
      const got = r.tape!.backward({ [y]: dy }).inputs.x;
      const want = ops.activationBackward(xs, xs, dy, kind, alpha);
      // toEqual tells -0 from 0 and takes NaN as equal to NaN
      expect(Array.from(got.toArray())).toEqual(Array.from(want.toArray()));
      [xs, dy, got, want, r.outputs[y]].forEach((t) => t.dispose());
    });
  }
});

test('leaky_relu with a negative alpha keeps its input for backward', () => {
  const b = new GraphBuilder();
  b.output(b.act(b.input('x', [1, 1, 2, 2]), 'leaky_relu', -0.5));
  const node = b.graph.nodes[0];
  expect(opDef(node.type).savesFor!(node)).toEqual({ inputs: [0], outputs: [] });
});
