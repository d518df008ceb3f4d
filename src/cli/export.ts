/**
 * `slimprune export` (slim/prune/export_model.py): build the inference graph, prune its shapes
 * as the checkpoint records (or as the flags say for a checkpoint without a record), load
 * `weights`, fold the norms and write `{output_dir}/{config name}/`: model.onnx (checked in
 * onnxruntime-node when it is installed; --with_postprocess adds box decoding and Paddle's
 * multiclass NMS), model.json + weights.bin and infer_cfg.yml.
 * Faster / Mask R-CNN write backbone_rpn.onnx + roi_heads.onnx and an infer_cfg.yml with the
 * proposal, NMS and mask settings in between (src/export/rcnn_export.ts), checked end to end on
 * one --verify_size image (default: the eval input size).
 */
import type { Command } from 'commander';
import type { CliContext, Subcommand } from './command';
import type { SlimConfig } from '../config';
import { MODEL_LIMITS } from '../config/limits';
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
  verifySize: number | null;
}

const RCNN = ['FasterRCNN', 'MaskRCNN'];

export const exportCommand: Subcommand<ExportOptions> = {
  name: 'export',
  summary: 'export a (pruned) model for inference (export_model.py)',
  define(cmd: Command) {
    addConfigFlags(cmd)
      .option('--output_dir <dir>', 'directory to write {output_dir}/{config name}/ into', 'output')
      .option('--format <fmt>', 'onnx, native (model.json + weights.bin) or both', 'both')
      .option('--with_postprocess', 'put box decoding and the multiclass NMS (nms_top_k, keep_top_k, pixel-inclusive IoU, as Paddle) into the ONNX graph (extra input im_size [N, 2])')
      .option('--verify_size <N>', 'R-CNN: side in pixels of the square image the ONNX check runs on (default: the eval input size)');
    addPruneFlags(cmd);
  },
  validate(opts) {
    const format = String(opts.format ?? 'both');
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}, got '${format}'`);
    let verifySize: number | null = null;
    if (opts.verify_size !== undefined) {
      const v = Number(opts.verify_size);
      if (!Number.isInteger(v) || v < 32 || v > MODEL_LIMITS.imageSide) throw new UsageError(`--verify_size: expected an integer from 32 to ${MODEL_LIMITS.imageSide}, got '${String(opts.verify_size)}'`);
      verifySize = v;
    }
    return {
      ...parseConfigOptions(opts),
      outputDir: String(opts.output_dir),
      format: format as ExportFormatFlag,
      withPostprocess: opts.with_postprocess === true,
      prune: parsePruneSpec(opts),
      verifySize,
    };
  },
  async run(o, ctx) {
    const cfg = loadCliConfig(o);
    const shell = buildModel(cfg, 'test', ctx.stages);
    if (o.prune) checkParamNames(shell.graph, o.prune.params);
    if (RCNN.includes(cfg.architecture)) return exportRcnn(o, cfg, ctx);
    if (o.verifySize !== null) throw new UsageError(`--verify_size: expected a Faster / Mask R-CNN config (a YOLOv3 export is checked at its input size), got ${cfg.architecture}`);
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

/** Faster / Mask R-CNN: the two ONNX stages and infer_cfg.yml (no native format: its RoIs are made mid-forward). */
async function exportRcnn(o: ExportOptions, cfg: SlimConfig, ctx: CliContext): Promise<void> {
  if (o.format === 'native') throw new UsageError(`--format: expected onnx or both for ${cfg.architecture} (the native format holds single-graph models; an R-CNN exports as two ONNX stages), got native`);
  if (o.withPostprocess) throw new UsageError(`--with_postprocess: expected a YOLOv3 config, got ${cfg.architecture} (an R-CNN's post-processing is always written to infer_cfg.yml and run by loadRcnnExport)`);
  const { loadTrainedRcnn } = await import('./trained_model');
  const { exportDir, exportRcnnModel } = await import('../export');
  const { evalInputSize } = await import('../train/evaluate');
  const size = o.verifySize ?? evalInputSize(cfg);
  const { model, records } = await loadTrainedRcnn(cfg, { mode: 'test', weights: cfg.weights, prune: o.prune, inputSize: size, log: (l) => ctx.out(l) });
  try {
    const dir = exportDir(o.outputDir, o.config);
    const r = await exportRcnnModel(model, { cfg, dir, records });
    const c4 = model.graph.shapeOf(model.values.res4)[1];
    ctx.out(`model: ${cfg.architecture}, input [N, 3, H, W], res4 ${c4} channels${records.length ? `, pruned (${records.map((x) => x.groups.length).reduce((a, b) => a + b, 0)} convs recorded)` : ''}; ${r.folded} norms folded into their convs`);
    if (o.format === 'both') ctx.out('native format: not written for an R-CNN (two ONNX stages with proposals between them)');
    for (const f of r.files) ctx.out(`wrote ${f}`);
    if (r.verify?.verified) {
      const d = r.verify.detections;
      ctx.out(`onnx check (onnxruntime-node, ${r.verify.size.join('x')} image): stages max relative ${r.verify.maxRel.toExponential(3)} over ${r.verify.outputs.length} outputs (tolerance 1e-4); ${d.detections} detections matched, max score difference ${d.maxScoreDiff.toExponential(3)}, max box difference ${d.maxBoxDiff.toExponential(3)} px${d.maxMaskDiff !== null ? `, masks differing in at most ${(d.maxMaskDiff * 100).toFixed(3)}% of their pixels` : ''}`);
    } else if (r.verify) {
      ctx.out(`onnx check skipped: ${r.verify.skipped}`);
    }
  } finally {
    model.dispose();
  }
}
