// Allocator for tensors and scratch buffers in linear memory: boundary-tagged blocks over
// memory.grow with segregated free lists (one list per power of two of the block size).
//
// Block at h (16-byte aligned), payload at h + 16 (so every pointer handed out is 16-byte
// aligned, which the f32x4 loops like):
//   h+0  u32 size of the whole block (header included, multiple of 16) | FREE flag in bit 0
//   h+4  u32 size of the physically previous block (0 for the first block)
//   h+8  u32 next block in its free list (free blocks only)
//   h+12 u32 previous block in its free list (free blocks only)
// Invariants: two free blocks are never neighbours (freeing merges them), and the block that
// ends at `top` is never free (freeing it gives its space back to the top of the heap), so
// memory left over at the end is reused by the next large allocation without fragmenting.
// Why not the AssemblyScript runtime's own heap: the kernels use no managed objects, and the
// host needs sp_free to really free (the stub runtime never frees).
//
// Scratch tracking: a kernel that traps (out of memory, a bad access) never reaches its own
// frees, so every block a kernel takes with `alloc` is also noted in a small table until it is
// freed; after a failed call the host calls sp_scratch_release, which frees whatever the kernel
// left behind. The host's own tensors come from `hostAlloc` (sp_alloc) and are never noted.
// Between kernel calls the table is empty, so noting costs a store per alloc and a short scan
// per free (kernels hold at most a handful of scratch blocks at once).

const HDR: usize = 16;
const MIN_BLOCK: usize = 32;
const FREE: u32 = 1;
const NBINS: i32 = 32;

const bins: usize = memory.data(NBINS * 4, 16);
// Largest request: leaves room for the header and rounding below 2^32, so `need` never wraps.
const MAX_BYTES: usize = 0xfffe0000;
const MAX_SCRATCH: i32 = 64;
const scratch: usize = memory.data(MAX_SCRATCH * 4, 16);
let scratchCount: i32 = 0;
let heapStart: usize = 0;
let top: usize = 0;
let last: usize = 0;

@inline function sizeOf(h: usize): usize {
  return <usize>(load<u32>(h) & ~15);
}
@inline function isFree(h: usize): bool {
  return (load<u32>(h) & FREE) != 0;
}
@inline function binOf(size: usize): i32 {
  return 31 - <i32>clz<u32>(<u32>size);
}

function unlink(h: usize): void {
  const next = <usize>load<u32>(h, 8);
  const prev = <usize>load<u32>(h, 12);
  if (prev) store<u32>(prev, <u32>next, 8);
  else store<u32>(bins + (<usize>binOf(sizeOf(h)) << 2), <u32>next);
  if (next) store<u32>(next, <u32>prev, 12);
}

function link(h: usize, size: usize): void {
  store<u32>(h, <u32>size | FREE);
  const head = bins + (<usize>binOf(size) << 2);
  const first = <usize>load<u32>(head);
  store<u32>(h, <u32>first, 8);
  store<u32>(h, 0, 12);
  if (first) store<u32>(first, <u32>h, 12);
  store<u32>(head, <u32>h);
  // the next block learns our size (it is in use, or the top)
  const next = h + size;
  if (next < top) store<u32>(next, <u32>size, 4);
}

/** Marks a free block (already unlinked) as used for `need` bytes, splitting off the rest. */
function take(h: usize, need: usize): usize {
  const size = sizeOf(h);
  if (size - need >= MIN_BLOCK) {
    store<u32>(h, <u32>need);
    const rest = h + need;
    store<u32>(rest, <u32>need, 4);
    link(rest, size - need);
  } else {
    store<u32>(h, <u32>size);
  }
  return h + HDR;
}

/** Scratch for a kernel: like hostAlloc, and noted until freed (see sp_scratch_release). */
export function alloc(bytes: usize): usize {
  const ptr = hostAlloc(bytes);
  // a kernel holding more blocks than the table (none does) only loses the trap cleanup
  if (ptr && scratchCount < MAX_SCRATCH) {
    store<u32>(scratch + (<usize>scratchCount << 2), <u32>ptr);
    scratchCount++;
  }
  return ptr;
}

/** Frees every scratch block still noted (after a kernel trapped); returns how many. */
export function releaseScratch(): i32 {
  const n = scratchCount;
  while (scratchCount > 0) free(<usize>load<u32>(scratch + (<usize>(scratchCount - 1) << 2)));
  return n;
}

/** Scratch blocks currently noted (0 between successful kernel calls). */
export function scratchLive(): i32 {
  return scratchCount;
}

/** `bytes` bytes, 16-byte aligned; 0 when memory cannot grow. Contents are not cleared. */
export function hostAlloc(bytes: usize): usize {
  if (heapStart == 0) {
    heapStart = (__heap_base + 15) & ~<usize>15;
    top = heapStart;
  }
  if (bytes > MAX_BYTES) return 0;
  let need = ((bytes + 15) & ~<usize>15) + HDR;
  if (need < MIN_BLOCK) need = MIN_BLOCK;
  const b = binOf(need);
  // first fit in the size class of the request, then any block of a larger class
  let h = <usize>load<u32>(bins + (<usize>b << 2));
  while (h) {
    if (sizeOf(h) >= need) {
      unlink(h);
      return take(h, need);
    }
    h = <usize>load<u32>(h, 8);
  }
  for (let i = b + 1; i < NBINS; i++) {
    h = <usize>load<u32>(bins + (<usize>i << 2));
    if (h) {
      unlink(h);
      return take(h, need);
    }
  }
  // carve from the top of the heap, growing memory when needed
  if (need > ~top) return 0;
  const end = top + need;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  h = top;
  store<u32>(h, <u32>need);
  store<u32>(h, last ? <u32>sizeOf(last) : 0, 4);
  last = h;
  top = end;
  return h + HDR;
}

/** Gives a block from alloc back (0 is ignored). */
export function free(ptr: usize): void {
  if (ptr == 0 || heapStart == 0) return;
  for (let i = scratchCount - 1; i >= 0; i--) {
    const at = scratch + (<usize>i << 2);
    if (<usize>load<u32>(at) == ptr) {
      scratchCount--;
      store<u32>(at, load<u32>(scratch + (<usize>scratchCount << 2)));
      break;
    }
  }
  // not a block of this heap (a stray pointer): ignore it rather than corrupt the free lists
  if (ptr < heapStart + HDR || ptr >= top || (ptr & 15) != 0) return;
  let h = ptr - HDR;
  if (isFree(h)) return;
  let size = sizeOf(h);
  const next = h + size;
  if (next < top && isFree(next)) {
    unlink(next);
    size += sizeOf(next);
  }
  if (h != heapStart) {
    const prev = h - <usize>load<u32>(h, 4);
    if (isFree(prev)) {
      unlink(prev);
      size += sizeOf(prev);
      h = prev;
    }
  }
  if (h + size == top) {
    top = h;
    last = h == heapStart ? 0 : h - <usize>load<u32>(h, 4);
  } else {
    link(h, size);
  }
}

/** Bytes between the start of the heap and its top (for tests of sp_free). */
export function heapTop(): usize {
  return top - heapStart;
}
