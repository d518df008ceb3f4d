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
    const n = shapeSize(shape);
    const s = backend.alloc(n);
    backend.fill(s, n, 0);
    return new Tensor(shape, backend, s);
  }

  static full(shape: Shape, value: number, backend: Backend<any> = getBackend()): Tensor {
    const n = shapeSize(shape);
    const s = backend.alloc(n);
    backend.fill(s, n, value);
    return new Tensor(shape, backend, s);
  }

  /** Uninitialised storage, for kernel outputs that are fully overwritten. */
  static empty(shape: Shape, backend: Backend<any> = getBackend()): Tensor {
    return new Tensor(shape, backend, backend.alloc(shapeSize(shape)));
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
      if (this.owner) this.backend.free(this._storage);
    }
  }

  /** `using t = Tensor.zeros(...)` disposes t at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
