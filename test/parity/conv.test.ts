/** Parity of the conv cases (cases/conv.ts) on every available backend against the float64 reference. */
import { CONV_CASES } from './cases/conv';
import { parityFamily } from './harness';

parityFamily('conv', CONV_CASES);
