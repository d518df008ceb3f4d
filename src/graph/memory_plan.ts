/**
 * The executor's memory plan: one storage pool per graph, so that a training step's activations,
 * gradients and scratch tensors reuse the storages of the step before instead of allocating
 * (and zero-filling, and later collecting) new ones.
 *
 * How it plans: the executor already frees every value at its last use (liveness, see
 * executor.ts); with the pool active, a freed storage is kept in a free list by backend and
 * element count, and the next tensor of that size takes it. The first step of a graph at a
 * given input shape therefore allocates what it needs at its peak, and every later step of
 * the same shape allocates nothing: the set of live storages is the same, recycled.
 * Kernels overwrite "out" buffers, so a recycled storage is never zeroed; Tensor.zeros and
 * Tensor.full still fill theirs.
 *
 * Bounds: a storage freed in one cycle (one forward() and what follows it: backward, the
 * caller disposing outputs and gradients) that the next cycle does not take is handed back to
 * its backend when the cycle after starts; so a change of input size (multi-scale training)
 * costs one cycle of extra memory, not a growing pool. Graph.dispose() hands everything back;
 * tensors of the plan disposed after that go straight to their backend. A run that fails hands
 * back everything the pool holds, so an error leaves memory as it would be without a plan.
 */
import type { Backend } from '../backend/backend';
import type { StoragePool } from '../backend/tensor';

interface Entry {
  storage: unknown;
  /** the cycle in which it was given back */
  cycle: number;
}

export interface PoolStats {
  /** storages handed out from the free lists */
  reused: number;
  /** storages the backend allocated because no free one fitted */
  allocated: number;
  /** elements held in the free lists now */
  heldElements: number;
  /** storages held in the free lists now */
  heldStorages: number;
  /** storages handed back to their backend by trimming or release */
  returned: number;
}

export class GraphMemoryPool implements StoragePool {
  private readonly free = new Map<Backend<any>, Map<number, Entry[]>>();
  /** every storage in a free list (a second dispose of the same storage must not list it twice) */
  private readonly listed = new Set<unknown>();
  private cycle = 0;
  private closed = false;
  readonly stats: PoolStats = { reused: 0, allocated: 0, heldElements: 0, heldStorages: 0, returned: 0 };

  take(backend: Backend<any>, n: number): unknown | undefined {
    if (this.closed || n === 0) return undefined;
    const list = this.free.get(backend)?.get(n);
    const e = list?.pop();
    if (!e) {
      this.stats.allocated++;
      return undefined;
    }
    this.listed.delete(e.storage);
    this.stats.reused++;
    this.stats.heldElements -= n;
    this.stats.heldStorages--;
    return e.storage;
  }

  give(backend: Backend<any>, storage: unknown, n: number): void {
    if (this.closed || n === 0) {
      backend.free(storage);
      return;
    }
    if (this.listed.has(storage)) return;
    let bySize = this.free.get(backend);
    if (!bySize) this.free.set(backend, (bySize = new Map()));
    let list = bySize.get(n);
    if (!list) bySize.set(n, (list = []));
    list.push({ storage, cycle: this.cycle });
    this.listed.add(storage);
    this.stats.heldElements += n;
    this.stats.heldStorages++;
  }

  /**
   * Starts a cycle (the executor calls it at each forward): storages given back before the
   * previous cycle started and not taken since go back to their backend.
   */
  beginCycle(): void {
    const keepFrom = this.cycle;
    this.cycle++;
    this.trim((e) => e.cycle >= keepFrom);
  }

  /**
   * Hands every held storage back to its backend (after a failed run: what it allocated is
   * freed, as without a plan); the pool goes on recycling.
   */
  drain(): void {
    this.trim(() => false);
  }

  /** Hands every held storage back to its backend; the pool recycles nothing from now on. */
  release(): void {
    this.drain();
    this.closed = true;
  }

  private trim(keep: (e: Entry) => boolean): void {
    for (const [backend, bySize] of this.free) {
      for (const [n, list] of bySize) {
        const kept = list.filter((e) => {
          if (keep(e)) return true;
          this.listed.delete(e.storage);
          this.stats.heldElements -= n;
          this.stats.heldStorages--;
          this.stats.returned++;
          backend.free(e.storage);
          return false;
        });
        if (kept.length) bySize.set(n, kept);
        else bySize.delete(n);
      }
      if (!bySize.size) this.free.delete(backend);
    }
  }
}

const pools = new WeakMap<object, GraphMemoryPool>();

/** The pool of a graph (made on first use). */
export function memoryPoolOf(graph: object): GraphMemoryPool {
  let p = pools.get(graph);
  if (!p) pools.set(graph, (p = new GraphMemoryPool()));
  return p;
}

/** Hands a graph's pooled storages back to their backends and forgets the pool (Graph.dispose). */
export function releaseMemoryPool(graph: object): void {
  pools.get(graph)?.release();
  pools.delete(graph);
}
