/**
 * `slimprune export` (slim/prune/export_model.py): build the inference graph, prune its shapes,
 * load `weights`, write `{output_dir}/{config name}/` with the model, weights and infer_cfg.yml.
 */
import type { Command } from 'commander';
import type { Subcommand } from './command';
import { RuntimeError } from './errors';
import { addConfigFlags, addPruneFlags, loadCliConfig, parseConfigOptions, parsePruneSpec, type ConfigOptions, type PruneSpec } from './options';
import { buildModel, checkParamNames } from './stages';

export interface ExportOptions extends ConfigOptions {
  outputDir: string;
  prune: PruneSpec | null;
}

export const exportCommand: Subcommand<ExportOptions> = {
  name: 'export',
  summary: 'export a (pruned) model for inference (export_model.py)',
  define(cmd: Command) {
    addConfigFlags(cmd).option('--output_dir <dir>', 'directory to write {output_dir}/{config name}/ into', 'output');
    addPruneFlags(cmd);
  },
  validate(opts) {
    return {
      ...parseConfigOptions(opts),
      outputDir: String(opts.output_dir),
      prune: parsePruneSpec(opts),
    };
  },
  run(o, ctx) {
    const cfg = loadCliConfig(o);
    const model = buildModel(cfg, 'test', ctx.stages);
    if (o.prune) checkParamNames(model.graph, o.prune.params);
    throw new RuntimeError('exporting is not available in this build yet');
  },
};
