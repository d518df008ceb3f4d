/**
 * `slimprune prune` (PaddleDetection slim/prune/prune.py): build the train graph, list its
 * parameters (-P), or prune the listed parameters by their ratios and retrain, evaluating
 * after each snapshot with --eval. A resumed checkpoint (-r) records its own pruning, so -p
 * is optional then. With --sensitivities_file and one of --loss / --target_flops /
 * --target_latency, the ratios are chosen as `slimprune ratios` chooses them (printed first as
 * the flags they amount to) instead of being given with -p / --pruned_ratios.
 */
import type { Command } from 'commander';
import type { Subcommand } from './command';
import { printParams } from './command';
import { addTrainFlags, parseTrainFlags, runTraining, type TrainFlags } from './training';
import {
  addConfigFlags,
  addPruneFlags,
  loadCliConfig,
  parseConfigOptions,
  parseCriterion,
  parsePruneSpec,
  roundToNoOps,
  CRITERIA,
  type ConfigOptions,
  type Criterion,
  type PruneSpec,
} from './options';
import { buildModel, checkParamNames, loadStage } from './stages';
import { UsageError } from './errors';
import { chooseRatios, parseRatiosChoice, shownRatios, type RatiosOptions } from './ratios';

export interface PruneOptions extends ConfigOptions, TrainFlags {
  resumeCheckpoint: string | null;
  eval: boolean;
  outputEval: string | null;
  prune: PruneSpec | null;
  printParams: boolean;
  criterion: Criterion;
  json: boolean;
  /** --sensitivities_file with its choice of ratios (then `prune` is null until run) */
  choice: RatiosOptions | null;
  /** --group_reduction given with --sensitivities_file */
  choiceGroupReduction?: 'master' | 'mean';
}

export const pruneCommand: Subcommand<PruneOptions> = {
  name: 'prune',
  summary: 'prune conv channels and retrain (prune.py)',
  define(cmd: Command) {
    addConfigFlags(cmd)
      .option('-r, --resume_checkpoint <path>', 'checkpoint to resume training from')
      .option('--eval', 'evaluate after each snapshot and keep best_model')
      .option('--output_eval <dir>', 'directory for evaluation outputs');
    addPruneFlags(cmd)
      .option('-P, --print_params', 'print the name and shape of every parameter, then exit')
      .option('--prune_criterion <name>', `channel importance: ${CRITERIA.join(', ')}`, 'l1_norm')
      .option('--json', 'machine-readable output (with --print_params)')
      .option('--sensitivities_file <file>', 'choose the ratios from this sensitivities file (instead of -p / --pruned_ratios), by one of:')
      .option('--loss <x>', '  the largest ratio per parameter whose loss stays at or under x')
      .option('--target_flops <f>', '  ratios removing this fraction of FLOPs with the smallest summed estimated loss')
      .option('--target_latency <f>', '  the same with measured per-conv latency as the cost (see slimprune ratios --help)');
    addTrainFlags(cmd);
  },
  validate(opts) {
    const printParamsFlag = opts.print_params === true;
    const resume = typeof opts.resume_checkpoint === 'string' ? opts.resume_checkpoint : null;
    const fromFile = opts.sensitivities_file !== undefined;
    const choosing = ['loss', 'target_flops', 'target_latency'].filter((k) => opts[k] !== undefined);
    if (!fromFile && choosing.length) throw new UsageError(`--${choosing[0]}: expected --sensitivities_file to choose the ratios from, got none`);
    if (fromFile && (opts.pruned_params !== undefined || opts.pruned_ratios !== undefined)) {
      throw new UsageError('--sensitivities_file: expected it or --pruned_params / --pruned_ratios, got both');
    }
    const needParams = printParamsFlag || resume || fromFile ? undefined : 'for prune (or -P to list them)';
    return {
      ...parseConfigOptions(opts),
      resumeCheckpoint: resume,
      eval: opts.eval === true,
      outputEval: typeof opts.output_eval === 'string' ? opts.output_eval : null,
      prune: parsePruneSpec(opts, needParams),
      printParams: printParamsFlag,
      criterion: parseCriterion(opts.prune_criterion),
      json: opts.json === true,
      choice: fromFile ? parseRatiosChoice(opts) : null,
      // the same check as with -p: parsed on a stand-in list
      choiceGroupReduction: fromFile ? parsePruneSpec({ pruned_params: 'x', pruned_ratios: '0', group_reduction: opts.group_reduction })?.groupReduction : undefined,
      ...parseTrainFlags(opts),
    };
  },
  async run(o, ctx) {
    if (o.choice) {
      const c = chooseRatios(o.choice, ctx);
      const shown = shownRatios(c);
      for (const line of c.summary) ctx.out(line);
      if (shown.params.length === 0) throw new UsageError(`--sensitivities_file ${o.choice.sensitivitiesFile}: expected ratios that prune something, got none within this limit`);
      const roundTo = o.choice.roundTo > 1 ? o.choice.roundTo : undefined;
      ctx.out(`--pruned_params ${shown.params.join(',')} --pruned_ratios ${shown.ratios.join(',')}${roundTo ? ` --round_to ${roundTo}` : ''}`);
      const groupReduction = o.choiceGroupReduction;
      o = { ...o, prune: { params: shown.params, ratios: shown.ratios, ...(roundTo ? { roundTo } : {}), ...(groupReduction ? { groupReduction } : {}) } };
    }
    const cfg = loadCliConfig(o);
    const model = buildModel(cfg, 'train', ctx.stages);
    if (o.prune) checkParamNames(model.graph, o.prune.params);
    if (o.printParams) {
      // With pruning flags, the shapes printed are the pruned ones (weights scored, shapes cut).
      if (o.prune) {
        for (const w of roundToNoOps(model.graph, o.prune)) ctx.io.stderr(`slimprune prune: warning: ${w}\n`);
        const pruner = loadStage('prune', ctx.stages);
        loadStage('nn', ctx.stages).initModel(model, { seed: 0 });
        const plan = pruner.plan(model.graph, { ...o.prune, criterion: o.criterion, warn: (m) => ctx.io.stderr(`slimprune prune: warning: ${m}\n`) });
        pruner.apply(model.graph, plan, { mode: 'only_graph' });
      }
      return printParams(model.graph, o.json, ctx);
    }
    await runTraining(cfg, o, o.prune ? { ...o.prune, criterion: o.criterion } : null, ctx, 'prune');
  },
};
