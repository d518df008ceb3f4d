/**
 * The engine's public surface: the kernel contract, backend types and loader, Tensor and the
 * validated ops. Everything above the backend (graph, layers, training) imports from here.
 */
export * from './kernels';
export type { Availability, Backend, FilterCaches, KernelFn } from './backend';
export { FilterCache, PreparedWeights } from './prepared';
export { Tensor, shapeSize, formatShape, type Shape } from './tensor';
export { getBackend, setBackend, backendByName, listBackends, availableBackends, BACKEND_NAMES } from './loader';
export * as ops from './ops';
export * from './ops';
