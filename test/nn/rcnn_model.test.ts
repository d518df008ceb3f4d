/**
 * Faster / Mask R-CNN R50 built from slimprune's copies of PaddleDetection's real configs
 * (configs/faster_rcnn_r50_1x.yml, mask_rcnn_r50_1x.yml): parameter names, shapes, order,
 * trainability and initialisers as PaddleDetection's static graph has them, the settings read
 * for the pre/post-processing, and the errors of the builder.
 */
import { buildAnyModel, buildModel, buildRcnnModel, type RcnnModel } from '../../src/nn';
import { rcnnConfig } from './rcnn_fixture';

const shapeOf = (m: RcnnModel, name: string) => m.graph.param(name).shape;

describe('R-CNN R50 parameters (PaddleDetection names and shapes)', () => {
  const faster = buildRcnnModel(rcnnConfig('faster_rcnn_r50_1x.yml'), { mode: 'train' });
  const mask = buildRcnnModel(rcnnConfig('mask_rcnn_r50_1x.yml'), { mode: 'train' });

  test('Faster R-CNN: every parameter, in creation order', () => {
    const list = faster.graph.paramList();
    expect(list).toHaveLength(169);
    expect(list.reduce((t, p) => t + p.shape.reduce((a, b) => a * b, 1), 0)).toBe(33852960);
    expect(list[0].name).toBe('conv1_weights');
    const known: Record<string, number[]> = {
      conv1_weights: [64, 3, 7, 7],
      bn_conv1_scale: [64],
      bn_conv1_offset: [64],
      res2a_branch1_weights: [256, 64, 1, 1],
      res4a_branch1_weights: [1024, 512, 1, 1],
      res4f_branch2b_weights: [256, 256, 3, 3],
      res4f_branch2c_weights: [1024, 256, 1, 1],
      bn4f_branch2c_scale: [1024],
      conv_rpn_w: [1024, 1024, 3, 3],
      conv_rpn_b: [1024],
      rpn_cls_logits_w: [15, 1024, 1, 1],
      rpn_cls_logits_b: [15],
      rpn_bbox_pred_w: [60, 1024, 1, 1],
      rpn_bbox_pred_b: [60],
      res5a_branch2a_weights: [512, 1024, 1, 1],
      res5a_branch1_weights: [2048, 1024, 1, 1],
      res5c_branch2c_weights: [2048, 512, 1, 1],
      bn5c_branch2c_offset: [2048],
      cls_score_w: [2048, 81],
      cls_score_b: [81],
      bbox_pred_w: [2048, 324],
      bbox_pred_b: [324],
    };
    for (const [name, shape] of Object.entries(known)) expect([name, shapeOf(faster, name)]).toEqual([name, shape]);
    // affine_channel norms: scale and offset only; no stage 5 in the backbone beyond the head's
    expect(list.filter((p) => /_mean$|_variance$/.test(p.name))).toEqual([]);
    expect(list.filter((p) => p.name.startsWith('res5')).length).toBe(10);
    expect(faster.graph.params.has('conv5_mask_w')).toBe(false);
    expect(faster.outputs).toHaveLength(4);
  });

  test('Faster R-CNN: the head parameters come last, after res4 and the RPN', () => {
    const names = faster.graph.paramList().map((p) => p.name);
    expect(names.indexOf('conv_rpn_w')).toBeGreaterThan(names.indexOf('bn4f_branch2c_offset'));
    expect(names.indexOf('res5a_branch2a_weights')).toBeGreaterThan(names.indexOf('rpn_bbox_pred_b'));
    expect(names.slice(-4)).toEqual(['cls_score_w', 'cls_score_b', 'bbox_pred_w', 'bbox_pred_b']);
  });

  test('Mask R-CNN: the box model plus conv5_mask and mask_fcn_logits', () => {
    const list = mask.graph.paramList();
    expect(list).toHaveLength(173);
    expect(list.reduce((t, p) => t + p.shape.reduce((a, b) => a * b, 1), 0)).toBe(35971185);
    expect(list.slice(-4).map((p) => [p.name, p.shape])).toEqual([
      ['conv5_mask_w', [2048, 256, 2, 2]],
      ['conv5_mask_b', [256]],
      ['mask_fcn_logits_w', [81, 256, 1, 1]],
      ['mask_fcn_logits_b', [81]],
    ]);
    expect(mask.outputs).toHaveLength(5);
    expect(mask.graph.shapeOf(mask.values.maskLogits!)).toEqual([1, 81, 14, 14]);
  });

  test('freeze_at 2 and frozen norms: stem and res2 learn nothing, norms never, res3..res5 and heads do', () => {
    const t = (n: string) => faster.graph.param(n).trainable;
    expect([t('conv1_weights'), t('res2a_branch1_weights'), t('res2c_branch2c_weights')]).toEqual([false, false, false]);
    expect([t('res3a_branch2a_weights'), t('res4f_branch2c_weights'), t('res5c_branch2c_weights')]).toEqual([true, true, true]);
    expect([t('bn_conv1_scale'), t('bn3a_branch2a_scale'), t('bn5c_branch2c_offset')]).toEqual([false, false, false]);
    expect([t('conv_rpn_w'), t('conv_rpn_b'), t('cls_score_w'), t('bbox_pred_b')]).toEqual([true, true, true, true]);
  });

  test("initialisers and decay as PaddleDetection's heads declare them", () => {
    const p = (m: RcnnModel, n: string) => m.graph.param(n);
    expect(p(faster, 'conv_rpn_w').init).toEqual({ type: 'normal', mean: 0, std: 0.01 });
    expect(p(faster, 'rpn_cls_logits_w').init).toEqual({ type: 'normal', mean: 0, std: 0.01 });
    expect(p(faster, 'rpn_bbox_pred_w').init).toEqual({ type: 'normal', mean: 0, std: 0.01 });
    expect(p(faster, 'cls_score_w').init).toEqual({ type: 'normal', mean: 0, std: 0.01 });
    expect(p(faster, 'bbox_pred_w').init).toEqual({ type: 'normal', mean: 0, std: 0.001 });
    expect(p(mask, 'conv5_mask_w').init).toEqual({ type: 'normal', mean: 0, std: Math.sqrt(2 / (2048 * 4)) });
    expect(p(mask, 'mask_fcn_logits_w').init).toEqual({ type: 'normal', mean: 0, std: Math.sqrt(2 / 81) });
    // Paddle's conv default N(0, sqrt(2 / (k * k * C_in))) for the ResNet convs
    expect(p(faster, 'res5a_branch2b_weights').init).toEqual({ type: 'normal', mean: 0, std: Math.sqrt(2 / (9 * 512)) });
    for (const b of ['conv_rpn_b', 'rpn_cls_logits_b', 'rpn_bbox_pred_b', 'cls_score_b', 'bbox_pred_b']) {
      expect([b, p(faster, b).decay, p(faster, b).init]).toEqual([b, 'none', { type: 'constant', value: 0 }]);
    }
    expect(p(faster, 'conv_rpn_w').decay).toBe('weight');
  });

  test('settings for the pre/post-processing come from the config', () => {
    const s = mask.settings;
    expect(s.numClasses).toBe(81);
    expect(s.rpn.anchor).toEqual({ anchorSizes: [32, 64, 128, 256, 512], aspectRatios: [0.5, 1, 2], stride: [16, 16], variance: [1, 1, 1, 1] });
    expect(s.rpn.numAnchors).toBe(15);
    expect(s.rpn.trainProposal).toMatchObject({ preNmsTopN: 12000, postNmsTopN: 2000, nmsThresh: 0.7, minSize: 0 });
    expect(s.rpn.testProposal).toMatchObject({ preNmsTopN: 6000, postNmsTopN: 1000, nmsThresh: 0.7, minSize: 0 });
    expect(s.rpn.targetAssign).toEqual({ batchSizePerIm: 256, fgFraction: 0.5, positiveOverlap: 0.7, negativeOverlap: 0.3, straddleThresh: 0, useRandom: true });
    expect(s.roi).toEqual({ resolution: 14, spatialScale: 0.0625, samplingRatio: 0 });
    expect(s.bboxAssigner).toMatchObject({ batchSizePerIm: 512, fgFraction: 0.25, fgThresh: 0.5, bgThreshHi: 0.5, bgThreshLo: 0, bboxRegWeights: [0.1, 0.1, 0.2, 0.2] });
    expect(s.nms).toMatchObject({ scoreThreshold: 0.05, nmsThreshold: 0.5, keepTopK: 100 });
    expect(s.maskResolution).toBe(14);
    expect(faster.settings.maskResolution).toBeUndefined();
    // anchors of a 2 x 3 map: 15 per cell, memoised per size
    const a = mask.anchors(2, 3);
    expect(a.count).toBe(2 * 3 * 15);
    expect(mask.anchors(2, 3)).toBe(a);
  });

  test('the default input is 800x1333 and the graph runs res5 on [R, 1024, 14, 14] RoI features', () => {
    expect(faster.graph.shapeOf('image')).toEqual([1, 3, 800, 1333]);
    expect(faster.graph.shapeOf(faster.values.res4)).toEqual([1, 1024, 50, 84]);
    expect(faster.graph.shapeOf(faster.values.rpnCls)).toEqual([1, 15, 50, 84]);
    expect(faster.graph.shapeOf('roi_align')).toEqual([1, 1024, 14, 14]);
    const r = buildRcnnModel(rcnnConfig('faster_rcnn_r50_1x.yml'), { inputShape: [2, 3, 128, 192], numRois: 6 });
    expect(r.graph.shapeOf(r.values.clsScore)).toEqual([6, 81]);
    expect(r.graph.shapeOf(r.values.bboxPred)).toEqual([6, 324]);
  });

  test('buildAnyModel picks the model kind; clean errors for what is not built', () => {
    expect(buildAnyModel(rcnnConfig('faster_rcnn_r50_1x.yml')).architecture).toBe('FasterRCNN');
    expect(() => buildModel(rcnnConfig('faster_rcnn_r50_1x.yml'))).toThrow('architecture FasterRCNN: this is not available yet for R-CNN models (buildModel makes YOLOv3 models, buildRcnnModel R-CNN ones)');
    expect(() => buildRcnnModel(rcnnConfig('faster_rcnn_r50_1x.yml', ['ResNet.feature_maps=[3, 4]']))).toThrow('ResNet: expected 4 or [4] for feature_maps (an R-CNN C4 reads stage 4), got [3,4]');
    expect(() => buildRcnnModel(rcnnConfig('mask_rcnn_r50_1x.yml', ['MaskHead.resolution=28', 'MaskAssigner.resolution=28']))).toThrow('MaskHead: expected 14 (twice the res5 side of RoIAlign resolution 14) for resolution, got 28');
    expect(() => buildRcnnModel(rcnnConfig('faster_rcnn_r50_1x.yml'), { inputShape: [1, 3, 16, 16] })).toThrow('model: expected an input shape [N, 3, H, W] with N <= 1024 and 32 <= H, W');
    expect(() => buildRcnnModel(rcnnConfig('mask_rcnn_r50_1x.yml', ['MaskHead.norm_type=gn']))).toThrow('MaskHead: group normalisation (norm_type "gn") is not available yet');
  });
});
