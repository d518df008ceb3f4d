/**
 * The settings of an R-CNN (FasterRCNN / MaskRCNN, C4 form) read once from its resolved config:
 * what the graph builder needs (class count, RoIAlign geometry, head widths) and what the
 * pre/post-processing around the graph needs (RPN anchors and proposals, box and mask
 * assigners, multi-class NMS), with PaddleDetection's defaults where a field is absent.
 */
import { bool, int, ModelError, num, type Component } from './common';
import { rpnConfig, type RpnConfig } from './rpn_head';
import type { NmsConfig } from './yolo_head';

export interface RoiAlignConfig {
  /** pooled side (resolution x resolution) */
  resolution: number;
  spatialScale: number;
  /** 0: adaptive, ceil(roi side / pooled side) samples per bin */
  samplingRatio: number;
}

export interface BBoxAssignerConfig {
  batchSizePerIm: number;
  fgFraction: number;
  fgThresh: number;
  bgThreshHi: number;
  bgThreshLo: number;
  bboxRegWeights: [number, number, number, number];
  shuffleBeforeSample: boolean;
}

export interface RcnnSettings {
  architecture: 'FasterRCNN' | 'MaskRCNN';
  numClasses: number;
  rpn: RpnConfig;
  roi: RoiAlignConfig;
  bboxAssigner: BBoxAssignerConfig;
  /** the box head's BoxCoder prior_box_var (decoding of bbox_pred) */
  boxVariance: [number, number, number, number];
  nms: NmsConfig;
  /** Mask R-CNN only: the mask side (MaskAssigner / MaskHead resolution) */
  maskResolution?: number;
}

/** A sub-component given inline or by name (the caller resolves names through the config tree). */
export type Resolve = (v: unknown, what: string) => Component;

function weights4(c: Component, key: string, dflt: number[]): [number, number, number, number] {
  const v = c[key] ?? dflt;
  const list = typeof v === 'number' ? [v, v, v, v] : v;
  if (!Array.isArray(list) || list.length !== 4 || !list.every((x) => typeof x === 'number' && x > 0)) {
    throw new ModelError(`${c.__type__}: expected 4 positive numbers for ${key}, got ${JSON.stringify(v)}`);
  }
  return list as [number, number, number, number];
}

export function rcnnSettings(arch: 'FasterRCNN' | 'MaskRCNN', model: Component, resolve: Resolve, globalClasses: number | undefined): RcnnSettings {
  if (model.fpn !== undefined && model.fpn !== null) throw new ModelError(`${arch}: an FPN (fpn ${JSON.stringify(model.fpn)}) is not available yet`);
  if (model.rpn_only === true) throw new ModelError(`${arch}: rpn_only is not available yet`);
  const bboxHead = resolve(model.bbox_head ?? 'BBoxHead', 'bbox_head');
  if (bboxHead.__type__ !== 'BBoxHead') throw new ModelError(`${arch}: expected BBoxHead for bbox_head, got '${bboxHead.__type__}'`);
  const numClasses = int(bboxHead, 'num_classes', globalClasses ?? 81);
  if (numClasses < 2) throw new ModelError(`BBoxHead: expected at least 2 classes (background included) for num_classes, got ${numClasses}`);
  const rpnHead = resolve(model.rpn_head ?? 'RPNHead', 'rpn_head');
  if (rpnHead.__type__ !== 'RPNHead') throw new ModelError(`${arch}: expected RPNHead for rpn_head, got '${rpnHead.__type__}'`);
  const roi = resolve(model.roi_extractor ?? 'RoIAlign', 'roi_extractor');
  if (roi.__type__ !== 'RoIAlign') throw new ModelError(`${arch}: expected RoIAlign for roi_extractor, got '${roi.__type__}'`);
  const assigner = resolve(model.bbox_assigner ?? 'BBoxAssigner', 'bbox_assigner');
  const coder = resolve(bboxHead.box_coder ?? { __type__: 'BoxCoder' }, 'box_coder');
  const nms = resolve(bboxHead.nms ?? { __type__: 'MultiClassNMS' }, 'nms');
  const s: RcnnSettings = {
    architecture: arch,
    numClasses,
    rpn: rpnConfig(rpnHead),
    roi: {
      resolution: int(roi, 'resolution', 7),
      spatialScale: num(roi, 'spatial_scale', 1 / 16),
      samplingRatio: int(roi, 'sampling_ratio', 0),
    },
    bboxAssigner: {
      batchSizePerIm: int(assigner, 'batch_size_per_im', 512),
      fgFraction: num(assigner, 'fg_fraction', 0.25),
      fgThresh: num(assigner, 'fg_thresh', 0.5),
      bgThreshHi: num(assigner, 'bg_thresh_hi', 0.5),
      bgThreshLo: num(assigner, 'bg_thresh_lo', 0),
      bboxRegWeights: weights4(assigner, 'bbox_reg_weights', [0.1, 0.1, 0.2, 0.2]),
      shuffleBeforeSample: bool(assigner, 'shuffle_before_sample', true),
    },
    boxVariance: weights4(coder, 'prior_box_var', [0.1, 0.1, 0.2, 0.2]),
    nms: {
      scoreThreshold: num(nms, 'score_threshold', 0.05),
      nmsTopK: int(nms, 'nms_top_k', -1),
      keepTopK: int(nms, 'keep_top_k', 100),
      nmsThreshold: num(nms, 'nms_threshold', 0.5),
      normalized: bool(nms, 'normalized', false),
      backgroundLabel: int(nms, 'background_label', 0),
      nmsEta: num(nms, 'nms_eta', 1),
    },
  };
  if (arch === 'MaskRCNN') {
    const ma = resolve(model.mask_assigner ?? 'MaskAssigner', 'mask_assigner');
    const mh = resolve(model.mask_head ?? 'MaskHead', 'mask_head');
    const r = int(ma, 'resolution', 14);
    const hr = int(mh, 'resolution', 14);
    if (r !== hr) throw new ModelError(`MaskHead: expected the MaskAssigner's resolution ${r} for resolution, got ${hr}`);
    s.maskResolution = r;
  }
  return s;
}
