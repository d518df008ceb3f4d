/**
 * infer_cfg.yml of a Faster / Mask R-CNN export: PaddleDetection's fields (arch RCNN,
 * min_subgraph_size 40, with_background true, Preprocess, label_list) plus an `RCNN` section
 * with everything that runs between and after the two ONNX files, in the config's own key names:
 *
 *   RCNN:
 *     architecture        FasterRCNN | MaskRCNN
 *     num_classes         classes of the box head, background (0) included
 *     stages              [{file, inputs, outputs}] stage 1 (image -> res4, RPN logits and
 *                         deltas) and stage 2 (res4, rois, rois_batch -> cls_prob, bbox_pred
 *                         (+ mask_prob)); rois are x1, y1, x2, y2 in input pixels, rois_batch int64
 *     anchor_generator    anchor_sizes, aspect_ratios, stride, variance
 *     test_proposal       pre_nms_top_n, post_nms_top_n, nms_thresh, min_size, eta
 *     roi_extractor       resolution, sampling_ratio, spatial_scale (what stage 2 was written with)
 *     bbox_reg_weights    box decoding of bbox_pred
 *     nms                 the box head's MultiClassNMS
 *     mask                Mask R-CNN: resolution and the paste threshold
 *     prune               the pruned convs the weights carry: master, ratio, channels, kept
 *
 * readRcnnInferCfg parses it back with the model's own readers (rpnConfig), so a hand-edited
 * file gets the same checks and messages as a config.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import type { SlimConfig } from '../config';
import type { RcnnModel } from '../nn';
import { ModelError, type Component } from '../nn/common';
import { rpnConfig, type AnchorGeneratorConfig, type ProposalConfig } from '../nn/rpn_head';
import type { RcnnNmsConfig } from '../nn/rcnn/multiclass_nms';
import type { RoiAlignConfig } from '../nn/rcnn_settings';
import type { PruneRecord } from '../prune/types';
import { ExportError } from './bn_fold';
import { inferCfgDoc } from './infer_cfg';
import { RCNN_ONNX_NAMES as N } from './rcnn_split';

export const INFER_CFG = 'infer_cfg.yml';
export const RCNN_STAGE_FILES = ['backbone_rpn.onnx', 'roi_heads.onnx'] as const;
/** Mask R-CNN's paste threshold on the mask probabilities (the model's masks() uses the same). */
export const MASK_THRESHOLD = 0.5;

/** infer_cfg.yml read back: what a runtime needs around the two ONNX files. */
export interface RcnnExportCfg {
  dir: string;
  architecture: 'FasterRCNN' | 'MaskRCNN';
  numClasses: number;
  labels: string[];
  drawThreshold: number;
  /** TestReader's per-image transforms in config form ({__type__, ...fields}) */
  preprocess: Array<Record<string, unknown>>;
  /** PadStride: pad the image's height and width up to a multiple of this (0: no padding) */
  padStride: number;
  /** stage 1 and stage 2 .onnx paths */
  stages: [string, string];
  anchor: AnchorGeneratorConfig;
  proposal: ProposalConfig;
  roi: RoiAlignConfig;
  bboxRegWeights: [number, number, number, number];
  nms: RcnnNmsConfig;
  mask?: { resolution: number; threshold: number };
  /** the pruned convs the weights carry, in pruning order */
  prune: PrunedConv[];
}

export interface PrunedConv {
  master: string;
  ratio: number;
  /** output channels before and after */
  channels: number;
  kept: number;
}

/** The text of an R-CNN export's infer_cfg.yml. */
export function rcnnInferCfgYaml(cfg: SlimConfig, model: RcnnModel, labels: string[], records: PruneRecord[]): string {
  const s = model.settings;
  const a = s.rpn.anchor, p = s.rpn.testProposal;
  const mask = s.maskResolution !== undefined;
  const doc = {
    ...inferCfgDoc(cfg, labels),
    arch: 'RCNN',
    min_subgraph_size: 40,
    with_background: true,
    RCNN: {
      architecture: s.architecture,
      num_classes: s.numClasses,
      stages: [
        { file: RCNN_STAGE_FILES[0], inputs: [N.image], outputs: [N.feature, N.rpnCls, N.rpnBbox] },
        { file: RCNN_STAGE_FILES[1], inputs: [N.feature, N.rois, N.roisBatch], outputs: [N.clsProb, N.bboxPred, ...(mask ? [N.maskProb] : [])] },
      ],
      anchor_generator: { anchor_sizes: [...a.anchorSizes], aspect_ratios: [...a.aspectRatios], stride: [...a.stride], variance: [...a.variance] },
      test_proposal: { pre_nms_top_n: p.preNmsTopN, post_nms_top_n: p.postNmsTopN, nms_thresh: p.nmsThresh, min_size: p.minSize, eta: p.eta },
      roi_extractor: { resolution: s.roi.resolution, sampling_ratio: s.roi.samplingRatio, spatial_scale: s.roi.spatialScale },
      bbox_reg_weights: [...s.bboxAssigner.bboxRegWeights],
      nms: {
        score_threshold: s.nms.scoreThreshold, nms_threshold: s.nms.nmsThreshold, nms_top_k: s.nms.nmsTopK, keep_top_k: s.nms.keepTopK,
        normalized: s.nms.normalized, background_label: s.nms.backgroundLabel, nms_eta: s.nms.nmsEta,
      },
      ...(mask ? { mask: { resolution: s.maskResolution, threshold: MASK_THRESHOLD } } : {}),
      prune: records.flatMap((r) => r.groups.map((g) => ({ master: g.master, ratio: g.ratio, channels: g.channels, kept: g.kept.length }))),
    },
  };
  return stringify(doc);
}

const PREPROCESS_TYPES: Record<string, string> = { Normalize: 'NormalizeImage', Resize: 'ResizeImage', Permute: 'Permute' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and checks `dir`/infer_cfg.yml of an R-CNN export (an ExportError naming the file and field otherwise). */
export function readRcnnInferCfg(dir: string): RcnnExportCfg {
  const file = path.join(dir, INFER_CFG);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new ExportError(`export ${dir}: expected ${INFER_CFG} (written by slimprune export), got no such file`);
  const bad = (what: string, key: string, got: unknown): never => {
    throw new ExportError(`${file}: expected ${what} for ${key}, got ${JSON.stringify(got) ?? 'nothing'}`);
  };
  let doc: unknown;
  try {
    doc = parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ExportError(`${file}: expected YAML, got a parse error (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isObj(doc)) return bad('a mapping', 'the document', doc);
  if (doc.arch !== 'RCNN') bad('RCNN (an R-CNN export)', 'arch', doc.arch);
  const r = doc.RCNN;
  if (!isObj(r)) return bad('a mapping', 'RCNN', r);
  const architecture = r.architecture;
  if (architecture !== 'FasterRCNN' && architecture !== 'MaskRCNN') return bad('FasterRCNN or MaskRCNN', 'RCNN.architecture', architecture);
  const numClasses = r.num_classes;
  if (!(typeof numClasses === 'number' && Number.isInteger(numClasses) && numClasses >= 2)) return bad('an integer >= 2 (background included)', 'RCNN.num_classes', numClasses);
  const labels = doc.label_list;
  if (!Array.isArray(labels) || labels.length !== numClasses - 1) bad(`a list of ${numClasses - 1} class names`, 'label_list', labels);
  const stages = r.stages;
  if (!Array.isArray(stages) || stages.length !== 2 || !stages.every((s) => isObj(s) && typeof s.file === 'string' && s.file && !s.file.includes('/') && !s.file.includes('\\'))) {
    bad('two stages, each {file: a file name in the export folder}', 'RCNN.stages', stages);
  }
  const files = (stages as Obj[]).map((s) => path.join(dir, s.file as string)) as [string, string];
  for (const f of files) if (!fs.existsSync(f)) throw new ExportError(`export ${dir}: expected ${path.basename(f)} (listed in ${INFER_CFG}), got no such file`);
  const drawThreshold = doc.draw_threshold ?? 0.5;
  if (typeof drawThreshold !== 'number') bad('a number', 'draw_threshold', drawThreshold);
  // the RPN sections go through the model's own reader (same checks and defaults as a config)
  let rpn;
  try {
    rpn = rpnConfig({ __type__: 'RCNN', anchor_generator: r.anchor_generator, test_proposal: r.test_proposal } as Component);
  } catch (e) {
    if (e instanceof ModelError) throw new ExportError(`${file}: ${e.message}`);
    throw e;
  }
  const roi = r.roi_extractor;
  if (!isObj(roi)) return bad('a mapping', 'RCNN.roi_extractor', roi);
  const positive = (v: unknown, key: string, integer = false): number =>
    typeof v === 'number' && v > 0 && Number.isFinite(v) && (!integer || Number.isInteger(v)) ? v : bad(integer ? 'a positive integer' : 'a positive number', key, v);
  const weights = r.bbox_reg_weights;
  if (!Array.isArray(weights) || weights.length !== 4) bad('4 positive numbers', 'RCNN.bbox_reg_weights', weights);
  (weights as unknown[]).forEach((w) => positive(w, 'RCNN.bbox_reg_weights'));
  const nms = r.nms;
  if (!isObj(nms)) return bad('a mapping', 'RCNN.nms', nms);
  const number = (v: unknown, key: string): number => (typeof v === 'number' && Number.isFinite(v) ? v : bad('a number', key, v));
  let mask: RcnnExportCfg['mask'];
  if (architecture === 'MaskRCNN') {
    if (!isObj(r.mask)) return bad('a mapping (Mask R-CNN)', 'RCNN.mask', r.mask);
    mask = { resolution: positive(r.mask.resolution, 'RCNN.mask.resolution', true), threshold: number(r.mask.threshold, 'RCNN.mask.threshold') };
  }
  const pre = doc.Preprocess;
  if (!Array.isArray(pre) || !pre.every(isObj)) return bad('a list of transforms', 'Preprocess', pre);
  let padStride = 0;
  const preprocess: Array<Record<string, unknown>> = [];
  for (const t of pre as Obj[]) {
    const { type, ...fields } = t;
    if (type === 'PadStride') {
      padStride = typeof fields.stride === 'number' && Number.isInteger(fields.stride) && fields.stride >= 0 ? fields.stride : bad('an integer >= 0', 'Preprocess PadStride.stride', fields.stride);
      continue;
    }
    const kind = typeof type === 'string' ? PREPROCESS_TYPES[type] : undefined;
    if (!kind) return bad(`one of ${[...Object.keys(PREPROCESS_TYPES), 'PadStride'].join(', ')}`, 'a Preprocess type', type);
    delete fields.image_shape;
    preprocess.push({ __type__: kind, ...fields });
  }
  return {
    dir, architecture, numClasses, labels: (labels as unknown[]).map(String), drawThreshold: drawThreshold as number, preprocess, padStride, stages: files,
    anchor: rpn.anchor, proposal: rpn.testProposal,
    roi: { resolution: positive(roi.resolution, 'RCNN.roi_extractor.resolution', true), samplingRatio: number(roi.sampling_ratio, 'RCNN.roi_extractor.sampling_ratio'), spatialScale: positive(roi.spatial_scale, 'RCNN.roi_extractor.spatial_scale') },
    bboxRegWeights: weights as [number, number, number, number],
    nms: {
      scoreThreshold: number(nms.score_threshold, 'RCNN.nms.score_threshold'), nmsThreshold: number(nms.nms_threshold, 'RCNN.nms.nms_threshold'),
      nmsTopK: number(nms.nms_top_k, 'RCNN.nms.nms_top_k'), keepTopK: number(nms.keep_top_k, 'RCNN.nms.keep_top_k'), nmsEta: number(nms.nms_eta ?? 1, 'RCNN.nms.nms_eta'),
    },
    ...(mask ? { mask } : {}),
    prune: Array.isArray(r.prune) ? (r.prune as PrunedConv[]) : [],
  };
}
