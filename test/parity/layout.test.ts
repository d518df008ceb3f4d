/** Parity of the layout cases (cases/layout.ts) on every available backend against the float64 reference. */
import { LAYOUT_CASES } from './cases/layout';
import { parityFamily } from './harness';

parityFamily('layout', LAYOUT_CASES);
