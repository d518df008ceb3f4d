/**
 * Transforms by config name. One entry per PaddleDetection operator the readers use; a name
 * not listed here is refused when the reader is built, naming the ones that are.
 * Gt2YoloTarget is dropped by the reader unless use_fine_grained_loss (PaddleDetection does
 * the same), and is refused then: the YOLOv3 loss here takes the padded boxes directly.
 */
import type { Op, OpConfig } from './op';
import { mixupImage } from './mixup';
import { colorDistort } from './color_distort';
import { randomExpand } from './random_expand';
import { randomCrop } from './random_crop';
import { randomFlip } from './random_flip';
import { normalizeBox, padBox, bboxXyxy2Xywh } from './boxes';
import { resizeImageOp } from './resize_image';
import { normalizeImage } from './normalize_image';
import { permute } from './permute';
import { randomShape } from './random_shape';
import { padBatch } from './pad_batch';
import { bool } from './op';

export type { Op, OpConfig, SampleOp, BatchOp, DecodeOp } from './op';

const BUILDERS: Record<string, (cfg: OpConfig) => Op> = {
  DecodeImage: (cfg) => {
    for (const k of ['with_cutmix', 'with_mosaic']) if (cfg[k] === true) throw new Error(`DecodeImage: ${k}: true is not supported`);
    return { kind: 'decode', name: 'DecodeImage', toRgb: bool(cfg, 'to_rgb'), withMixup: bool(cfg, 'with_mixup') };
  },
  MixupImage: mixupImage,
  ColorDistort: colorDistort,
  RandomExpand: randomExpand,
  RandomCrop: randomCrop,
  RandomFlipImage: randomFlip,
  NormalizeBox: normalizeBox,
  PadBox: padBox,
  BboxXYXY2XYWH: bboxXyxy2Xywh,
  ResizeImage: resizeImageOp,
  NormalizeImage: normalizeImage,
  Permute: permute,
  RandomShape: randomShape,
  PadBatch: padBatch,
};

export const SUPPORTED_TRANSFORMS = Object.keys(BUILDERS);

/** Builds one transform from its resolved config. */
export function buildTransform(cfg: OpConfig): Op {
  const b = BUILDERS[cfg.__type__];
  if (!b) throw new Error(`transform ${cfg.__type__} is not supported by the reader (supported: ${SUPPORTED_TRANSFORMS.join(', ')})`);
  return b(cfg);
}

export interface TransformLists {
  decode: Extract<Op, { kind: 'decode' }> | null;
  sample: Op[];
  batch: Op[];
}

/**
 * The reader's transforms: DecodeImage (first, or absent) split off, Gt2YoloTarget dropped
 * unless fine-grained loss is on.
 */
export function buildTransforms(sampleCfgs: readonly OpConfig[], batchCfgs: readonly OpConfig[], useFineGrainedLoss: boolean): TransformLists {
  const sample = sampleCfgs.map(buildTransformOrTarget);
  const decodeAt = sample.findIndex((o) => o?.kind === 'decode');
  if (decodeAt > 0) throw new Error(`DecodeImage must be the first sample transform, found at position ${decodeAt + 1}`);
  const batch: Op[] = [];
  for (const c of batchCfgs) {
    if (c.__type__ === 'Gt2YoloTarget') {
      if (useFineGrainedLoss) throw new Error('Gt2YoloTarget (use_fine_grained_loss: true) is not supported; the YOLOv3 loss takes gt_bbox directly');
      continue;
    }
    const op = buildTransform(c);
    if (op.kind === 'decode') throw new Error('DecodeImage belongs in sample_transforms, not batch_transforms');
    batch.push(op);
  }
  const rest = sample.filter((o, i) => i !== decodeAt) as Op[];
  for (const o of rest) if (o.kind === 'batch') throw new Error(`${o.name} is a batch transform; list it under batch_transforms`);
  return { decode: decodeAt === 0 ? (sample[0] as TransformLists['decode']) : null, sample: rest, batch };
}

function buildTransformOrTarget(c: OpConfig): Op {
  if (c.__type__ === 'Gt2YoloTarget') throw new Error('Gt2YoloTarget belongs in batch_transforms');
  return buildTransform(c);
}
