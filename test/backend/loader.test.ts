// The loader: explicit choice, fallback with a reason, and behaviour without the native addon
// (CI runs this file with SLIMPRUNE_ADDON pointing at a missing file).
import { backendByName, getBackend, listBackends, BACKEND_NAMES } from '../../src/backend/loader';
import * as ops from '../../src/backend/ops';
import { Tensor } from '../../src/backend/tensor';
import { KERNEL_NAMES } from '../../src/backend/kernels';

describe('backend loader', () => {
  const list = listBackends();
  console.log(list.map((b) => `${b.name}: ${b.available ? 'available' : `unavailable (${b.reason})`}`).join('\n'));

  test('lists every backend with a reason when unavailable', () => {
    expect(list.map((b) => b.name)).toEqual(BACKEND_NAMES);
    for (const b of list) if (!b.available) expect(b.reason).toMatch(/\S/);
  });

  test('the reference backend is always available and implements every kernel', () => {
    const ref = backendByName('reference');
    for (const k of KERNEL_NAMES) expect(typeof ref.kernels[k]).toBe('function');
  });

  test('an unknown backend name is a clear error', () => {
    expect(() => backendByName('tpu')).toThrow(/backend: expected one of cuda, native, wasm-as, wasm-em, reference, got 'tpu'/);
  });

  test('without the native addon a compiled backend still runs (a WASM one unless the reference is all there is)', () => {
    const nativeOk = list.find((b) => b.name === 'native')!.available;
    const wasm = list.filter((b) => b.name.startsWith('wasm') && b.available);
    if (process.env.SLIMPRUNE_ADDON && !nativeOk) {
      // The CI run with the addon disabled: a WASM backend must be there to fall back to, and
      // the loader picks it (the faster one first) and runs a kernel on it.
      expect(wasm.length).toBeGreaterThan(0);
      const b = getBackend();
      expect(b.name).toBe(wasm[0].name);
      const y = ops.conv2d(Tensor.full([1, 2, 3, 3], 1, b), Tensor.full([1, 2, 3, 3], 0.5, b), null, { padding: 1 });
      expect(Array.from(y.toArray())).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
    }
    expect(list.some((b) => b.available)).toBe(true);
  });
});
