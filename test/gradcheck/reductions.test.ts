// softmax, sigmoid cross entropy and reduce_sum: gradient checks and hand-computed values.
import { reduce_sum } from '../../src/backend/reference/reduce_sum';
import { sigmoid_bce_backward, sigmoid_bce_forward } from '../../src/backend/reference/sigmoid_bce';
import { softmax_backward, softmax_forward } from '../../src/backend/reference/softmax';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { randomArray } from '../util/rng';

describe('reference softmax', () => {
  test.each([
    [2, 5, 3],
    [3, 4, 1],
    [1, 1, 4],
  ])('gradient over [outer %i, len %i, inner %i]', (outer, len, inner) => {
    const n = outer * len * inner, p = [outer, len, inner];
    const x = randomArray(n, 61, -3, 3), y = new Float64Array(n), r = randomArray(n, 62);
    const loss = projectionLoss(() => {
      softmax_forward(x, y, p);
      return y;
    }, r);
    loss();
    const dx = new Float64Array(n).fill(NaN);
    softmax_backward(y, r, dx, p);
    checkGrad('softmax dx', loss, x, dx, { allowZero: len === 1 });
  });

  test('values by hand, along the middle axis, without overflow', () => {
    const y = new Float64Array(4);
    // [outer 1, len 2, inner 2]: columns (0, ln 3) and (1000, 1000)
    softmax_forward(Float64Array.of(0, 1000, Math.log(3), 1000), y, [1, 2, 2]);
    expectClose(y, [0.25, 0.5, 0.75, 0.5], 1e-15);
  });
});

describe('reference sigmoid_bce', () => {
  test('gradient wrt the logits', () => {
    const n = 20, p = [n];
    const x = randomArray(n, 63, -4, 4), z = randomArray(n, 64, 0, 1), loss = new Float64Array(n), r = randomArray(n, 65);
    const L = projectionLoss(() => {
      sigmoid_bce_forward(x, z, loss, p);
      return loss;
    }, r);
    const dx = new Float64Array(n).fill(NaN);
    sigmoid_bce_backward(x, z, r, dx, p);
    checkGrad('sigmoid_bce dx', L, x, dx);
  });

  test('values by hand, stable at large |x|', () => {
    const loss = new Float64Array(5);
    sigmoid_bce_forward(Float64Array.of(0, 0, 100, -100, Math.log(3)), Float64Array.of(0, 1, 1, 1, 1), loss, [5]);
    // log 2 at x = 0; ~0 when confidently right; ~100 when confidently wrong; -log(0.75) at sigmoid 0.75
    expectClose(loss, [Math.LN2, Math.LN2, 0, 100, -Math.log(0.75)], { rtol: 1e-14, atol: 1e-14 });
    const dx = new Float64Array(2);
    sigmoid_bce_backward(Float64Array.of(0, Math.log(3)), Float64Array.of(1, 0), Float64Array.of(2, 1), dx, [2]);
    expectClose(dx, [-1, 0.75], 1e-15);
  });
});

describe('reference reduce_sum', () => {
  test('values by hand over the middle axis', () => {
    const y = new Float64Array(4);
    // [outer 2, len 2, inner 2]
    reduce_sum(Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8), y, [2, 2, 2]);
    expectClose(y, [4, 6, 12, 14], 0);
  });

  test('gradient is dy broadcast along the reduced axis', () => {
    const outer = 2, len = 3, inner = 4, p = [outer, len, inner];
    const x = randomArray(outer * len * inner, 66), y = new Float64Array(outer * inner), r = randomArray(y.length, 67);
    const loss = projectionLoss(() => {
      reduce_sum(x, y, p);
      return y;
    }, r);
    const dx = new Float64Array(x.length);
    for (let o = 0; o < outer; o++) for (let l = 0; l < len; l++) for (let i = 0; i < inner; i++) dx[(o * len + l) * inner + i] = r[o * inner + i];
    checkGrad('reduce_sum dx', loss, x, dx);
  });
});
