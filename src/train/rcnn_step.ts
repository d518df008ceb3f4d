/**
 * One Faster / Mask R-CNN training forward + loss + backward, on the model object of
 * src/nn/rcnn_model.ts, and the reader's batch turned into its ground truth.
 *
 * The RoI sampling (BBoxAssigner) and the RPN's anchor sampling draw random numbers. So that a
 * run resumed at iteration k continues exactly as an uninterrupted one, their generators are
 * seeded from (seed, iteration) for each step instead of running on from the model's build:
 * batch k's samples are then a function of (seed, k) alone, as the reader's batches are.
 */
import { Tensor } from '../backend/tensor';
import type { Batch } from '../data/types';
import { forward } from '../graph/executor';
import type { RcnnBatch, RcnnModel } from '../nn';
import { makeRcnnLoss } from '../nn/rcnn_loss';
import { makeRcnnRun, type RcnnImInfo } from '../nn/rcnn_run';

export class RcnnStepError extends Error {
  override name = 'RcnnStepError';
}

/** The seed of iteration `it`'s samplers: a 32-bit mix of the run's seed and the iteration. */
export function stepSeed(seed: number, it: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(it + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** im_info rows of a batch (resized h, w, scale) with each image's original size. */
export function batchImInfo(batch: Pick<Batch, 'imInfo' | 'imSize' | 'shape'>, where: string): RcnnImInfo[] {
  const N = batch.shape[0];
  if (!batch.imInfo || batch.imInfo.length !== N * 3) throw new RcnnStepError(`${where}: expected im_info in every batch (inputs_def.fields of an R-CNN reader lists it), got ${batch.imInfo ? `${batch.imInfo.length / 3} rows for ${N} images` : 'none'}`);
  return Array.from({ length: N }, (_, n) => ({
    height: batch.imInfo![n * 3], width: batch.imInfo![n * 3 + 1], scale: batch.imInfo![n * 3 + 2],
    origHeight: batch.imSize[n][0], origWidth: batch.imSize[n][1],
  }));
}

/**
 * The ground truth of a training batch in original pixels: the rows of gt_bbox with a
 * foreground class (a padded row has class 0, the background), their crowd flags and, for
 * Mask R-CNN, their polygons.
 */
export function rcnnBatch(batch: Batch, withMasks: boolean): RcnnBatch {
  const N = batch.shape[0];
  const B = batch.numMaxBoxes;
  if (!batch.gtBox || !batch.gtLabel || !B) throw new RcnnStepError('TrainReader: expected gt_bbox and gt_class in every batch (inputs_def.fields), got a batch without them');
  if (withMasks && !batch.gtPoly) throw new RcnnStepError('TrainReader: expected gt_mask in every batch of a Mask R-CNN (inputs_def.fields and a COCO file with segmentations), got a batch without it');
  const imInfo = batchImInfo(batch, 'TrainReader');
  const gt = Array.from({ length: N }, (_, n) => {
    const rows: number[] = [];
    for (let b = 0; b < B; b++) if (batch.gtLabel![n * B + b] > 0) rows.push(n * B + b);
    const boxes = new Float32Array(rows.length * 4);
    rows.forEach((r, i) => boxes.set(batch.gtBox!.subarray(r * 4, r * 4 + 4), i * 4));
    return {
      boxes,
      classes: Int32Array.from(rows, (r) => batch.gtLabel![r]),
      isCrowd: Int32Array.from(rows, (r) => batch.isCrowd?.[r] ?? 0),
      ...(withMasks ? { polygons: rows.map((r) => batch.gtPoly![n][r - n * B]) } : {}),
    };
  });
  return { imInfo, gt };
}

export interface RcnnStepResult {
  loss: number;
  parts: Record<string, number>;
  /** d loss / d parameter of every trainable parameter (owned by the caller) */
  grads: Map<string, Tensor>;
}

/**
 * Forward in train mode with RoIs sampled against `batch`, the summed loss and its backward.
 * A loss that is not finite returns with no gradients (grads empty) for the caller to refuse.
 */
export function rcnnTrainStep(model: RcnnModel, image: Tensor, batch: RcnnBatch, seed: number, it: number): RcnnStepResult {
  const s = stepSeed(seed, it);
  const run = makeRcnnRun(model.graph, model.settings, model.values, 'train', model.anchors, s);
  const lossOf = makeRcnnLoss(model.settings, model.values, model.anchors, run.sampled, s);
  const f = run.feeds(image, batch.imInfo, batch);
  const fr = forward(model.graph, f.feeds, { training: true, grad: true, fetch: f.fetch });
  let l;
  try {
    l = lossOf(fr.outputs, batch);
  } catch (e) {
    fr.tape?.dispose();
    Object.values(fr.outputs).forEach((t) => t.dispose());
    throw e;
  }
  // the fetched RoIs are the lazy feeds' own tensors, which the tape reads until backward is done
  const release = () => Object.values(fr.outputs).forEach((t) => t.dispose());
  if (!Number.isFinite(l.loss)) {
    fr.tape?.dispose();
    release();
    Object.values(l.grads).forEach((t) => t.dispose());
    return { loss: l.loss, parts: l.parts, grads: new Map() };
  }
  const g = fr.tape!.backward(l.grads);
  release();
  Object.values(l.grads).forEach((t) => t.dispose());
  return { loss: l.loss, parts: l.parts, grads: g.params };
}
