/** Parity of the gemm cases (cases/gemm.ts) on every available backend against the float64 reference. */
import { GEMM_CASES } from './cases/gemm';
import { parityFamily } from './harness';

parityFamily('gemm', GEMM_CASES);
