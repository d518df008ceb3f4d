/** Parity of the RoIAlign cases (cases/roi_align.ts) on every available backend against the float64 reference. */
import { ROI_ALIGN_CASES } from './cases/roi_align';
import { parityFamily } from './harness';

parityFamily('roi_align', ROI_ALIGN_CASES);
