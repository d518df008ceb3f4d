/**
 * Backbones with PaddleDetection's defaults. MobileNet's conv_group_scale is the width
 * multiplier (every channel count times it); ResNet's feature_maps lists the stages returned
 * (2..5; a lone integer means that one stage), freeze_at the last frozen stage. ResNetC5 is
 * the stage-5 head that R-CNN's BBoxHead runs on pooled RoI features.
 */
import { table, f, shared, int, float, bool, str, list, listOrOne, map, decay } from '../schema';
import { MODEL_LIMITS } from '../limits';

const NORM = ['bn', 'sync_bn', 'affine_channel'] as const;
const RESNET_DEPTHS = [18, 34, 50, 101, 152, 200];

export const BACKBONES = table('backbone', {
  MobileNet: {
    norm_type: shared(str(['bn', 'sync_bn']), 'bn'),
    norm_decay: f(decay(), 0),
    conv_decay: f(decay(), 0),
    conv_group_scale: f(float({ gt: 0, max: MODEL_LIMITS.widthScale }), 1),
    conv_learning_rate: f(float(), 1),
    with_extra_blocks: f(bool(), false),
    extra_block_filters: f(list(list(int())), [[256, 512], [128, 256], [128, 256], [64, 128]]),
    weight_prefix_name: shared(str(), ''),
  },
  DarkNet: {
    depth: f(int({ oneOf: [53] }), 53),
    norm_type: shared(str(['bn', 'sync_bn']), 'bn'),
    norm_decay: f(decay(), 0),
    weight_prefix_name: shared(str(), ''),
  },
  ResNet: {
    depth: f(int({ oneOf: RESNET_DEPTHS }), 50),
    freeze_at: f(int({ min: 0, max: 4 }), 2),
    norm_type: shared(str(NORM), 'affine_channel'),
    freeze_norm: shared(bool(), true),
    norm_decay: f(decay(), 0),
    variant: f(str(['a', 'b', 'c', 'd']), 'b'),
    feature_maps: f(listOrOne(int({ min: 2, max: 5 })), [2, 3, 4, 5]),
    dcn_v2_stages: f(list(int()), []),
    weight_prefix_name: shared(str(), ''),
    nonlocal_stages: f(list(int()), []),
    gcb_stages: f(list(int()), []),
    gcb_params: f(map(), {}),
    lr_mult_list: f(list(float()), [1, 1, 1, 1]),
  },
  ResNetC5: {
    depth: f(int({ oneOf: RESNET_DEPTHS }), 50),
    freeze_at: f(int({ min: 0, max: 4 }), 2),
    norm_type: shared(str(NORM), 'affine_channel'),
    freeze_norm: shared(bool(), true),
    norm_decay: f(decay(), 0),
    variant: f(str(['a', 'b', 'c', 'd']), 'b'),
    feature_maps: f(listOrOne(int({ min: 2, max: 5 })), [5]),
    weight_prefix_name: shared(str(), ''),
  },
});
