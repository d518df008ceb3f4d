// Activations: gradient checks away from the kinks, hand-computed values, and the derivative
// chosen at each kink (Paddle's).
import { activation_backward, activation_forward } from '../../src/backend/reference/activation';
import { ACT, type ActivationName } from '../../src/backend/kernels';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { randomArray } from '../util/rng';

const alphaOf: Record<ActivationName, number> = { relu: 0, leaky_relu: 0.1, relu6: 0, sigmoid: 0, hardswish: 0, hardsigmoid: 0.2 };
/** Points where some activation is not differentiable (hardsigmoid's at alpha*x + 0.5 in {0, 1}, alpha 0.2). */
const KINKS = [0, 6, -3, 3, -2.5, 2.5];

/** Random inputs over [-8, 8], each moved at least 0.05 away from every kink. */
function smoothInputs(n: number, seed: number): Float64Array {
  const x = randomArray(n, seed, -8, 8);
  for (let i = 0; i < n; i++) {
    while (KINKS.some((k) => Math.abs(x[i] - k) < 0.05)) x[i] += 0.1;
  }
  return x;
}

function run(kind: ActivationName, xs: number[]): { y: Float64Array; dx: Float64Array } {
  const x = Float64Array.from(xs), y = new Float64Array(xs.length), dx = new Float64Array(xs.length);
  const p = [xs.length, ACT[kind]];
  activation_forward(x, y, p, alphaOf[kind]);
  activation_backward(x, y, new Float64Array(xs.length).fill(1), dx, p, alphaOf[kind]);
  return { y, dx };
}

describe('reference activation gradients', () => {
  (Object.keys(ACT) as ActivationName[]).forEach((kind, k) => {
    test(kind, () => {
      const n = 64, p = [n, ACT[kind]], alpha = alphaOf[kind];
      const x = smoothInputs(n, 50 + k), y = new Float64Array(n), r = randomArray(n, 60 + k);
      const loss = projectionLoss(() => {
        activation_forward(x, y, p, alpha);
        return y;
      }, r);
      loss();
      const dx = new Float64Array(n).fill(NaN);
      activation_backward(x, y, r, dx, p, alpha);
      checkGrad(`${kind} dx`, loss, x, dx);
    });
  });
});

describe('reference activation values by hand', () => {
  test('relu', () => expectClose(run('relu', [-2, 0, 3]).y, [0, 0, 3], 0));
  test('leaky_relu', () => expectClose(run('leaky_relu', [-2, 0, 3]).y, [-0.2, 0, 3], 1e-15));
  test('relu6', () => expectClose(run('relu6', [-1, 2.5, 7]).y, [0, 2.5, 6], 0));
  test('sigmoid, also far out', () => expectClose(run('sigmoid', [0, Math.log(3), -800, 800]).y, [0.5, 0.75, 0, 1], 1e-15));
  test('hardswish', () => expectClose(run('hardswish', [-4, -1, 1, 4]).y, [0, -2 / 6, 4 / 6, 4], 1e-15));
  test('hardsigmoid = clip(alpha x + 0.5, 0, 1)', () => expectClose(run('hardsigmoid', [-3, 1, 3]).y, [0, 0.7, 1], 1e-15));
});

describe('reference activation derivative at the kinks', () => {
  test('relu passes only where x > 0', () => expectClose(run('relu', [0, 1e-9]).dx, [0, 1], 0));
  test('leaky_relu uses alpha where x <= 0', () => expectClose(run('leaky_relu', [0, -1, 1]).dx, [0.1, 0.1, 1], 0));
  test('relu6 passes only where 0 < x < 6', () => expectClose(run('relu6', [0, 6, 3]).dx, [0, 0, 1], 0));
  test('hardswish: 0 at -3, 1 at 3, (2x+3)/6 between', () => expectClose(run('hardswish', [-3, 3, 0]).dx, [0, 1, 0.5], 1e-15));
  test('hardsigmoid: alpha strictly inside the ramp', () => expectClose(run('hardsigmoid', [-2.5, 2.5, 0]).dx, [0, 0, 0.2], 1e-15));
});
