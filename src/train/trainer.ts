/**
 * The training loop of `slimprune prune` / `slimprune train` (PaddleDetection's prune.py and
 * train.py): build the model, take its starting weights (a resumed snapshot, else `weights`
 * when asked, else `pretrain_weights`, else a seeded initialisation), prune the listed convs
 * (FLOPs logged before and after), then for each iteration: the next batch of the TrainReader,
 * forward in train mode, PaddleDetection's YOLOv3 loss on the three raw outputs, backward from
 * the loss gradients, one Momentum step at the schedule's learning rate. Faster / Mask R-CNN
 * run the same loop with their model object's training step (rcnn_step.ts: RoIs sampled
 * mid-forward, the four or five losses) and evaluate COCO bbox (and segm) AP on an eval-mode
 * twin of the model (rcnn_evaluate.ts); their best_model is kept by bbox AP@[.5:.95].
 *
 * Snapshots as Paddle names them: after iteration `it` (from 0) with it % snapshot_iter == 0
 * (it > 0) into `{save_dir}/{config name}/{it}`, and after the last one into `model_final`;
 * with eval, each snapshot is evaluated and the best kept as `best_model`. A snapshot holds
 * the weights (running statistics too), the optimizer's state (momentum velocities or Adam moments), the pruning record, the
 * iteration, the learning rate, the seed and the reader's position, so resuming from it
 * continues exactly: the reader's batch k is a function of (seed, k) alone.
 *
 * A loss that is NaN or infinite stops the run before the step is taken, naming the
 * iteration; nothing is written, so the last snapshot is the last good state.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Backend } from '../backend/backend';
import { Tensor } from '../backend/tensor';
import type { SlimConfig } from '../config';
import { createReader } from '../data';
import type { Batch } from '../data/types';
import { forward } from '../graph/executor';
import { countFlops } from '../graph/flops';
import { writeFileAtomic } from '../export/atomic';
import { labelsOf } from '../export/infer_cfg';
import { buildAnyModel, initModel, type DetectionModel, type YoloModel } from '../nn';
import { apply as applyPlan, plan as planPruning } from '../prune/pruner';
import { compareFlops, formatPruneReport } from '../prune/report';
import type { PruneRecord } from '../prune/types';
import { cleanStaleTemps, digestOf, readCheckpoint, saveCheckpoint, type Checkpoint, type NamedArray } from './checkpoint';
import { evalInputSize, evaluateVoc } from './evaluate';
import { evaluateRcnnCoco, loadRcnnParams, rcnnEvalModel, type RcnnEvaluation } from './rcnn_evaluate';
import { rcnnBatch, rcnnTrainStep } from './rcnn_step';
import { buildLearningRate } from './lr';
import { describeLoad, graphParams, loadIntoGraph, replayPruning, toFloat32 } from './model_state';
import { AdamOptimizer } from './adam';
import { clipByGlobalNorm } from './clip';
import { MomentumOptimizer, type TrainOptimizer } from './optimizer';
import { TrainLog } from './train_log';
import { resolveWeights } from './weights';
import { yolov3LossSum, type Yolov3LossSumConfig } from './yolov3_loss';

export class TrainError extends Error {
  override name = 'TrainError';
}

export interface PruneRequest {
  params: string[];
  ratios: number[];
  criterion?: 'l1_norm' | 'l2_norm' | 'geometry_median' | 'bn_scale';
  roundTo?: number;
  groupReduction?: 'master' | 'mean';
}

export interface TrainOptions {
  cfg: SlimConfig;
  /** output folder name under save_dir (default: the config file's base name) */
  configName?: string;
  prune?: PruneRequest | null;
  /** a snapshot folder to continue from */
  resume?: string | null;
  /** explicit starting weights (`-o weights=...`), taking the place of pretrain_weights */
  weights?: string | null;
  /** refuse starting weights whose parameters do not all match */
  strict?: boolean;
  eval?: boolean;
  /** with eval: a folder where voc_map.json (the latest evaluation, per class, and every earlier mAP) is rewritten after each one (R-CNN: coco_ap.json, bbox.json, segm.json) */
  outputEval?: string | null;
  /** seed of the initialisation and the data order (default 0) */
  seed?: number;
  /** override TrainReader/EvalReader worker_num */
  workerNum?: number;
  /** override the datasets' dataset_dir */
  datasetDir?: string;
  cacheDir?: string;
  log?: (line: string) => void;
  warn?: (line: string) => void;
  /** a progress bar on stderr (a TTY) instead of plain log lines */
  progress?: boolean;
  backend?: Backend<any>;
}

export interface TrainResult {
  model: DetectionModel;
  /** iterations done in total (resumed ones included) */
  iterations: number;
  outDir: string;
  finalDir: string;
  bestDir: string | null;
  bestMap: number | null;
  evals: Array<{ iter: number; map: number }>;
  pruneRecords: PruneRecord[];
  lastLoss: number;
  /** mean per-iteration times of this run, milliseconds */
  dataMs: number;
  computeMs: number;
  imagesPerSec: number;
}

/** `{dir}/coco_ap.json` (the latest COCO stats, per category, and every earlier AP), bbox.json and segm.json (the latest detections). */
function writeCocoEvalFile(dir: string, iter: number, r: RcnnEvaluation, history: ReadonlyArray<{ iter: number; map: number }>): void {
  const body = {
    metric: 'COCO', iter, images: r.images,
    bbox: { stats: r.bbox.stats, perCategory: r.bbox.perCategory },
    ...(r.segm ? { segm: { stats: r.segm.stats, perCategory: r.segm.perCategory } } : {}),
    history,
  };
  writeFileAtomic(path.join(dir, 'coco_ap.json'), JSON.stringify(body, null, 1) + '\n');
  writeFileAtomic(path.join(dir, 'bbox.json'), JSON.stringify(r.results));
  if (r.segm) writeFileAtomic(path.join(dir, 'segm.json'), JSON.stringify(r.segmResults));
}

/** `{dir}/voc_map.json`: what `slimprune eval --output_eval` writes, plus the iteration and the mAP of every evaluation so far. */
function writeEvalFile(dir: string, cfg: SlimConfig, iter: number, r: { map: number; images: number; perClass: unknown }, history: ReadonlyArray<{ iter: number; map: number }>): void {
  const labels = (() => {
    try {
      return labelsOf(cfg, Array.isArray(r.perClass) ? r.perClass.length : 0);
    } catch {
      return [] as string[];
    }
  })();
  const per = Array.isArray(r.perClass) ? (r.perClass as object[]).map((c, i) => ({ name: labels[i] ?? String(i), ...c })) : r.perClass;
  const body = { metric: 'VOC', map_type: cfg.map_type, iter, map: r.map, images: r.images, perClass: per, history };
  writeFileAtomic(path.join(dir, 'voc_map.json'), JSON.stringify(body, null, 1) + '\n');
}

export function configName(cfg: SlimConfig): string {
  return cfg.__file__ ? path.basename(cfg.__file__).replace(/\.ya?ml$/i, '') : 'model';
}

export function lossConfig(model: YoloModel, cfg: SlimConfig): Yolov3LossSumConfig {
  const loss = ((model.head as unknown as { yoloLoss?: Record<string, unknown> }).yoloLoss ??
    ((cfg.model.yolo_head as Record<string, unknown> | undefined)?.yolo_loss as Record<string, unknown> | undefined)) ?? {};
  return {
    anchors: model.head.anchors,
    anchorMasks: model.head.anchorMasks,
    classNum: model.head.numClasses,
    ignoreThresh: typeof loss.ignore_thresh === 'number' ? loss.ignore_thresh : 0.7,
    downsample: model.head.downsample,
    labelSmooth: typeof loss.label_smooth === 'boolean' ? loss.label_smooth : true,
    scaleXY: model.head.scaleXY,
  };
}

/** The optimizer the config's OptimizerBuilder describes (Momentum or Adam, with L2 regularisation). */
function buildOptimizer(cfg: SlimConfig, model: DetectionModel): TrainOptimizer {
  const ob = cfg.OptimizerBuilder as unknown as { optimizer: Record<string, unknown>; regularizer: Record<string, unknown> | null };
  const type = ob.optimizer.__type__;
  if (type !== 'Momentum' && type !== 'Adam') throw new TrainError(`OptimizerBuilder.optimizer: expected type Momentum or Adam (the optimizers available), got ${String(type)}`);
  const reg = ob.regularizer;
  if (reg && reg.__type__ !== 'L2') throw new TrainError(`OptimizerBuilder.regularizer: expected type L2, got ${String(reg.__type__)}`);
  const l2 = reg ? Number(reg.factor ?? 0) : 0;
  const params = model.graph.paramList();
  if (type === 'Adam') {
    const num = (k: string) => (ob.optimizer[k] === undefined ? undefined : Number(ob.optimizer[k]));
    return AdamOptimizer.forParams(params, { beta1: num('beta1'), beta2: num('beta2'), epsilon: num('epsilon'), l2 });
  }
  if (ob.optimizer.use_nesterov === true) throw new TrainError('OptimizerBuilder.optimizer.use_nesterov: expected false (Nesterov momentum is not available), got true');
  return MomentumOptimizer.forParams(params, { momentum: Number(ob.optimizer.momentum ?? 0.9), l2 });
}

function optimizerTensors(opt: TrainOptimizer): NamedArray[] {
  return opt.stateTensors().map(({ name, tensor }) => ({ name, shape: [...tensor.shape], data: toFloat32(tensor) }));
}

/** The checkpoint's name for an optimizer's slots (Momentum's velocity, Adam's moments). */
const slotName = (opt: TrainOptimizer) => Object.keys(opt.slots()).join(',');

const sameRecordSpec = (r: PruneRecord, p: PruneRequest) =>
  r.groups.length <= p.params.length && r.groups.every((g) => {
    const i = p.params.indexOf(g.master);
    return i >= 0 && Math.abs(p.ratios[i] - g.ratio) < 1e-12;
  });

export async function train(o: TrainOptions): Promise<TrainResult> {
  const cfg = o.cfg;
  const log = o.log ?? ((l: string) => void process.stdout.write(l + '\n'));
  const warn = o.warn ?? ((l: string) => void process.stderr.write(`warning: ${l}\n`));
  const maxIters = cfg.max_iters;
  if (maxIters === null || maxIters === undefined) throw new TrainError('max_iters: expected the number of iterations to train, got none (set max_iters in the config or -o max_iters=N)');
  if (!cfg.TrainReader) throw new TrainError('TrainReader: expected a TrainReader section in the config, got none');
  if (o.eval && !cfg.EvalReader) throw new TrainError('--eval: expected an EvalReader section in the config, got none');
  const seed = o.seed ?? 0;
  const name = o.configName ?? configName(cfg);
  const outDir = path.resolve(cfg.save_dir, name);
  cleanStaleTemps(outDir);
  const size = evalInputSize(cfg);
  const model = buildAnyModel(cfg as unknown as Record<string, unknown>, { mode: 'train', inputShape: [1, 3, size, size] });
  const isRcnn = model.architecture !== 'YOLOv3';
  if (isRcnn && o.eval && cfg.metric !== 'COCO') throw new TrainError(`--eval: expected metric COCO for ${model.architecture} (the metric its evaluation computes), got ${String(cfg.metric)}`);

  // the snapshot to continue from, and the reader (checked before any weights are fetched)
  const resumed = o.resume ? readCheckpoint(o.resume) : null;
  if (resumed && !resumed.manifest.train) {
    throw new TrainError(`-r ${o.resume}: expected a training snapshot (with optimizer and reader state), got weights only; use -o weights=${o.resume} to start from them`);
  }
  const reader = await createReader(cfg.TrainReader as never, {
    mode: 'train', seed, startIter: resumed?.manifest.train?.iter ?? 0,
    numClasses: model.architecture === 'YOLOv3' ? model.head.numClasses : model.settings.numClasses,
    ...(o.workerNum !== undefined ? { workerNum: o.workerNum } : {}),
    ...(o.datasetDir ? { datasetDirOverride: o.datasetDir } : {}),
  });
  try {
    return await run(o, cfg, model, resumed, reader, { seed, name, outDir, size, log, warn, maxIters });
  } finally {
    await reader.close();
  }
}

type Reader = Awaited<ReturnType<typeof createReader>>;

async function run(
  o: TrainOptions, cfg: SlimConfig, model: DetectionModel, resumed: Checkpoint | null, reader: Reader,
  c: { seed: number; name: string; outDir: string; size: number; log: (l: string) => void; warn: (l: string) => void; maxIters: number },
): Promise<TrainResult> {
  const { seed, name, outDir, size, log, warn, maxIters } = c;
  const graph = model.graph;
  const flopsShape = { [model.input]: [1, 3, size, size] };
  // starting point
  let startIter = 0;
  let bestMap: number | null = null;
  let records: PruneRecord[] = [];
  let resumedState: Map<string, { data: Float32Array; shape: number[] }> | null = null;
  let resumedType = 'Momentum';
  const init = () => initModel(model, { seed, ...(o.backend ? { backend: o.backend } : {}) });
  if (resumed) {
    const ck = resumed;
    const t = ck.manifest.train!;
    if (ck.manifest.config && ck.manifest.config.digest !== digestOf(cfg.model)) warn(`-r ${o.resume}: the model section of the config differs from the one this snapshot was trained with`);
    records = ck.manifest.prune;
    replayPruning(graph, records);
    init();
    loadIntoGraph(graph, ck, { strict: true, backend: o.backend });
    resumedState = new Map([...ck.optimizer].map(([k, v]) => [k, { data: v.data, shape: v.shape }]));
    resumedType = ck.manifest.optimizer?.type ?? 'Momentum';
    startIter = t.iter;
    bestMap = t.bestMap;
    if (t.seed !== seed) throw new TrainError(`-r ${o.resume}: expected seed ${t.seed} (the snapshot's) to continue exactly, got ${seed}`);
    log(`resumed from ${o.resume} at iteration ${startIter}`);
  } else {
    const spec = o.weights || cfg.pretrain_weights;
    if (spec) {
      const dir = await resolveWeights(spec, { cacheDir: o.cacheDir, log });
      const ck: Checkpoint = readCheckpoint(dir);
      records = ck.manifest.prune;
      replayPruning(graph, records);
      init();
      const rep = loadIntoGraph(graph, ck, { strict: !!o.strict, backend: o.backend });
      const msg = describeLoad(spec, rep);
      if (msg) warn(msg);
      log(`loaded ${rep.loaded.length} parameters from ${spec}${records.length ? ` (pruned: ${records.length} record(s) replayed)` : ''}`);
    } else init();
  }

  const opt = buildOptimizer(cfg, model);
  if (resumedState) {
    if (resumedType !== opt.type) throw new TrainError(`-r ${o.resume}: the snapshot was trained with ${resumedType}, the config asks for ${opt.type}; expected the same optimizer to continue exactly`);
    opt.loadState(resumedState);
  }

  if (o.prune) {
    const already = records.length > 0 && sameRecordSpec(records[records.length - 1], o.prune);
    if (o.resume && records.length && !already) {
      throw new TrainError(`-r ${o.resume}: the snapshot was pruned with ${records[records.length - 1].groups.map((g) => `${g.master}:${g.ratio}`).join(', ')}; expected the same --pruned_params/--pruned_ratios or none`);
    }
    if (!already) {
      const before = countFlops(graph, { inputShapes: flopsShape });
      const p = planPruning(graph, { ...o.prune, criterion: o.prune.criterion ?? 'l1_norm', warn: (m) => warn(m) });
      const rec = applyPlan(graph, p, { mode: 'default', optimizerState: opt.slots() });
            records = [...records, rec];
      const after = countFlops(graph, { inputShapes: flopsShape });
      log(`pruned ${o.prune.params.length} parameter(s) (${o.prune.criterion ?? 'l1_norm'})`);
      for (const line of formatPruneReport(compareFlops(before, after)).split('\n')) log(line);
    }
  } else {
    const f = countFlops(graph, { inputShapes: flopsShape });
    log(`FLOPs: ${f.macs} MACs, ${f.gflops.toFixed(4)} GFLOPs at ${size}x${size}; params: ${f.params}`);
  }

  const lr = buildLearningRate(cfg.LearningRate as never);
  const clipNorm = (cfg.OptimizerBuilder as unknown as { clip_grad_by_norm?: number | null }).clip_grad_by_norm ?? null;
  if (clipNorm !== null && !(clipNorm > 0)) throw new TrainError(`OptimizerBuilder.clip_grad_by_norm: expected a number > 0 (the largest global gradient norm) or null, got ${clipNorm}`);
  const lossCfg = model.architecture === 'YOLOv3' ? lossConfig(model, cfg) : null;
  // R-CNN evaluation runs on an eval-mode twin (test proposals), given the trained weights before each evaluation
  let evalTwin: ReturnType<typeof rcnnEvalModel> | null = null;
  const cfgDigest = digestOf(cfg.model);
  const evals: Array<{ iter: number; map: number }> = [];
  let lastSnapshot: string | null = o.resume ?? null;

  const snapshot = (dirName: string, done: number, lrNow: number) => {
    const dir = path.join(outDir, dirName);
    saveCheckpoint(dir, {
      iteration: done,
      params: graphParams(graph),
      optimizer: { type: opt.type, slot: slotName(opt), tensors: optimizerTensors(opt) },
      prune: records,
      config: { name, digest: cfgDigest },
      train: { iter: done, lr: lrNow, seed, dataIter: done, bestMap },
    });
    return dir;
  };

  const finalDir = path.join(outDir, 'model_final');
  let bestDir: string | null = null;
  const tlog = new TrainLog({ maxIters, startIter, logIter: cfg.log_iter, window: cfg.log_smooth_window, log, progress: !!o.progress });
  let lastLoss = NaN;
  if (startIter >= maxIters) {
    log(`nothing to do: the snapshot is at iteration ${startIter}, max_iters is ${maxIters}`);
    return { model, iterations: startIter, outDir, finalDir, bestDir, bestMap, evals, pruneRecords: records, lastLoss, dataMs: 0, computeMs: 0, imagesPerSec: 0 };
  }

  const batches = reader.batches();
  try {
    for (let it = startIter; it < maxIters; it++) {
      const tWait = Date.now();
      const next = await batches.next();
      if (next.done) throw new TrainError(`TrainReader: expected an endless stream of batches, got its end at iteration ${it}`);
      const batch = next.value;
      const t0 = Date.now();
      const dataMs = t0 - tWait;
      if (batch.iter !== it) throw new TrainError(`TrainReader: expected batch ${it}, got batch ${batch.iter}`);
      const lrNow = lr(it);
      const N = batch.shape[0];
      const img = Tensor.from(batch.image, batch.shape, ...(o.backend ? [o.backend] : []));
      const step = lossCfg ? yoloStep(graph, model as YoloModel, img, batch, lossCfg) : rcnnStep(model as Exclude<DetectionModel, YoloModel>, img, batch, seed, it);
      img.dispose(); // the tape read the caller's feed until backward was done
      if (!Number.isFinite(step.loss)) {
        step.grads.forEach((t) => t.dispose());
        throw new TrainError(
          `training stopped at iteration ${it}: the loss is ${step.loss} (${step.names ? step.names.map((n, i) => `${n} ${step.levels[i]}`).join(', ') : `levels ${step.levels.map((l) => String(l)).join(', ')}`}, lr ${lrNow}); ` +
            `no step was taken and nothing was written${lastSnapshot ? `; the last good snapshot is ${lastSnapshot}` : ''} (lower LearningRate.base_lr or lengthen LinearWarmup)`,
        );
      }
      const params = new Map<string, Tensor>();
      for (const p of graph.paramList()) if (p.trainable && p.tensor) params.set(p.name, p.tensor);
      if (clipNorm !== null) clipByGlobalNorm(step.grads, clipNorm, (n) => params.has(n));
      opt.step(params, step.grads, lrNow);
      step.grads.forEach((t) => t.dispose());
      lastLoss = step.loss;
      tlog.step(it, { loss: step.loss, levels: step.levels, ...(step.names ? { levelNames: step.names } : {}), lr: lrNow, images: N, dataMs, computeMs: Date.now() - t0 });

      const isLast = it === maxIters - 1;
      if ((it > 0 && it % cfg.snapshot_iter === 0) || isLast) {
        const dir = snapshot(isLast ? 'model_final' : String(it), it + 1, lrNow);
        lastSnapshot = dir;
        tlog.line(`saved ${dir}`);
        if (o.eval && model.architecture !== 'YOLOv3') {
          evalTwin ??= rcnnEvalModel(cfg, records, size);
          loadRcnnParams(evalTwin, graphParams(graph));
          const r = await evaluateRcnnCoco(evalTwin, cfg, { seed, workerNum: o.workerNum, datasetDir: o.datasetDir });
          const ap = r.bbox.stats[0];
          evals.push({ iter: it, map: ap });
          if (bestMap === null || ap > bestMap) {
            bestMap = ap;
            bestDir = path.join(outDir, 'best_model');
            snapshot('best_model', it + 1, lrNow);
            snapshot(isLast ? 'model_final' : String(it), it + 1, lrNow);
          }
          const pct = (v: number) => (v * 100).toFixed(2);
          tlog.line(
            `eval at iteration ${it}: bbox AP ${pct(ap)} AP50 ${pct(r.bbox.stats[1])}${r.segm ? `, segm AP ${pct(r.segm.stats[0])} AP50 ${pct(r.segm.stats[1])}` : ''} ` +
              `on ${r.images} images (${(r.ms / 1000).toFixed(1)} s); best bbox AP ${pct(bestMap ?? 0)}`,
          );
          if (o.outputEval) writeCocoEvalFile(o.outputEval, it, r, evals);
        } else if (o.eval) {
          const r = await evaluateVoc(model as YoloModel, cfg, { seed, workerNum: o.workerNum, datasetDir: o.datasetDir });
          evals.push({ iter: it, map: r.map });
          if (bestMap === null || r.map > bestMap) {
            bestMap = r.map;
            bestDir = path.join(outDir, 'best_model');
            // best_model carries the improved bestMap; rewrite the snapshot so a resume sees it too
            snapshot('best_model', it + 1, lrNow);
            snapshot(isLast ? 'model_final' : String(it), it + 1, lrNow);
          }
          tlog.line(`eval at iteration ${it}: mAP(0.5, ${cfg.map_type}) ${(r.map * 100).toFixed(2)} on ${r.images} images (${(r.ms / 1000).toFixed(1)} s); best ${((bestMap ?? 0) * 100).toFixed(2)}`);
          if (o.outputEval) writeEvalFile(o.outputEval, cfg, it, r, evals);
        }
      }
    }
  } finally {
    tlog.stop();
    evalTwin?.dispose();
    await batches.return?.(undefined);
  }
  if (!bestDir && fs.existsSync(path.join(outDir, 'best_model'))) bestDir = path.join(outDir, 'best_model');
  const s = tlog.summary();
  return { model, iterations: maxIters, outDir, finalDir, bestDir, bestMap, evals, pruneRecords: records, lastLoss, ...s };
}

interface StepOutcome {
  loss: number;
  /** YOLOv3: per output level; R-CNN: per loss term (names) */
  levels: number[];
  names?: string[];
  /** empty when the loss is not finite */
  grads: Map<string, Tensor>;
}

/** YOLOv3: forward, PaddleDetection's loss on the three raw outputs, backward. */
function yoloStep(graph: YoloModel['graph'], model: YoloModel, img: Tensor, batch: Batch, lossCfg: Yolov3LossSumConfig): StepOutcome {
  if (!batch.gtBox || !batch.gtLabel || !batch.numMaxBoxes) throw new TrainError('TrainReader: expected gt_bbox, gt_class and num_max_boxes in every batch (inputs_def.fields), got a batch without them');
  const [N] = batch.shape;
  const B = batch.numMaxBoxes;
  const fr = forward(graph, { [model.input]: img }, { training: true, grad: true, fetch: model.outputs });
  const outs = model.outputs.map((v) => fr.outputs[v]);
  const loss = yolov3LossSum(
    outs.map((t) => ({ data: toFloat32(t), shape: [...t.shape] })),
    {
      gtBox: { data: batch.gtBox, shape: [N, B, 4] },
      gtLabel: { data: batch.gtLabel, shape: [N, B] },
      ...(batch.gtScore ? { gtScore: { data: batch.gtScore, shape: [N, B] } } : {}),
    },
    lossCfg,
  );
  if (!Number.isFinite(loss.total)) {
    fr.tape?.dispose();
    outs.forEach((t) => t.dispose());
    return { loss: loss.total, levels: loss.levels, grads: new Map() };
  }
  const seeds: Record<string, Tensor> = {};
  model.outputs.forEach((v, i) => (seeds[v] = Tensor.from(loss.dx[i], outs[i].shape, outs[i].backend)));
  outs.forEach((t) => t.dispose());
  const grads = fr.tape!.backward(seeds);
  Object.values(seeds).forEach((t) => t.dispose());
  return { loss: loss.total, levels: loss.levels, grads: grads.params };
}

/** Faster / Mask R-CNN: the model object's training step, its samplers seeded by (seed, it). */
function rcnnStep(model: Exclude<DetectionModel, YoloModel>, img: Tensor, batch: Batch, seed: number, it: number): StepOutcome {
  const r = rcnnTrainStep(model, img, rcnnBatch(batch, model.architecture === 'MaskRCNN'), seed, it);
  const names = Object.keys(r.parts);
  return { loss: r.loss, levels: names.map((n) => r.parts[n]), names, grads: r.grads };
}
