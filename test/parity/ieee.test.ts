/**
 * The worked IEEE examples of ieee.ts, on the reference and on every available backend. An
 * example whose geometry the WASM and CUDA wrappers refuse (src/backend/contract_check.ts) must be
 * refused there with a RangeError and computed right everywhere else.
 */
import type { Backend } from '../../src/backend/backend';
import { geometryProblem } from '../../src/backend/contract_check';
import { KERNELS } from '../../src/backend/kernels';
import { referenceBackend } from '../../src/backend/reference';
import { parityTargets } from './harness';
import { IEEE_EXAMPLES, type IeeeExample } from './ieee';

/** Runs an example; returns the written buffers by name, or 'refused'. */
function run(be: Backend<any>, ex: IeeeExample): Record<string, number[]> | 'refused' {
  const spec = KERNELS[ex.kernel];
  // float32 inputs everywhere, and the float64 reference's outputs rounded to float32
  const st = ex.bufs.map((d, i) => (d === null ? null : spec.bufs[i].i32 ? Int32Array.from(d) : be.fromArray(d.map(Math.fround))));
  try {
    try {
      (be.kernels[ex.kernel] as (...a: unknown[]) => void)(...st, Int32Array.from(ex.p), ...(ex.floats ?? []));
    } catch (e) {
      const problem = geometryProblem(ex.kernel, Int32Array.from(ex.p));
      if (problem && e instanceof RangeError) return 'refused';
      throw e;
    }
    const out: Record<string, number[]> = {};
    for (const name of Object.keys(ex.expect)) {
      const i = spec.bufs.findIndex((b) => b.name === name);
      out[name] = Array.from(be.read(st[i], ex.expect[name].length), Math.fround);
    }
    return out;
  } finally {
    for (const s of st) if (s !== null && !(s instanceof Int32Array)) be.free(s);
  }
}

const targets = [{ name: 'reference', backend: referenceBackend as Backend<any> }, ...parityTargets()];
for (const t of targets) {
  if (!t.backend) console.log(`parity/ieee: skipping backend ${t.name}: ${'reason' in t ? t.reason : ''}`);
  const d = t.backend ? describe : describe.skip;
  d(`IEEE examples on ${t.name}`, () => {
    test.each(IEEE_EXAMPLES.map((ex) => [ex.what, ex] as const))('%s', (_what, ex) => {
      const got = run(t.backend!, ex);
      if (got === 'refused') {
        // only a wrapper that validates calls (WASM, CUDA) refuses, and only geometry outside its contract
        expect(t.name).toMatch(/^(wasm-|cuda$)/);
        return;
      }
      // toEqual treats NaN as equal to NaN and compares numbers exactly; -0 and 0 are made equal
      const norm = (r: Record<string, number[]>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.map((x) => (x === 0 ? 0 : x))]));
      expect(norm(got)).toEqual(norm(ex.expect));
    });
  });
}
