/**
 * Parity cases for the elementwise kernels: every activation forward/backward, add/sub/mul with
 * each broadcast mode forward/backward, sigmoid cross entropy, axpy and the momentum SGD step,
 * at lengths around SIMD widths (1, 3, 4, 5, 8, 17, and a long odd one).
 */
import * as ops from '../../../src/backend/ops';
import type { ParityCase } from '../harness';

const LENGTHS = [1, 3, 4, 5, 8, 17, 1001];

const activationCases: ParityCase[] = [];
for (const kind of ops.ACTIVATIONS) {
  for (const n of [...LENGTHS, [2, 17, 3, 5]] as Array<number | number[]>) {
    const shape = typeof n === 'number' ? [n] : n;
    const alpha = kind === 'leaky_relu' ? 0.1 : undefined;
    activationCases.push({
      name: `activation ${kind} [${shape.join(',')}]`,
      // wide inputs cross every kink (0, +-3, 6)
      inputs: { x: { shape, dist: 'wide' }, dy: shape },
      run: (t) => {
        const y = ops.activation(t.x, kind, alpha);
        const dx = ops.activationBackward(t.x, y, t.dy, kind, alpha);
        return { y, dx };
      },
      kernels: ['activation_forward', 'activation_backward'],
    });
  }
}

const binaryCases: ParityCase[] = [];
const BINARY_SHAPES: Array<{ a: number[]; b: number[]; mode: string }> = [
  { a: [17], b: [17], mode: 'same' },
  { a: [2, 5, 3, 3], b: [2, 5, 3, 3], mode: 'same' },
  { a: [3, 17, 5, 1], b: [17], mode: 'channel' },
  { a: [1, 8, 7, 7], b: [1, 8, 1, 1], mode: 'channel' },
  { a: [5, 4], b: [4], mode: 'channel' },
  { a: [2, 3, 4, 5], b: [1], mode: 'scalar' },
  { a: [1001], b: [1], mode: 'scalar' },
];
for (const op of ['add', 'sub', 'mul'] as const) {
  for (const { a, b, mode } of BINARY_SHAPES) {
    const aN = a.reduce((x, y) => x * y, 1);
    const bN = b.reduce((x, y) => x * y, 1);
    binaryCases.push({
      name: `${op} ${mode} a=[${a.join(',')}] b=[${b.join(',')}]`,
      inputs: { a, b, dy: a },
      run: (t) => {
        const y = ops[op](t.a, t.b);
        const g = ops.binaryBackward(t.a, t.b, t.dy, op);
        const onlyB = ops.binaryBackward(t.a, t.b, t.dy, op, { a: false });
        return { y, da: g.da, db: g.db, dbOnly: onlyB.db };
      },
      reduce: { db: aN / bN, dbOnly: aN / bN },
      kernels: ['binary_forward', 'binary_backward'],
    });
  }
}

const lossCases: ParityCase[] = LENGTHS.map((n) => ({
  name: `sigmoidBce [${n}]`,
  inputs: { x: { shape: [n], dist: 'wide' }, label: { shape: [n], dist: 'positive' }, dloss: [n] },
  run: (t) => ({ loss: ops.sigmoidBce(t.x, t.label), dx: ops.sigmoidBceBackward(t.x, t.label, t.dloss) }),
  kernels: ['sigmoid_bce_forward', 'sigmoid_bce_backward'],
}));

const updateCases: ParityCase[] = LENGTHS.map((n) => ({
  name: `axpy and sgdMomentum [${n}]`,
  inputs: { x: [n], y: [n], param: [n], grad: [n], velocity: [n] },
  run: (t) => {
    ops.axpy(t.x, t.y, -1.25);
    ops.sgdMomentum(t.param, t.grad, t.velocity, { lr: 0.05, momentum: 0.9, l2: 1e-3 });
    return { y: t.y, param: t.param, velocity: t.velocity };
  },
  kernels: ['axpy', 'sgd_momentum'],
}));

export const ELEMENTWISE_CASES: ParityCase[] = [...activationCases, ...binaryCases, ...lossCases, ...updateCases];
