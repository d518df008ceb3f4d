// slimprune's AssemblyScript backend (wasm-as): every kernel of src/backend/kernels.ts under
// its contract name, plus the allocator the host uses for tensors. Buffers are byte pointers
// into this module's memory (0 for an absent optional buffer), then a pointer to the int32
// geometry p, then the float attributes. After a kernel traps the host calls
// sp_scratch_release to free the scratch the kernel could not free itself. Built by scripts/build-wasm-as.js.
export {
  hostAlloc as sp_alloc,
  free as sp_free,
  heapTop as sp_heap_top,
  releaseScratch as sp_scratch_release,
  scratchLive as sp_scratch_live,
} from './mem';
export { gemm } from './gemm';
export { conv2d_forward } from './conv2d_forward';
export { conv2d_backward_input } from './conv2d_backward_input';
export { conv2d_backward_filter } from './conv2d_backward_filter';
export { batch_norm_train_forward } from './batch_norm_train_forward';
export { batch_norm_infer_forward } from './batch_norm_infer_forward';
export { batch_norm_backward } from './batch_norm_backward';
export { affine_channel_forward } from './affine_channel_forward';
export { affine_channel_backward } from './affine_channel_backward';
export { bn_fold } from './bn_fold';
export { gather_axis } from './gather_axis';
export { scatter_add_axis } from './scatter_add_axis';
export { activation_forward } from './activation_forward';
export { activation_backward } from './activation_backward';
export { pool2d_forward } from './pool2d_forward';
export { pool2d_backward } from './pool2d_backward';
export { upsample_forward } from './upsample_forward';
export { upsample_backward } from './upsample_backward';
export { binary_forward } from './binary_forward';
export { binary_backward } from './binary_backward';
export { channel_copy } from './channel_copy';
export { sgd_momentum } from './sgd_momentum';
export { reduce_sum } from './reduce_sum';
export { softmax_forward } from './softmax_forward';
export { softmax_backward } from './softmax_backward';
export { sigmoid_bce_forward } from './sigmoid_bce_forward';
export { sigmoid_bce_backward } from './sigmoid_bce_backward';
export { axpy } from './axpy';
export { roi_align_forward } from './roi_align_forward';
export { roi_align_backward } from './roi_align_backward';
export { conv2d_act_forward } from './conv2d_act_forward';
export { dwpw_act_forward } from './dwpw_act_forward';
export { batch_norm_act_train_forward } from './batch_norm_act_train_forward';
export { batch_norm_act_backward } from './batch_norm_act_backward';
