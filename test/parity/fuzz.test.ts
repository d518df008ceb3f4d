/**
 * Differential fuzz: random valid calls of every kernel of the contract (fuzz_cases.ts), half of
 * them with IEEE special values in the inputs, on every available backend against the float64
 * reference, compared under the written contract (ieee.ts). Seeded: a failure names the seed
 * and the geometry that replay it. Some generated geometries are valid for the kernels (and the
 * native addon takes them) but lie outside what the WASM wrappers accept (padding >= window,
 * windows past 2^31 taps; src/backend/contract_check.ts): a backend may refuse exactly those,
 * with a RangeError, and must compute every other one right. SLIMPRUNE_FUZZ_SCALE=k runs k times as many cases per kernel
 * (default 1: 16 per kernel and backend).
 */
import type { Backend } from '../../src/backend/backend';
import { KERNEL_NAMES, KERNELS, type KernelName } from '../../src/backend/kernels';
import { geometryProblem } from '../../src/backend/contract_check';
import { referenceKernels } from '../../src/backend/reference';
import { parityTargets } from './harness';
import { paddingNaNMask } from './conv_padding';
import { describeCase, fuzzCase, fuzzInputs, type FuzzCase } from './fuzz_cases';
import { IEEE, ieeeMismatch, tolKind } from './ieee';
import { ieeeGapFor, IEEE_GAPS } from './known-gaps';

const SCALE = Math.max(1, Math.floor(Number(process.env.SLIMPRUNE_FUZZ_SCALE ?? '1')) || 1);
const PER_KERNEL = 16 * SCALE;

type Buffers = Array<Float64Array | Int32Array | null>;
const callRef = (k: KernelName, bufs: Buffers, c: FuzzCase) => (referenceKernels[k] as unknown as (...a: unknown[]) => void)(...bufs, c.p, ...c.floats);
const copy = (bufs: Buffers): Buffers => bufs.map((a) => (a instanceof Float64Array ? a.slice() : a));

interface RefResult {
  out: Buffers;
  bound: Buffers | null;
}

/** The reference outputs of a case and, for tol 'sum', the same call on |inputs| (the bound). */
function reference(c: FuzzCase, inputs: Buffers): RefResult {
  const out = copy(inputs);
  callRef(c.kernel, out, c);
  if (tolKind(c.kernel, c.p) !== 'sum') return { out, bound: null };
  const absBufs = IEEE[c.kernel].absBufs;
  const spec = KERNELS[c.kernel];
  const b = copy(inputs).map((a, i) => (a instanceof Float64Array && spec.bufs[i].role !== 'out' && (!absBufs || absBufs.includes(spec.bufs[i].name)) ? a.map(Math.abs) : a));
  const saved = c.floats;
  callRef(c.kernel, b, { ...c, floats: saved.map(Math.abs) });
  return { out, bound: b };
}

/** Runs a case on `be`; returns 'refused', a description of the first contract break, or null. */
function check(be: Backend<any>, c: FuzzCase, i: number, ref: RefResult, inputs: Buffers): string | null {
  const spec = KERNELS[c.kernel];
  const st = inputs.map((a) => (a instanceof Float64Array ? be.fromArray(a) : a));
  try {
    try {
      (be.kernels[c.kernel] as (...a: unknown[]) => void)(...st, Int32Array.from(c.p), ...c.floats);
    } catch (e) {
      const problem = geometryProblem(c.kernel, Int32Array.from(c.p));
      if (problem && e instanceof RangeError && e.message.includes(problem[0])) return 'refused';
      return `${describeCase(c, i)}: threw ${String(e)}${problem ? '' : ' on a geometry the contract check accepts'}`;
    }
    const nanOk = paddingNaNMask(c.kernel, inputs, c.p);
    for (let b = 0; b < spec.bufs.length; b++) {
      const want = ref.out[b];
      if (spec.bufs[b].role === 'in' || !(want instanceof Float64Array)) continue;
      const got = be.read(st[b], want.length);
      const bound = ref.bound?.[b];
      const m = ieeeMismatch(got, want, tolKind(c.kernel, c.p), bound instanceof Float64Array ? bound : null, IEEE[c.kernel].nonFinite === 'class', nanOk.get(b) ?? null);
      if (m) return `${describeCase(c, i)}: ${spec.bufs[b].name}[${m.at}] = ${m.got}, reference ${m.want} (${m.why})`;
    }
    return null;
  } finally {
    for (const s of st) if (s !== null && !(s instanceof Int32Array)) be.free(s);
  }
}

const cases = new Map<KernelName, Array<{ c: FuzzCase; inputs: Buffers; ref: RefResult }>>();
function casesOf(k: KernelName) {
  let list = cases.get(k);
  if (!list) {
    list = [];
    for (let i = 0; i < PER_KERNEL; i++) {
      const c = fuzzCase(k, i);
      const inputs = fuzzInputs(c);
      list.push({ c, inputs, ref: reference(c, inputs) });
    }
    cases.set(k, list);
  }
  return list;
}

const counts: Record<string, { calls: number; special: number; refused: number; gaps: number }> = {};
afterAll(() => {
  for (const [be, n] of Object.entries(counts)) {
    console.log(`parity/fuzz: ${be}: ${n.calls} calls compared (${n.special} with special values), ${n.refused} refused as outside the wrapper contract, ${n.gaps} explained by listed IEEE gaps; ${PER_KERNEL} cases per kernel x ${KERNEL_NAMES.length} kernels`);
  }
});

for (const t of parityTargets()) {
  if (!t.backend) console.log(`parity/fuzz: skipping backend ${t.name}: ${t.reason}`);
  const d = t.backend ? describe : describe.skip;
  d(`differential fuzz on ${t.name}`, () => {
    test.each(KERNEL_NAMES.map((k) => [k]))('%s', (k) => {
      const be = t.backend!;
      const n = (counts[be.name] ??= { calls: 0, special: 0, refused: 0, gaps: 0 });
      const failures: string[] = [];
      casesOf(k).forEach(({ c, inputs, ref }, i) => {
        if (!be.supports(k, c.p)) return;
        const err = check(be, c, i, ref, inputs);
        if (err === 'refused') {
          n.refused++;
          return;
        }
        n.calls++;
        if (c.special) n.special++;
        if (!err) return;
        if (ieeeGapFor(be.name, c)) n.gaps++;
        else failures.push(err);
      });
      expect(failures).toEqual([]);
    });
  });
}

describe('listed IEEE gaps', () => {
  test('each names a kernel, a reason and a case that still shows it', () => {
    for (const g of IEEE_GAPS) {
      expect(KERNEL_NAMES).toContain(g.kernel);
      expect(g.reason.length).toBeGreaterThan(20);
      const c = fuzzCase(g.kernel, g.exampleCase);
      expect(g.covers(c)).toBe(true);
      const t = parityTargets().find((x) => x.name === g.backend);
      if (!t?.backend) continue;
      const inputs = fuzzInputs(c);
      expect({ gap: g.reason, differs: check(t.backend, c, g.exampleCase, reference(c, inputs), inputs) !== null }).toEqual({ gap: g.reason, differs: true });
    }
  });
});
