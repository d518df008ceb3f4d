/** Parity of the reduce cases (cases/reduce.ts) on every available backend against the float64 reference. */
import { REDUCE_CASES } from './cases/reduce';
import { parityFamily } from './harness';

parityFamily('reduce', REDUCE_CASES);
