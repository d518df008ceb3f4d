/**
 * Detection heads. YOLOv3Head: anchors are [w, h] pairs in input pixels, anchor_masks pick
 * the anchors of each output level (deepest level first), nms is the post-processing of
 * eval/test graphs. The R-CNN heads mirror PaddleDetection's fields so their configs resolve.
 */
import { table, f, req, shared, int, float, bool, str, list, either, nullable, component, obj, classCount, decay, type CheckFailure, type Component } from '../schema';
import { MODEL_LIMITS } from '../limits';

export const YOLO_ANCHORS = [
  [10, 13], [16, 30], [33, 23],
  [30, 61], [62, 45], [59, 119],
  [116, 90], [156, 198], [373, 326],
];
export const YOLO_ANCHOR_MASKS = [[6, 7, 8], [3, 4, 5], [0, 1, 2]];

const rpnFields = {
  anchor_generator: f(component('op'), obj('AnchorGenerator')),
  rpn_target_assign: f(component('op'), obj('RPNTargetAssign')),
  train_proposal: f(component('op'), obj('GenerateProposals', { pre_nms_top_n: 12000, post_nms_top_n: 2000 })),
  test_proposal: f(component('op'), obj('GenerateProposals')),
};

export const HEADS = table('head', {
  YOLOv3Head: {
    conv_block_num: f(int({ min: 0, max: MODEL_LIMITS.convBlocks }), 2),
    norm_decay: f(decay(), 0),
    num_classes: shared(classCount(), 80),
    anchors: f(list(list(float({ gt: 0, max: MODEL_LIMITS.imageSide }))), YOLO_ANCHORS, (a) =>
      a.length > 0 && a.every((p) => p.length === 2) ? undefined : 'a non-empty list of [w, h] pairs'),
    anchor_masks: f(list(list(int({ min: 0 }))), YOLO_ANCHOR_MASKS),
    drop_block: f(bool(), false),
    coord_conv: f(bool(), false),
    iou_aware: f(bool(), false),
    iou_aware_factor: f(float(), 0.4),
    block_size: f(int(), 3),
    keep_prob: f(float(), 0.9),
    yolo_loss: f(component('loss'), 'YOLOv3Loss'),
    spp: f(bool(), false),
    nms: f(
      component('op'),
      obj('MultiClassNMS', { score_threshold: 0.01, nms_top_k: 1000, keep_top_k: 100, nms_threshold: 0.45, background_label: -1 }),
    ),
    weight_prefix_name: shared(str(), ''),
    downsample: f(list(int({ min: 1 })), [32, 16, 8]),
    scale_x_y: f(either(float(), list(float())), 1),
    clip_bbox: f(bool(), true),
    /** slimprune only: multiplies every head width (1 = PaddleDetection's 512/256/128) */
    width_scale: f(float({ min: 0, max: 1 }), 1),
  },
  RPNHead: { ...rpnFields, num_classes: f(classCount(), 1) },
  FPNRPNHead: {
    ...rpnFields,
    anchor_start_size: f(int(), 32),
    num_chan: f(int(), 256),
    min_level: f(int(), 2),
    max_level: f(int(), 6),
    num_classes: f(classCount(), 1),
  },
  BBoxHead: {
    head: req(component('backbone', 'head')),
    box_coder: f(component('op'), obj('BoxCoder')),
    nms: f(component('op'), obj('MultiClassNMS')),
    bbox_loss: f(component('loss'), obj('SmoothL1Loss')),
    num_classes: shared(classCount(), 81),
  },
  CascadeBBoxHead: {
    head: req(component('backbone', 'head')),
    nms: f(component('op'), obj('MultiClassNMS')),
    num_classes: shared(classCount(), 81),
  },
  TwoFCHead: { mlp_dim: f(int({ min: 1 }), 1024) },
  CascadeTwoFCHead: { mlp_dim: f(int({ min: 1 }), 1024) },
  MaskHead: {
    num_convs: f(int({ min: 0 }), 0),
    conv_dim: f(int({ min: 1 }), 256),
    resolution: f(int({ min: 1 }), 14),
    dilation: f(int({ min: 1 }), 1),
    num_classes: shared(classCount(), 81),
    norm_type: f(nullable(str(['gn'])), null),
  },
}, { checks: { YOLOv3Head: checkYoloHead } });

/** anchor_masks pick existing anchors, one non-empty list per level, and each level has a stride. */
function checkYoloHead(c: Component): CheckFailure | undefined {
  const anchors = c.anchors as number[][];
  const masks = c.anchor_masks as number[][];
  const downsample = c.downsample as number[];
  if (masks.length === 0 || masks.some((m) => m.length === 0 || m.some((i) => i >= anchors.length))) {
    return { key: 'anchor_masks', expected: `non-empty lists of anchor indices below ${anchors.length} (the number of anchors)`, got: masks };
  }
  if (downsample.length < masks.length) {
    return { key: 'downsample', expected: `a stride for each of the ${masks.length} levels of anchor_masks`, got: downsample };
  }
  return undefined;
}
