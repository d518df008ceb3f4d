/**
 * The CUDA backend: present when the addon was built with nvcc (native/cuda/) and a GPU is
 * visible. This build has no CUDA kernels yet, so it reports itself unavailable with the reason.
 */
import type { Backend } from './backend';
import { loadAddon } from './native';

export const cudaBackend: Backend<unknown> | null = null;
export function cudaUnavailableReason(): string {
  const a = loadAddon();
  if (!a) return 'the native addon is not built';
  return a.cuda ? 'no CUDA device support in this build yet' : 'the addon was built without CUDA (nvcc not found or SLIMPRUNE_CUDA=0)';
}
