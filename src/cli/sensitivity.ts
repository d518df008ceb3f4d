/**
 * `slimprune sensitivity` (slim/sensitive/sensitive.py): for each listed parameter and each
 * ratio, prune that parameter alone, evaluate, record loss = (base - metric) / base in the
 * sensitivities file, saved after every step; a restart skips what the file already holds.
 * Here -r means the ratios (space separated in the tutorial), not a checkpoint.
 */
import type { Command } from 'commander';
import type { Subcommand } from './command';
import { printParams } from './command';
import { RuntimeError, UsageError } from './errors';
import {
  addConfigFlags,
  loadCliConfig,
  parseConfigOptions,
  parseParams,
  parseRatios,
  DEFAULT_SENSITIVITY_RATIOS,
  type ConfigOptions,
} from './options';
import { buildModel, checkParamNames } from './stages';

export interface SensitivityOptions extends ConfigOptions {
  sensitivitiesFile: string;
  params: string[];
  ratios: number[];
  printParams: boolean;
  json: boolean;
}

export const sensitivityCommand: Subcommand<SensitivityOptions> = {
  name: 'sensitivity',
  summary: 'measure how each parameter tolerates pruning (sensitive.py)',
  define(cmd: Command) {
    addConfigFlags(cmd)
      .option('-s, --sensitivities_file <file>', 'file the sensitivities are saved to (and resumed from)', 'sensitivities.data')
      .option('-p, --pruned_params <names...>', 'parameters to analyse, comma or space separated')
      .option('-r, --pruned_ratios <ratios...>', 'ratios to try, each in [0, 1), space or comma separated (default 0.1 ... 0.9)')
      .option('-P, --print_params', 'print the name and shape of every parameter, then exit')
      .option('--json', 'machine-readable output (with --print_params)');
  },
  validate(opts) {
    const printParamsFlag = opts.print_params === true;
    const params = parseParams('--pruned_params', opts.pruned_params);
    const ratios = opts.pruned_ratios === undefined ? DEFAULT_SENSITIVITY_RATIOS : parseRatios('--pruned_ratios', opts.pruned_ratios);
    if (!printParamsFlag && params.length === 0) {
      throw new UsageError('--pruned_params: expected the parameters to analyse for sensitivity (or -P to list them), got none');
    }
    return {
      ...parseConfigOptions(opts),
      sensitivitiesFile: String(opts.sensitivities_file),
      params,
      ratios,
      printParams: printParamsFlag,
      json: opts.json === true,
    };
  },
  run(o, ctx) {
    const cfg = loadCliConfig(o);
    const model = buildModel(cfg, 'eval', ctx.stages);
    if (o.printParams) return printParams(model.graph, o.json, ctx);
    checkParamNames(model.graph, o.params);
    throw new RuntimeError('sensitivity analysis is not available in this build yet');
  },
};
