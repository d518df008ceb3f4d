/**
 * Detection operators configured by heads and architectures: NMS, anchor generation,
 * target assignment, proposal generation, box coding. A head's `nms: {...}` mapping is laid
 * over that head's default NMS (YOLOv3Head's has background_label -1), not over the bare
 * MultiClassNMS defaults below (see resolve.ts).
 */
import { table, f, shared, int, float, bool, str, list, either, classCount } from '../schema';

export const OPS = table('op', {
  MultiClassNMS: {
    score_threshold: f(float(), 0.05),
    nms_top_k: f(int(), -1),
    keep_top_k: f(int(), 100),
    nms_threshold: f(float({ min: 0, max: 1 }), 0.5),
    normalized: f(bool(), false),
    nms_eta: f(float(), 1),
    background_label: f(int({ min: -1 }), 0),
  },
  AnchorGenerator: {
    stride: f(list(float()), [16, 16]),
    anchor_sizes: f(list(float()), [32, 64, 128, 256, 512]),
    aspect_ratios: f(list(float()), [0.5, 1, 2]),
    variance: f(list(float()), [1, 1, 1, 1]),
  },
  RPNTargetAssign: {
    rpn_batch_size_per_im: f(int({ min: 1 }), 256),
    rpn_straddle_thresh: f(float(), 0),
    rpn_fg_fraction: f(float({ min: 0, max: 1 }), 0.5),
    rpn_positive_overlap: f(float({ min: 0, max: 1 }), 0.7),
    rpn_negative_overlap: f(float({ min: 0, max: 1 }), 0.3),
    use_random: f(bool(), true),
  },
  GenerateProposals: {
    pre_nms_top_n: f(int(), 6000),
    post_nms_top_n: f(int(), 1000),
    nms_thresh: f(float({ min: 0, max: 1 }), 0.5),
    min_size: f(float({ min: 0 }), 0.1),
    eta: f(float(), 1),
  },
  BBoxAssigner: {
    batch_size_per_im: f(int({ min: 1 }), 512),
    fg_fraction: f(float({ min: 0, max: 1 }), 0.25),
    fg_thresh: f(float(), 0.5),
    bg_thresh_hi: f(float(), 0.5),
    bg_thresh_lo: f(float(), 0),
    bbox_reg_weights: f(list(float()), [0.1, 0.1, 0.2, 0.2]),
    num_classes: shared(classCount(), 81),
    shuffle_before_sample: f(bool(), true),
  },
  CascadeBBoxAssigner: {
    batch_size_per_im: f(int({ min: 1 }), 512),
    fg_fraction: f(float({ min: 0, max: 1 }), 0.25),
    fg_thresh: f(list(float()), [0.5, 0.6, 0.7]),
    bg_thresh_hi: f(list(float()), [0.5, 0.6, 0.7]),
    bg_thresh_lo: f(list(float()), [0, 0, 0]),
    bbox_reg_weights: f(list(float()), [10, 20, 30]),
    shuffle_before_sample: f(bool(), true),
    num_classes: shared(classCount(), 81),
    class_aware: f(bool(), false),
  },
  MaskAssigner: {
    num_classes: shared(classCount(), 81),
    resolution: f(int({ min: 1 }), 14),
  },
  BoxCoder: {
    prior_box_var: f(either(list(float()), float()), [0.1, 0.1, 0.2, 0.2]),
    code_type: f(str(['encode_center_size', 'decode_center_size']), 'decode_center_size'),
    box_normalized: f(bool(), false),
    axis: f(int(), 1),
  },
});
