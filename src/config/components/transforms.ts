/**
 * Sample and batch transforms of the readers, with PaddleDetection's defaults. Images are
 * HWC RGB uint8 after DecodeImage; NormalizeImage scales to [0,1] (is_scale) then subtracts
 * mean and divides by std per channel; Permute makes CHW. RandomShape picks one size per batch.
 * Gt2YoloTarget is dropped by the reader unless use_fine_grained_loss is on.
 */
import { table, f, req, int, float, bool, list, either, nullable, classCount } from '../schema';

const range3 = list(float());

export const TRANSFORMS = table('transform', {
  DecodeImage: {
    to_rgb: f(bool(), true),
    with_mixup: f(bool(), false),
    with_cutmix: f(bool(), false),
    with_mosaic: f(bool(), false),
  },
  MixupImage: { alpha: f(float({ min: 0 }), 1.5), beta: f(float({ min: 0 }), 1.5) },
  ColorDistort: {
    hue: f(range3, [-18, 18, 0.5]),
    saturation: f(range3, [0.5, 1.5, 0.5]),
    contrast: f(range3, [0.5, 1.5, 0.5]),
    brightness: f(range3, [0.5, 1.5, 0.5]),
    random_apply: f(bool(), true),
    hsv_format: f(bool(), false),
    random_channel: f(bool(), false),
  },
  RandomExpand: {
    ratio: f(float({ min: 1 }), 4),
    prob: f(float({ min: 0, max: 1 }), 0.5),
    fill_value: f(either(float(), list(float())), [127.5, 127.5, 127.5]),
    is_mask_expand: f(bool(), false),
  },
  RandomCrop: {
    aspect_ratio: f(nullable(list(float())), [0.5, 2]),
    thresholds: f(list(float()), [0, 0.1, 0.3, 0.5, 0.7, 0.9]),
    scaling: f(list(float()), [0.3, 1]),
    num_attempts: f(int({ min: 1 }), 50),
    allow_no_crop: f(bool(), true),
    cover_all_box: f(bool(), false),
    is_mask_crop: f(bool(), false),
  },
  RandomFlipImage: {
    prob: f(float({ min: 0, max: 1 }), 0.5),
    is_normalized: f(bool(), false),
    is_mask_flip: f(bool(), false),
  },
  NormalizeBox: {},
  PadBox: { num_max_boxes: f(int({ min: 1 }), 50) },
  BboxXYXY2XYWH: {},
  ResizeImage: {
    target_size: f(either(int({ min: 0 }), list(int({ min: 1 }))), 0),
    max_size: f(int({ min: 0 }), 0),
    interp: f(int({ min: -1, max: 4 }), 1),
    use_cv2: f(bool(), true),
    resize_box: f(bool(), false),
  },
  NormalizeImage: {
    mean: f(list(float()), [0.485, 0.456, 0.406]),
    std: f(list(float()), [1, 1, 1]),
    is_scale: f(bool(), true),
    is_channel_first: f(bool(), true),
  },
  Permute: { to_bgr: f(bool(), true), channel_first: f(bool(), true) },
  RandomShape: {
    sizes: f(list(int({ min: 1 })), []),
    random_inter: f(bool(), false),
    resize_box: f(bool(), false),
  },
  PadBatch: {
    pad_to_stride: f(int(), 0),
    use_padded_im_info: f(bool(), true),
    pad_gt: f(bool(), false),
  },
  Gt2YoloTarget: {
    anchors: req(list(list(float()))),
    anchor_masks: req(list(list(int({ min: 0 })))),
    downsample_ratios: req(list(int({ min: 1 }))),
    num_classes: f(classCount(), 80),
    iou_thresh: f(float(), 1),
  },
});
