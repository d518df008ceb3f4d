/**
 * Picks the backend: SLIMPRUNE_BACKEND=<name> when set, else the first available of
 * cuda > native > wasm-as > wasm-em > reference (of the two WASM backends, the AssemblyScript one
 * measures faster on conv layers and on a whole YOLOv3 step: bench/RESULTS.md). When it falls back it says why, once, on stderr
 * (SLIMPRUNE_QUIET=1 silences it). One new backend is one more line in BACKENDS.
 */
import type { Backend } from './backend';

/** load returns the backend object, or a string saying why this package has none. */
type Entry = { name: string; load: () => Backend<any> | string };

// Lazy: a backend's module is only required when it is considered.
const BACKENDS: Entry[] = [
  { name: 'cuda', load: () => require('./cuda').cudaBackend ?? require('./cuda').cudaUnavailableReason() },
  { name: 'native', load: () => require('./native').nativeBackend },
  { name: 'wasm-as', load: () => require('./wasm_as').wasmAsBackend },
  { name: 'wasm-em', load: () => require('./wasm_em').wasmEmBackend },
  { name: 'reference', load: () => require('./reference').referenceBackend },
];

export const BACKEND_NAMES = BACKENDS.map((b) => b.name);

function tryLoad(e: Entry): { backend?: Backend<any>; reason?: string } {
  let b: Backend<any> | string;
  try {
    b = e.load();
  } catch (err) {
    return { reason: `not built into this package (${(err as Error).message.split('\n')[0]})` };
  }
  if (typeof b === 'string') return { reason: b };
  const a = b.available();
  return a.ok ? { backend: b } : { reason: a.reason };
}

/** The named backend; throws with the reason when it cannot run here. */
export function backendByName(name: string): Backend<any> {
  const e = BACKENDS.find((x) => x.name === name);
  if (!e) throw new Error(`backend: expected one of ${BACKEND_NAMES.join(', ')}, got '${name}'`);
  const r = tryLoad(e);
  if (!r.backend) throw new Error(`backend: '${name}' is not available: ${r.reason}`);
  return r.backend;
}

/** Every backend with whether it runs here and why not. */
export function listBackends(): Array<{ name: string; available: boolean; reason?: string }> {
  return BACKENDS.map((e) => {
    const r = tryLoad(e);
    return { name: e.name, available: !!r.backend, reason: r.reason };
  });
}

/** The backends that run here, best first. */
export function availableBackends(): Backend<any>[] {
  return BACKENDS.map(tryLoad).flatMap((r) => (r.backend ? [r.backend] : []));
}

let current: Backend<any> | undefined;

export function getBackend(): Backend<any> {
  if (current) return current;
  const forced = process.env.SLIMPRUNE_BACKEND;
  if (forced) {
    current = backendByName(forced);
    return current;
  }
  const skipped: string[] = [];
  for (const e of BACKENDS) {
    const r = tryLoad(e);
    if (r.backend) {
      current = r.backend;
      if (skipped.length && e.name !== 'native' && process.env.SLIMPRUNE_QUIET !== '1') {
        process.stderr.write(`slimprune: using the ${e.name} backend (${skipped.join('; ')})\n`);
      }
      return current;
    }
    skipped.push(`${e.name}: ${r.reason}`);
  }
  throw new Error(`backend: none available (${skipped.join('; ')})`);
}

/** Selects the default backend for new tensors (by name or object). */
export function setBackend(b: string | Backend<any>): Backend<any> {
  current = typeof b === 'string' ? backendByName(b) : b;
  return current;
}
