/**
 * Losses. YOLOv3Loss: ignore_thresh is the IoU above which a prediction is not penalised as
 * background; label_smooth softens the class targets; downsample lists the output strides.
 */
import { table, f, shared, int, float, bool, list, either, nullable, component } from '../schema';

export const LOSSES = table('loss', {
  YOLOv3Loss: {
    train_batch_size: shared(int({ min: 1 }), 8),
    batch_size: f(int(), -1),
    ignore_thresh: f(float({ min: 0, max: 1 }), 0.7),
    label_smooth: f(bool(), true),
    use_fine_grained_loss: shared(bool(), false),
    iou_loss: f(nullable(component('loss')), null),
    iou_aware_loss: f(nullable(component('loss')), null),
    downsample: f(list(int({ min: 1 })), [32, 16, 8]),
    scale_x_y: f(either(float(), list(float())), 1),
    match_score: f(bool(), false),
  },
  SmoothL1Loss: { sigma: f(float(), 1) },
});
