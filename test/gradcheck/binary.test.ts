// Elementwise add/sub/mul with each broadcast mode of b: gradient checks for a and b, and
// hand-computed broadcasting.
import { binary_backward, binary_forward } from '../../src/backend/reference/binary';
import { BINOP, BMODE } from '../../src/backend/kernels';
import { expectClose } from '../util/allclose';
import { checkGrad, projectionLoss } from '../util/gradcheck';
import { randomArray } from '../util/rng';

describe('reference binary gradients', () => {
  const outer = 2, C = 3, inner = 4, n = outer * C * inner;
  for (const [opName, op] of Object.entries(BINOP)) {
    for (const [modeName, bmode] of Object.entries(BMODE)) {
      test(`${opName}, b ${modeName}`, () => {
        const p = [outer, C, inner, op, bmode];
        const nb = bmode === 0 ? n : bmode === 1 ? C : 1;
        const a = randomArray(n, 31 + op), b = randomArray(nb, 41 + bmode), y = new Float64Array(n), r = randomArray(n, 51);
        const loss = projectionLoss(() => {
          binary_forward(a, b, y, p);
          return y;
        }, r);
        const da = new Float64Array(n).fill(NaN), db = new Float64Array(nb).fill(NaN);
        binary_backward(a, b, r, da, db, p);
        checkGrad(`${opName} ${modeName} da`, loss, a, da);
        checkGrad(`${opName} ${modeName} db`, loss, b, db);
        // Each gradient alone (the other output absent) is the same.
        const da2 = new Float64Array(n), db2 = new Float64Array(nb);
        binary_backward(a, b, r, da2, null, p);
        binary_backward(a, b, r, null, db2, p);
        expectClose(da2, da, 0);
        expectClose(db2, db, 0);
      });
    }
  }
});

describe('reference binary by hand', () => {
  const a = Float64Array.of(1, 2, 3, 4); // [outer 1, C 2, inner 2]
  const run = (op: number, bmode: number, b: number[]) => {
    const y = new Float64Array(4);
    binary_forward(a, Float64Array.from(b), y, [1, 2, 2, op, bmode]);
    return y;
  };
  test('add per channel', () => expectClose(run(BINOP.add, BMODE.channel, [10, 20]), [11, 12, 23, 24], 0));
  test('sub scalar', () => expectClose(run(BINOP.sub, BMODE.scalar, [1]), [0, 1, 2, 3], 0));
  test('mul same shape', () => expectClose(run(BINOP.mul, BMODE.same, [2, 0, -1, 0.5]), [2, 0, -3, 2], 0));
  test('sub per channel gradient of b is minus the channel sums', () => {
    const db = new Float64Array(2);
    binary_backward(a, Float64Array.of(0, 0), Float64Array.of(1, 2, 3, 4), null, db, [1, 2, 2, BINOP.sub, BMODE.channel]);
    expectClose(db, [-3, -7], 0);
  });
});
