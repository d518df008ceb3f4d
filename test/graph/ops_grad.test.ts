/**
 * Finite-difference gradient checks (float64 reference backend) of every op type of the graph,
 * through the executor's backward pass, in train mode (and eval mode where it differs).
 */
import { GraphBuilder } from '../../src/graph/builder';
import type { Graph } from '../../src/graph/graph';
import { OP_TYPES } from '../../src/graph/ops';
import { checkGraphGrads, randomizeParams } from './harness';

function build(f: (b: GraphBuilder) => string | string[], inputs: Record<string, number[]> = { x: [2, 3, 5, 6] }): Graph {
  const b = new GraphBuilder();
  const xs = Object.entries(inputs).map(([n, s]) => b.input(n, s));
  const out = f(b);
  b.output(...(Array.isArray(out) ? out : [out]));
  void xs;
  randomizeParams(b.graph, 3);
  return b.graph;
}

const covered = new Set<string>();
function check(name: string, types: string[], f: (b: GraphBuilder) => string | string[], opts: Parameters<typeof checkGraphGrads>[1] & { inputs2?: Record<string, number[]> } = {}) {
  types.forEach((t) => covered.add(t));
  test(name, () => {
    const g = build(f, opts.inputs2);
    const err = checkGraphGrads(g, opts);
    expect(err).toBeLessThan(opts.tol ?? 1e-6);
  });
}

describe('op gradients through the executor (reference backend)', () => {
  check('conv2d with bias, stride 2, asymmetric padding', ['conv2d'], (b) =>
    b.node('conv2d', ['x'], { id: 'c', attrs: { strides: [2, 1], paddings: [1, 0, 2, 1], dilations: [1, 1], groups: 1 },
      params: { weight: b.param('c_w', [4, 3, 3, 2], { init: { type: 'constant', value: 0 }, decay: 'weight' }), bias: b.param('c_b', [4], { init: { type: 'constant', value: 0 }, decay: 'weight' }) } })[0]);
  check('grouped dilated conv2d', ['conv2d'], (b) => b.conv2d('x', { name: 'g', out: 4, k: 3, groups: 2, dilation: 2, pad: 2 }), { inputs2: { x: [1, 4, 6, 5] } });
  check('depthwise conv2d', ['conv2d'], (b) => b.conv2d('x', { name: 'dw', out: 3, k: 3, groups: 3, stride: 2, pad: 1 }));
  check('conv2d_transpose', ['conv2d_transpose'], (b) => b.conv2dTranspose('x', { name: 't', out: 4, k: 3, stride: 2, pad: 1, bias: true, outputPadding: [1, 0] }));
  check('batch_norm, train mode', ['batch_norm'], (b) => b.batchNorm('x', { name: 'bn' }));
  check('batch_norm, eval mode', ['batch_norm'], (b) => b.batchNorm('x', { name: 'bn' }), { training: false });
  check('batch_norm with frozen statistics', ['batch_norm'], (b) => b.batchNorm('x', { name: 'bn', useGlobalStats: true }));
  check('affine_channel', ['affine_channel'], (b) => b.affineChannel('x', { name: 'ac' }));
  for (const k of ['relu', 'leaky_relu', 'relu6', 'sigmoid', 'hardswish', 'hardsigmoid'] as const) {
    // scale the input so relu6 / hardswish / hardsigmoid see every branch, away from the kinks
    check(`activation ${k}`, [k], (b) => b.act(b.node('elementwise_mul', ['x', 's'], { id: 'scaled' })[0], k, 0.1), { inputs2: { x: [2, 3, 4, 4], s: [1] }, feeds: { s: new Float64Array([5]) }, inputs: false, params: [] });
  }
  check('max pool2d', ['pool2d'], (b) => b.pool2d('x', { type: 'max', k: 3, stride: 2, pad: 1 }));
  check('avg pool2d, ceil mode, exclusive', ['pool2d'], (b) => b.pool2d('x', { type: 'avg', k: 2, stride: 2, ceilMode: true }));
  check('global avg pool2d', ['pool2d'], (b) => b.pool2d('x', { type: 'avg', global: true }));
  check('nearest upsample', ['upsample'], (b) => b.upsample('x', { scale: 2 }));
  check('bilinear upsample', ['upsample'], (b) => b.upsample('x', { size: [7, 9], mode: 'bilinear', alignCorners: true }));
  // rois (in image pixels, some across the border) and their images are fed, not differentiated: the conv's gradient crosses roi_align
  check('roi_align (rois and their images fed)', ['roi_align'], (b) => b.roiAlign(b.conv2d('x', { name: 'ra', out: 2, k: 1 }), 'rois', 'rb', { pooledH: 2, pooledW: 3, samplingRatio: 0, spatialScale: 0.5 }), {
    inputs2: { x: [2, 3, 5, 6], rois: [3, 4], rb: [3] }, inputs: false, feeds: { rois: Float64Array.of(0.5, 1, 9, 7.5, -3, 2, 6, 12, 4, 0, 14, 5), rb: Float64Array.of(1, 0, 1) },
  });
  check('elementwise add, sub, mul (same shape)', ['elementwise_add', 'elementwise_sub', 'elementwise_mul'], (b) =>
    b.mul(b.sub(b.add('x', 'y'), 'z', { name: 's' }), 'x', { name: 'm' }), { inputs2: { x: [2, 3, 2, 2], y: [2, 3, 2, 2], z: [2, 3, 2, 2] } });
  check('elementwise broadcast per channel (axis 1) and [N, C, 1, 1]', ['elementwise_add', 'elementwise_mul'], (b) =>
    b.mul(b.add('x', 'c', { axis: 1 }), 'se', { name: 'm' }), { inputs2: { x: [2, 3, 2, 2], c: [3], se: [2, 3, 1, 1] } });
  check('elementwise sub broadcast scalar', ['elementwise_sub'], (b) => b.sub('x', 's'), { inputs2: { x: [2, 3, 2, 2], s: [1] } });
  check('a value used twice (gradient accumulation)', ['elementwise_add'], (b) => b.add(b.relu('x'), b.mul('x', 'x', { name: 'sq' }), { name: 'sum' }));
  check('concat', ['concat'], (b) => b.concat(['x', b.relu('y')]), { inputs2: { x: [2, 3, 2, 2], y: [2, 2, 2, 2] } });
  check('split with an unused output', ['split'], (b) => b.split('x', [1, 2], 1).slice(0, 1).concat(b.relu(b.split('x', [2, 1], 1, 'sp2')[1])));
  check('flatten + fc', ['flatten', 'fc'], (b) => b.fc(b.flatten('x'), { name: 'fc', out: 4 }));
  check('reshape', ['reshape'], (b) => b.reshape('x', [0, -1, 3]));
  check('softmax', ['softmax'], (b) => b.softmax('x', 1));
  check('reduce_sum and mean', ['reduce_sum', 'mean'], (b) => [b.reduceSum(b.relu('x')), b.mean('x')]);

  test('every op type of the table is covered above', () => {
    expect(OP_TYPES.filter((t) => !covered.has(t))).toEqual([]);
  });
});
