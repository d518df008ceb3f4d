/**
 * What `eval`, `export` and `infer` share: the model of a config with the weights of a
 * checkpoint, pruned the way the checkpoint was.
 *
 * The pruned shapes come from the checkpoint's pruning record (replayed on the freshly built
 * graph). --pruned_params / --pruned_ratios, when also given, must describe the last recorded
 * pruning (same convs, same ratios): anything else is a usage error listing what differs. A
 * checkpoint without a record but with flags is pruned by the flags (shapes only, as
 * PaddleSlim's eval does) before loading. A checkpoint without a record whose shapes differ
 * from the config's model is refused naming the first such parameter: it looks pruned.
 */
import type { SlimConfig } from '../config';
import { buildModel, buildRcnnModel, initModel, type RcnnModel, type YoloModel } from '../nn';
import { apply, plan } from '../prune';
import type { PruneRecord } from '../prune/types';
import { readCheckpoint } from '../train/checkpoint';
import { loadIntoGraph, replayPruning } from '../train/model_state';
import { resolveWeights } from '../train/weights';
import { RuntimeError, UsageError } from './errors';
import type { PruneSpec } from './options';
import { modelInputShape, type BuildMode } from './stages';

export interface TrainedModel<M = YoloModel> {
  model: M;
  /** the pruning the model carries, in order */
  records: PruneRecord[];
  /** the local checkpoint folder */
  weightsDir: string;
}

/** Differences between the flags and a record, one phrase each; empty when they agree. */
export function pruneDifferences(record: PruneRecord, flags: Pick<PruneSpec, 'params' | 'ratios'>): string[] {
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

type LoadOptions = { mode: BuildMode; weights: string | null | undefined; prune: PruneSpec | null; inputSize?: number; log?: (line: string) => void };

/** The YOLOv3 model of `cfg` with the weights in `weights` (see the file comment). */
export async function loadTrainedModel(cfg: SlimConfig, o: LoadOptions): Promise<TrainedModel> {
  if (!o.weights) throw new UsageError(`-o weights=DIR: expected the checkpoint to use (weights in the config or -o weights=...), got none`);
  const inputShape = modelInputShape(cfg, o.mode, o.inputSize);
  return loadWeightsInto(buildModel(cfg as never, inputShape ? { mode: o.mode, inputShape } : { mode: o.mode }), o);
}

/** The Faster / Mask R-CNN model object of `cfg` with the weights in `weights`, the same way. */
export async function loadTrainedRcnn(cfg: SlimConfig, o: LoadOptions): Promise<TrainedModel<RcnnModel>> {
  if (!o.weights) throw new UsageError(`-o weights=DIR: expected the checkpoint to use (weights in the config or -o weights=...), got none`);
  const inputShape = modelInputShape(cfg, o.mode, o.inputSize);
  return loadWeightsInto(buildRcnnModel(cfg as never, inputShape ? { mode: o.mode, inputShape } : { mode: o.mode }), o);
}

async function loadWeightsInto<M extends YoloModel | RcnnModel>(model: M, o: LoadOptions): Promise<TrainedModel<M>> {
  const spec = o.weights!;
  try {
    const dir = await resolveWeights(spec, { log: o.log });
    const ckpt = readCheckpoint(dir);
    let records: PruneRecord[] = Array.isArray(ckpt.manifest.prune) ? ckpt.manifest.prune : [];
    if (records.length && o.prune) {
      const diff = pruneDifferences(records[records.length - 1], o.prune);
      if (diff.length) {
        throw new UsageError(`--pruned_params/--pruned_ratios: expected the pruning recorded in ${spec}, got flags that differ: ${diff.join('; ')} (leave the flags out to use the record)`);
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
          throw new UsageError(
            `weights ${spec}: parameter ${p.name} is [${t.shape.join(', ')}] in the checkpoint but [${p.shape.join(', ')}] in the model of the config; the checkpoint looks pruned but records no pruning: pass the --pruned_params/--pruned_ratios it was pruned with`,
          );
        }
      }
    }
    loadIntoGraph(model.graph, ckpt, { strict: true });
    return { model, records, weightsDir: dir };
  } catch (e) {
    model.dispose();
    if (e instanceof UsageError || e instanceof RuntimeError) throw e;
    const err = e as Error;
    if (['CheckpointError', 'WeightsError', 'PruneError'].includes(err?.name)) throw new RuntimeError(err.message);
    throw e;
  }
}
