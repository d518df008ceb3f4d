/**
 * R-CNN's RPN head on the stride-16 feature map (PaddleDetection's RPNHead, C4 form):
 *   conv_rpn        3x3, as many filters as the map has channels, bias, relu   N(0, 0.01)
 *   rpn_cls_logits  1x1, A filters (one objectness logit per anchor)          N(0, 0.01)
 *   rpn_bbox_pred   1x1, 4A filters (dx, dy, dw, dh per anchor)              N(0, 0.01)
 * where A = |anchor_sizes| * |aspect_ratios|. Biases start at 0 and take no L2 decay (Paddle gives
 * them learning rate 2, which is not modelled: every parameter learns at the base rate).
 * The anchor generator, target assignment and proposal settings are read here and handed to the
 * model's pre/post-processing; the graph holds only the convs.
 */
import type { GraphBuilder } from '../graph/builder';
import { constant } from '../graph/init';
import { ModelError, type Component } from './common';

export interface AnchorGeneratorConfig {
  anchorSizes: number[];
  aspectRatios: number[];
  /** [x, y] in input pixels */
  stride: [number, number];
  variance: [number, number, number, number];
}

export interface ProposalConfig {
  preNmsTopN: number;
  postNmsTopN: number;
  nmsThresh: number;
  minSize: number;
  eta: number;
}

export interface RpnTargetConfig {
  batchSizePerIm: number;
  fgFraction: number;
  positiveOverlap: number;
  negativeOverlap: number;
  straddleThresh: number;
  useRandom: boolean;
}

export interface RpnConfig {
  anchor: AnchorGeneratorConfig;
  numAnchors: number;
  targetAssign: RpnTargetConfig;
  trainProposal: ProposalConfig;
  testProposal: ProposalConfig;
}

export interface RpnOutputs {
  /** [N, A, H, W] objectness logits */
  cls: string;
  /** [N, 4A, H, W] box deltas */
  bbox: string;
}

type Section = Record<string, unknown>;

function section(c: Component, key: string): Section {
  const v = c[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ModelError(`${c.__type__}: expected a section for ${key}, got ${JSON.stringify(v)}`);
  return v as Section;
}

function numbers(where: string, s: Section, key: string, dflt: number[], len?: number): number[] {
  const v = s[key] ?? dflt;
  if (!Array.isArray(v) || !v.length || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0) || (len !== undefined && v.length !== len)) {
    throw new ModelError(`${where}: expected ${len ?? 'a non-empty list of'} positive numbers for ${key}, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

function number(where: string, s: Section, key: string, dflt: number): number {
  const v = s[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelError(`${where}: expected a number for ${key}, got ${JSON.stringify(v)}`);
  return v;
}

function proposal(s: Section, where: string, dflt: { pre: number; post: number }): ProposalConfig {
  return {
    preNmsTopN: number(where, s, 'pre_nms_top_n', dflt.pre),
    postNmsTopN: number(where, s, 'post_nms_top_n', dflt.post),
    nmsThresh: number(where, s, 'nms_thresh', 0.5),
    minSize: number(where, s, 'min_size', 0.1),
    eta: number(where, s, 'eta', 1),
  };
}

/** The RPN settings of an RPNHead component (PaddleDetection's defaults where absent). */
export function rpnConfig(c: Component): RpnConfig {
  const ag = section(c, 'anchor_generator');
  const where = `${c.__type__}.anchor_generator`;
  const anchor: AnchorGeneratorConfig = {
    anchorSizes: numbers(where, ag, 'anchor_sizes', [32, 64, 128, 256, 512]),
    aspectRatios: numbers(where, ag, 'aspect_ratios', [0.5, 1, 2]),
    stride: numbers(where, ag, 'stride', [16, 16], 2) as [number, number],
    variance: numbers(where, ag, 'variance', [1, 1, 1, 1], 4) as [number, number, number, number],
  };
  const ta = section(c, 'rpn_target_assign');
  const tw = `${c.__type__}.rpn_target_assign`;
  const useRandom = ta.use_random ?? true;
  if (typeof useRandom !== 'boolean') throw new ModelError(`${tw}: expected true or false for use_random, got ${JSON.stringify(useRandom)}`);
  return {
    anchor,
    numAnchors: anchor.anchorSizes.length * anchor.aspectRatios.length,
    targetAssign: {
      batchSizePerIm: number(tw, ta, 'rpn_batch_size_per_im', 256),
      fgFraction: number(tw, ta, 'rpn_fg_fraction', 0.5),
      positiveOverlap: number(tw, ta, 'rpn_positive_overlap', 0.7),
      negativeOverlap: number(tw, ta, 'rpn_negative_overlap', 0.3),
      straddleThresh: number(tw, ta, 'rpn_straddle_thresh', 0),
      useRandom,
    },
    trainProposal: proposal(section(c, 'train_proposal'), `${c.__type__}.train_proposal`, { pre: 12000, post: 2000 }),
    testProposal: proposal(section(c, 'test_proposal'), `${c.__type__}.test_proposal`, { pre: 6000, post: 1000 }),
  };
}

/** The three convs of the RPN on `feat` ([N, C, H, W], stride 16). */
export function rpnHead(b: GraphBuilder, feat: string, cfg: RpnConfig): RpnOutputs {
  const normal = { init: { type: 'normal' as const, mean: 0, std: 0.01 } };
  const bias = { init: constant(0), decay: 'none' as const };
  const ch = b.channels(feat);
  const conv = b.conv2d(feat, {
    name: 'conv_rpn', weightName: 'conv_rpn_w', biasName: 'conv_rpn_b', out: ch, k: 3, pad: 1, bias: true, weight: normal, biasParam: bias, act: 'relu',
  });
  const A = cfg.numAnchors;
  const cls = b.conv2d(conv, {
    name: 'rpn_cls_score', weightName: 'rpn_cls_logits_w', biasName: 'rpn_cls_logits_b', out: A, k: 1, pad: 0, bias: true, weight: normal, biasParam: bias,
  });
  const bbox = b.conv2d(conv, {
    name: 'rpn_bbox_pred', weightName: 'rpn_bbox_pred_w', biasName: 'rpn_bbox_pred_b', out: 4 * A, k: 1, pad: 0, bias: true, weight: normal, biasParam: bias,
  });
  return { cls, bbox };
}
