/** The algorithms between the Faster / Mask R-CNN tensors: anchors, targets, proposals, losses, NMS. */
export { anchorGenerator, type AnchorConfig, type Anchors } from './anchors';
export { gatherAnchorValues, scatterAnchorGrads, anchorMajor } from './rpn_layout';
export { encodeBoxes, decodeBoxes, clipBoxes, BBOX_CLIP, type BoxWeights, type BoxArray, type DecodeOptions } from './box_coder';
export { bboxOverlaps } from './overlaps';
export { reservoirSample } from './sampling';
export { rpnTargetAssign, type RpnTargetConfig, type RpnTargets } from './rpn_target_assign';
export { generateProposals, proposalsForImage, type ProposalConfig, type Proposals } from './generate_proposals';
export { generateProposalLabels, type BBoxAssignerConfig, type SampledRois } from './bbox_assigner';
export { rasterizePolygons } from './rasterize';
export { generateMaskLabels, expandMaskTargets, type MaskTargets } from './mask_assigner';
export {
  softmaxCrossEntropy,
  smoothL1,
  sigmoidCrossEntropy,
  rpnClsLoss,
  rpnBoxLoss,
  bboxClsLoss,
  bboxBoxLoss,
  maskLoss,
  type GradArray,
  type LossResult,
  type SigmoidCeOptions,
} from './losses';
export { multiclassNmsPerClass, bboxHeadDetections, softmaxRows, RCNN_NMS_DEFAULTS, type RcnnNmsConfig } from './multiclass_nms';
