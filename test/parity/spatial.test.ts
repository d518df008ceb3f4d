/** Parity of the spatial cases (cases/spatial.ts) on every available backend against the float64 reference. */
import { SPATIAL_CASES } from './cases/spatial';
import { parityFamily } from './harness';

parityFamily('spatial', SPATIAL_CASES);
