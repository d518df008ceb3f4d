/**
 * The parity cases cover the whole kernel contract: run on the reference through a recording
 * proxy, every case runs the kernels it claims, and together they run every kernel.
 */
import { KERNEL_NAMES, type KernelName } from '../../src/backend/kernels';
import { CONV_CASES } from './cases/conv';
import { ELEMENTWISE_CASES } from './cases/elementwise';
import { FUSED_CASES } from './cases/fused';
import { GEMM_CASES } from './cases/gemm';
import { LAYOUT_CASES } from './cases/layout';
import { NORM_CASES } from './cases/norm';
import { REDUCE_CASES } from './cases/reduce';
import { ROI_ALIGN_CASES } from './cases/roi_align';
import { SPATIAL_CASES } from './cases/spatial';
import { runOnReference } from './harness';

const ALL = [...CONV_CASES, ...GEMM_CASES, ...NORM_CASES, ...ELEMENTWISE_CASES, ...LAYOUT_CASES, ...SPATIAL_CASES, ...REDUCE_CASES, ...FUSED_CASES, ...ROI_ALIGN_CASES];

test('case names are unique', () => {
  const names = ALL.map((c) => c.name);
  expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
});

test('every case runs the kernels it claims, and all cases together run every kernel', () => {
  const ran = new Set<KernelName>();
  const wrong: string[] = [];
  for (const c of ALL) {
    const rec = runOnReference(c);
    for (const k of c.kernels) if (!rec.ran.has(k)) wrong.push(`${c.name}: ${k}`);
    for (const k of rec.ran) ran.add(k);
  }
  expect(wrong).toEqual([]);
  expect(KERNEL_NAMES.filter((k) => !ran.has(k))).toEqual([]);
});
