/**
 * slimprune's config system: PaddleDetection-format YAML (custom `!Tag`s, `_READER_`
 * includes, `-o` overrides) resolved against a registry of components with their defaults.
 *
 *   const cfg = readConfig('configs/yolov3_mobilenet_v1_voc.yml', ['LearningRate.base_lr=0.01']);
 *   cfg.model.backbone  // { __type__: 'MobileNet', norm_type: 'sync_bn', conv_group_scale: 1, ... }
 */
import { loadConfig, type LoadOptions } from './load';
import { resolveConfig, type SlimConfig } from './resolve';

export { ConfigError, closestNames, editDistance } from './errors';
export { loadConfig, configFromObject, displayPath, READER_KEY, type LoadedConfig, type LoadOptions } from './load';
export { parseOverride, applyOverrides, type Override } from './overrides';
export { parseYaml } from './yaml';
export {
  resolveConfig,
  READER_NAMES,
  type SlimConfig,
  type GlobalConfig,
  type ReaderConfig,
  type ReaderName,
} from './resolve';
export {
  REGISTRY,
  lookup,
  componentsOfKind,
  assertArchitectureAvailable,
  type ComponentConfig,
  type ComponentTables,
} from './registry';
export type { Component, ComponentDef, Kind, Resolved } from './schema';

/** Load, merge includes, apply `-o` overrides and resolve, in one call. */
export function readConfig(file: string, overrides: LoadOptions['overrides'] = []): SlimConfig {
  return resolveConfig(loadConfig(file, { overrides }));
}
