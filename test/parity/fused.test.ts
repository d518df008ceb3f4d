/** Parity of the fused-kernel cases (cases/fused.ts) on every available backend against the float64 reference. */
import { FUSED_CASES } from './cases/fused';
import { parityFamily } from './harness';

parityFamily('fused', FUSED_CASES);
