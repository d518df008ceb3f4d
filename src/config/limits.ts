/**
 * What a config may cost to read, and which keys it may not use. A config comes from a file
 * or a command line someone else may have written, so reading one is bounded in bytes, keys,
 * nesting, alias expansion and include depth, and every limit ends in one ConfigError naming
 * the file. The limits sit far above any real PaddleDetection config (the largest has a few
 * hundred keys, nesting depth 6, no aliases, one include).
 *
 * Keys that are names of Object.prototype members (`__proto__`, `constructor`, `toString`...)
 * or `prototype` are refused everywhere a key enters the config (YAML mappings, `-o` keys,
 * mappings given to configFromObject): written into a plain object, `__proto__` replaces the
 * object's prototype and a merge through it then edits Object.prototype for the whole process;
 * the others shadow built-ins that `in` and property reads would otherwise find.
 */
import { configError, type ConfigError } from './errors';

export const CONFIG_LIMITS = {
  /** bytes of one config file or `_READER_` include */
  fileBytes: 4 * 1024 * 1024,
  /** mapping keys written in one YAML document */
  keys: 10_000,
  /** values (scalars and collections) of one document once its aliases are expanded */
  nodes: 200_000,
  /** nesting of mappings and lists, aliases expanded */
  depth: 64,
  /** anchors plus aliases in one document */
  aliases: 1_000,
  /** `_READER_` includes followed from the top file */
  includeDepth: 16,
} as const;

/**
 * Bounds on the numbers a model is built from, checked when a config is resolved (and again
 * by the model builders for configs given to them directly): beyond them a build would hang
 * or ask for more memory than any machine has, long before it could be useful.
 */
export const MODEL_LIMITS = {
  /** num_classes: the largest detection label sets have a few thousand classes */
  classes: 10_000,
  /** width multipliers (MobileNet conv_group_scale): above 0, at most this */
  widthScale: 8,
  /** image_shape / --input_size: largest height or width in pixels */
  imageSide: 4096,
  /** YOLOv3 input sides are multiples of the deepest stride */
  yoloStride: 32,
  /** YOLOv3Head conv_block_num */
  convBlocks: 8,
} as const;

const BUILTIN_KEYS: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** Why `key` may not be a config key, or undefined when it may. */
export function forbiddenKeyReason(key: string): string | undefined {
  if (!BUILTIN_KEYS.has(key)) return undefined;
  if (key === '__proto__') return 'it would change every object in the process';
  return 'it is the name of a property every object has';
}

/** A ConfigError for a forbidden key, or undefined when `key` is allowed. */
export function forbiddenKeyError(key: string, source?: string, keyPath?: string): ConfigError | undefined {
  const why = forbiddenKeyReason(key);
  return why === undefined ? undefined : configError(`key "${key}" is not allowed (${why})`, source, keyPath);
}

/** Throws for a forbidden key. */
export function checkKey(key: string, source?: string, keyPath?: string): void {
  const err = forbiddenKeyError(key, source, keyPath);
  if (err) throw err;
}
