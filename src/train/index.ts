/**
 * Training: the loop (trainer), checkpoints, starting weights, evaluation and latency.
 */
export { train, TrainError, configName, lossConfig, type TrainOptions, type TrainResult, type PruneRequest } from './trainer';
export { saveCheckpoint, readCheckpoint, cleanStaleTemps, digestOf, CheckpointError, type Checkpoint, type Manifest, type TrainState, type SnapshotInput } from './checkpoint';
export { graphParams, loadIntoGraph, replayPruning, describeLoad, type LoadReport } from './model_state';
export { resolveWeights, defaultCacheDir, WeightsError } from './weights';
export { evaluateVoc, evalInputSize, measureLatency, modelFromCheckpoint, EvalError, type EvalResult } from './evaluate';
export { loadTrainedModel, loadTrainedRcnn, modelInputShape, pruneDifferences, TrainedModelError, type TrainedModel, type LoadTrainedOptions, type PruneRequestSpec } from './trained_model';
