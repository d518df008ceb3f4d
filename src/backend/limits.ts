/**
 * The engine's documented limits, shared by the TS op layer, the WASM wrappers and (mirrored in
 * C++) native/addon.cc. A call beyond any of them is refused with a RangeError before any kernel
 * touches memory.
 *
 * - MAX_DIM: every spatial or channel geometry integer (sizes, channels, kernel extents, strides,
 *   paddings, dilations) is at most 2^24. Real networks stay far below it, and it keeps products
 *   of two of them (a dilated kernel extent, a padded plane side) well inside int32 arithmetic.
 *   Flat element counts (an element-wise `n`, outer/inner extents) are bounded by MAX_ELEMS only:
 *   capping them at 2^24 would refuse real activation tensors.
 * - MAX_ELEMS: a tensor holds fewer than 2^31 elements (the kernels index with 32-bit signed
 *   integers along the innermost loops). WASM backends are further bounded by their 4 GiB memory.
 * - MAX_SCRATCH_BYTES: a single kernel's temporary buffers (column buffers, padded planes) are at
 *   most 1 GiB; a geometry needing more is refused instead of aborting in the allocator.
 */
export const MAX_DIM = 2 ** 24;
export const MAX_ELEMS = 2 ** 31 - 1;
export const MAX_SCRATCH_BYTES = 2 ** 30;
/** Largest single allocation each WASM module honours (its byte count can't wrap 32 bits). */
export const WASM_AS_MAX_ALLOC_BYTES = 0xfffe0000;
export const WASM_EM_MAX_ALLOC_BYTES = 0x7fff0000;
