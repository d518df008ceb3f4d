/**
 * `slimprune sensitivity` (slim/sensitive/sensitive.py): for each listed parameter and each
 * ratio, prune that parameter alone from the unpruned weights, evaluate, record loss =
 * (base - metric) / base in the sensitivities file, saved atomically after every measurement;
 * a restart skips what the file already holds. Without -p every prunable group is measured
 * once, by its master. Here -r means the ratios (space separated in the tutorial), not a
 * checkpoint.
 *
 * --jobs N runs N measurements at once in worker threads (each loads the config, weights and
 * eval batches itself). The native kernels share one process-wide thread pool that runs one
 * kernel at a time, so the workers do not oversubscribe the cores; they overlap the work
 * around the kernels. --max_eval_batches K evaluates the first K EvalReader batches only (for
 * the base and every point alike): a quicker, noisier estimate.
 *
 * --queue redis://HOST:PORT[/DB] puts every measurement on a BullMQ queue instead, for
 * `slimprune worker` processes on any machine with the config, weights and data
 * (src/queue/coordinator.ts); this command collects the results into the same file.
 *
 * Children: `sensitivity merge` (sensitivity_merge.ts), `sensitivity plot` (sensitivity_plot.ts).
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import type { CliContext, Subcommand } from './command';
import { printParams } from './command';
import { UsageError } from './errors';
import { loadCliConfig, parseParams, parseRatios, DEFAULT_SENSITIVITY_RATIOS, type ConfigOptions } from './options';
import { buildModel, checkParamNames, loadStage } from './stages';
import { sensitivityProgress } from './sensitivity_progress';
import { sensitivityMergeCommand } from './sensitivity_merge';
import { sensitivityPlotCommand } from './sensitivity_plot';
import { digestOf } from '../train/checkpoint';
import { parseQueueUrl } from '../queue/url';

export interface SensitivityOptions extends ConfigOptions {
  sensitivitiesFile: string;
  params: string[];
  ratios: number[];
  printParams: boolean;
  json: boolean;
  jobs: number;
  maxEvalBatches: number | null;
  queue: string | null;
}

/** Errors that say the command line, config or file must change (exit 2), by name: worker threads send names, not classes. */
const USAGE_ERRORS = ['UsageError', 'ConfigError', 'SensitivityFileError', 'RangeError', 'TrainedModelError'];

export function asCliError(e: unknown): unknown {
  const err = e as Error;
  if (err instanceof UsageError || err?.name === 'ConfigError') return e;
  if (USAGE_ERRORS.includes(err?.name)) return new UsageError(err.message);
  return e;
}

function positiveInt(flag: string, v: unknown): number {
  const s = String(v).trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new UsageError(`${flag}: expected a positive integer, got '${s}'`);
  return n;
}

export const sensitivityCommand: Subcommand<SensitivityOptions> = {
  name: 'sensitivity',
  summary: 'measure how each parameter tolerates pruning (sensitive.py); merge and plot the results',
  define(cmd: Command) {
    // -c is checked in validate, not by commander: the merge and plot children do not take it.
    cmd
      .option('-c, --config <file>', 'config file (PaddleDetection format)')
      .option('-o, --opt <key=value...>', 'override config keys: dotted keys, YAML values (several after one -o)')
      .option('-s, --sensitivities_file <file>', 'file the sensitivities are saved to (and resumed from)', 'sensitivities.data')
      .option('-p, --pruned_params <names...>', 'parameters to analyse, comma or space separated (default: every prunable group, by its master)')
      .option('-r, --pruned_ratios <ratios...>', 'ratios to try, each in [0, 1), space or comma separated (default 0.1 ... 0.9)')
      .option('--jobs <N>', 'measurements run at once, each in its own worker thread with its own copy of the model and eval batches; native kernels share one thread pool, so this overlaps the work around them (default 1)')
      .option('--max_eval_batches <K>', 'evaluate only the first K EvalReader batches, for the base and every point')
      .option('--queue <url>', 'measure on `slimprune worker` processes through a BullMQ queue at redis://HOST:PORT[/DB]')
      .option('-P, --print_params', 'print the name and shape of every parameter, then exit')
      .option('--json', 'machine-readable output (with --print_params)');
  },
  validate(opts) {
    if (opts.config === undefined) throw new UsageError('-c, --config: expected the config file to measure on, got none');
    const ratios = opts.pruned_ratios === undefined ? DEFAULT_SENSITIVITY_RATIOS : parseRatios('--pruned_ratios', opts.pruned_ratios);
    if (ratios.length === 0) throw new UsageError('--pruned_ratios: expected at least one ratio, got none');
    const queue = typeof opts.queue === 'string' ? opts.queue : null;
    if (queue !== null) {
      if (opts.jobs !== undefined) throw new UsageError('--jobs: expected it or --queue (the workers set their own concurrency), got both');
      try {
        parseQueueUrl(queue);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    return {
      queue,
      config: String(opts.config),
      overrides: opts.opt === undefined ? [] : (opts.opt as unknown[]).map(String),
      sensitivitiesFile: String(opts.sensitivities_file),
      params: parseParams('--pruned_params', opts.pruned_params),
      ratios,
      printParams: opts.print_params === true,
      json: opts.json === true,
      jobs: opts.jobs === undefined ? 1 : positiveInt('--jobs', opts.jobs),
      maxEvalBatches: opts.max_eval_batches === undefined ? null : positiveInt('--max_eval_batches', opts.max_eval_batches),
    };
  },
  async run(o, ctx) {
    const cfg = loadCliConfig(o);
    const model = buildModel(cfg, 'eval', ctx.stages);
    if (o.printParams) return printParams(model.graph, o.json, ctx);
    checkParamNames(model.graph, o.params);
    const pruner = loadStage('prune', ctx.stages);
    for (const p of o.params) {
      try {
        pruner.groupOf(model.graph, p);
      } catch (e) {
        throw new UsageError(`--pruned_params: expected a prunable conv weight, got ${p}: ${(e as Error).message}`);
      }
    }
    const { METRIC_NAMES } = await import('../prune/sensitivity_eval');
    const metricKind = String(cfg.metric);
    if (!(metricKind in METRIC_NAMES)) throw new UsageError(`metric: expected VOC or COCO (the metrics sensitivity measures), got '${metricKind}'`);
    const metric = METRIC_NAMES[metricKind];
    const configDigest = digestOf(cfg.model);
    const params = o.params.length ? o.params : pruner.listGroups(model.graph).filter((g) => !g.unprunable).map((g) => g.master);
    const { readSensitivityFile, ratioKey } = await import('../prune/sensitivity_file');
    // A file from another config or metric is refused before any weights are loaded.
    let already = 0;
    try {
      if (fs.existsSync(o.sensitivitiesFile)) {
        const f = readSensitivityFile(o.sensitivitiesFile, { metric, configDigest });
        for (const p of params) for (const r of o.ratios) if (f.sensitivities[p] && ratioKey(r) in f.sensitivities[p]) already++;
      }
    } catch (e) {
      throw new UsageError(`-s ${(e as Error).message}`);
    }
    const spec = { config: o.config, overrides: o.overrides, ...(o.maxEvalBatches ? { maxEvalBatches: o.maxEvalBatches } : {}) };
    const total = params.length * o.ratios.length;
    if (o.queue) {
      ctx.out(`sensitivity of ${params.length} parameter(s) at ${o.ratios.length} ratio(s) (${metric}, on the queue at ${o.queue}${o.maxEvalBatches ? `, first ${o.maxEvalBatches} eval batches` : ''}), ${already} of ${total} already in ${o.sensitivitiesFile}`);
      const { runSensitivityOnQueue } = await import('../queue/coordinator');
      const progress = sensitivityProgress({ metric, total, done: already, bar: process.stderr.isTTY === true, line: (l) => ctx.out(l) });
      try {
        const res = await runSensitivityOnQueue({ queue: o.queue, file: o.sensitivitiesFile, spec, params, ratios: o.ratios, onMeasured: (x) => progress.measured(x), onIdle: (m) => ctx.out(m) });
        progress.stop();
        ctx.out(`measured ${res.measured}, skipped ${res.skipped} already in the file; wrote ${o.sensitivitiesFile}`);
      } catch (e) {
        progress.stop();
        throw asCliError(e);
      }
      return;
    }
    ctx.out(`sensitivity of ${params.length} parameter(s) at ${o.ratios.length} ratio(s) (${metric}, ${o.jobs} job(s)${o.maxEvalBatches ? `, first ${o.maxEvalBatches} eval batches` : ''}), ${already} of ${total} already in ${o.sensitivitiesFile}`);
    await measure(o, ctx, { spec, params, metric, configDigest, total, already });
  },
  subcommands: [sensitivityMergeCommand, sensitivityPlotCommand],
};

async function measure(
  o: SensitivityOptions,
  ctx: CliContext,
  m: { spec: { config: string; overrides: string[]; maxEvalBatches?: number }; params: string[]; metric: string; configDigest: string; total: number; already: number },
): Promise<void> {
  const { runSensitivity } = await import('../prune/sensitivity_run');
  let evaluator: { base(): Promise<number>; evaluate(p: string, r: number): Promise<number>; close(): Promise<void> };
  try {
    if (o.jobs === 1) {
      const { createMeasurer } = await import('../prune/sensitivity_measure');
      evaluator = await createMeasurer(m.spec, (l) => ctx.out(l));
    } else {
      const { createMeasurerPool } = await import('../prune/sensitivity_workers');
      evaluator = createMeasurerPool(m.spec, o.jobs);
    }
  } catch (e) {
    throw asCliError(e);
  }
  const progress = sensitivityProgress({ metric: m.metric, total: m.total, done: m.already, bar: process.stderr.isTTY === true, line: (l) => ctx.out(l) });
  try {
    const res = await runSensitivity({
      file: o.sensitivitiesFile,
      params: m.params,
      ratios: o.ratios,
      metric: m.metric,
      configDigest: m.configDigest,
      jobs: o.jobs,
      base: () => evaluator.base(),
      evaluate: (p, r) => evaluator.evaluate(p, r),
      onMeasured: (x) => progress.measured(x),
    });
    progress.stop();
    ctx.out(`measured ${res.measured}, skipped ${res.skipped} already in the file; base ${m.metric} ${res.file.base.toFixed(4)}; wrote ${o.sensitivitiesFile}`);
  } catch (e) {
    progress.stop();
    throw asCliError(e);
  } finally {
    await evaluator.close();
  }
}
