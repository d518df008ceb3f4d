/**
 * Feature pyramid necks (between backbone and heads). FPN's spatial_scale lists the strides'
 * reciprocals of the backbone levels it consumes, deepest first.
 */
import { table, f, shared, int, float, bool, str, list, nullable } from '../schema';

export const NECKS = table('neck', {
  FPN: {
    num_chan: f(int({ min: 1 }), 256),
    min_level: f(int(), 2),
    max_level: f(int(), 6),
    spatial_scale: f(list(float()), [1 / 32, 1 / 16, 1 / 8, 1 / 4]),
    has_extra_convs: f(bool(), false),
    norm_type: shared(nullable(str(['bn', 'sync_bn', 'affine_channel', 'gn'])), null),
    norm_decay: f(float(), 0),
    freeze_norm: shared(bool(), false),
    use_c5: f(bool(), true),
    reverse_out: f(bool(), false),
  },
});
