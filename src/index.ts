/**
 * slimprune's package API: the engine (backends, tensors, validated ops), the graph and its
 * executor, the model zoo, PaddleDetection configs and the pruner.
 *
 *     import { readConfig, buildModel, initModel, pruner, countFlops } from 'slimprune';
 *     const model = buildModel(readConfig('configs/yolov3_mobilenet_v1_voc.yml'), { mode: 'train' });
 *     initModel(model, { seed: 1 });
 *     const plan = pruner.plan(model.graph, { params: ['yolo_block.0.0.0.conv.weights'], ratios: [0.5] });
 *     const record = pruner.apply(model.graph, plan);
 */
export * from './backend';
export { Graph } from './graph/graph';
export { GraphBuilder } from './graph/builder';
export { forward, Tape, type ForwardOptions, type ForwardResult, type Gradients } from './graph/executor';
export { InferenceRunner, type InferenceRunnerOptions, type ReplayState } from './graph/replay';
export { countFlops, type FlopsReport } from './graph/flops';
export { initParams } from './graph/init';
export type { Param, Node, Attrs, Dims, InitSpec } from './graph/types';
export { buildModel, initModel, ModelError, type BuildOptions, type YoloModel, type Detection } from './nn';
export { buildRcnnModel, buildAnyModel, type DetectionModel, type RcnnModel, type RcnnBatch, type RcnnDetection, type RcnnImInfo, type RcnnLoss } from './nn';
export { readConfig, loadConfig, ConfigError } from './config';
export { pruner, plan, apply, replayRecord, listGroups, groupOf, PruneError, compareFlops, formatPruneReport } from './prune';
export { yolov3Loss, yolov3LossWithGrad, yolov3LossSum, yolov3LossInto, Yolov3LossError, type Yolov3LossInputs, type Yolov3LossAttrs, type Yolov3LossSumConfig, type Yolov3LossSumResult, type TensorData } from './train/yolov3_loss';
export { vocMap, VocMapAccumulator, VocMapError, type VocImage, type VocMapOptions, type VocMapResult, type ClassAp, type MapType } from './eval';
export { buildLearningRate, LearningRateError, SCHEDULER_NAMES, type LearningRateConfig, type Schedule } from './train/lr';
export { MomentumOptimizer, OptimizerError, isNormParamName, type MomentumOptions, type VelocityData } from './train/optimizer';
export { createReader, VOCDataSet, COCODataSet, ImageFolder, DataError, BadSampleError, writeDigitsDataset, type Reader, type ReaderOptions, type Batch } from './data';
export { cocoEval, CocoEvalError, formatCocoStats, COCO_STAT_NAMES, type CocoGt, type CocoDetection, type CocoEvalResult, type CocoCategoryResult, type CocoEvalOptions } from './eval/coco_eval';
export { train, TrainError, saveCheckpoint, readCheckpoint, CheckpointError, resolveWeights, WeightsError, evaluateVoc, modelFromCheckpoint, measureLatency, loadTrainedModel, loadTrainedRcnn, TrainedModelError, type TrainedModel, type LoadTrainedOptions, type TrainOptions, type TrainResult, type Checkpoint, type Manifest } from './train';
export { exportModel, exportDir, foldNorms, graphToOnnx, verifyOnnx, readNativeModel, writeNativeModel, inferCfgYaml, ExportError, type ExportModelOptions, type ExportReport, type ExportFormat, type VerifyResult } from './export';
export { exportRcnnModel, verifyRcnnExport, loadRcnnExport, RcnnOnnxModel, readRcnnInferCfg, type RcnnExportReport, type RcnnVerifyResult, type RcnnExportCfg, type RcnnOnnxDetection } from './export';
export { loadInferenceModel, InferenceModel, drawDetections, InferError, type InferDetection, type DetectOptions } from './infer';
