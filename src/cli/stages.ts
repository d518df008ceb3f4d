/**
 * The stages the CLI drives, each behind the smallest structural interface the CLI needs and
 * loaded lazily, so that a stage missing from a build ends in one clean runtime error
 * ("... is not available in this build yet") instead of a crash at startup:
 *
 *   nn     src/nn          buildModel(cfg, { mode }) -> { graph }, initModel(model, { seed })
 *   flops  src/graph/flops countFlops(graph) -> { macs, gflops, params, sizeMB }
 *   prune  src/prune       plan(graph, { params, ratios, criterion }), apply(graph, plan, { mode }),
 *                          groupOf(graph, param) -> { root, channels, members }
 *
 * The graph is read only through `graph.params` (name -> { shape }). Tests and embedders pass
 * stand-ins through `StageOverrides`.
 */
import * as path from 'path';
import { assertArchitectureAvailable, type SlimConfig } from '../config';
import { closestNames, ConfigError } from '../config/errors';
import { displayPath } from '../config/load';
import { MODEL_LIMITS } from '../config/limits';
import { RuntimeError, UsageError } from './errors';
import type { Criterion } from './options';
import { modelInputShape, type BuildMode } from '../train/trained_model';

export { modelInputShape, type BuildMode };

export interface ParamInfo {
  name: string;
  shape: readonly number[];
}

/** What the CLI reads of a graph: its parameters, by name. */
export interface GraphLike {
  params: ReadonlyMap<string, { shape: readonly number[] }>;
}

export interface BuiltModel {
  graph: GraphLike;
}

export interface ModelStage {
  buildModel(cfg: SlimConfig, opts: { mode: BuildMode; inputShape?: number[] }): BuiltModel;
  /** seeded parameter data (channel scores need data; counts do not depend on it) */
  initModel(model: BuiltModel, opts: { seed?: number }): void;
}

export interface FlopsCount {
  /** multiply-adds per image of convs and fc layers (PaddleSlim's count) */
  macs: number;
  /** macs / 2^30 */
  gflops: number;
  params: number;
  /** float32 MiB */
  sizeMB: number;
  /** the counted layers in graph order (for --detail) */
  perNode?: Array<{ id: string; type: string; macs: number; param?: string }>;
}

export interface FlopsStage {
  countFlops(graph: GraphLike): FlopsCount;
}

export interface GroupMember {
  kind: 'param' | 'value' | 'attr';
  param?: string;
  value?: string;
  node?: string;
  attr?: string;
  axis?: number;
  role?: string;
}

export interface PruneStage {
  plan(graph: GraphLike, o: { params: string[]; ratios: number[]; criterion?: Criterion; roundTo?: number; groupReduction?: 'master' | 'mean'; warn?: (m: string) => void }): unknown;
  apply(graph: GraphLike, plan: unknown, o: { mode: 'default' | 'lazy' | 'only_graph' }): unknown;
  groupOf(graph: GraphLike, param: string): { root: string; channels: number; members: GroupMember[] };
  listGroups(graph: GraphLike): Array<{ master: string; channels: number; members: Array<Record<string, unknown>>; unprunable?: string }>;
}

export interface Stages {
  nn: ModelStage;
  flops: FlopsStage;
  prune: PruneStage;
}

export type StageOverrides = Partial<Stages>;

const STAGE_MODULES: { [K in keyof Stages]: { rel: string; fns: Array<keyof Stages[K] & string>; what: string } } = {
  nn: { rel: 'nn', fns: ['buildModel', 'initModel'], what: 'the model builder' },
  flops: { rel: 'graph/flops', fns: ['countFlops'], what: 'FLOPs counting' },
  prune: { rel: 'prune', fns: ['plan', 'apply', 'groupOf', 'listGroups'], what: 'the pruner' },
};

/** The stage from `overrides`, else its module under src/ (dist/src/ when built). */
export function loadStage<K extends keyof Stages>(key: K, overrides: StageOverrides = {}): Stages[K] {
  const given = overrides[key];
  if (given) return given as Stages[K];
  const { rel, fns, what } = STAGE_MODULES[key];
  return requireStage(path.resolve(__dirname, '..', rel), `src/${rel}`, fns, what) as Stages[K];
}

/** Requires `file`; a missing module or missing functions become a RuntimeError naming `what`. */
export function requireStage(file: string, shown: string, fns: readonly string[], what: string): unknown {
  let mod: Record<string, unknown>;
  try {
    mod = require(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(file)) {
      throw new RuntimeError(`${what} is not available in this build yet (no ${shown})`);
    }
    throw e;
  }
  const missing = fns.filter((fn) => typeof mod[fn] !== 'function');
  if (missing.length) throw new RuntimeError(`${what} is not available in this build yet (${shown} has no ${missing.join(', ')})`);
  return mod;
}

/**
 * Builds the model of `cfg` (refusing architectures that cannot be built yet). The inference
 * graph takes TestReader's image_shape when it is fixed ([3, 608, 608]), as an exported model does.
 */
/** The model of a config; inputSize (pixels, square) or shape ([N, 3, H, W]) overrides TestReader's image shape. */
export function buildModel(cfg: SlimConfig, mode: BuildMode, overrides?: StageOverrides, inputSize?: number, shape?: number[]): BuiltModel {
  try {
    assertArchitectureAvailable(cfg.architecture);
  } catch (e) {
    throw new RuntimeError((e as Error).message);
  }
  const inputShape = shape ?? modelInputShape(cfg, mode, inputSize);
  const opts = inputShape ? { mode, inputShape } : { mode };
  const nn = loadStage('nn', overrides);
  try {
    // R-CNN configs build into their own model object (src/nn buildAnyModel); stand-ins may only have buildModel
    const any = (nn as ModelStage & { buildAnyModel?: ModelStage['buildModel'] }).buildAnyModel;
    return any ? any(cfg, opts) : nn.buildModel(cfg, opts);
  } catch (e) {
    // The builder's own checks (ModelError) are about the config's values: a config error naming the file.
    const err = e as Error;
    if (err?.name !== 'ModelError' || /not available yet/.test(err.message)) throw e;
    const file = cfg.__file__ ? displayPath(cfg.__file__) : 'the config';
    throw new ConfigError(`config: ${file}: ${err.message}`, cfg.__file__ ?? undefined);
  }
}

/** An input side the architecture can take: YOLOv3 concatenates maps of strides 32, 16, 8. */
export function checkInputSize(architecture: string, size: number, flag = '--input_size'): void {
  const stride = architecture === 'YOLOv3' ? MODEL_LIMITS.yoloStride : 1;
  if (size % stride !== 0) {
    throw new UsageError(`${flag}: expected a multiple of ${stride} (${architecture} downsamples by ${stride}), got ${size}`);
  }
}

export function listParams(graph: GraphLike): ParamInfo[] {
  return [...graph.params.entries()].map(([name, p]) => ({ name, shape: p.shape }));
}

/** Every name must be a parameter of the graph (a usage error naming the closest ones otherwise). */
export function checkParamNames(graph: GraphLike, names: readonly string[], flag = '--pruned_params'): void {
  for (const n of names) {
    if (graph.params.has(n)) continue;
    const near = closestNames(n, graph.params.keys());
    throw new UsageError(
      `${flag}: expected a parameter of the model, got '${n}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ' (see --print_params)'}`,
    );
  }
}
