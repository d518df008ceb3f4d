/**
 * The parity harness: runs op-level cases (src/backend/ops.ts) on a backend and on the float64
 * reference with the same inputs and compares every output with allclose.
 *
 * - Inputs are seeded random numbers rounded to float32 first, so both sides see identical values.
 * - The backend under test is wrapped in a recording proxy: it logs every kernel it runs and
 *   every (kernel, p) it declines through supports(), and fills new storages with NaN, so an
 *   "overwritten" output a kernel forgets to write shows up as a mismatch.
 * - A declined kernel must be listed in known-gaps.ts; otherwise the case fails.
 * - Tolerance: float32 against float64, rtol 1e-4 and atol 1e-6 * (1 + reduction length),
 *   the reduction length given per case or per output.
 * - Targets: every backend from listBackends() except the reference, or only SLIMPRUNE_BACKEND
 *   when it is set. Absent backends are skipped with their reason printed.
 */
import type { Backend } from '../../src/backend/backend';
import { KERNEL_NAMES, type KernelName } from '../../src/backend/kernels';
import { listBackends, backendByName } from '../../src/backend/loader';
import { referenceBackend } from '../../src/backend/reference';
import { Tensor, formatShape } from '../../src/backend/tensor';
import { allclose } from '../util/allclose';
import { distinctArray, randomArray } from '../util/rng';
import { gapFor } from './known-gaps';

/** 'offset': values 37 +- 0.001, a channel whose spread is tiny next to its mean (batch-norm precision). */
export type Dist = 'uniform' | 'distinct' | 'positive' | 'wide' | 'offset';
export type InputSpec = number[] | { shape: number[]; dist?: Dist };

export interface ParityCase {
  name: string;
  inputs: Record<string, InputSpec>;
  /** Runs the ops; returns every tensor to compare (in-place updated inputs included). */
  run(t: Record<string, Tensor>): Record<string, Tensor | null>;
  /** reduction length behind each output (one number for all), for the absolute tolerance */
  reduce?: number | Record<string, number>;
  /** the kernels this case must run on the backend under test */
  kernels: KernelName[];
  /** relative tolerance override (default 1e-4) */
  rtol?: number;
}

export interface Target {
  name: string;
  backend?: Backend<any>;
  reason?: string;
}

/** The backends to test against the reference, with reasons for those that cannot run here. */
export function parityTargets(): Target[] {
  const forced = process.env.SLIMPRUNE_BACKEND;
  if (forced) {
    if (forced === 'reference') return [{ name: forced, reason: 'SLIMPRUNE_BACKEND=reference: the reference is the oracle, there is nothing to compare' }];
    // an explicitly requested backend that cannot run is an error, not a skip
    return [{ name: forced, backend: backendByName(forced) }];
  }
  return listBackends()
    .filter((b) => b.name !== 'reference')
    .map((b) => (b.available ? { name: b.name, backend: backendByName(b.name) } : { name: b.name, reason: b.reason }));
}

export interface Recording {
  ran: Set<KernelName>;
  declined: Array<{ kernel: KernelName; p: number[] }>;
}

/** A proxy of `be` that records kernel launches and declined kernels, and poisons new storages with NaN. */
export function recordingBackend(be: Backend<any>, poison = true): { backend: Backend<any>; rec: Recording } {
  const rec: Recording = { ran: new Set(), declined: [] };
  const kernels = {} as Record<KernelName, Backend<any>['kernels'][KernelName]>;
  for (const k of KERNEL_NAMES) {
    kernels[k] = (...args) => {
      rec.ran.add(k);
      be.kernels[k](...args);
    };
  }
  const backend: Backend<any> = {
    ...be,
    name: be.name,
    available: () => be.available(),
    supports(k, p) {
      const ok = be.supports(k, p);
      if (!ok) rec.declined.push({ kernel: k, p: Array.from(p ?? []) });
      return ok;
    },
    alloc(n) {
      const s = be.alloc(n);
      if (poison) be.fill(s, n, NaN);
      return s;
    },
    fromArray: (d) => be.fromArray(d),
    read: (s, n) => be.read(s, n),
    write: (s, d) => be.write(s, d),
    fill: (s, n, v) => be.fill(s, n, v),
    free: (s) => be.free(s),
    kernels,
  };
  return { backend, rec };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function inputData(caseName: string, name: string, spec: InputSpec): { shape: number[]; data: Float64Array } {
  const shape = Array.isArray(spec) ? spec : spec.shape;
  const dist = Array.isArray(spec) ? 'uniform' : spec.dist ?? 'uniform';
  const n = shape.reduce((a, b) => a * b, 1);
  const seed = hash(`${caseName}/${name}`);
  const raw = dist === 'distinct' ? distinctArray(n, seed, 0.01)
    : dist === 'positive' ? randomArray(n, seed, 0.5, 1.5)
      : dist === 'wide' ? randomArray(n, seed, -8, 8)
        : dist === 'offset' ? randomArray(n, seed, 36.999, 37.001)
          : randomArray(n, seed);
  // float32 values, so both backends compute on identical inputs
  return { shape, data: Float64Array.from(raw, Math.fround) };
}

function multiIndex(shape: number[], at: number): string {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(at % shape[i]);
    at = Math.floor(at / shape[i]);
  }
  return `[${idx.join(', ')}]`;
}

function makeInputs(c: ParityCase, be: Backend<any>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(c.inputs)) {
    const { shape, data } = inputData(c.name, name, spec);
    out[name] = Tensor.from(data, shape, be);
  }
  return out;
}

function disposeAll(...groups: Array<Record<string, Tensor | null>>): void {
  const seen = new Set<Tensor>();
  for (const g of groups) for (const t of Object.values(g)) if (t && !seen.has(t)) { seen.add(t); t.dispose(); }
}

/** Runs a case on the reference only (for coverage checks); returns the recording. */
export function runOnReference(c: ParityCase): Recording {
  const { backend, rec } = recordingBackend(referenceBackend as Backend<any>, false);
  const inputs = makeInputs(c, backend);
  const outputs = c.run(inputs);
  disposeAll(inputs, outputs);
  return rec;
}

/**
 * Runs one case on `be` and on the reference and throws a readable error on the first output
 * that differs beyond tolerance, or when the backend declined a kernel not listed as a known gap.
 * Returns the kernels the backend ran.
 */
export function runParityCase(c: ParityCase, be: Backend<any>): Recording {
  const { backend, rec } = recordingBackend(be);
  const want = referenceOutputs(c);
  const tgtIn = makeInputs(c, backend);
  try {
    const got = c.run(tgtIn);
    try {
      for (const [key, w] of Object.entries(want)) {
        const g = got[key];
        if (w === null || g === null || g === undefined) {
          if ((w === null) !== (g === null || g === undefined)) throw new Error(`${c.name}: output ${key} is ${g ? 'present' : 'absent'} on ${be.name} but not on the reference`);
          continue;
        }
        if (formatShape(g.shape) !== formatShape(w.shape)) throw new Error(`${c.name}: output ${key} has shape ${formatShape(g.shape)} on ${be.name}, ${formatShape(w.shape)} on the reference`);
        const len = typeof c.reduce === 'number' ? c.reduce : c.reduce?.[key] ?? 1;
        const tol = { rtol: c.rtol ?? 1e-4, atol: 1e-6 * (1 + len) };
        const a = g.toArray();
        const b = w.data;
        const r = allclose(a, b, tol);
        if (!r.ok) {
          const where = r.at >= 0 ? ` at ${multiIndex(w.shape, r.at)}: got ${a[r.at]}, expected ${b[r.at]}` : '';
          throw new Error(`${c.name}: output ${key} ${formatShape(w.shape)} on ${be.name} differs from the reference (rtol ${tol.rtol}, atol ${tol.atol.toExponential(2)})${where}; max |a-b| = ${r.maxErr}`);
        }
      }
      for (const key of Object.keys(got)) if (!(key in want)) throw new Error(`${c.name}: output ${key} on ${be.name} has no reference counterpart`);
    } finally {
      disposeAll(got);
    }
  } finally {
    disposeAll(tgtIn);
  }
  for (const d of rec.declined) {
    const gap = gapFor(be.name, d.kernel, d.p);
    if (!gap) throw new Error(`${c.name}: ${be.name} declined ${d.kernel} for p = [${d.p.join(', ')}] and this is not listed in test/parity/known-gaps.ts`);
  }
  const missing = c.kernels.filter((k) => !rec.ran.has(k) && !rec.declined.some((d) => d.kernel === k));
  if (missing.length) throw new Error(`${c.name}: expected ${be.name} to run ${missing.join(', ')}, but it did not`);
  return rec;
}

type Outputs = Record<string, { shape: number[]; data: Float64Array } | null>;
const refCache = new Map<ParityCase, Outputs>();

/** The case's outputs on the reference, computed once per case and kept as plain arrays. */
function referenceOutputs(c: ParityCase): Outputs {
  const hit = refCache.get(c);
  if (hit) return hit;
  const inputs = makeInputs(c, referenceBackend as Backend<any>);
  const outputs = c.run(inputs);
  const out: Outputs = {};
  for (const [k, t] of Object.entries(outputs)) out[k] = t ? { shape: [...t.shape], data: Float64Array.from(t.toArray()) } : null;
  disposeAll(inputs, outputs);
  refCache.set(c, out);
  return out;
}

/** Declares the parity tests of one family of cases for every target backend. */
export function parityFamily(family: string, cases: ParityCase[]): void {
  const targets = parityTargets();
  for (const t of targets) {
    if (!t.backend) {
      console.log(`parity/${family}: skipping backend ${t.name}: ${t.reason}`);
    }
    const d = t.backend ? describe : describe.skip;
    d(`${family} on ${t.name}`, () => {
      test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
        runParityCase(c, t.backend!);
      });
    });
  }
}
