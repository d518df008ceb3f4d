/**
 * `slimprune eval` (slim/prune/eval.py): build the eval graph, prune its shapes with the given
 * params/ratios (or those recorded in the checkpoint), load `weights`, compute the metric
 * (VOC mAP or COCO AP). --json_eval re-scores results already written to --output_eval.
 */
import type { Command } from 'commander';
import type { Subcommand } from './command';
import { RuntimeError } from './errors';
import { addConfigFlags, addPruneFlags, loadCliConfig, parseConfigOptions, parsePruneSpec, type ConfigOptions, type PruneSpec } from './options';
import { buildModel, checkParamNames } from './stages';

export interface EvalOptions extends ConfigOptions {
  jsonEval: boolean;
  outputEval: string | null;
  prune: PruneSpec | null;
}

export const evalCommand: Subcommand<EvalOptions> = {
  name: 'eval',
  summary: 'evaluate a (pruned) model (eval.py)',
  define(cmd: Command) {
    addConfigFlags(cmd)
      .option('--json_eval', 're-evaluate the result files already in --output_eval')
      .option('-f, --output_eval <dir>', 'directory for evaluation outputs');
    addPruneFlags(cmd);
  },
  validate(opts) {
    return {
      ...parseConfigOptions(opts),
      jsonEval: opts.json_eval === true,
      outputEval: typeof opts.output_eval === 'string' ? opts.output_eval : null,
      prune: parsePruneSpec(opts),
    };
  },
  run(o, ctx) {
    const cfg = loadCliConfig(o);
    const model = buildModel(cfg, 'eval', ctx.stages);
    if (o.prune) checkParamNames(model.graph, o.prune.params);
    throw new RuntimeError('evaluation is not available in this build yet');
  },
};
