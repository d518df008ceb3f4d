/**
 * The parity harness itself catches what it is for: a kernel that computes a wrong value, a
 * kernel that leaves part of an overwritten output unwritten, and a kernel a backend declines
 * without the gap being listed in known-gaps.ts. Uses doctored copies of the reference.
 */
import type { Backend } from '../../src/backend/backend';
import { referenceBackend } from '../../src/backend/reference';
import { CONV_CASES } from './cases/conv';
import { ELEMENTWISE_CASES } from './cases/elementwise';
import { runParityCase } from './harness';

const ref = referenceBackend as Backend<any>;

// A declined kernel runs on whichever other backend is available; keep that to the reference
// and WASM here, so this test does not depend on the state of a native build lying around.
const keep = process.env.SLIMPRUNE_ADDON;
beforeAll(() => { process.env.SLIMPRUNE_ADDON = '/nonexistent/slimprune.node'; });
afterAll(() => { if (keep === undefined) delete process.env.SLIMPRUNE_ADDON; else process.env.SLIMPRUNE_ADDON = keep; });
const conv = CONV_CASES.find((c) => c.name.startsWith('conv2d 3->4 3x3 pad1 batch3'))!;
const relu = ELEMENTWISE_CASES.find((c) => c.name === 'activation relu [17]')!;

test('the reference against itself passes', () => {
  expect(runParityCase(conv, { ...ref, name: 'copy' }).ran).toEqual(new Set(['conv2d_forward', 'conv2d_backward_input', 'conv2d_backward_filter']));
});

test('a wrong value is reported with the output, the index and both values', () => {
  const kernels = { ...ref.kernels, conv2d_backward_filter: (...a: unknown[]) => { ref.kernels.conv2d_backward_filter(...(a as [])); (a[2] as Float64Array)[3] += 1e-3; } };
  expect(() => runParityCase(conv, { ...ref, name: 'wrong', kernels })).toThrow(/output dw \[4, 3, 3, 3\] on wrong differs from the reference .* at \[0, 0, 1, 0\]/);
});

test('an output element the kernel never writes is caught', () => {
  const kernels = {
    ...ref.kernels,
    activation_forward: (...a: unknown[]) => {
      const [x, y, p] = a as [Float64Array, Float64Array, Int32Array];
      for (let i = 0; i < p[0] - 1; i++) y[i] = Math.max(0, x[i]);
    },
  };
  expect(() => runParityCase(relu, { ...ref, name: 'lazy', kernels })).toThrow(/output y \[17\] on lazy differs .* at \[16\]: got NaN/);
});

test('a declined kernel must be a listed gap', () => {
  const declining: Backend<any> = { ...ref, name: 'declining', supports: (k) => k !== 'conv2d_backward_input' };
  expect(() => runParityCase(conv, declining)).toThrow('declined conv2d_backward_input for p = [3, 3, 7, 9, 4, 3, 3, 7, 9, 1, 1, 1, 1, 1, 1, 1] and this is not listed in test/parity/known-gaps.ts');
});
