/**
 * The default backend when it is a fast one (native or WASM), else null with the reason, printed
 * as "skipping <what>: <reason>": for suites too slow on the float64 reference.
 */
import type { Backend } from '../../src/backend/backend';
import { getBackend } from '../../src/backend/loader';

export function fastBackend(what: string): Backend<any> | null {
  let reason = '';
  try {
    const be = getBackend();
    if (be.name !== 'reference') return be;
    reason = 'only the reference backend is available';
  } catch (e) {
    reason = (e as Error).message;
  }
  console.log(`skipping ${what}: ${reason}`);
  return null;
}
