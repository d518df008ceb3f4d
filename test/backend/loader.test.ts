// The loader: explicit choice, fallback with a reason, and behaviour without the native addon
// (CI runs this file with SLIMPRUNE_ADDON pointing at a missing file).
import { backendByName, listBackends, BACKEND_NAMES } from '../../src/backend/loader';
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
    expect(() => backendByName('tpu')).toThrow(/backend: expected one of cuda, native, wasm-em, wasm-as, reference, got 'tpu'/);
  });

  test('without the native addon a compiled backend still runs (a WASM one unless the reference is all there is)', () => {
    const nativeOk = list.find((b) => b.name === 'native')!.available;
    const wasm = list.filter((b) => b.name.startsWith('wasm') && b.available);
    if (process.env.SLIMPRUNE_ADDON && !nativeOk) {
      // The CI run with the addon disabled: a WASM backend must be there to fall back to.
      expect(wasm.length).toBeGreaterThan(0);
    }
    expect(list.some((b) => b.available)).toBe(true);
  });
});
