/** Parity of the norm cases (cases/norm.ts) on every available backend against the float64 reference. */
import { NORM_CASES } from './cases/norm';
import { parityFamily } from './harness';

parityFamily('norm', NORM_CASES);
