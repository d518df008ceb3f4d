// sgd_momentum and axpy by hand (one and two steps of Paddle's Momentum with L2Decay).
import { axpy } from '../../src/backend/reference/axpy';
import { sgd_momentum } from '../../src/backend/reference/sgd_momentum';
import { expectClose } from '../util/allclose';

describe('reference sgd_momentum', () => {
  test('one step by hand: v = m v + (g + l2 w); w -= lr v', () => {
    const w = Float64Array.of(1, -2), g = Float64Array.of(0.5, 0), v = Float64Array.of(0.2, 1);
    sgd_momentum(w, g, v, [2], 0.1, 0.9, 0.01);
    // v0 = 0.9*0.2 + 0.5 + 0.01*1 = 0.69, w0 = 1 - 0.069; v1 = 0.9 - 0.02 = 0.88, w1 = -2 - 0.088
    expectClose(v, [0.69, 0.88], 1e-15);
    expectClose(w, [0.931, -2.088], 1e-15);
  });

  test('two steps without momentum or decay are plain SGD', () => {
    const w = Float64Array.of(3), g = Float64Array.of(2), v = Float64Array.of(0);
    sgd_momentum(w, g, v, [1], 0.5, 0, 0);
    sgd_momentum(w, g, v, [1], 0.5, 0, 0);
    expectClose(w, [1], 0);
  });
});

describe('reference axpy', () => {
  test('y += alpha x, only the first n elements', () => {
    const y = Float64Array.of(1, 1, 1);
    axpy(Float64Array.of(1, 2, 3), y, [2], -2);
    expectClose(y, [-1, -3, 1], 0);
  });
});
