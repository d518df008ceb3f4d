/**
 * The pruner's public API, usable from any Node program:
 *
 *     import { pruner } from 'slimprune/src/prune';
 *     const plan = pruner.plan(graph, { params: ['conv2_weights'], ratios: [0.5], criterion: 'l1_norm' });
 *     const record = pruner.apply(graph, plan, { mode: 'default', optimizerState });
 *     // later, on a fresh graph built the same way, before loading the pruned weights:
 *     pruner.replay(fresh, record);
 *
 * listGroups(graph) lists every dependency group (what `slimprune groups` prints).
 */
import { apply, plan, recordOf } from './pruner';
import { groupOf, listGroups, PruneError } from './groups';
import { checkRecord, planFromRecord, replayRecord } from './record';
import { compareFlops, formatPruneReport, measurePruning } from './report';

export { apply, plan, recordOf, groupOf, listGroups, PruneError, checkRecord, planFromRecord, replayRecord, compareFlops, formatPruneReport, measurePruning };
export { channelScores, keptByScore } from './criteria';
export { keptCount, roundHalfToEven } from './count';
export { closestNames } from './validate';
export { mapIndices, mapKey } from './mapping';
export { PRUNE_HANDLERS, ROOT_AXIS, type PruneHandler, type Walk } from './handlers';
export type { PruneReport } from './report';
export * from './types';

export const pruner = { plan, apply, replay: replayRecord, listGroups, groupOf };
export { readSensitivityFile, writeSensitivityFile, mergeSensitivities, ratioKey, SensitivityFileError, type SensitivityFile, type SensitivityTable } from './sensitivity_file';
export { getRatiosByLoss, interpolatedLoss, ratiosForFlops, type FlopsRatios } from './ratios';
export { runSensitivity, type SensitivityRun } from './sensitivity_run';
