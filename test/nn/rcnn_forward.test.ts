/**
 * Mask R-CNN R50 (the real config, proposal and sampling counts cut down) run end to end on the
 * fast backend (native, else WASM) at a 64x96 input: inference through the lazy RoI feeds,
 * detections and pasted masks; one training step (RoIs sampled against a ground truth, the
 * summed loss, backward) where frozen parameters get no gradient. Skipped, with the reason,
 * when only the reference backend is available.
 */
import { Tensor } from '../../src/backend/tensor';
import { forward } from '../../src/graph/executor';
import { buildRcnnModel, initModel, type RcnnBatch } from '../../src/nn';
import { rcnnConfig, SMALL_RCNN } from './rcnn_fixture';
import { fastBackend } from '../util/fast_backend';

const fast = fastBackend('the fast-backend R-CNN run');
const d = fast ? describe : describe.skip;

const image = (be: NonNullable<typeof fast>) => Tensor.from(Float32Array.from({ length: 3 * 64 * 96 }, (_, i) => Math.sin(i * 0.37)), [1, 3, 64, 96], be);
const info = [{ height: 64, width: 96, scale: 0.5 }];

d('Mask R-CNN R50 at 64x96 on the fast backend', () => {
  test('inference: proposals as RoIs mid-forward, detections with masks in original pixels', () => {
    const cfg = rcnnConfig('mask_rcnn_r50_1x.yml', [...SMALL_RCNN, 'BBoxHead.nms.score_threshold=0', 'BBoxHead.nms.keep_top_k=2']);
    const m = buildRcnnModel(cfg, { mode: 'test', inputShape: [1, 3, 64, 96] });
    initModel(m, { seed: 1, backend: fast! });
    const img = image(fast!);
    // the raw forward: RoIs are at most test_proposal.post_nms_top_n proposals of this image
    const f = m.feeds(img, info);
    const r = forward(m.graph, f.feeds, { fetch: f.fetch });
    const R = r.outputs[m.values.rois].shape[0];
    expect(R).toBeGreaterThanOrEqual(1);
    expect(R).toBeLessThanOrEqual(6);
    expect(r.outputs[m.values.rpnCls].shape).toEqual([1, 15, 4, 6]);
    expect(r.outputs[m.values.clsScore].shape).toEqual([R, 81]);
    expect(r.outputs[m.values.bboxPred].shape).toEqual([R, 324]);
    expect(r.outputs[m.values.maskLogits!].shape).toEqual([R, 81, 14, 14]);
    expect(Array.from(r.outputs[m.values.roisBatch].toArray())).toEqual(new Array(R).fill(0));
    const rois = r.outputs[m.values.rois].toArray();
    for (let i = 0; i < R; i++) {
      expect(rois[i * 4]).toBeGreaterThanOrEqual(0);
      expect(rois[i * 4 + 2]).toBeLessThanOrEqual(95);
      expect(rois[i * 4 + 3]).toBeLessThanOrEqual(63);
    }
    expect([...Object.values(r.outputs)].every((t) => Array.from(t.toArray()).every(Number.isFinite))).toBe(true);
    const boxesOnly = m.postprocess(r.outputs, info);
    Object.values(r.outputs).forEach((t) => t.dispose());
    // detect(): the same boxes, each with a mask of the original 128x192 image
    const dets = m.detect(img, info);
    expect(dets).toHaveLength(1);
    expect(dets[0].length).toBeGreaterThan(0);
    expect(dets[0].length).toBeLessThanOrEqual(2);
    expect(dets[0].map((x) => ({ ...x, mask: undefined }))).toEqual(boxesOnly[0].map((x) => ({ ...x, mask: undefined })));
    for (const x of dets[0]) {
      expect(x.classId).toBeGreaterThanOrEqual(0);
      expect(x.classId).toBeLessThan(80);
      expect(x.box[2]).toBeLessThanOrEqual(191);
      expect(x.box[3]).toBeLessThanOrEqual(127);
      expect(x.mask).toBeInstanceOf(Uint8Array);
      expect(x.mask!.length).toBe(128 * 192);
    }
    m.dispose();
    img.dispose();
  });

  test('a training step: sampled RoIs, the five losses, gradients for trainable parameters only', () => {
    const cfg = rcnnConfig('mask_rcnn_r50_1x.yml', SMALL_RCNN);
    const m = buildRcnnModel(cfg, { mode: 'train', inputShape: [1, 3, 64, 96] });
    initModel(m, { seed: 1, backend: fast! });
    const img = image(fast!);
    const batch: RcnnBatch = { imInfo: info, gt: [{ boxes: [20, 20, 80, 70], classes: [3], polygons: [[[20, 20, 80, 20, 80, 70, 20, 70]]] }] };
    const f = m.feeds(img, info, batch);
    const r = forward(m.graph, f.feeds, { training: true, grad: true, fetch: f.fetch });
    // BBoxAssigner.batch_size_per_im 8: the gt itself is a candidate, so at least one fg RoI
    expect(r.outputs[m.values.rois].shape).toEqual([8, 4]);
    expect(r.outputs[m.values.maskLogits!].shape).toEqual([8, 81, 14, 14]);
    const l = m.loss(r.outputs, batch);
    expect(Object.keys(l.parts).sort()).toEqual(['loss_bbox', 'loss_cls', 'loss_mask', 'loss_rpn_bbox', 'loss_rpn_cls']);
    for (const v of Object.values(l.parts)) expect(v).toBeGreaterThan(0);
    expect(l.loss).toBeCloseTo(Object.values(l.parts).reduce((a, b) => a + b, 0), 6);
    expect(Object.keys(l.grads).sort()).toEqual([m.values.bboxPred, m.values.clsScore, m.values.maskLogits!, m.values.rpnBbox, m.values.rpnCls].sort());
    const g = r.tape!.backward(l.grads);
    Object.values(l.grads).forEach((t) => t.dispose());
    Object.values(r.outputs).forEach((t) => t.dispose());
    const trainable = m.graph.paramList().filter((p) => p.trainable).map((p) => p.name);
    expect([...g.params.keys()].sort()).toEqual(trainable.sort());
    expect(g.params.has('conv1_weights')).toBe(false);
    expect(g.params.has('bn3a_branch2a_scale')).toBe(false);
    // every head got a gradient signal
    for (const name of ['conv_rpn_w', 'rpn_cls_logits_b', 'rpn_bbox_pred_w', 'res4a_branch2a_weights', 'res5c_branch2c_weights', 'cls_score_b', 'bbox_pred_w', 'conv5_mask_w', 'mask_fcn_logits_b']) {
      const a = g.params.get(name)!.toArray();
      expect([name, a.some((x) => x !== 0) && a.every(Number.isFinite)]).toEqual([name, true]);
    }
    g.params.forEach((t) => t.dispose());
    // loss() needs the forward that sampled the batch's RoIs
    expect(() => m.loss(r.outputs, { ...batch })).toThrow('loss: expected a batch whose training forward ran');
    m.dispose();
    img.dispose();
  });

  test('the loss gradients through the graph match central differences (deterministic sampling)', () => {
    // use_random off: the same RoIs and anchors are sampled on every forward
    const cfg = rcnnConfig('mask_rcnn_r50_digits.yml', ['BBoxAssigner.shuffle_before_sample=false', 'RPNHead.rpn_target_assign.use_random=false']);
    const m = buildRcnnModel(cfg, { mode: 'train', inputShape: [1, 3, 64, 64] });
    initModel(m, { seed: 3, backend: fast! });
    const img = Tensor.from(Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => ((i % 64) > 20 && (i % 64) < 40 && ((i >> 6) % 64) > 16 && ((i >> 6) % 64) < 48 ? 1 : -0.5)), [1, 3, 64, 64], fast!);
    const info1 = [{ height: 64, width: 64, scale: 1 }];
    const gt = [{ boxes: [20, 16, 40, 48], classes: [3], polygons: [[[20, 16, 40, 16, 30, 48, 20, 40]]] }];
    const run = (grad: boolean) => {
      const batch: RcnnBatch = { imInfo: info1, gt };
      const f = m.feeds(img, info1, batch);
      const r = forward(m.graph, f.feeds, { training: true, grad, fetch: f.fetch });
      const l = m.loss(r.outputs, batch);
      const g = grad ? r.tape!.backward(l.grads) : null;
      Object.values(l.grads).forEach((t) => t.dispose());
      Object.values(r.outputs).forEach((t) => t.dispose());
      return { parts: l.parts, g };
    };
    const { g } = run(true);
    // each parameter against the loss terms it reaches (RoIs take no gradient, so the RPN deltas
    // are checked against the RPN terms only: through the proposals they move the RoIs too)
    const cases: Array<[string, number, string[]]> = [
      ['mask_fcn_logits_b', 3, ['loss_mask']],
      ['conv5_mask_b', 5, ['loss_mask']],
      ['cls_score_b', 0, ['loss_cls']],
      ['bbox_pred_b', 13, ['loss_bbox']],
      ['rpn_bbox_pred_b', 17, ['loss_rpn_bbox', 'loss_rpn_cls']],
    ];
    for (const [name, i, terms] of cases) {
      const p = m.graph.param(name).tensor!;
      const base = Array.from(p.toArray());
      const at = (d: number) => {
        const v = base.slice();
        v[i] += d;
        p.set(v);
        const parts = run(false).parts;
        return terms.reduce((t, k) => t + parts[k], 0);
      };
      const eps = 1e-2;
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      p.set(base);
      const analytic = g!.params.get(name)!.toArray()[i];
      expect([name, Math.abs(analytic - numeric) <= 2e-3 * Math.max(1, Math.abs(numeric))]).toEqual([name, true]);
      expect(Math.abs(analytic)).toBeGreaterThan(1e-4);
    }
    g!.params.forEach((t) => t.dispose());
    m.dispose();
    img.dispose();
  });
});
