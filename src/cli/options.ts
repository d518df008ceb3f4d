/**
 * Flags shared by the subcommands and their validation. Flag names are PaddleDetection's
 * (snake_case, so the tutorial's command lines work verbatim); each also answers to its
 * kebab-case form (`--pruned-ratios`), rewritten to the snake form before parsing.
 *
 * Lists (`-p`, `--pruned_ratios`, `-o`) accept commas and spaces alike: `-p "a,b"`, `-p a b`,
 * `--pruned_ratios="0.2,0.3"` and `-r 0.1 0.2` all work. Ratios are strict where Paddle is
 * not: each must be a plain number in [0, 1), one per parameter.
 */
import type { Command } from 'commander';
import { UsageError } from './errors';
import { loadConfig, resolveConfig, type SlimConfig } from '../config';
import { closestNames } from '../config/errors';
import { ConfigError } from '../config/errors';
import { displayPath } from '../config/load';
import { keptCount } from '../prune/count';
import type { GraphLike } from './stages';

/** The parameters to prune and the ratio of each (same length). */
export interface PruneSpec {
  params: string[];
  ratios: number[];
  /** keep each pruned layer's remaining channel count a multiple of this */
  roundTo?: number;
  /** score a group by its listed conv ('master', PaddleSlim's way) or by the mean over its convs */
  groupReduction?: 'master' | 'mean';
}

export const CRITERIA = ['l1_norm', 'l2_norm', 'geometry_median', 'bn_scale'] as const;
export type Criterion = (typeof CRITERIA)[number];

export const DEFAULT_SENSITIVITY_RATIOS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** `-c/--config` (required) and `-o/--opt`, common to every subcommand. */
export function addConfigFlags(cmd: Command): Command {
  return cmd
    .requiredOption('-c, --config <file>', 'config file (PaddleDetection format)')
    .option('-o, --opt <key=value...>', 'override config keys: dotted keys, YAML values (several after one -o)');
}

/** `-p/--pruned_params` and `--pruned_ratios` (the short form of the ratios differs per script). */
export function addPruneFlags(cmd: Command, ratiosFlags = '--pruned_ratios <ratios...>'): Command {
  return cmd
    .option('-p, --pruned_params <names...>', 'parameters to prune, comma or space separated')
    .option(ratiosFlags, 'ratio of each pruned parameter, each in [0, 1), comma or space separated')
    .option('--round_to <K>', 'keep the remaining channel count of each pruned layer a multiple of K')
    .option('--group_reduction <how>', "score a group by its listed conv ('master', default) or the mean over all its convs ('mean')");
}

/** Appends "(also --kebab-name)" to the help of every snake_case long flag of `cmd`. */
export function documentKebabAliases(cmd: Command): void {
  for (const o of cmd.options) {
    if (o.long && o.long.includes('_')) o.description += ` (also ${kebab(o.long)})`;
  }
}

function kebab(flag: string): string {
  return flag.replace(/_/g, '-');
}

/** Rewrites `--pruned-ratios[=x]` to `--pruned_ratios[=x]` for every snake flag in `snakeFlags`. */
export function normalizeKebab(args: readonly string[], snakeFlags: Iterable<string>): string[] {
  const map = new Map<string, string>();
  for (const f of snakeFlags) if (f.includes('_')) map.set(kebab(f), f);
  const out: string[] = [];
  let passthrough = false;
  for (const a of args) {
    if (passthrough || a === '--' || !a.startsWith('--')) {
      out.push(a);
      passthrough ||= a === '--';
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    const snake = map.get(name);
    out.push(snake ? snake + (eq < 0 ? '' : a.slice(eq)) : a);
  }
  return out;
}

/** Splits list flag values on commas and whitespace; an empty entry (`a,,b`, `a,`) is an error. */
export function splitList(flag: string, values: unknown): string[] {
  if (values === undefined) return [];
  const raw = (Array.isArray(values) ? values : [values]).map(String);
  const out: string[] = [];
  for (const v of raw) {
    const parts = v.trim().split(/\s*,\s*|\s+/);
    if (parts.some((p) => p === '')) throw new UsageError(`${flag}: expected a comma-separated list, got an empty entry in '${v}'`);
    out.push(...parts);
  }
  return out;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Each entry a number in [0, 1). */
export function parseRatios(flag: string, values: unknown): number[] {
  return splitList(flag, values).map((s, i) => {
    const r = NUMBER.test(s) ? Number(s) : NaN;
    if (!(r >= 0 && r < 1)) {
      throw new UsageError(`${flag}: expected a number in [0, 1) for ratio ${i + 1}, got '${s}'`);
    }
    return r;
  });
}

/** Parameter names, each once. */
export function parseParams(flag: string, values: unknown): string[] {
  const names = splitList(flag, values);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new UsageError(`${flag}: expected each parameter once, got '${n}' twice`);
    seen.add(n);
  }
  return names;
}

/**
 * `-p` with `--pruned_ratios`: both or neither (null), the same count. `required`: names the
 * situation in which `-p` must be given.
 */
export function parsePruneSpec(opts: Record<string, unknown>, required?: string): PruneSpec | null {
  const params = parseParams('--pruned_params', opts.pruned_params);
  const ratios = parseRatios('--pruned_ratios', opts.pruned_ratios);
  if (params.length === 0 && ratios.length === 0) {
    if (required) throw new UsageError(`--pruned_params: expected the parameters to prune ${required}, got none`);
    return null;
  }
  if (params.length === 0) throw new UsageError('--pruned_ratios: expected --pruned_params to name the parameters the ratios apply to');
  if (ratios.length !== params.length) {
    throw new UsageError(
      `--pruned_ratios: expected ${params.length} ratio${params.length === 1 ? '' : 's'} (one per parameter of --pruned_params), got ${ratios.length}`,
    );
  }
  const spec: PruneSpec = { params, ratios };
  if (opts.round_to !== undefined) {
    const text = String(opts.round_to).trim();
    const k = NUMBER.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(k) || k < 1 || k > MAX_ROUND_TO) {
      throw new UsageError(`--round_to: expected a positive integer up to ${MAX_ROUND_TO}, got ${String(opts.round_to)}`);
    }
    spec.roundTo = k;
  }
  if (opts.group_reduction !== undefined) {
    const g = String(opts.group_reduction);
    if (g !== 'master' && g !== 'mean') throw new UsageError(`--group_reduction: expected master or mean, got '${g}'`);
    spec.groupReduction = g;
  }
  return spec;
}

/** Largest --round_to: no layer of the model zoo has more channels than this. */
export const MAX_ROUND_TO = 4096;

/**
 * --round_to can undo a ratio: rounding the kept count down to a multiple of K but keeping at
 * least K leaves a layer of at most K channels whole. One warning per parameter whose ratio
 * would prune channels without --round_to and prunes none with it; a UsageError when that is
 * true of every parameter that would lose channels at all (the command would prune nothing).
 */
export function roundToNoOps(graph: GraphLike, spec: PruneSpec): string[] {
  const k = spec.roundTo ?? 1;
  if (k <= 1) return [];
  const warnings: string[] = [];
  let wouldPrune = 0;
  spec.params.forEach((p, i) => {
    const n = graph.params.get(p)?.shape[0];
    if (n === undefined || keptCount(n, spec.ratios[i]) === n) return;
    wouldPrune++;
    if (keptCount(n, spec.ratios[i], k) === n) {
      warnings.push(`--round_to ${k}: ${p} keeps all ${n} channels (ratio ${spec.ratios[i]} prunes nothing once the kept count is rounded to a multiple of ${k}, at least ${k})`);
    }
  });
  if (wouldPrune > 0 && warnings.length === wouldPrune) {
    throw new UsageError(`--round_to: expected a K that leaves something to prune, got ${k}: every parameter keeps all its channels (${warnings.length === 1 ? warnings[0].replace(/^--round_to \d+: /, '') : `e.g. ${warnings[0].replace(/^--round_to \d+: /, '')}`})`);
  }
  return warnings;
}

export function parseCriterion(v: unknown): Criterion {
  const s = String(v ?? 'l1_norm');
  if ((CRITERIA as readonly string[]).includes(s)) return s as Criterion;
  const near = closestNames(s, CRITERIA);
  throw new UsageError(
    `--prune_criterion: expected one of ${CRITERIA.join(', ')}, got '${s}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`,
  );
}

export interface ConfigOptions {
  config: string;
  overrides: string[];
}

export function parseConfigOptions(opts: Record<string, unknown>): ConfigOptions {
  const overrides = opts.opt === undefined ? [] : (opts.opt as unknown[]).map(String);
  return { config: String(opts.config), overrides };
}

/**
 * Loads, merges and resolves the config (ConfigError on any problem). Anything else thrown on
 * the way is a fault of the loader, but it is still reported as a problem with this file, in
 * one line, rather than as a crash.
 */
export function loadCliConfig(o: ConfigOptions): SlimConfig {
  try {
    return resolveConfig(loadConfig(o.config, { overrides: o.overrides }));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new ConfigError(`config: ${displayPath(o.config)}: cannot read: ${why}`, o.config);
  }
}
