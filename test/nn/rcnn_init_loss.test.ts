/**
 * The digits demo R-CNNs built from random weights, on one seeded synthetic batch (128x128,
 * batch 2, bright digit-sized blocks as ground truth): the first losses sit where an untrained
 * head puts them (softmax CE near ln(num_classes), RPN objectness near ln 2, small box terms,
 * a bounded mask term), and a few Momentum steps on that one batch bring the summed loss down
 * without any term blowing up. Runs on the fast backend (native, else WASM); skipped, with the
 * reason, when only the reference backend is available.
 */
import type { Backend } from '../../src/backend/backend';
import { Tensor } from '../../src/backend/tensor';
import { Rng } from '../../src/data/rng';
import { buildRcnnModel, initModel, type RcnnBatch, type RcnnModel } from '../../src/nn';
import { zeroResidualScales } from '../../src/nn/rcnn_graph';
import { MomentumOptimizer } from '../../src/train/optimizer';
import { rcnnTrainStep } from '../../src/train/rcnn_step';
import { rcnnConfig } from './rcnn_fixture';
import { fastBackend } from '../util/fast_backend';

const fast = fastBackend('the R-CNN initial-loss checks');
const d = fast ? describe : describe.skip;

const N = 2;
const S = 128;
// [x1, y1, x2, y2, class] per image: digit-sized blocks (the digits are 12 to 35 px tall)
const BOXES = [[[14, 20, 34, 50, 3], [70, 60, 92, 92, 7]], [[40, 10, 58, 38, 1], [20, 80, 44, 112, 9], [90, 30, 110, 56, 5]]];

/** Noise with each box filled by a class-dependent level, normalised like the reader's images. */
function batchImage(be: Backend<any>): Tensor {
  const rng = new Rng(11);
  const a = new Float32Array(N * 3 * S * S);
  for (let i = 0; i < a.length; i++) a[i] = (rng.random() - 0.5) * 0.4 - 1;
  BOXES.forEach((boxes, n) => {
    for (const [x1, y1, x2, y2, c] of boxes) {
      for (let ch = 0; ch < 3; ch++) for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) a[((n * 3 + ch) * S + y) * S + x] = 0.3 * c - 0.2 * ch;
    }
  });
  return Tensor.from(a, [N, 3, S, S], be);
}

function groundTruth(): RcnnBatch {
  return {
    imInfo: Array.from({ length: N }, () => ({ height: S, width: S, scale: 1 })),
    gt: BOXES.map((boxes) => ({
      boxes: boxes.flatMap(([x1, y1, x2, y2]) => [x1, y1, x2, y2]),
      classes: boxes.map((b) => b[4]),
      polygons: boxes.map(([x1, y1, x2, y2]) => [[x1, y1, x2, y1, (x1 + x2) / 2, y2, x1, y2]]),
    })),
  };
}

function build(config: string, be: Backend<any>): RcnnModel {
  const m = buildRcnnModel(rcnnConfig(config), { mode: 'train', inputShape: [N, 3, S, S] });
  initModel(m, { seed: 1, backend: be });
  return m;
}

d('digits demo R-CNNs from random weights', () => {
  test('each residual block of the trainable backbone and res5 starts as its shortcut (last norm scale 0)', () => {
    const m = buildRcnnModel(rcnnConfig('mask_rcnn_r50_digits.yml'), { mode: 'train', inputShape: [1, 3, 64, 64] });
    // res2a..c, res3a..d, res4a..f, res5a..c: 16 bottlenecks
    const zero = m.graph.paramList().filter((p) => p.init.type === 'constant' && p.init.value === 0 && p.name.endsWith('_scale')).map((p) => p.name);
    expect(zero).toHaveLength(16);
    expect(zero).toContain('bn4f_branch2c_scale');
    expect(zero).toContain('bn5c_branch2c_scale');
    expect(m.graph.param('bn5c_branch2b_scale').init).toEqual({ type: 'constant', value: 1 });
    expect(m.graph.param('bn5c_branch2c_scale').trainable).toBe(true);
    // the real config's frozen affine channels keep scale 1 (a frozen 0 would stay 0)
    const real = buildRcnnModel(rcnnConfig('faster_rcnn_r50_1x.yml'), { mode: 'train', inputShape: [1, 3, 64, 64] });
    expect(real.graph.param('bn5c_branch2c_scale').trainable).toBe(false);
    expect(zeroResidualScales(real.graph)).toEqual([]);
    expect(real.graph.param('bn4f_branch2c_scale').init).toEqual({ type: 'constant', value: 1 });
    m.dispose();
    real.dispose();
  });

  test('Faster R-CNN: first losses near an untrained head\'s values', () => {
    const m = build('faster_rcnn_r50_digits.yml', fast!);
    const img = batchImage(fast!);
    const r = rcnnTrainStep(m, img, groundTruth(), 1, 0);
    r.grads.forEach((t) => t.dispose());
    const p = r.parts;
    expect(Math.abs(p.loss_cls - Math.log(11))).toBeLessThan(0.4);
    expect(Math.abs(p.loss_rpn_cls - Math.log(2))).toBeLessThan(0.02);
    // box deltas start near 0 (N(0, 0.001) / N(0, 0.01) weights): the box terms are those of the
    // targets alone, a few tenths for RoIs with IoU >= 0.5 (fg_thresh) and anchors >= 0.7
    expect(p.loss_bbox).toBeGreaterThan(0);
    expect(p.loss_bbox).toBeLessThan(1.5);
    expect(p.loss_rpn_bbox).toBeLessThan(0.2);
    img.dispose();
    m.dispose();
  });

  test('Mask R-CNN: first losses near an untrained head\'s values; 8 Momentum steps on one batch bring the loss down', () => {
    const m = build('mask_rcnn_r50_digits.yml', fast!);
    const img = batchImage(fast!);
    const batch = groundTruth();
    const opt = MomentumOptimizer.forParams(m.graph.paramList(), { momentum: 0.9, l2: 1e-4 });
    const totals: number[] = [];
    const parts: Array<Record<string, number>> = [];
    for (let k = 0; k < 8; k++) {
      // the same samplers' seed each step: one fixed batch of RoIs and anchors to fit
      const r = rcnnTrainStep(m, img, batch, 1, 0);
      expect(r.grads.size).toBeGreaterThan(0);
      const params = new Map<string, Tensor>();
      for (const q of m.graph.paramList()) if (q.trainable && q.tensor) params.set(q.name, q.tensor);
      opt.step(params, r.grads, 0.01);
      r.grads.forEach((t) => t.dispose());
      totals.push(r.loss);
      parts.push(r.parts);
    }
    const first = parts[0];
    expect(Math.abs(first.loss_cls - Math.log(11))).toBeLessThan(0.4);
    expect(Math.abs(first.loss_rpn_cls - Math.log(2))).toBeLessThan(0.02);
    // mask_fcn_logits' MSRA init (fan_in num_classes, as PaddleDetection) gives logits of a few
    // units at first: the per-pixel sigmoid CE starts above ln 2, below 2
    expect(first.loss_mask).toBeGreaterThan(Math.log(2) - 0.05);
    expect(first.loss_mask).toBeLessThan(2);
    // no step more than 20% above the first, and the last three well below it
    for (const t of totals) expect(t).toBeLessThan(totals[0] * 1.2);
    const tail = totals.slice(-3).reduce((a, b) => a + b, 0) / 3;
    expect(tail).toBeLessThan(totals[0] * 0.6);
    const last = parts[parts.length - 1];
    expect(last.loss_cls).toBeLessThan(first.loss_cls);
    expect(last.loss_mask).toBeLessThan(first.loss_mask);
    expect(last.loss_rpn_cls).toBeLessThan(first.loss_rpn_cls);
    img.dispose();
    m.dispose();
  });
});
