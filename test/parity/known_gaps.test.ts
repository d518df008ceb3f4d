/**
 * Every gap in known-gaps.ts is well formed and still a gap on the backends that run here;
 * every other kernel is supported by them in general.
 */
import { KERNEL_NAMES, KERNELS } from '../../src/backend/kernels';
import { BACKEND_NAMES } from '../../src/backend/loader';
import { parityTargets } from './harness';
import { KNOWN_GAPS } from './known-gaps';

test('every listed gap names a backend, a kernel of the contract, a reason and a full geometry', () => {
  for (const g of KNOWN_GAPS) {
    expect(BACKEND_NAMES).toContain(g.backend);
    expect(KERNEL_NAMES).toContain(g.kernel);
    expect(g.reason.length).toBeGreaterThan(10);
    expect(g.example).toHaveLength(KERNELS[g.kernel].params.length);
    if (g.covers) expect(g.covers(g.example)).toBe(true);
  }
  // a backend+kernel is listed at most once without a geometry filter
  const plain = KNOWN_GAPS.filter((g) => !g.covers).map((g) => `${g.backend}/${g.kernel}`);
  expect(new Set(plain).size).toBe(plain.length);
});

for (const t of parityTargets()) {
  if (!t.backend) console.log(`parity/known-gaps: skipping backend ${t.name}: ${t.reason}`);
  const d = t.backend ? describe : describe.skip;
  d(`known gaps on ${t.name}`, () => {
    test('each listed gap is still declined', () => {
      for (const g of KNOWN_GAPS.filter((x) => x.backend === t.name)) {
        expect({ gap: `${g.kernel}: ${g.reason}`, supported: t.backend!.supports(g.kernel, g.example) }).toEqual({ gap: `${g.kernel}: ${g.reason}`, supported: false });
      }
    });
    test('every kernel not listed as a whole-kernel gap is supported in general', () => {
      const whole = new Set(KNOWN_GAPS.filter((g) => g.backend === t.name && !g.covers).map((g) => g.kernel));
      const unsupported = KERNEL_NAMES.filter((k) => !whole.has(k) && !t.backend!.supports(k));
      expect(unsupported).toEqual([]);
    });
  });
}
