/**
 * One sensitivity measurement, as `slimprune sensitivity`, its --jobs workers and the queue
 * workers all make it: the config's model with its weights loaded once, and for each
 * (param, ratio) a fresh copy of the unpruned model with that param alone pruned (l1_norm, as
 * PaddleSlim's sensitivity does), evaluated on EvalReader (VOC mAP or COCO bbox AP by the
 * config's metric) and freed. The loaded weights are never touched: the copy gets its own
 * tensors before the pruner slices them.
 */
import { readConfig, type SlimConfig } from '../config';
import type { YoloModel } from '../nn';
import { digestOf } from '../train/checkpoint';
import { evalInputSize } from '../train/evaluate';
import { loadTrainedModel } from '../train/trained_model';
import { listGroups } from './groups';
import { apply, plan } from './pruner';
import { createEvalSet, METRIC_NAMES, type EvalSet } from './sensitivity_eval';

export interface MeasureSpec {
  config: string; // config file path as given to -c
  overrides: string[]; // the -o key=value strings as given (weights=... among them)
  maxEvalBatches?: number; // evaluate only the first K EvalReader batches (same K for base and every point)
}

export interface Measurer {
  metric: string; // e.g. 'mAP' (VOC) or 'bbox AP' (COCO): what the file records
  configDigest: string; // digestOf(cfg.model), as src/cli/ratios.ts checks
  prunableParams(): string[]; // one master param per prunable group (for runs without -p)
  base(): Promise<number>; // unpruned metric
  evaluate(param: string, ratio: number): Promise<number>; // that param alone pruned at ratio, from the unpruned weights
  close(): Promise<void>;
}

/** A copy of `model` whose graph owns copies of every parameter tensor. */
function copyModel(model: YoloModel): YoloModel {
  const graph = model.graph.clone();
  for (const p of graph.params.values()) if (p.tensor) p.tensor = p.tensor.clone();
  return { ...model, graph, dispose: () => graph.dispose(), [Symbol.dispose]: () => graph.dispose() };
}

export async function createMeasurer(spec: MeasureSpec, log?: (line: string) => void): Promise<Measurer> {
  if (spec.maxEvalBatches !== undefined && !(Number.isInteger(spec.maxEvalBatches) && spec.maxEvalBatches > 0)) {
    throw new RangeError(`maxEvalBatches: expected a positive integer, got ${spec.maxEvalBatches}`);
  }
  const cfg: SlimConfig = readConfig(spec.config, spec.overrides);
  const kind = String(cfg.metric);
  if (!(kind in METRIC_NAMES)) throw new RangeError(`metric: expected VOC or COCO (the metrics a sensitivity run can measure), got '${kind}'`);
  const { model } = await loadTrainedModel(cfg, { mode: 'eval', weights: cfg.weights, prune: null, inputSize: evalInputSize(cfg), log });
  let evalSet: EvalSet;
  try {
    evalSet = createEvalSet(cfg, { maxBatches: spec.maxEvalBatches, numClasses: model.head.numClasses });
  } catch (e) {
    model.dispose();
    throw e;
  }
  let closed = false;
  let base: number | null = null;
  const open = (what: string) => {
    if (closed) throw new Error(`${what}: expected an open measurer, got one already closed`);
  };

  return {
    metric: evalSet.metric,
    configDigest: digestOf(cfg.model),
    prunableParams() {
      open('prunableParams');
      return listGroups(model.graph)
        .filter((g) => !g.unprunable)
        .map((g) => g.master);
    },
    async base() {
      open('base');
      base ??= await evalSet.score(model);
      return base;
    },
    async evaluate(param, ratio) {
      open('evaluate');
      const copy = copyModel(model);
      try {
        const p = plan(copy.graph, { params: [param], ratios: [ratio], criterion: 'l1_norm', warn: () => undefined });
        apply(copy.graph, p, { mode: 'default' });
        return await evalSet.score(copy);
      } finally {
        copy.dispose();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      model.dispose();
    },
  };
}
