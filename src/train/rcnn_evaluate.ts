/**
 * COCO evaluation of a Faster / Mask R-CNN on its config's EvalReader, as PaddleDetection's
 * eval.py with metric COCO: per image the eval-mode detections (test proposals, box head,
 * multi-class NMS; Mask R-CNN pastes each detection's mask into the original image), as COCO
 * result records (class ids count foreground classes from 0 in the annotation file's category
 * order; boxes [x1, y1, x2 - x1 + 1, y2 - y1 + 1]; masks as COCO RLE), scored by cocoEval with
 * iouType bbox and, for Mask R-CNN, segm.
 */
import { PreparedWeights } from '../backend/prepared';
import { Tensor } from '../backend/tensor';
import type { SlimConfig } from '../config';
import { createReader } from '../data';
import { encodeMask, toCocoRle } from '../data/mask/rle';
import { cocoEval, CocoEvalError, type CocoDetection, type CocoEvalResult } from '../eval/coco_eval';
import { clsToCatId, cocoAnnoFile, readCocoGt, toCocoResults } from '../eval/evaluate';
import { buildRcnnModel, type RcnnModel } from '../nn';
import type { PruneRecord } from '../prune/types';
import type { Checkpoint, NamedArray } from './checkpoint';
import { loadIntoGraph, replayPruning } from './model_state';
import { batchImInfo } from './rcnn_step';

export interface RcnnEvaluation {
  bbox: CocoEvalResult;
  /** Mask R-CNN only */
  segm: CocoEvalResult | null;
  /** COCO result records: boxes, and masks (segmentation) for Mask R-CNN */
  results: CocoDetection[];
  segmResults: CocoDetection[];
  images: number;
  ms: number;
}

/** Runs `model` (built in eval or test mode) over EvalReader and scores its detections. */
export async function evaluateRcnnCoco(model: RcnnModel, cfg: SlimConfig, o: { seed?: number; workerNum?: number; datasetDir?: string } = {}): Promise<RcnnEvaluation> {
  if (!cfg.EvalReader) throw new CocoEvalError('eval: expected an EvalReader section in the config, got none');
  if (cfg.metric && cfg.metric !== 'COCO') throw new CocoEvalError(`eval: expected metric COCO for ${model.architecture} (the metric available), got ${cfg.metric}`);
  if (model.mode === 'train') throw new CocoEvalError('eval: expected an R-CNN model built in eval or test mode (test proposals), got one built for training');
  const t0 = Date.now();
  const gt = readCocoGt(cocoAnnoFile(cfg, o.datasetDir));
  // R-CNN detections count foreground classes from 0: category ids in the file's order
  const catIds = clsToCatId(gt, false);
  const withMasks = model.architecture === 'MaskRCNN';
  const reader = await createReader(cfg.EvalReader as never, {
    mode: 'eval', seed: o.seed ?? 0, workerNum: o.workerNum, numClasses: model.settings.numClasses,
    ...(o.datasetDir ? { datasetDirOverride: o.datasetDir } : {}),
  });
  const results: CocoDetection[] = [];
  const segmResults: CocoDetection[] = [];
  let images = 0;
  const evaluated: number[] = [];
  // the weights do not change during an evaluation: each conv's packed filter is made once
  const prepared = new PreparedWeights();
  try {
    for await (const batch of reader.batches()) {
      const info = batchImInfo(batch, 'EvalReader');
      const img = Tensor.from(batch.image, batch.shape);
      let dets;
      try {
        dets = model.detect(img, info, prepared);
      } finally {
        img.dispose();
      }
      dets.forEach((d, n) => {
        const boxes = toCocoResults(batch.imId[n], d, catIds);
        results.push(...boxes);
        if (withMasks) {
          const [h, w] = batch.imSize[n];
          d.forEach((x, i) => {
            if (!x.mask) throw new CocoEvalError(`eval: expected a mask with every Mask R-CNN detection, got none for image ${batch.imId[n]}`);
            segmResults.push({ image_id: boxes[i].image_id, category_id: boxes[i].category_id, score: x.score, segmentation: toCocoRle(encodeMask(x.mask, h, w)) });
          });
        }
      });
      images += dets.length;
      evaluated.push(...batch.imId);
    }
  } finally {
    prepared.dispose();
    await reader.close();
  }
  // scored over the images evaluated (all of them, unless EvalReader.dataset.sample_num limits them)
  const seen = new Set(results.map((r) => r.image_id));
  for (const id of evaluated) seen.add(id);
  const scope = { ...gt, images: gt.images.filter((im) => seen.has(im.id)), annotations: gt.annotations.filter((a) => seen.has(a.image_id)) };
  const bbox = cocoEval(scope, results, { iouType: 'bbox' });
  const segm = withMasks ? cocoEval(scope, segmResults, { iouType: 'segm' }) : null;
  return { bbox, segm, results, segmResults, images, ms: Date.now() - t0 };
}

/**
 * The eval-mode twin of a training model: the same config and pruning, built for evaluation
 * at `size`, with no parameter data until loadRcnnParams fills it.
 */
export function rcnnEvalModel(cfg: SlimConfig, records: readonly PruneRecord[], size: number): RcnnModel {
  const m = buildRcnnModel(cfg as unknown as Record<string, unknown>, { mode: 'eval', inputShape: [1, 3, size, size] });
  replayPruning(m.graph, records);
  return m;
}

/** Every parameter of `params` (a training graph's, read out) into `model`, strictly. */
export function loadRcnnParams(model: RcnnModel, params: readonly NamedArray[]): void {
  const ck: Pick<Checkpoint, 'dir' | 'params'> = { dir: '(the training model)', params: new Map(params.map((p) => [p.name, p])) };
  loadIntoGraph(model.graph, ck, { strict: true });
}
