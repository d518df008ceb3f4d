/**
 * Detection architectures: the top of the model tree, named by the config's `architecture`.
 * Component fields name the sub-components (resolved through the top-level section of that
 * name, as PaddleDetection injects them). FasterRCNN and MaskRCNN build (C4 form, src/nn/rcnn_model.ts);
 * CascadeRCNN loads and resolves, but the model builder does not build it yet (`available: false`).
 */
import { table, f, req, shared, bool, component, nullable } from '../schema';

export const ARCHITECTURES = table(
  'architecture',
  {
    YOLOv3: {
      backbone: req(component('backbone')),
      yolo_head: f(component('head'), 'YOLOv3Head'),
      use_fine_grained_loss: shared(bool(), false),
    },
    FasterRCNN: {
      backbone: req(component('backbone')),
      rpn_head: req(component('head')),
      roi_extractor: req(component('roi_extractor')),
      bbox_head: f(component('head'), 'BBoxHead'),
      bbox_assigner: f(component('op'), 'BBoxAssigner'),
      rpn_only: f(bool(), false),
      fpn: f(nullable(component('neck')), null),
    },
    MaskRCNN: {
      backbone: req(component('backbone')),
      rpn_head: req(component('head')),
      bbox_head: f(component('head'), 'BBoxHead'),
      bbox_assigner: f(component('op'), 'BBoxAssigner'),
      roi_extractor: f(component('roi_extractor'), 'RoIAlign'),
      mask_assigner: f(component('op'), 'MaskAssigner'),
      mask_head: f(component('head'), 'MaskHead'),
      rpn_only: f(bool(), false),
      fpn: f(nullable(component('neck')), null),
    },
    CascadeRCNN: {
      backbone: req(component('backbone')),
      rpn_head: req(component('head')),
      roi_extractor: f(component('roi_extractor'), 'FPNRoIAlign'),
      bbox_head: f(component('head'), 'CascadeBBoxHead'),
      bbox_assigner: f(component('op'), 'CascadeBBoxAssigner'),
      rpn_only: f(bool(), false),
      fpn: f(nullable(component('neck')), 'FPN'),
    },
  },
  { unavailable: ['CascadeRCNN'] },
);

