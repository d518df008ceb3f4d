/**
 * `slimprune export` (slim/prune/export_model.py): build the inference graph, prune its shapes
 * as the checkpoint records (or as the flags say for a checkpoint without a record), load
 * `weights`, fold the norms and write `{output_dir}/{config name}/`: model.onnx (checked in
 * onnxruntime-node when it is installed; --with_postprocess adds box decoding and
 * NonMaxSuppression), model.json + weights.bin and infer_cfg.yml.
 */
import type { Command } from 'commander';
import type { Subcommand } from './command';
import { UsageError } from './errors';
import { addConfigFlags, addPruneFlags, loadCliConfig, parseConfigOptions, parsePruneSpec, type ConfigOptions, type PruneSpec } from './options';
import { buildModel, checkParamNames } from './stages';

export type ExportFormatFlag = 'onnx' | 'native' | 'both';
const FORMATS: readonly ExportFormatFlag[] = ['onnx', 'native', 'both'];

export interface ExportOptions extends ConfigOptions {
  outputDir: string;
  format: ExportFormatFlag;
  withPostprocess: boolean;
  prune: PruneSpec | null;
}

export const exportCommand: Subcommand<ExportOptions> = {
  name: 'export',
  summary: 'export a (pruned) model for inference (export_model.py)',
  define(cmd: Command) {
    addConfigFlags(cmd)
      .option('--output_dir <dir>', 'directory to write {output_dir}/{config name}/ into', 'output')
      .option('--format <fmt>', 'onnx, native (model.json + weights.bin) or both', 'both')
      .option('--with_postprocess', 'put box decoding and NonMaxSuppression into the ONNX graph (extra input im_size [N, 2])');
    addPruneFlags(cmd);
  },
  validate(opts) {
    const format = String(opts.format ?? 'both');
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}, got '${format}'`);
    return {
      ...parseConfigOptions(opts),
      outputDir: String(opts.output_dir),
      format: format as ExportFormatFlag,
      withPostprocess: opts.with_postprocess === true,
      prune: parsePruneSpec(opts),
    };
  },
  async run(o, ctx) {
    const cfg = loadCliConfig(o);
    const shell = buildModel(cfg, 'test', ctx.stages);
    if (o.prune) checkParamNames(shell.graph, o.prune.params);
    const { loadTrainedModel } = await import('./trained_model');
    const { exportDir, exportModel } = await import('../export');
    const { model, records } = await loadTrainedModel(cfg, { mode: 'test', weights: cfg.weights, prune: o.prune, log: (l) => ctx.out(l) });
    try {
      const dir = exportDir(o.outputDir, o.config);
      const r = await exportModel(model, { cfg, dir, format: o.format, records, withPostprocess: o.withPostprocess });
      const shape = model.graph.shapeOf(model.input);
      ctx.out(`model: ${cfg.architecture}, input [N, ${shape.slice(1).join(', ')}]${records.length ? `, pruned (${records.map((x) => x.groups.length).reduce((a, b) => a + b, 0)} convs recorded)` : ''}; ${r.folded} norms folded into their convs`);
      for (const f of r.files) ctx.out(`wrote ${f}`);
      if (r.verify?.verified) {
        ctx.out(`onnx check (onnxruntime-node): max abs difference ${r.verify.maxAbs.toExponential(3)}, max relative ${r.verify.maxRel.toExponential(3)} over ${r.verify.outputs.length} outputs (tolerance 1e-4)`);
      } else if (r.verify) {
        ctx.out(`onnx check skipped: ${r.verify.skipped}`);
      }
    } finally {
      model.dispose();
    }
  },
};
