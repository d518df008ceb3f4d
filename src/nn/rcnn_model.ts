/**
 * The Faster / Mask R-CNN model object buildModel returns: the one graph (rcnn_graph.ts), its
 * settings, and what training, evaluation and export need around it: anchors per feature-map
 * size, the feeds of a forward (image plus RoIs made mid-forward from the RPN's outputs) and the
 * post-processing of its raw outputs (rcnn_run.ts).
 */
import type { PreparedWeights } from '../backend/prepared';
import type { Tensor } from '../backend/tensor';
import { forward, type Feed } from '../graph/executor';
import type { Graph } from '../graph/graph';
import type { Dims } from '../graph/types';
import { MODEL_LIMITS } from '../config/limits';
import { ModelError, type Component } from './common';
import { anchorGenerator, type Anchors } from './rcnn/anchors';
import { buildRcnnGraph, type RcnnValues } from './rcnn_graph';
import { rcnnSettings, type RcnnSettings, type Resolve } from './rcnn_settings';
import { makeRcnnLoss } from './rcnn_loss';
import { makeRcnnRun, type RcnnBatch, type RcnnDetection, type RcnnImInfo, type RcnnLoss } from './rcnn_run';

export type { RcnnBatch, RcnnDetection, RcnnImInfo, RcnnLoss } from './rcnn_run';
export type { RcnnSettings } from './rcnn_settings';
export type { RcnnValues } from './rcnn_graph';

export type RcnnMode = 'train' | 'eval' | 'test';

export interface RcnnModel {
  architecture: 'FasterRCNN' | 'MaskRCNN';
  mode: RcnnMode;
  graph: Graph;
  /** the image input's value name ([N, 3, H, W]) */
  input: string;
  /** every graph input: image, rois [R, 4] (x1, y1, x2, y2 input pixels), rois_batch [R] (image index) */
  inputs: { image: string; rois: string; roisBatch: string };
  /** raw output value names: rpn_cls_logits, rpn_bbox_pred, cls_score, bbox_pred (+ mask_fcn_logits) */
  outputs: string[];
  values: RcnnValues;
  settings: RcnnSettings;
  /** anchors of a stride-16 feature map of h x w cells (memoised per size) */
  anchors(h: number, w: number): Anchors;
  /**
   * The feeds of one forward: the image, and the RoIs as a lazy feed computed from the RPN's
   * outputs (proposals; at training also sampled against `batch`'s ground truth). `fetch` lists
   * what the forward must return for loss() / postprocess().
   */
  feeds(image: Tensor, imInfo: RcnnImInfo[], batch?: RcnnBatch): { feeds: Record<string, Feed>; fetch: string[] };
  /** Detections (and Mask R-CNN masks) per image in original-image pixels, from a forward's fetched values. */
  postprocess(raw: Record<string, Tensor>, imInfo: RcnnImInfo[]): RcnnDetection[][];
  /**
   * The training loss of a forward's fetched values (the forward fed by feeds(image, imInfo,
   * batch)) and the gradients to seed its backward with.
   */
  loss(raw: Record<string, Tensor>, batch: RcnnBatch): RcnnLoss;
  /** Feeds that run given boxes (original pixels, per image) through the graph as RoIs. */
  boxFeeds(image: Tensor, imInfo: RcnnImInfo[], boxes: RcnnDetection[][]): Record<string, Feed>;
  /** Mask R-CNN: detections with masks from the mask logits of a boxFeeds forward over them. */
  masks(maskLogits: Tensor, dets: RcnnDetection[][], imInfo: RcnnImInfo[]): RcnnDetection[][];
  /**
   * Inference on a batch: one forward for the boxes, and for Mask R-CNN a second over the
   * detections as RoIs for their masks (eval mode, no gradient). `prepared`: kept filter copies
   * for a run of calls over unchanged weights (an evaluation, a folder of images); see
   * PreparedWeights.
   */
  detect(image: Tensor, imInfo: RcnnImInfo[], prepared?: PreparedWeights): RcnnDetection[][];
  dispose(): void;
  [Symbol.dispose](): void;
}

/** The default input: the readers' ResizeImage target 800, max 1333. */
export const RCNN_INPUT_SHAPE: Dims = [1, 3, 800, 1333];

export function buildRcnn(arch: 'FasterRCNN' | 'MaskRCNN', model: Component, resolve: Resolve, globalClasses: number | undefined, opts: { mode?: RcnnMode; inputShape?: Dims; numRois?: number; seed?: number }): RcnnModel {
  const mode = opts.mode ?? 'train';
  const s = rcnnSettings(arch, model, resolve, globalClasses);
  const shape = opts.inputShape ?? RCNN_INPUT_SHAPE;
  if (shape.length !== 4 || shape[1] !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0) || shape[0] > 1024 || shape[2] > MODEL_LIMITS.imageSide || shape[3] > MODEL_LIMITS.imageSide || Math.min(shape[2], shape[3]) < 32) {
    throw new ModelError(`model: expected an input shape [N, 3, H, W] with N <= 1024 and 32 <= H, W <= ${MODEL_LIMITS.imageSide} for inputShape, got ${JSON.stringify(shape)}`);
  }
  const bboxHead = resolve(model.bbox_head ?? 'BBoxHead', 'bbox_head');
  const parts = {
    backbone: resolve(model.backbone, 'backbone'),
    c5: resolve(bboxHead.head ?? 'ResNetC5', 'BBoxHead.head'),
    ...(arch === 'MaskRCNN' ? { maskHead: resolve(model.mask_head ?? 'MaskHead', 'mask_head') } : {}),
  };
  if (parts.backbone.__type__ !== 'ResNet') throw new ModelError(`model: expected ResNet for backbone, got '${parts.backbone.__type__}'`);
  const { b, values } = buildRcnnGraph(s, parts, shape, opts.numRois ?? 1);
  const graph = b.graph;
  const cache = new Map<string, Anchors>();
  const anchors = (h: number, w: number): Anchors => {
    const key = `${h}x${w}`;
    let a = cache.get(key);
    if (!a) {
      const { anchorSizes, aspectRatios, stride, variance } = s.rpn.anchor;
      a = anchorGenerator(h, w, { anchorSizes, aspectRatios, stride, variance });
      cache.set(key, a);
    }
    return a;
  };
  const seed = opts.seed ?? 0;
  const run = makeRcnnRun(graph, s, values, mode, anchors, seed);
  const loss = makeRcnnLoss(s, values, anchors, run.sampled, seed);
  const detect = (image: Tensor, imInfo: RcnnImInfo[], prepared?: PreparedWeights): RcnnDetection[][] => {
    const f = run.feeds(image, imInfo);
    const first = forward(graph, f.feeds, { fetch: [values.clsScore, values.bboxPred, values.rois, values.roisBatch], prepared });
    let dets: RcnnDetection[][];
    try {
      dets = run.postprocess(first.outputs, imInfo);
    } finally {
      Object.values(first.outputs).forEach((t) => t.dispose());
    }
    if (!values.maskLogits) return dets;
    const feeds = run.boxFeeds(image, imInfo, dets);
    const second = forward(graph, feeds, { fetch: [values.maskLogits], prepared });
    try {
      return run.masks(second.outputs[values.maskLogits], dets, imInfo);
    } finally {
      second.outputs[values.maskLogits].dispose();
      (feeds[values.rois] as Tensor).dispose();
      (feeds[values.roisBatch] as Tensor).dispose();
    }
  };
  return {
    architecture: arch, mode, graph, input: values.image,
    inputs: { image: values.image, rois: values.rois, roisBatch: values.roisBatch },
    outputs: [...graph.outputs], values, settings: s, anchors,
    feeds: run.feeds, postprocess: run.postprocess, loss, boxFeeds: run.boxFeeds, masks: run.masks, detect,
    dispose: () => graph.dispose(),
    [Symbol.dispose]: () => graph.dispose(),
  };
}
