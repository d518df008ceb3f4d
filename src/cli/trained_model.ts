/**
 * The commands' side of src/train/trained_model.ts (what `eval`, `export` and `infer` load): the
 * same loaders, their errors as the CLI's. A request to change (no weights, flags that contradict
 * the checkpoint's pruning record, a pruned checkpoint without a record) is a UsageError; a
 * checkpoint, weights or pruner failure a RuntimeError with the same message.
 */
import type { SlimConfig } from '../config';
import type { RcnnModel } from '../nn';
import * as trained from '../train/trained_model';
import { RuntimeError, UsageError } from './errors';

export { pruneDifferences, type TrainedModel } from '../train/trained_model';

/** The error a command reports for a loader's error `e`. */
export function cliLoadError(e: unknown): unknown {
  if (e instanceof trained.TrainedModelError) return new UsageError(e.message);
  const err = e as Error;
  if (['CheckpointError', 'WeightsError', 'PruneError'].includes(err?.name)) return new RuntimeError(err.message);
  return e;
}

async function asCli<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw cliLoadError(e);
  }
}

/** The YOLOv3 model of `cfg` with the weights in `o.weights` (src/train/trained_model.ts). */
export function loadTrainedModel(cfg: SlimConfig, o: trained.LoadTrainedOptions): Promise<trained.TrainedModel> {
  return asCli(() => trained.loadTrainedModel(cfg, o));
}

/** The Faster / Mask R-CNN model object of `cfg` with the weights in `o.weights`, the same way. */
export function loadTrainedRcnn(cfg: SlimConfig, o: trained.LoadTrainedOptions): Promise<trained.TrainedModel<RcnnModel>> {
  return asCli(() => trained.loadTrainedRcnn(cfg, o));
}
