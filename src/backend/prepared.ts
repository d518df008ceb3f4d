/**
 * Prepared filters for repeated inference. A convolution kernel multiplies a packed copy of its
 * filter (panels of the GEMM microkernel; for 3x3 stride-1 layers also the Winograd transform of
 * the filter), and without help it makes that copy on every call: for YOLOv3's 10x10 head layers
 * that is tens of MB rearranged per forward for a few hundred outputs. A backend that can keep
 * the copy (Backend.filterCaches: the native addon) gets one FilterCache per filter here; the
 * first call fills it and the later calls multiply straight from it, with the same numbers bit for
 * bit.
 *
 * The price is a promise: the filters do not change while their caches are used. PreparedWeights
 * is therefore scoped (an evaluation over a dataset, an inference model's life) and the executor
 * refuses it in training or with gradients. A parameter whose tensor was replaced (pruning,
 * loading weights) gets a new cache on its next use; a tensor written in place is not noticed, so
 * make a new PreparedWeights after writing weights yourself.
 */
import type { Backend } from './backend';
import type { Tensor } from './tensor';

/** One filter's cache on one backend (opaque handle), for exactly this weight and bias tensor. */
export class FilterCache {
  constructor(readonly backend: Backend<any>, readonly handle: object, readonly weight: Tensor, readonly bias: Tensor | null) {}

  /** Whether the cache is for these tensors on this backend (else the op packs as usual). */
  matches(backend: Backend<any>, w: Tensor, b: Tensor | null): boolean {
    return backend === this.backend && w === this.weight && (b ?? null) === this.bias;
  }

  free(): void {
    this.backend.filterCaches?.free(this.handle);
  }
}

/** The filter caches of one graph's convolutions, by parameter name (see the header). */
export class PreparedWeights {
  private readonly caches = new Map<string, FilterCache>();
  private disposed = false;

  /**
   * The cache of the convolution filter `w` (parameter `weightName`) with bias `b` (`biasName`);
   * null when w's backend keeps no caches or after dispose(). A tensor other than the one the
   * cache was made for (a replaced parameter) gets a fresh cache.
   */
  filter(weightName: string, biasName: string | undefined, w: Tensor, b: Tensor | null): FilterCache | null {
    const fc = w.backend.filterCaches;
    if (!fc || this.disposed) return null;
    const key = `${weightName}\u0000${biasName ?? ''}`;
    let c = this.caches.get(key);
    if (c && !c.matches(w.backend, w, b)) {
      c.free();
      c = undefined;
    }
    if (!c) {
      c = new FilterCache(w.backend, fc.create(), w, b);
      this.caches.set(key, c);
    }
    return c;
  }

  /** Caches made so far. */
  get size(): number {
    return this.caches.size;
  }

  /** Frees every cache now (rather than when the collector finds them); later calls pack per call. */
  dispose(): void {
    for (const c of this.caches.values()) c.free();
    this.caches.clear();
    this.disposed = true;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
