/**
 * YOLOv3 head as PaddleDetection's static YOLOv3Head (conv_block_num 2, no drop_block /
 * coord_conv / iou_aware / spp). For output level i = 0, 1, 2 over the backbone maps from the
 * deepest (stride 32) to the shallowest, with ch = 512 >> i:
 *   input  = the map (i = 0) or concat([upsampled route, map]) along channels (i > 0)
 *   yolo_block.{i}.{j}.0: 1x1 conv to ch;  yolo_block.{i}.{j}.1: 3x3 conv to 2ch   (j = 0, 1)
 *   yolo_block.{i}.2: 1x1 to ch (the route);  yolo_block.{i}.tip: 3x3 to 2ch
 *   yolo_output.{i}: 1x1 conv to len(anchor_masks[i]) * (5 + num_classes), with bias, no norm
 *   (i < 2) yolo_transition.{i}: 1x1 conv on the route to ch / 2, then 2x nearest upsampling
 * `width_scale` (slimprune only, default 1) multiplies every width above but the outputs'.
 * Every conv except the outputs: batch norm + leaky ReLU 0.1, dotted names
 * (`yolo_block.0.0.0.conv.weights`, `.bn.scale/.offset/.mean/.var`). Raw outputs are the
 * YOLOv3Loss / yolo_box layout [N, A * (5 + C), H, W], per anchor: tx, ty, tw, th, obj, classes.
 *
 * Initialisation as Paddle's (no initializer given in the head): conv default
 * N(0, sqrt(2 / (k*k*C_in))), output bias 0. Norms and the output bias carry
 * L2Decay(norm_decay) and L2Decay(0) respectively; conv weights the optimizer's factor.
 */
import type { GraphBuilder } from '../graph/builder';
import { MODEL_LIMITS } from '../config/limits';
import { bool, convNorm, int, modelFail, num, type Component } from './common';

export interface YoloHeadConfig {
  numClasses: number;
  anchors: number[][];
  anchorMasks: number[][];
  downsample: number[];
  scaleXY: number[];
  clipBbox: boolean;
  nms: NmsConfig;
}

export interface NmsConfig {
  scoreThreshold: number;
  nmsThreshold: number;
  nmsTopK: number;
  keepTopK: number;
  backgroundLabel: number;
  normalized: boolean;
  nmsEta: number;
}

/** The head's settings from its resolved config (PaddleDetection's defaults where absent). */
export function yoloHeadConfig(c: Component, globalClasses?: number): YoloHeadConfig {
  const numClasses = (c.num_classes as number | undefined) ?? globalClasses ?? 80;
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > MODEL_LIMITS.classes) {
    modelFail(c.__type__, `an integer in [1, ${MODEL_LIMITS.classes}]`, 'num_classes', numClasses);
  }
  const anchors = (c.anchors ?? [[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90], [156, 198], [373, 326]]) as number[][];
  if (!Array.isArray(anchors) || !anchors.every((a) => Array.isArray(a) && a.length === 2 && a.every((v) => typeof v === 'number' && v > 0))) {
    modelFail(c.__type__, 'a list of [w, h] pairs', 'anchors', anchors);
  }
  const masks = (c.anchor_masks ?? [[6, 7, 8], [3, 4, 5], [0, 1, 2]]) as number[][];
  if (!Array.isArray(masks) || !masks.length || !masks.every((m) => Array.isArray(m) && m.length && m.every((i) => Number.isInteger(i) && i >= 0 && i < anchors.length))) {
    modelFail(c.__type__, `lists of anchor indices below ${anchors.length}`, 'anchor_masks', masks);
  }
  const downsample = (c.downsample ?? masks.map((_, i) => 32 >> i)) as number[];
  if (!Array.isArray(downsample) || downsample.length < masks.length) modelFail(c.__type__, `${masks.length} strides`, 'downsample', downsample);
  const sxy = c.scale_x_y ?? 1;
  const scaleXY = Array.isArray(sxy) ? (sxy as number[]) : masks.map(() => sxy as number);
  const n = (c.nms ?? {}) as Component;
  const nms: NmsConfig = {
    scoreThreshold: num(n, 'score_threshold', 0.01),
    nmsThreshold: num(n, 'nms_threshold', 0.45),
    nmsTopK: int(n, 'nms_top_k', 1000),
    keepTopK: int(n, 'keep_top_k', 100),
    backgroundLabel: int(n, 'background_label', -1),
    normalized: bool(n, 'normalized', false),
    nmsEta: num(n, 'nms_eta', 1),
  };
  return { numClasses, anchors, anchorMasks: masks, downsample, scaleXY, clipBbox: bool(c, 'clip_bbox', true), nms };
}

/** Builds the head on backbone maps (shallowest first); returns the raw outputs, deepest first. */
export function yoloV3Head(b: GraphBuilder, blocks: string[], c: Component, cfg: YoloHeadConfig): string[] {
  for (const [key, what] of [['drop_block', 'DropBlock'], ['coord_conv', 'CoordConv'], ['iou_aware', 'IoU-aware'], ['spp', 'SPP']] as const) {
    if (bool(c, key, false)) throw new Error(`YOLOv3Head: ${what} (${key}: true) is not available yet`);
  }
  const blockNum = int(c, 'conv_block_num', 2);
  if (blockNum < 0 || blockNum > MODEL_LIMITS.convBlocks) modelFail('YOLOv3Head', `an integer in [0, ${MODEL_LIMITS.convBlocks}]`, 'conv_block_num', blockNum);
  const normDecay = num(c, 'norm_decay', 0);
  const prefix = typeof c.weight_prefix_name === 'string' ? c.weight_prefix_name : '';
  const levels = cfg.anchorMasks.length;
  // slimprune-only: width_scale multiplies every head width (1 = Paddle's 512/256/128), so a
  // small backbone can carry a head of matching size for CPU training
  const widthScale = num(c, 'width_scale', 1);
  if (!(widthScale > 0 && widthScale <= 1)) modelFail('YOLOv3Head', 'a number in (0, 1]', 'width_scale', widthScale);
  const width = (n: number) => Math.max(1, Math.trunc(n * widthScale));
  if (blocks.length < levels) modelFail('YOLOv3Head', `at least ${levels} backbone outputs`, 'backbone', blocks.length);
  const unit = (x: string, name: string, out: number, k: number) =>
    convNorm(b, x, { name: prefix + name, out, k, pad: (k - 1) / 2, act: 'leaky_relu', alpha: 0.1, naming: 'dotted', norm: 'bn', normDecay });
  const maps = blocks.slice(-levels).reverse();
  const outputs: string[] = [];
  let route: string | null = null;
  maps.forEach((map, i) => {
    let x = route ? b.concat([route, map], 1, `${prefix}yolo_block.${i}.concat`) : map;
    const ch = width((64 * 2 ** levels) >> i);
    for (let j = 0; j < blockNum; j++) {
      x = unit(x, `yolo_block.${i}.${j}.0`, ch, 1);
      x = unit(x, `yolo_block.${i}.${j}.1`, ch * 2, 3);
    }
    const r = unit(x, `yolo_block.${i}.2`, ch, 1);
    const tip = unit(r, `yolo_block.${i}.tip`, ch * 2, 3);
    const name = `${prefix}yolo_output.${i}`;
    outputs.push(b.conv2d(tip, {
      name, weightName: `${name}.conv.weights`, biasName: `${name}.conv.bias`, out: cfg.anchorMasks[i].length * (5 + cfg.numClasses), k: 1, pad: 0,
      bias: true, biasParam: { decay: 'none' },
    }));
    if (i < levels - 1) {
      const t = unit(r, `yolo_transition.${i}`, width(256 >> i), 1);
      // Paddle's resize_nearest, as the head calls it, samples corner-aligned (its default)
      route = b.upsample(t, { scale: 2, mode: 'nearest', alignCorners: true, name: `${prefix}yolo_transition.${i}.upsample` });
    }
  });
  return outputs;
}
