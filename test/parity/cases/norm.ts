/**
 * Parity cases for batch norm (training forward with the running-stat update, inference,
 * backward), affine_channel forward/backward and bn_fold, over 1, 3, 4, 5, 8 and 17 channels and
 * 2-D and 4-D inputs.
 */
import * as ops from '../../../src/backend/ops';
import type { ParityCase } from '../harness';

const SHAPES: number[][] = [
  [4, 1],
  [2, 3, 5, 5],
  [3, 4, 3, 7],
  [1, 5, 9, 9],
  [2, 8, 4, 3],
  [6, 17],
  [2, 17, 3, 3],
];

const nhw = (s: number[]) => s[0] * s.slice(2).reduce((a, b) => a * b, 1);

const bnCases: ParityCase[] = SHAPES.map((s) => {
  const C = s[1];
  return {
    name: `batchNorm x=[${s.join(',')}]`,
    inputs: { x: s, dy: s, scale: [C], bias: [C], rmean: [C], rvar: { shape: [C], dist: 'positive' }, var: { shape: [C], dist: 'positive' } },
    run: (t) => {
      const tr = ops.batchNormTrain(t.x, t.scale, t.bias, t.rmean, t.rvar, { eps: 1e-5, momentum: 0.9 });
      const g = ops.batchNormBackward(t.x, t.dy, t.scale, tr.savedMean, tr.savedInvstd);
      const inf = ops.batchNormInfer(t.x, t.scale, t.bias, t.rmean, t.var, { eps: 1e-3 });
      return { y: tr.y, savedMean: tr.savedMean, savedInvstd: tr.savedInvstd, runningMean: t.rmean, runningVar: t.rvar, dx: g.dx, dscale: g.dscale, dbias: g.dbias, yInfer: inf };
    },
    reduce: nhw(s),
    kernels: ['batch_norm_train_forward', 'batch_norm_backward', 'batch_norm_infer_forward'],
  };
});

// A channel whose values sit far from zero with a tiny spread: the batch mean must be computed
// (and subtracted) accurately, or normalisation amplifies its rounding error into every output.
const bnOffsetCase: ParityCase = {
  name: 'batchNorm x=[2,3,4,4] near 37 with spread 1e-3',
  inputs: { x: { shape: [2, 3, 4, 4], dist: 'offset' }, scale: [3], bias: [3], rmean: [3], rvar: { shape: [3], dist: 'positive' } },
  run: (t) => {
    const tr = ops.batchNormTrain(t.x, t.scale, t.bias, t.rmean, t.rvar, { eps: 1e-5, momentum: 0.9 });
    return { y: tr.y, savedMean: tr.savedMean };
  },
  reduce: 32,
  kernels: ['batch_norm_train_forward'],
};

const affineCases: ParityCase[] = [[1, 3, 5, 5], [2, 17, 3, 3], [5, 8]].map((s) => ({
  name: `affineChannel x=[${s.join(',')}]`,
  inputs: { x: s, dy: s, scale: [s[1]], bias: [s[1]] },
  run: (t) => {
    const y = ops.affineChannel(t.x, t.scale, t.bias);
    const g = ops.affineChannelBackward(t.x, t.dy, t.scale);
    const onlyScale = ops.affineChannelBackward(t.x, t.dy, t.scale, { dx: false, dbias: false });
    return { y, dx: g.dx, dscale: g.dscale, dbias: g.dbias, dscaleOnly: onlyScale.dscale };
  },
  reduce: nhw(s),
  kernels: ['affine_channel_forward', 'affine_channel_backward'],
}));

const foldCases: ParityCase[] = [
  { w: [8, 3, 3, 3], bias: true },
  { w: [17, 1, 3, 3], bias: false },
  { w: [5, 33], bias: true },
].map(({ w, bias }) => {
  const OC = w[0];
  return {
    name: `bnFold w=[${w.join(',')}]${bias ? ' with bias' : ''}`,
    inputs: { w, ...(bias ? { b: [OC] } : {}), scale: [OC], offset: [OC], mean: [OC], var: { shape: [OC], dist: 'positive' } },
    run: (t) => {
      const f = ops.bnFold(t.w, t.b ?? null, t.scale, t.offset, t.mean, t.var, 1e-5);
      return { w: f.w, b: f.b };
    },
    kernels: ['bn_fold'],
  };
});

export const NORM_CASES: ParityCase[] = [...bnCases, bnOffsetCase,
  ...affineCases, ...foldCases];
