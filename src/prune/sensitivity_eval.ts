/**
 * The evaluation behind a sensitivity run: the same EvalReader batches scored again and again,
 * once for the unpruned model and once per (param, ratio).
 *
 * The batches are decoded once and kept in memory when they fit in `cacheBytes` (decoding is
 * a large share of an eval pass on a small model, and a run makes dozens of passes); a larger
 * eval set is streamed from the reader on every pass instead. With `maxBatches` only the first
 * K batches are read, and the metric is computed over exactly their images (COCO: the ground
 * truth is cut down to those images, so the ones not evaluated do not count as misses).
 * Every pass sees the same images in the same order: the reader is seeded.
 */
import { InferenceRunner } from '../graph/replay';
import { Tensor } from '../backend/tensor';
import type { SlimConfig } from '../config';
import { createReader } from '../data';
import type { Batch } from '../data/types';
import { cocoEval, type CocoDetection, type CocoGt } from '../eval/coco_eval';
import { clsToCatId, cocoAnnoFile, readCocoGt, toCocoResults } from '../eval/evaluate';
import { vocMap, type MapType, type VocImage } from '../eval/voc_map';
import type { YoloModel } from '../nn';

/** What the file records for each config metric. */
export const METRIC_NAMES: Record<string, string> = { VOC: 'mAP', COCO: 'bbox AP' };

/** 1 GiB of decoded images: the digits eval set is a fraction of it, a VOC 608 one is not. */
export const DEFAULT_CACHE_BYTES = 2 ** 30;

type EvalBatch = Pick<Batch, 'image' | 'shape' | 'imId' | 'imSize' | 'gt'>;

export interface EvalSet {
  metric: string;
  /** the metric of `model` (its current weights) over the set */
  score(model: YoloModel): Promise<number>;
  /** images per pass */
  images(): number | null;
}

export interface EvalSetOptions {
  maxBatches?: number;
  cacheBytes?: number;
  /** a positive count of classes, as the model predicts them */
  numClasses: number;
}

export function createEvalSet(cfg: SlimConfig, o: EvalSetOptions): EvalSet {
  const kind = String(cfg.metric);
  if (!(kind in METRIC_NAMES)) throw new RangeError(`metric: expected VOC or COCO (the metrics a sensitivity run can measure), got '${kind}'`);
  if (!cfg.EvalReader) throw new RangeError('EvalReader: expected an EvalReader section in the config to evaluate on, got none');
  const cacheBytes = o.cacheBytes ?? DEFAULT_CACHE_BYTES;
  let cache: EvalBatch[] | null = null;
  let streamed = false;
  let imageCount: number | null = null;
  let coco: { gt: CocoGt; catIds: number[] } | null = null;

  async function* read(): AsyncGenerator<EvalBatch> {
    const reader = await createReader(cfg.EvalReader as never, { mode: 'eval', seed: 0, numClasses: o.numClasses });
    let n = 0;
    try {
      for await (const b of reader.batches()) {
        if (o.maxBatches !== undefined && n >= o.maxBatches) break;
        n++;
        yield b;
      }
    } finally {
      await reader.close();
    }
  }

  /** The first pass fills the cache while it fits; later passes replay it or read again. */
  async function* batches(): AsyncGenerator<EvalBatch> {
    if (cache) {
      yield* cache;
      return;
    }
    const kept: EvalBatch[] = [];
    let bytes = 0;
    let count = 0;
    for await (const b of read()) {
      count += b.imSize.length;
      if (!streamed) {
        bytes += b.image.byteLength;
        if (bytes <= cacheBytes) kept.push({ image: b.image, shape: b.shape, imId: b.imId, imSize: b.imSize, gt: b.gt });
        else {
          streamed = true;
          kept.length = 0;
        }
      }
      yield b;
    }
    imageCount = count;
    if (!streamed) cache = kept;
  }

  const run = (model: YoloModel, b: EvalBatch, runner: InferenceRunner) => {
    const img = Tensor.from(b.image, b.shape);
    try {
      const outputs = runner.run({ [model.input]: img });
      try {
        return model.postprocess(outputs, b.imSize);
      } finally {
        Object.values(outputs).forEach((t) => t.dispose());
      }
    } finally {
      img.dispose();
    }
  };

  async function scoreVoc(model: YoloModel, runner: InferenceRunner): Promise<number> {
    const images: VocImage[] = [];
    for await (const b of batches()) {
      if (!b.gt) throw new RangeError('EvalReader: expected ground truth with every eval batch (fields gt_bbox, gt_class, is_difficult), got none');
      run(model, b, runner).forEach((d, n) => {
        const gt = b.gt![n];
        images.push({ detections: d.map((x) => [x.classId, x.score, ...x.box]), gtBoxes: gt.boxes, gtLabels: gt.labels, difficult: gt.difficult });
      });
    }
    return vocMap(images, { classNum: model.head.numClasses, overlapThresh: 0.5, mapType: cfg.map_type as MapType, evaluateDifficult: false }).map;
  }

  async function scoreCoco(model: YoloModel, runner: InferenceRunner): Promise<number> {
    if (!coco) {
      const gt = readCocoGt(cocoAnnoFile(cfg));
      const withBg = (cfg.EvalReader!.dataset as Record<string, unknown>)?.with_background === true;
      coco = { gt, catIds: clsToCatId(gt, withBg) };
    }
    const { gt, catIds } = coco;
    const results: CocoDetection[] = [];
    const seen = new Set<number>();
    for await (const b of batches()) {
      const dets = run(model, b, runner);
      dets.forEach((d, n) => {
        seen.add(b.imId[n]);
        results.push(...toCocoResults(b.imId[n], d, catIds));
      });
    }
    const part: CocoGt = { ...gt, images: gt.images.filter((im) => seen.has(im.id)), annotations: gt.annotations.filter((a) => seen.has(a.image_id)) };
    return cocoEval(part, results, { iouType: 'bbox' }).stats[0];
  }

  return {
    metric: METRIC_NAMES[kind],
    // one pass over the set: the model's weights do not change during it, so their packed copies
    // and each batch shape's kernel calls are kept (graph/replay.ts)
    score: async (model) => {
      const runner = new InferenceRunner(model.graph);
      try {
        return await (kind === 'VOC' ? scoreVoc(model, runner) : scoreCoco(model, runner));
      } finally {
        runner.dispose();
      }
    },
    images: () => imageCount,
  };
}
