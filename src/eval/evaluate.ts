/**
 * COCO evaluation of a YOLOv3 model on its config's EvalReader, as PaddleDetection's eval.py
 * with metric COCO: the eval-mode graph, box decoding and NMS, then every detection as a COCO
 * result record with PaddleDetection's box conventions (class id -> category id in the
 * annotation file's category order, after the background slot when with_background; box
 * [x1, y1, x2 - x1 + 1, y2 - y1 + 1] in original-image pixels), scored by cocoEval against
 * the annotation file. VOC mAP is the training side's evaluateVoc (src/train/evaluate).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Tensor } from '../backend/tensor';
import type { SlimConfig } from '../config';
import { createReader } from '../data';
import { forward } from '../graph/executor';
import type { Detection, YoloModel } from '../nn';
import { cocoEval, CocoEvalError, type CocoDetection, type CocoEvalResult, type CocoGt } from './coco_eval';

export interface CocoEvaluation extends CocoEvalResult {
  results: CocoDetection[];
  images: number;
  ms: number;
}

/** EvalReader's annotation file (dataset_dir joined with anno_path). */
export function cocoAnnoFile(cfg: SlimConfig, datasetDir?: string): string {
  const d = (cfg.EvalReader?.dataset ?? {}) as Record<string, unknown>;
  if (typeof d.anno_path !== 'string') throw new CocoEvalError(`eval: expected EvalReader.dataset.anno_path (a COCO instances JSON), got ${JSON.stringify(d.anno_path)}`);
  return path.resolve(datasetDir ?? (typeof d.dataset_dir === 'string' ? d.dataset_dir : ''), d.anno_path);
}

export function readCocoGt(file: string): CocoGt {
  if (!fs.existsSync(file)) throw new CocoEvalError(`eval: expected the COCO annotation file ${file}, got nothing at that path`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as CocoGt;
  } catch (e) {
    throw new CocoEvalError(`eval: expected JSON in ${file}, got ${(e as Error).message}`);
  }
}

/** Class id -> category id: the file's category order, shifted by one with a background class. */
export function clsToCatId(gt: CocoGt, withBackground: boolean): number[] {
  const ids = gt.categories.map((c) => c.id);
  return withBackground ? [0, ...ids] : ids;
}

/** One image's detections as COCO result records (PaddleDetection's +1 pixel width and height). */
export function toCocoResults(imageId: number, dets: readonly Detection[], catIds: readonly number[]): CocoDetection[] {
  return dets.map((d) => {
    const [x1, y1, x2, y2] = d.box;
    const cat = catIds[d.classId];
    if (cat === undefined) throw new CocoEvalError(`eval: expected class ids below ${catIds.length} (the annotation file's categories), got ${d.classId}`);
    return { image_id: imageId, category_id: cat, bbox: [x1, y1, x2 - x1 + 1, y2 - y1 + 1], score: d.score };
  });
}

/** Runs `model` over EvalReader and scores its detections with cocoEval. */
export async function evaluateCoco(model: YoloModel, cfg: SlimConfig, o: { seed?: number; workerNum?: number; datasetDir?: string } = {}): Promise<CocoEvaluation> {
  if (!cfg.EvalReader) throw new CocoEvalError('eval: expected an EvalReader section in the config, got none');
  const t0 = Date.now();
  const gt = readCocoGt(cocoAnnoFile(cfg, o.datasetDir));
  const withBg = (cfg.EvalReader.dataset as Record<string, unknown>)?.with_background === true;
  const catIds = clsToCatId(gt, withBg);
  const reader = await createReader(cfg.EvalReader as never, {
    mode: 'eval', seed: o.seed ?? 0, workerNum: o.workerNum, numClasses: model.head.numClasses,
    ...(o.datasetDir ? { datasetDirOverride: o.datasetDir } : {}),
  });
  const results: CocoDetection[] = [];
  let images = 0;
  try {
    for await (const batch of reader.batches()) {
      const img = Tensor.from(batch.image, batch.shape);
      let dets: Detection[][];
      try {
        const { outputs } = forward(model.graph, { [model.input]: img }, { training: false });
        try {
          dets = model.postprocess(outputs, batch.imSize);
        } finally {
          Object.values(outputs).forEach((t) => t.dispose());
        }
      } finally {
        img.dispose();
      }
      dets.forEach((d, n) => results.push(...toCocoResults(batch.imId[n], d, catIds)));
      images += dets.length;
    }
  } finally {
    await reader.close();
  }
  return { ...cocoEval(gt, results, { iouType: 'bbox' }), results, images, ms: Date.now() - t0 };
}
