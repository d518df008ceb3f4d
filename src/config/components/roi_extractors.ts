/** RoI feature extractors of the R-CNN family (resolution = pooled size, spatial_scale = 1/stride). */
import { table, f, int, float } from '../schema';

export const ROI_EXTRACTORS = table('roi_extractor', {
  RoIAlign: {
    resolution: f(int({ min: 1 }), 7),
    spatial_scale: f(float(), 1 / 16),
    sampling_ratio: f(int({ min: 0 }), 0),
  },
  RoIPool: {
    resolution: f(int({ min: 1 }), 7),
    spatial_scale: f(float(), 1 / 16),
  },
  FPNRoIAlign: {
    sampling_ratio: f(int({ min: 0 }), 0),
    min_level: f(int(), 2),
    max_level: f(int(), 5),
    canconical_level: f(int(), 4),
    canonical_size: f(int(), 224),
    box_resolution: f(int({ min: 1 }), 7),
    mask_resolution: f(int({ min: 1 }), 14),
  },
});
