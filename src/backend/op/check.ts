/**
 * Argument checking and kernel launch for the ops (src/backend/ops.ts re-exports them).
 *
 * Every op validates its tensors and attributes once, here, with one message shape:
 *
 *     <op>: expected <what> for <name>, got <value>
 *
 * and then launches one kernel of the contract (src/backend/kernels.ts) with storages, the
 * integer geometry `p` (an Int32Array packed by parameter name, so the layout lives in
 * kernels.ts only) and float attributes. Kernels trust what they are given, so nothing reaches
 * them unchecked. When a backend reports it does not support a kernel for a geometry
 * (backend.supports), the call runs on the first other available backend that does, with the
 * buffers copied across and the outputs copied back.
 */
import type { Backend } from '../backend';
import { KERNELS, type KernelName } from '../kernels';
import { availableBackends } from '../loader';
import { formatShape, Tensor, type Shape } from '../tensor';

export { formatShape as formatShapeOf };

/** Thrown for bad arguments to an op: names the op, the expectation, the argument and what was found. */
export class OpArgumentError extends RangeError {
  override name = 'OpArgumentError';
}

export function fail(op: string, what: string, name: string, got: string): never {
  throw new OpArgumentError(`${op}: expected ${what} for ${name}, got ${got}`);
}

/** A short readable rendering of any value for error messages. */
export function show(v: unknown): string {
  if (v instanceof Tensor) return `a tensor of shape ${formatShape(v.shape)}`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})`;
  if (typeof v === 'string') return `'${v}'`;
  if (v === null) return 'null';
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Throws unless t is a Tensor. */
export function tensorArg(op: string, name: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) fail(op, 'a Tensor', name, show(t));
  return t;
}

/** Throws unless t is a Tensor of the given rank; `what` words the expectation ('input', 'tensor'). */
export function rankArg(op: string, name: string, t: unknown, rank: number | number[], what = 'tensor'): Tensor {
  const x = tensorArg(op, name, t);
  const ranks = Array.isArray(rank) ? rank : [rank];
  if (!ranks.includes(x.rank)) {
    const r = ranks.length === 1 ? `${ranks[0]}-D` : `${ranks.slice(0, -1).join('-D, ')}-D or ${ranks[ranks.length - 1]}-D`;
    fail(op, `${r} ${what}`, name, formatShape(x.shape));
  }
  return x;
}

/** Throws unless t is a Tensor of exactly this shape. */
export function shapeArg(op: string, name: string, t: unknown, shape: Shape): Tensor {
  const x = tensorArg(op, name, t);
  if (!sameShape(x.shape, shape)) fail(op, `shape ${formatShape(shape)}`, name, formatShape(x.shape));
  return x;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws unless s is an array of non-negative integers (a shape given as an argument), optionally of one rank. */
export function shapeValue(op: string, name: string, s: unknown, rank?: number): number[] {
  const ok = Array.isArray(s) && s.every((d) => isInt(d) && d >= 0) && (rank === undefined || s.length === rank);
  if (!ok) fail(op, rank === undefined ? 'a shape (non-negative integers)' : `a ${rank}-D shape (non-negative integers)`, name, show(s));
  return [...(s as number[])];
}

/**
 * The one backend every given tensor lives on (nulls are skipped). Throws naming the first
 * tensor that lives elsewhere.
 */
export function commonBackend(op: string, tensors: Record<string, Tensor | null | undefined>): Backend<any> {
  let first: [string, Backend<any>] | undefined;
  for (const [name, t] of Object.entries(tensors)) {
    if (t === null || t === undefined) continue;
    if (!first) first = [name, t.backend];
    else if (t.backend !== first[1]) {
      fail(op, `the backend of ${first[0]} (${first[1].name})`, name, `a tensor on ${t.backend.name}`);
    }
  }
  if (!first) throw new OpArgumentError(`${op}: expected at least one tensor argument, got none`);
  return first[1];
}

/** Normalises an axis (negative counts from the end) for a tensor of the given rank. */
export function axisArg(op: string, name: string, axis: unknown, rank: number): number {
  if (!isInt(axis) || axis < -rank || axis >= rank) fail(op, `an integer axis in [${-rank}, ${rank})`, name, show(axis));
  return axis < 0 ? axis + rank : axis;
}

/** A positive integer n or a pair [a, b] of them. */
export function pairArg(op: string, name: string, v: unknown, dflt: number, min = 1): [number, number] {
  if (v === undefined) return [dflt, dflt];
  const okNum = (x: unknown) => isInt(x) && x >= min;
  if (okNum(v)) return [v as number, v as number];
  if (Array.isArray(v) && v.length === 2 && v.every(okNum)) return [v[0], v[1]];
  const kind = min === 1 ? 'positive integer' : 'non-negative integer';
  fail(op, `a ${kind} or a pair [h, w] of them`, name, show(v));
}

/** Explicit padding [top, bottom, left, right]. */
export type Pads = [number, number, number, number];
/** Padding as an op attribute: n, [ph, pw], [pt, pb, pl, pr], or Paddle's 'SAME' / 'VALID'. */
export type Padding = number | [number, number] | [number, number, number, number] | 'SAME' | 'VALID' | 'same' | 'valid';

/**
 * Resolves a padding attribute to [pt, pb, pl, pr]. 'SAME' pads so that out = ceil(in / stride),
 * the extra row or column going to the bottom or right (TensorFlow's and Paddle's rule).
 */
export function padArg(
  op: string,
  v: unknown,
  geom: { H: number; W: number; KH: number; KW: number; SH: number; SW: number; DH: number; DW: number },
): Pads {
  if (v === undefined) return [0, 0, 0, 0];
  if (typeof v === 'string') {
    const s = v.toUpperCase();
    if (s === 'VALID') return [0, 0, 0, 0];
    if (s === 'SAME') {
      const side = (n: number, k: number, st: number, d: number) => {
        const out = Math.ceil(n / st);
        const total = Math.max((out - 1) * st + d * (k - 1) + 1 - n, 0);
        return [Math.floor(total / 2), total - Math.floor(total / 2)];
      };
      const [pt, pb] = side(geom.H, geom.KH, geom.SH, geom.DH);
      const [pl, pr] = side(geom.W, geom.KW, geom.SW, geom.DW);
      return [pt, pb, pl, pr];
    }
  }
  const ok = (x: unknown) => isInt(x) && x >= 0;
  if (ok(v)) return [v as number, v as number, v as number, v as number];
  if (Array.isArray(v) && v.every(ok)) {
    if (v.length === 2) return [v[0], v[0], v[1], v[1]];
    if (v.length === 4) return [v[0], v[1], v[2], v[3]];
  }
  fail(op, "a non-negative integer, [ph, pw], [pt, pb, pl, pr], 'SAME' or 'VALID'", 'padding', show(v));
}

/** A finite number (undefined gives dflt). */
export function numArg(op: string, name: string, v: unknown, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(op, 'a finite number', name, show(v));
  return v;
}

export function boolArg(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(op, 'true or false', name, show(v));
  return v;
}

/** An attributes argument: undefined or a plain object. */
export function attrsArg<T extends object>(op: string, v: T | undefined): Partial<T> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(op, 'an attributes object', 'attrs', show(v));
  return v;
}

/** Packs named integers into the kernel's `p` in the contract's order. */
export function packGeometry(kernel: KernelName, values: Record<string, number>): Int32Array {
  const names = KERNELS[kernel].params;
  const p = new Int32Array(names.length);
  names.forEach((n, i) => {
    const v = values[n];
    if (!isInt(v)) throw new Error(`${kernel}: internal error, geometry entry ${n} is ${v}`);
    if (v > 0x7fffffff) throw new OpArgumentError(`${kernel}: expected sizes below 2^31 for ${n}, got ${v}`);
    p[i] = v;
  });
  return p;
}

export type KernelArg = Tensor | Int32Array | null;

/**
 * Runs one kernel: checks (as an internal invariant) that every buffer is large enough for `p`,
 * then calls it on `backend`, or on another backend when this one does not support it.
 */
export function launch(op: string, kernel: KernelName, backend: Backend<any>, bufs: KernelArg[], p: Int32Array, floats: number[] = []): void {
  const spec = KERNELS[kernel];
  const need = spec.sizes(p);
  spec.bufs.forEach((s, i) => {
    const a = bufs[i];
    if (a === null || a === undefined) {
      if (!('optional' in s && s.optional)) throw new Error(`${op}: internal error, ${kernel} needs ${s.name}`);
      return;
    }
    const have = a instanceof Tensor ? a.size : a.length;
    if (have < need[i]) throw new Error(`${op}: internal error, ${kernel} buffer ${s.name} has ${have} elements, needs ${need[i]}`);
  });
  if (backend.supports(kernel, p)) {
    backend.kernels[kernel](...bufs.map((a) => (a instanceof Tensor ? a.storage : a)), p, ...floats);
    return;
  }
  runElsewhere(op, kernel, backend, bufs, p, floats);
}

function runElsewhere(op: string, kernel: KernelName, home: Backend<any>, bufs: KernelArg[], p: Int32Array, floats: number[]): void {
  const other = availableBackends().find((b) => b !== home && b.supports(kernel, p));
  if (!other) throw new OpArgumentError(`${op}: expected a backend supporting ${kernel} for this geometry, got none (${home.name} does not)`);
  const spec = KERNELS[kernel];
  const copies = bufs.map((a) => (a instanceof Tensor ? Tensor.from(a.toArray(), a.shape, other) : a));
  try {
    other.kernels[kernel](...copies.map((a) => (a instanceof Tensor ? a.storage : a)), p, ...floats);
    spec.bufs.forEach((s, i) => {
      const a = bufs[i];
      const c = copies[i];
      if (s.role !== 'in' && a instanceof Tensor && c instanceof Tensor) home.write(a.storage, c.toArray());
    });
  } finally {
    for (const c of copies) if (c instanceof Tensor) c.dispose();
  }
}

export function empty(shape: Shape, backend: Backend<any>): Tensor {
  return Tensor.empty(shape, backend);
}

export function zeros(shape: Shape, backend: Backend<any>): Tensor {
  return Tensor.zeros(shape, backend);
}

export function prod(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** A shape with `*` for the dimensions the message does not constrain. */
export function pattern(dims: Array<number | string | undefined>): string {
  return `[${dims.map((d) => (d === undefined ? '*' : String(d))).join(', ')}]`;
}
