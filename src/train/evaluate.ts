/**
 * Evaluation of a YOLOv3 model on its config's EvalReader (VOC mAP, PaddleDetection's
 * DetectionMAP at IoU 0.5 with the config's map_type), and forward latency at batch 1.
 * Both run the eval-mode graph (batch norms on running statistics), box decoding and NMS.
 */
import { InferenceRunner } from '../graph/replay';
import { Tensor } from '../backend/tensor';
import type { SlimConfig } from '../config';
import { vocMap, type MapType, type VocImage } from '../eval/voc_map';
import type { YoloModel } from '../nn';
import { createReader } from '../data';
import { buildModel, initModel } from '../nn';
import { readCheckpoint } from './checkpoint';
import { loadIntoGraph, replayPruning } from './model_state';

export class EvalError extends Error {
  override name = 'EvalError';
}

export interface EvalResult {
  map: number;
  perClass: unknown;
  images: number;
  /** wall time of the pass */
  ms: number;
}

/** The square input size a config evaluates at: TestReader's fixed image_shape, else EvalReader's ResizeImage target. */
export function evalInputSize(cfg: SlimConfig): number {
  const shape = cfg.TestReader?.inputs_def?.image_shape as Array<number | null> | undefined;
  if (shape && shape.length === 3 && typeof shape[1] === 'number' && shape[1] === shape[2]) return shape[1];
  const resize = (cfg.EvalReader?.sample_transforms as Array<Record<string, unknown>> | undefined)?.find((t) => t.__type__ === 'ResizeImage');
  const t = resize?.target_size;
  const n = Array.isArray(t) ? t[0] : t;
  return typeof n === 'number' && n > 0 ? n : 608;
}

/** VOC mAP of `model` (its current weights) on the config's EvalReader. */
export async function evaluateVoc(model: YoloModel, cfg: SlimConfig, o: { seed?: number; workerNum?: number; datasetDir?: string } = {}): Promise<EvalResult> {
  if (!cfg.EvalReader) throw new EvalError('eval: expected an EvalReader section in the config, got none');
  if (cfg.metric && cfg.metric !== 'VOC') throw new EvalError(`eval: expected metric VOC (the metric available), got ${cfg.metric}`);
  const t0 = Date.now();
  const classNum = model.head.numClasses;
  const reader = await createReader(cfg.EvalReader as never, {
    mode: 'eval', seed: o.seed ?? 0, workerNum: o.workerNum, numClasses: classNum,
    ...(o.datasetDir ? { datasetDirOverride: o.datasetDir } : {}),
  });
  const images: VocImage[] = [];
  // the weights stay as they are for the whole evaluation: their packed copies and each batch
  // shape's kernel calls are kept
  const runner = new InferenceRunner(model.graph);
  try {
    for await (const batch of reader.batches()) {
      if (!batch.gt) throw new EvalError('eval: expected ground truth with every eval batch (EvalReader fields gt_bbox, gt_class, is_difficult), got none');
      const img = Tensor.from(batch.image, batch.shape);
      const outputs = runner.run({ [model.input]: img });
      img.dispose();
      const dets = model.postprocess(outputs, batch.imSize);
      Object.values(outputs).forEach((t) => t.dispose());
      dets.forEach((d, n) => {
        const gt = batch.gt![n];
        images.push({
          detections: d.map((x) => [x.classId, x.score, ...x.box]),
          gtBoxes: gt.boxes,
          gtLabels: gt.labels,
          difficult: gt.difficult,
        });
      });
    }
  } finally {
    runner.dispose();
    await reader.close();
  }
  const r = vocMap(images, { classNum, overlapThresh: 0.5, mapType: cfg.map_type as MapType, evaluateDifficult: false });
  return { map: r.map, perClass: r.perClass, images: images.length, ms: Date.now() - t0 };
}

/** Median wall time of an eval-mode forward at batch 1 (after warm-up runs), milliseconds. */
export function measureLatency(model: YoloModel, size: number, runs = 10): number {
  const data = new Float32Array(3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const img = Tensor.from(data, [1, 3, size, size]);
  const times: number[] = [];
  // the warm-up calls run the executor, then record: the timed calls replay
  const runner = new InferenceRunner(model.graph, { captureAfter: 1 });
  try {
    for (let k = 0; k < runs + 2; k++) {
      const t0 = process.hrtime.bigint();
      const outputs = runner.run({ [model.input]: img });
      Object.values(outputs).forEach((t) => t.dispose());
      if (k >= 2) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    runner.dispose();
    img.dispose();
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/**
 * The config's model built for evaluation at `size` (batch 1), with a checkpoint's pruning
 * replayed and every parameter loaded from it (strictly).
 */
export function modelFromCheckpoint(cfg: SlimConfig, dir: string, size = evalInputSize(cfg)): YoloModel {
  const ck = readCheckpoint(dir);
  const model = buildModel(cfg as unknown as Record<string, unknown>, { mode: 'eval', inputShape: [1, 3, size, size] });
  replayPruning(model.graph, ck.manifest.prune);
  initModel(model, { seed: 0 });
  loadIntoGraph(model.graph, ck, { strict: true });
  return model;
}
