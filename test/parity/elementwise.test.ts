/** Parity of the elementwise cases (cases/elementwise.ts) on every available backend against the float64 reference. */
import { ELEMENTWISE_CASES } from './cases/elementwise';
import { parityFamily } from './harness';

parityFamily('elementwise', ELEMENTWISE_CASES);
