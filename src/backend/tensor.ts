/**
 * A Tensor: a shape and a storage owned by one backend. Layout is dense row-major (NCHW for
 * images). Tensors are created through a backend (default: the loader's choice) and hand
 * their storage to kernels through src/backend/ops.ts; `toArray()` copies the data out.
 */
import './dispose_symbol';
import type { Backend } from './backend';
import { getBackend } from './loader';

export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A source of recycled storages (the executor's memory plan, src/graph/memory_plan.ts). While
 * one is active (withStoragePool), new tensors take their storage from it when it has one of
 * the right size, and every tensor made in that scope gives its storage back to it when
 * disposed (also after the scope ended), instead of to its backend.
 */
export interface StoragePool {
  take(backend: Backend<any>, n: number): unknown | undefined;
  give(backend: Backend<any>, storage: unknown, n: number): void;
}

let activePool: StoragePool | null = null;

/** Runs fn with `pool` as the source of new tensors' storages (null: none). */
export function withStoragePool<T>(pool: StoragePool | null, fn: () => T): T {
  const prev = activePool;
  activePool = pool;
  try {
    return fn();
  } finally {
    activePool = prev;
  }
}

function allocIn(backend: Backend<any>, n: number): { s: unknown; pool: StoragePool | null } {
  const pool = activePool;
  const s = pool?.take(backend, n);
  return { s: s ?? backend.alloc(n), pool };
}

export class Tensor {
  readonly shape: number[];
  readonly size: number;
  private disposed = false;

  constructor(
    shape: Shape,
    readonly backend: Backend<any>,
    private _storage: unknown,
    /** false for views (reshape): disposing a view never frees the storage it shares */
    private readonly owner = true,
    /** where the storage goes back on dispose (null: to the backend) */
    private readonly pool: StoragePool | null = null,
  ) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`tensor: expected non-negative integer dimensions, got ${formatShape(shape)}`);
    }
    this.shape = [...shape];
    this.size = shapeSize(shape);
  }

  /** The backend storage; throws if the tensor was disposed. */
  get storage(): any {
    if (this.disposed) throw new Error(`tensor: used after dispose (shape ${formatShape(this.shape)})`);
    return this._storage;
  }

  get rank(): number {
    return this.shape.length;
  }

  static zeros(shape: Shape, backend: Backend<any> = getBackend()): Tensor {
    return Tensor.full(shape, 0, backend);
  }

  static full(shape: Shape, value: number, backend: Backend<any> = getBackend()): Tensor {
    const n = shapeSize(shape);
    const { s, pool } = allocIn(backend, n);
    backend.fill(s, n, value);
    return new Tensor(shape, backend, s, true, pool);
  }

  /** Uninitialised storage, for kernel outputs that are fully overwritten (a recycled one holds old data). */
  static empty(shape: Shape, backend: Backend<any> = getBackend()): Tensor {
    const n = shapeSize(shape);
    const { s, pool } = allocIn(backend, n);
    return new Tensor(shape, backend, s, true, pool);
  }

  static from(data: ArrayLike<number>, shape: Shape, backend: Backend<any> = getBackend()): Tensor {
    const n = shapeSize(shape);
    if (data.length !== n) {
      throw new RangeError(`tensor: expected ${n} values for shape ${formatShape(shape)}, got ${data.length}`);
    }
    return new Tensor(shape, backend, backend.fromArray(data));
  }

  /** A copy of the data (Float32Array, or Float64Array on the reference backend). */
  toArray(): Float32Array | Float64Array {
    return this.backend.read(this.storage, this.size);
  }

  /** Overwrite the data in place. */
  set(data: ArrayLike<number>): void {
    if (data.length !== this.size) throw new RangeError(`tensor: expected ${this.size} values, got ${data.length}`);
    this.backend.write(this.storage, data);
  }

  /** The same data under another shape with the same element count (copies on backends whose storage cannot be shared). */
  reshape(shape: Shape): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new RangeError(`reshape: expected a shape of ${this.size} elements, got ${formatShape(shape)}`);
    }
    return new Tensor(shape, this.backend, this.storage, false);
  }

  /**
   * This tensor's storage under another shape of the same element count, owned by the result
   * (freed, or given back to its pool, when the result is disposed); this tensor is spent.
   */
  moveTo(shape: Shape): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new RangeError(`moveTo: expected a shape of ${this.size} elements, got ${formatShape(shape)}`);
    }
    const t = new Tensor(shape, this.backend, this.storage, this.owner, this.pool);
    this.disposed = true;
    return t;
  }

  clone(): Tensor {
    return Tensor.from(this.toArray(), this.shape, this.backend);
  }

  /** This tensor's data on another backend. */
  to(backend: Backend<any>): Tensor {
    return backend === this.backend ? this : Tensor.from(this.toArray(), this.shape, backend);
  }

  dispose(): void {
    if (!this.disposed) {
      this.disposed = true;
      if (!this.owner) return;
      if (this.pool) this.pool.give(this.backend, this._storage, this.size);
      else this.backend.free(this._storage);
    }
  }

  /** `using t = Tensor.zeros(...)` disposes t at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
