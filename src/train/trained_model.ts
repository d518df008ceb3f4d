/**
 * The model of a config with the weights of a checkpoint, pruned the way the checkpoint was: what
 * `eval`, `export`, `infer` and the sensitivity measurements load.
 *
 * The pruned shapes come from the checkpoint's pruning record (replayed on the freshly built
 * graph). A `prune` spec (the --pruned_params / --pruned_ratios flags), when also given, must
 * describe the last recorded pruning (same convs, same ratios): anything else is refused listing
 * what differs. A checkpoint without a record but with a spec is pruned by the spec (shapes only,
 * as PaddleSlim's eval does) before loading. A checkpoint without a record whose shapes differ
 * from the config's model is refused naming the first such parameter: it looks pruned.
 *
 * Errors: a TrainedModelError for what the caller asked for (no weights, a spec that contradicts
 * the record, a pruned checkpoint without a record), and the checkpoint's, the weights' or the
 * pruner's own errors (CheckpointError, WeightsError, PruneError) as they are.
 */
import type { SlimConfig } from '../config';
import { buildModel, buildRcnnModel, initModel, type RcnnModel, type YoloModel } from '../nn';
import { apply, plan } from '../prune/pruner';
import type { PruneRecord } from '../prune/types';
import { readCheckpoint } from './checkpoint';
import { loadIntoGraph, replayPruning } from './model_state';
import { resolveWeights } from './weights';

/** The request must change: no weights, a prune spec that contradicts the record, a pruned checkpoint without one. */
export class TrainedModelError extends Error {
  override name = 'TrainedModelError';
}

export type BuildMode = 'train' | 'eval' | 'test';

/** The pruning a caller asks for besides the checkpoint's record (the --pruned_* flags). */
export interface PruneRequestSpec {
  params: string[];
  ratios: number[];
  roundTo?: number;
  groupReduction?: 'master' | 'mean';
}

export interface TrainedModel<M = YoloModel> {
  model: M;
  /** the pruning the model carries, in order */
  records: PruneRecord[];
  /** the local checkpoint folder */
  weightsDir: string;
}

export interface LoadTrainedOptions {
  mode: BuildMode;
  /** the checkpoint: a folder, a .tar or a URL (resolveWeights) */
  weights: string | null | undefined;
  prune: PruneRequestSpec | null;
  /** square input size in pixels; else TestReader's fixed image shape in test mode */
  inputSize?: number;
  log?: (line: string) => void;
}

/**
 * The input shape a model is built for: [1, 3, N, N] with an input size N, else the config's
 * TestReader.inputs_def.image_shape for test graphs when it is fixed; undefined: the builder's default.
 */
export function modelInputShape(cfg: SlimConfig, mode: BuildMode, inputSize?: number): number[] | undefined {
  if (inputSize) return [1, 3, inputSize, inputSize];
  const shape = cfg.TestReader?.inputs_def.image_shape as Array<number | null> | undefined;
  const fixed = mode === 'test' && shape && shape.length === 3 && shape.every((d) => typeof d === 'number');
  return fixed ? [1, ...(shape as number[])] : undefined;
}

/** Differences between a spec and a record, one phrase each; empty when they agree. */
export function pruneDifferences(record: PruneRecord, flags: Pick<PruneRequestSpec, 'params' | 'ratios'>): string[] {
  const rec = new Map(record.groups.map((g) => [g.master, g.ratio]));
  const fl = new Map(flags.params.map((p, i) => [p, flags.ratios[i]]));
  const out: string[] = [];
  for (const [p, r] of fl) {
    if (!rec.has(p)) out.push(`${p} (flags ${r}, not pruned in the checkpoint)`);
    else if (Math.abs(rec.get(p)! - r) > 1e-9) out.push(`${p} (flags ${r}, checkpoint ${rec.get(p)})`);
  }
  for (const [p, r] of rec) if (!fl.has(p)) out.push(`${p} (checkpoint ${r}, not in the flags)`);
  return out;
}

function weightsOf(o: LoadTrainedOptions): string {
  if (!o.weights) throw new TrainedModelError(`-o weights=DIR: expected the checkpoint to use (weights in the config or -o weights=...), got none`);
  return o.weights;
}

/** The YOLOv3 model of `cfg` with the weights in `o.weights` (see the file comment). */
export async function loadTrainedModel(cfg: SlimConfig, o: LoadTrainedOptions): Promise<TrainedModel> {
  const spec = weightsOf(o);
  const inputShape = modelInputShape(cfg, o.mode, o.inputSize);
  return loadWeightsInto(buildModel(cfg as never, inputShape ? { mode: o.mode, inputShape } : { mode: o.mode }), spec, o);
}

/** The Faster / Mask R-CNN model object of `cfg` with the weights in `o.weights`, the same way. */
export async function loadTrainedRcnn(cfg: SlimConfig, o: LoadTrainedOptions): Promise<TrainedModel<RcnnModel>> {
  const spec = weightsOf(o);
  const inputShape = modelInputShape(cfg, o.mode, o.inputSize);
  return loadWeightsInto(buildRcnnModel(cfg as never, inputShape ? { mode: o.mode, inputShape } : { mode: o.mode }), spec, o);
}

async function loadWeightsInto<M extends YoloModel | RcnnModel>(model: M, spec: string, o: LoadTrainedOptions): Promise<TrainedModel<M>> {
  try {
    const dir = await resolveWeights(spec, { log: o.log });
    const ckpt = readCheckpoint(dir);
    let records: PruneRecord[] = Array.isArray(ckpt.manifest.prune) ? ckpt.manifest.prune : [];
    if (records.length && o.prune) {
      const diff = pruneDifferences(records[records.length - 1], o.prune);
      if (diff.length) {
        throw new TrainedModelError(`--pruned_params/--pruned_ratios: expected the pruning recorded in ${spec}, got flags that differ: ${diff.join('; ')} (leave the flags out to use the record)`);
      }
    }
    if (!records.length && o.prune) {
      // the kept indices do not matter here: every value is replaced by the checkpoint's
      initModel(model, { seed: 0 });
      records = [apply(model.graph, plan(model.graph, { params: o.prune.params, ratios: o.prune.ratios, roundTo: o.prune.roundTo, groupReduction: o.prune.groupReduction, warn: () => undefined }), { mode: 'only_graph' })];
      model.graph.dispose();
    } else {
      replayPruning(model.graph, records);
    }
    if (!records.length) {
      for (const p of model.graph.paramList()) {
        const t = ckpt.params.get(p.name);
        if (t && (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))) {
          throw new TrainedModelError(
            `weights ${spec}: parameter ${p.name} is [${t.shape.join(', ')}] in the checkpoint but [${p.shape.join(', ')}] in the model of the config; the checkpoint looks pruned but records no pruning: pass the --pruned_params/--pruned_ratios it was pruned with`,
          );
        }
      }
    }
    loadIntoGraph(model.graph, ckpt, { strict: true });
    return { model, records, weightsDir: dir };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
