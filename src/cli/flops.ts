/**
 * `slimprune flops`: FLOPs of a config's inference graph, PaddleSlim's way (multiply-adds of
 * convs and fc layers, GFLOPs = MACs / 2^30 as PaddleDetection publishes them), the parameter
 * count and the float32 size. With -p/--pruned_ratios: the same before and after pruning
 * (shapes only; channels are ranked on seeded weights, which does not change any count), with
 * the reduction of each in percent. The input size is the config's
 * TestReader.inputs_def.image_shape unless --input_size N (an N x N image) is given; --detail
 * lists every counted layer.
 *
 * --json: {"input_size", "macs", "gflops", "params", "size_mb"}; with pruning flags
 * {"input_size", "before": {...}, "after": {...}, "reduction": {"macs_pct", "params_pct"}}.
 */
import type { Command } from 'commander';
import type { CliContext, Subcommand } from './command';
import {
  addConfigFlags,
  addPruneFlags,
  loadCliConfig,
  parseConfigOptions,
  parsePruneSpec,
  roundToNoOps,
  type ConfigOptions,
  type PruneSpec,
} from './options';
import { UsageError } from './errors';
import { buildModel, checkInputSize, checkParamNames, loadStage, modelInputShape, type FlopsCount } from './stages';
import { MODEL_LIMITS } from '../config/limits';

export interface FlopsOptions extends ConfigOptions {
  prune: PruneSpec | null;
  json: boolean;
  inputSize: number | null;
  detail: boolean;
}

/** Percent reduction from a to b (positive when smaller). */
export function reductionPct(a: number, b: number): number {
  return a === 0 ? 0 : ((a - b) / a) * 100;
}

interface JsonCount {
  macs: number;
  gflops: number;
  params: number;
  size_mb: number;
}
const asJson = (c: FlopsCount): JsonCount => ({ macs: c.macs, gflops: c.gflops, params: c.params, size_mb: c.sizeMB });

function printCount(label: string, c: FlopsCount, ctx: CliContext, after?: FlopsCount): void {
  const n = (x: number) => x.toLocaleString('en-US');
  const pct = (a: number, b: number) => `  (${reductionPct(a, b) >= 0 ? '-' : '+'}${Math.abs(reductionPct(a, b)).toFixed(2)}%)`;
  ctx.out(label);
  if (!after) {
    ctx.out(`  MACs    ${n(c.macs)}`);
    ctx.out(`  GFLOPs  ${c.gflops.toFixed(4)}`);
    ctx.out(`  params  ${n(c.params)}`);
    ctx.out(`  size    ${c.sizeMB.toFixed(2)} MB`);
    return;
  }
  ctx.out(`  MACs    ${n(c.macs)} -> ${n(after.macs)}${pct(c.macs, after.macs)}`);
  ctx.out(`  GFLOPs  ${c.gflops.toFixed(4)} -> ${after.gflops.toFixed(4)}`);
  ctx.out(`  params  ${n(c.params)} -> ${n(after.params)}${pct(c.params, after.params)}`);
  ctx.out(`  size    ${c.sizeMB.toFixed(2)} MB -> ${after.sizeMB.toFixed(2)} MB${pct(c.sizeMB, after.sizeMB)}`);
}

/** --detail: every counted layer with its multiply-adds and share (before -> after when pruned). */
function printDetail(c: FlopsCount, ctx: CliContext, after?: FlopsCount): void {
  const rows = c.perNode ?? [];
  const later = new Map((after?.perNode ?? []).map((r) => [r.id, r.macs]));
  const width = Math.max(5, ...rows.map((r) => (r.param ?? r.id).length));
  ctx.out(`  ${'layer'.padEnd(width)}  ${'type'.padEnd(16)} ${'MACs'.padStart(14)}  share${after ? `  ${'after'.padStart(14)}` : ''}`);
  for (const r of rows) {
    const share = ((r.macs / (c.macs || 1)) * 100).toFixed(2).padStart(5);
    const a = after ? `  ${(later.get(r.id) ?? 0).toLocaleString('en-US').padStart(14)}` : '';
    ctx.out(`  ${(r.param ?? r.id).padEnd(width)}  ${r.type.padEnd(16)} ${r.macs.toLocaleString('en-US').padStart(14)} ${share}%${a}`);
  }
}

/** What an R-CNN's count covers: the RoI head runs once per RoI, whose number is only known at run time. */
const RCNN_NOTE = '  (res5 and the box / mask heads counted for one RoI, as PaddleSlim counts their RoI batch of -1)';

/**
 * An R-CNN's input without a fixed image_shape: its TestReader's ResizeImage bounds, target_size
 * by max_size (800x1333 for PaddleDetection's readers, the default when there is none).
 */
function resizeShape(cfg: { TestReader?: { sample_transforms?: unknown } | null }): number[] {
  const list = cfg.TestReader?.sample_transforms;
  const r = Array.isArray(list) ? (list as Array<Record<string, unknown>>).find((t) => t?.__type__ === 'ResizeImage') : undefined;
  const target = typeof r?.target_size === 'number' ? r.target_size : 800;
  const max = typeof r?.max_size === 'number' && r.max_size > 0 ? r.max_size : r ? target : 1333;
  return [1, 3, target, max];
}

export const flopsCommand: Subcommand<FlopsOptions> = {
  name: 'flops',
  summary: 'count FLOPs, parameters and size of a config, before and after pruning',
  define(cmd: Command) {
    addPruneFlags(addConfigFlags(cmd))
      .option('--input_size <N>', "square input size in pixels (default: the config's TestReader.inputs_def.image_shape)")
      .option('--detail', 'list every counted layer')
      .option('--json', 'machine-readable output');
  },
  validate(opts) {
    let inputSize: number | null = null;
    if (opts.input_size !== undefined) {
      const v = Number(opts.input_size);
      if (!Number.isInteger(v) || v < 1) throw new UsageError(`--input_size: expected a positive integer, got ${String(opts.input_size)}`);
      if (v > MODEL_LIMITS.imageSide) throw new UsageError(`--input_size: expected at most ${MODEL_LIMITS.imageSide}, got ${v}`);
      inputSize = v;
    }
    return { ...parseConfigOptions(opts), prune: parsePruneSpec(opts), json: opts.json === true, inputSize, detail: opts.detail === true };
  },
  run(o, ctx) {
    const cfg = loadCliConfig(o);
    if (o.inputSize !== null) checkInputSize(cfg.architecture, o.inputSize);
    const rcnn = cfg.architecture === 'FasterRCNN' || cfg.architecture === 'MaskRCNN';
    const shape = modelInputShape(cfg, 'test', o.inputSize ?? undefined) ?? (rcnn ? resizeShape(cfg) : undefined);
    if (!shape) throw new UsageError("--input_size: expected an input size, as the config's TestReader.inputs_def.image_shape is not fixed");
    const inputSize = shape[3];
    const model = shape[2] === shape[3] ? buildModel(cfg, 'test', ctx.stages, inputSize) : buildModel(cfg, 'test', ctx.stages, undefined, shape);
    const sizeText = `${shape[2]}x${shape[3]}`;
    const { countFlops } = loadStage('flops', ctx.stages);
    const before = countFlops(model.graph);
    if (!o.prune) {
      if (o.json) return ctx.out(JSON.stringify({ input_size: inputSize, ...asJson(before) }));
      printCount(`FLOPs of ${cfg.architecture} (inference graph, ${sizeText} input)`, before, ctx);
      if (rcnn) ctx.out(RCNN_NOTE);
      if (o.detail) printDetail(before, ctx);
      return;
    }
    checkParamNames(model.graph, o.prune.params);
    const warnings = roundToNoOps(model.graph, o.prune);
    const pruner = loadStage('prune', ctx.stages);
    loadStage('nn', ctx.stages).initModel(model, { seed: 0 });
    const plan = pruner.plan(model.graph, { ...o.prune, warn: (m) => warnings.push(m) });
    pruner.apply(model.graph, plan, { mode: 'only_graph' });
    const after = countFlops(model.graph);
    for (const w of warnings) ctx.io.stderr(`slimprune flops: warning: ${w}\n`);
    if (o.json) {
      const reduction = { macs_pct: reductionPct(before.macs, after.macs), params_pct: reductionPct(before.params, after.params) };
      return ctx.out(JSON.stringify({ input_size: inputSize, before: asJson(before), after: asJson(after), reduction }));
    }
    printCount(`FLOPs of ${cfg.architecture} (inference graph, ${sizeText} input), before -> after pruning`, before, ctx, after);
    if (rcnn) ctx.out(RCNN_NOTE);
    if (o.detail) printDetail(before, ctx, after);
  },
};
