/**
 * Attribute readers and shape helpers shared by the op definitions. Each reader checks the
 * attribute and fails with the house message `<op>: expected <what> for <name>, got <value>`,
 * naming the node so that a bad graph (hand-built, imported or pruned) points at the culprit.
 */
import type { Tensor } from '../../backend/tensor';
import type { Attrs, Dims, Node } from '../types';

export class GraphError extends Error {
  override name = 'GraphError';
}

export function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (typeof v === 'string') return `'${v}'`;
  if (v === undefined) return 'nothing';
  return String(v);
}

export function fail(op: string, what: string, name: string, got: unknown): never {
  throw new GraphError(`${op}: expected ${what} for ${name}, got ${typeof got === 'string' ? got : show(got)}`);
}

function where(node: Node, attr: string): string {
  return `attribute ${attr} of node ${node.id}`;
}

export function intAttr(node: Node, attrs: Attrs, key: string, def?: number, min = -Infinity): number {
  const v = attrs[key] ?? def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    fail(node.type, min > -Infinity ? `an integer >= ${min}` : 'an integer', where(node, key), v);
  }
  return v;
}

export function numAttr(node: Node, attrs: Attrs, key: string, def?: number): number {
  const v = attrs[key] ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(node.type, 'a finite number', where(node, key), v);
  return v;
}

export function boolAttr(node: Node, attrs: Attrs, key: string, def: boolean): boolean {
  const v = attrs[key] ?? def;
  if (typeof v !== 'boolean') fail(node.type, 'true or false', where(node, key), v);
  return v;
}

export function strAttr<T extends string>(node: Node, attrs: Attrs, key: string, allowed: readonly T[], def?: T): T {
  const v = attrs[key] ?? def;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(node.type, `one of ${allowed.join(', ')}`, where(node, key), v);
  }
  return v as T;
}

/** An integer list of exactly `len` entries (a single number is repeated). */
export function intsAttr(node: Node, attrs: Attrs, key: string, len: number, def?: number[], min = 0): number[] {
  let v = attrs[key] ?? def;
  if (typeof v === 'number') v = new Array(len).fill(v);
  if (!Array.isArray(v) || v.length !== len || !v.every((x) => Number.isInteger(x) && x >= min)) {
    fail(node.type, `${len} integers >= ${min}`, where(node, key), v);
  }
  return v as number[];
}

/** Conv/pool paddings as [top, bottom, left, right]; accepts 1, 2 ([h, w]) or 4 numbers. */
export function paddingAttr(node: Node, attrs: Attrs, key = 'paddings'): [number, number, number, number] {
  const v = attrs[key] ?? 0;
  const arr = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(arr) || !arr.every((x) => Number.isInteger(x) && x >= 0) || ![1, 2, 4].includes(arr.length)) {
    fail(node.type, '1, 2 or 4 non-negative integers [top, bottom, left, right]', where(node, key), v);
  }
  const a = arr as number[];
  if (a.length === 1) return [a[0], a[0], a[0], a[0]];
  if (a.length === 2) return [a[0], a[0], a[1], a[1]];
  return [a[0], a[1], a[2], a[3]];
}

export function rankCheck(node: Node, shape: Dims | undefined, rank: number | number[], what: string): Dims {
  const ranks = Array.isArray(rank) ? rank : [rank];
  if (!shape || !ranks.includes(shape.length)) {
    fail(node.type, `a rank-${ranks.join(' or ')} ${what}`, `node ${node.id}`, shape ? `[${shape.join(', ')}]` : 'nothing');
  }
  return shape;
}

export function inputCount(node: Node, n: number | [number, number]): void {
  const [lo, hi] = Array.isArray(n) ? n : [n, n];
  if (node.inputs.length < lo || node.inputs.length > hi) {
    fail(node.type, lo === hi ? `${lo} input(s)` : `${lo} to ${hi} inputs`, `node ${node.id}`, `${node.inputs.length}`);
  }
}

export function prod(d: readonly number[], from = 0, to = d.length): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= d[i];
  return n;
}

/** Normalises a possibly negative axis for a given rank. */
export function axisOf(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(node.type, `an axis in [${-rank}, ${rank})`, `attribute axis of node ${node.id}`, axis);
  return a;
}

/** floor((in + pads - effective kernel) / stride) + 1 (or ceil when ceilMode). */
export function convOut(inSize: number, k: number, stride: number, padA: number, padB: number, dilation = 1, ceilMode = false): number {
  const eff = dilation * (k - 1) + 1;
  const span = inSize + padA + padB - eff;
  return (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

/**
 * The same storage under a new shape, owning it: for a tensor just returned by an op and not
 * used again, so that the result frees its storage when disposed (a reshape() view would not).
 */
export function moveTo(t: Tensor, shape: Dims): Tensor {
  if (prod(shape) !== t.size) throw new GraphError(`reshape: expected ${t.size} elements for shape [${shape.join(', ')}], got ${prod(shape)}`);
  if (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) return t;
  return t.moveTo(shape);
}
