// channel_copy (concat / split), gather_axis and scatter_add_axis: gradient checks through each
// other (each is the other's backward) and hand-computed layouts.
import { channel_copy } from '../../src/backend/reference/channel_copy';
import { gather_axis, scatter_add_axis } from '../../src/backend/reference/gather_axis';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { randomArray } from '../util/rng';

describe('reference channel_copy as concat and split', () => {
  const outer = 2, inner = 3, Ca = 2, Cb = 3, Cy = Ca + Cb;
  const a = randomArray(outer * Ca * inner, 1), b = randomArray(outer * Cb * inner, 2);
  // p = [outer, srcC, srcOff, dstC, dstOff, count, inner, accumulate]
  const concat = (y: Float64Array) => {
    channel_copy(a, y, [outer, Ca, 0, Cy, 0, Ca, inner, 0]);
    channel_copy(b, y, [outer, Cb, 0, Cy, Ca, Cb, inner, 0]);
    return y;
  };

  test('concat layout by hand', () => {
    const y = new Float64Array(12);
    channel_copy(Float64Array.of(1, 2, 3, 4), y, [2, 1, 0, 3, 0, 1, 2, 0]);
    channel_copy(Float64Array.of(5, 6, 7, 8, 9, 10, 11, 12), y, [2, 2, 0, 3, 1, 2, 2, 0]);
    expectClose(y, [1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12], 0);
  });

  test('concat gradients are splits of dy', () => {
    const y = new Float64Array(outer * Cy * inner), r = randomArray(y.length, 3);
    const loss = projectionLoss(() => concat(y), r);
    const da = new Float64Array(a.length).fill(NaN), db = new Float64Array(b.length).fill(NaN);
    channel_copy(r, da, [outer, Cy, 0, Ca, 0, Ca, inner, 0]);
    channel_copy(r, db, [outer, Cy, Ca, Cb, 0, Cb, inner, 0]);
    checkGrad('concat da', loss, a, da);
    checkGrad('concat db', loss, b, db);
  });

  test('split gradient accumulates both parts back (accumulate = 1)', () => {
    const x = randomArray(outer * Cy * inner, 4);
    const lo = new Float64Array(outer * 2 * inner), hi = new Float64Array(outer * 3 * inner);
    const rLo = randomArray(lo.length, 5), rHi = randomArray(hi.length, 6);
    const loss = () => {
      channel_copy(x, lo, [outer, Cy, 0, 2, 0, 2, inner, 0]);
      channel_copy(x, hi, [outer, Cy, 2, 3, 0, 3, inner, 0]);
      let s = 0;
      lo.forEach((v, i) => (s += v * rLo[i]));
      hi.forEach((v, i) => (s += v * rHi[i]));
      return s;
    };
    const dx = new Float64Array(x.length); // zeroed by the caller, then accumulated
    channel_copy(rLo, dx, [outer, 2, 0, Cy, 0, 2, inner, 1]);
    channel_copy(rHi, dx, [outer, 3, 0, Cy, 2, 3, inner, 1]);
    checkGrad('split dx', loss, x, dx);
  });

  test('accumulate adds, plain copy overwrites, other channels untouched', () => {
    const dst = Float64Array.of(1, 1, 1);
    channel_copy(Float64Array.of(5), dst, [1, 1, 0, 3, 1, 1, 1, 1]);
    expectClose(dst, [1, 6, 1], 0);
    channel_copy(Float64Array.of(5), dst, [1, 1, 0, 3, 2, 1, 1, 0]);
    expectClose(dst, [1, 6, 5], 0);
  });
});

describe('reference gather_axis / scatter_add_axis', () => {
  test('gather by hand, repeated and reordered indices', () => {
    // x [outer 2, axis 3, inner 1]
    const y = new Float64Array(8);
    gather_axis(Float64Array.of(0, 1, 2, 10, 11, 12), Int32Array.of(2, 0, 0, 1), y, [2, 3, 1, 4]);
    expectClose(y, [2, 0, 0, 1, 12, 10, 10, 11], 0);
  });

  test('scatter_add accumulates into dx, repeated indices add up', () => {
    const dx = Float64Array.of(100, 100, 100);
    scatter_add_axis(Float64Array.of(1, 2, 4), Int32Array.of(2, 0, 2), dx, [1, 3, 1, 3]);
    expectClose(dx, [102, 100, 105], 0);
  });

  test('gradient of gather is scatter_add', () => {
    const outer = 2, axis = 5, inner = 3, idx = Int32Array.of(4, 1, 1, 3), count = idx.length;
    const p = [outer, axis, inner, count];
    const x = randomArray(outer * axis * inner, 7), y = new Float64Array(outer * count * inner), r = randomArray(y.length, 8);
    const loss = projectionLoss(() => {
      gather_axis(x, idx, y, p);
      return y;
    }, r);
    const dx = new Float64Array(x.length);
    scatter_add_axis(r, idx, dx, p);
    checkGrad('gather dx', loss, x, dx);
  });
});
