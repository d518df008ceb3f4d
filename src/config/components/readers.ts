/**
 * Readers (TrainReader, EvalReader, TestReader): a dataset, per-sample then per-batch
 * transforms, and batching. inputs_def.fields orders the arrays a batch holds (null: the
 * architecture's own list); image_shape is [C, H, W] with null for a free size. num_classes
 * and use_fine_grained_loss come from the global keys, as PaddleDetection's reader factory does.
 */
import { table, f, req, shared, int, bool, str, list, nullable, component, obj, classCount } from '../schema';
import { MODEL_LIMITS } from '../limits';

const reader = {
  inputs_def: f(component('inputs'), obj('InputsDef')),
  dataset: req(component('dataset')),
  sample_transforms: f(list(component('transform')), []),
  batch_transforms: f(list(component('transform')), []),
  batch_size: f(int({ min: 1 }), 1),
  shuffle: f(bool(), false),
  drop_last: f(bool(), false),
  drop_empty: f(bool(), true),
  mixup_epoch: f(int(), -1),
  cutmix_epoch: f(int(), -1),
  class_aware_sampling: f(bool(), false),
  worker_num: f(int(), -1),
  use_process: f(bool(), false),
  bufsize: f(int(), -1),
  memsize: f(str(), '3G'),
  num_classes: shared(classCount(), 80),
  use_fine_grained_loss: shared(bool(), false),
};

export const READERS = table('reader', {
  TrainReader: reader,
  EvalReader: reader,
  TestReader: reader,
});

export const INPUTS = table('inputs', {
  InputsDef: {
    fields: f(nullable(list(str())), null),
    image_shape: f(list(nullable(int({ min: 1, max: MODEL_LIMITS.imageSide }))), [3, null, null], (s) =>
      s.length === 3 && s[0] === 3 ? undefined : '[3, H, W] (3 colour channels, as every backbone\'s first conv takes; H, W a size or null)'),
    num_max_boxes: f(int({ min: 1 }), 50),
    use_dataloader: f(bool(), true),
    iterable: f(bool(), false),
    multi_scale: f(bool(), false),
    num_scales: f(int(), -1),
    use_flip: f(nullable(bool()), null),
  },
});
