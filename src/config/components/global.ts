/**
 * The global (top-level, non-section) keys of a config with their defaults. null means "not
 * set": for shared keys (num_classes, norm_type, ...) each component then keeps its own
 * default; for max_iters/metric the stage that needs them reports the omission.
 */
import { f, req, int, bool, str, list, nullable, type Fields, classCount } from '../schema';

export const GLOBAL_FIELDS = {
  architecture: req(str()),
  use_gpu: f(bool(), true),
  max_iters: f(nullable(int({ min: 0 })), null),
  log_iter: f(int({ min: 1 }), 20),
  log_smooth_window: f(int({ min: 1 }), 20),
  save_dir: f(str(), 'output'),
  snapshot_iter: f(int({ min: 1 }), 10000),
  metric: f(nullable(str(['COCO', 'VOC', 'WIDERFACE'])), null),
  map_type: f(str(['11point', 'integral']), '11point'),
  pretrain_weights: f(nullable(str()), ''),
  weights: f(nullable(str()), ''),
  finetune_exclude_pretrained_params: f(list(str()), []),
  num_classes: f(nullable(classCount()), null),
  use_fine_grained_loss: f(bool(), false),
} satisfies Fields;
