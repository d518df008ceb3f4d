/**
 * `slimprune prune` (PaddleDetection slim/prune/prune.py): build the train graph, list its
 * parameters (-P), or prune the listed parameters by their ratios and retrain, evaluating
 * after each snapshot with --eval. A resumed checkpoint (-r) records its own pruning, so -p
 * is optional then.
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

export interface PruneOptions extends ConfigOptions, TrainFlags {
  resumeCheckpoint: string | null;
  eval: boolean;
  outputEval: string | null;
  prune: PruneSpec | null;
  printParams: boolean;
  criterion: Criterion;
  json: boolean;
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
      .option('--json', 'machine-readable output (with --print_params)');
    addTrainFlags(cmd);
  },
  validate(opts) {
    const printParamsFlag = opts.print_params === true;
    const resume = typeof opts.resume_checkpoint === 'string' ? opts.resume_checkpoint : null;
    const needParams = printParamsFlag || resume ? undefined : 'for prune (or -P to list them)';
    return {
      ...parseConfigOptions(opts),
      resumeCheckpoint: resume,
      eval: opts.eval === true,
      outputEval: typeof opts.output_eval === 'string' ? opts.output_eval : null,
      prune: parsePruneSpec(opts, needParams),
      printParams: printParamsFlag,
      criterion: parseCriterion(opts.prune_criterion),
      json: opts.json === true,
      ...parseTrainFlags(opts),
    };
  },
  async run(o, ctx) {
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
