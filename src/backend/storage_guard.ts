/**
 * The checks a backend makes when its storages are handles into memory it manages (the WASM
 * modules' linear memory, the CUDA addon's device buffers), before a caller's value reaches that
 * memory: a storage must be one this backend handed out and has not freed, counts must be in
 * range, host data must be an array of numbers no longer than its target, and a kernel call must
 * satisfy the contract (contract_check.ts). Both backends build one guard, so they refuse the
 * same things with the same messages: `<backend> <op>: expected <what> for <name>, got <value>`.
 */
import { types } from 'util';
import type { Backend } from './backend';
import { checkKernelCall, KernelRangeError, KernelTypeError, safeShow } from './contract_check';
import type { KernelName } from './kernels';

export interface GuardedStorage {
  /** element count */
  readonly n: number;
}

export interface StorageGuard<S extends GuardedStorage> {
  /** Marks a storage just made as live; returns it. */
  adopt(s: S): S;
  /** `s` as a live storage of this backend, no longer live afterwards (the caller frees its memory). */
  release(op: string, s: unknown): S;
  /** `s` as a live storage of this backend. */
  storage(op: string, name: string, s: unknown): S;
  /** `n` as an integer in [0, max]. */
  count(op: string, name: string, n: unknown, max: number): number;
  /** A fill value: a number. */
  value(op: string, v: unknown): number;
  /** `d` as an array or typed array of at most `max` numbers (not yet converted: see convert). */
  data(op: string, d: unknown, max: number): ArrayLike<number>;
  /** Runs fn, which converts caller data to float32; an element that does not convert is the caller's error. */
  convert<T>(op: string, fn: () => T): T;
  /** Checks a raw kernel call against the contract; returns its geometry `p`. */
  kernelCall(kernel: KernelName, args: ArrayLike<unknown>): Int32Array;
}

export function storageGuard<S extends GuardedStorage>(who: string): StorageGuard<S> {
  /** Storages handed out and not yet freed: only these reach memory or a kernel. */
  const live = new WeakSet<object>();
  const length = (a: unknown): number | undefined =>
    typeof a === 'object' && a !== null && live.has(a) ? (a as S).n : undefined;
  const storage = (op: string, name: string, s: unknown): S => {
    if (length(s) === undefined) throw new KernelTypeError(`${who} ${op}: expected a live ${who} storage for ${name}, got ${safeShow(s)}`);
    return s as S;
  };
  return {
    adopt(s) {
      live.add(s);
      return s;
    },
    release(op, s) {
      const st = storage(op, 's', s);
      live.delete(st);
      return st;
    },
    storage,
    count(op, name, n, max) {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) {
        throw new KernelRangeError(`${who} ${op}: expected an integer in [0, ${max}] for ${name}, got ${safeShow(n)}`);
      }
      return n;
    },
    value(op, v) {
      if (typeof v !== 'number') throw new KernelTypeError(`${who} ${op}: expected a number for value, got ${safeShow(v)}`);
      return v;
    },
    data(op, d, max) {
      // A Proxy passes Array.isArray but could report one length and then yield another.
      const ok =
        (Array.isArray(d) || (ArrayBuffer.isView(d) && !(d instanceof DataView) && !(d instanceof BigInt64Array) && !(d instanceof BigUint64Array))) &&
        !types.isProxy(d);
      if (!ok) throw new KernelTypeError(`${who} ${op}: expected an array or typed array of numbers for data, got ${safeShow(d)}`);
      const len = (d as ArrayLike<number>).length;
      if (len > max) throw new KernelRangeError(`${who} ${op}: expected at most ${max} elements (the storage's size) for data, got ${len}`);
      return d as ArrayLike<number>;
    },
    convert(op, fn) {
      try {
        return fn();
      } catch {
        throw new KernelTypeError(`${who} ${op}: expected numbers in data, got an element that does not convert to a number`);
      }
    },
    kernelCall: (kernel, args) => checkKernelCall(who, kernel, args, length),
  };
}

/** backend.alloc(n) filled by fill(s) (fromArray); the storage is freed again when filling throws. */
export function allocFilled<S>(backend: Backend<S>, n: number, fill: (s: S) => void): S {
  const s = backend.alloc(n);
  try {
    fill(s);
  } catch (err) {
    backend.free(s);
    throw err;
  }
  return s;
}
