/**
 * `slimprune flops`: FLOPs of a config's inference graph, PaddleSlim's way (multiply-adds of
 * convs and fc layers, GFLOPs = MACs / 2^30 as PaddleDetection publishes them), the parameter
 * count and the float32 size. With -p/--pruned_ratios: the same before and after pruning
 * (shapes only; channels are ranked on seeded weights, which does not change any count), with
 * the reduction of each in percent.
 */
import type { Command } from 'commander';
import type { CliContext, Subcommand } from './command';
import {
  addConfigFlags,
  addPruneFlags,
  loadCliConfig,
  parseConfigOptions,
  parsePruneSpec,
  type ConfigOptions,
  type PruneSpec,
} from './options';
import { buildModel, checkParamNames, loadStage, type FlopsCount } from './stages';

export interface FlopsOptions extends ConfigOptions {
  prune: PruneSpec | null;
  json: boolean;
}

/** Percent reduction from a to b (positive when smaller). */
export function reductionPct(a: number, b: number): number {
  return a === 0 ? 0 : ((a - b) / a) * 100;
}

function pick(c: FlopsCount): FlopsCount {
  return { macs: c.macs, gflops: c.gflops, params: c.params, sizeMB: c.sizeMB };
}

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

export const flopsCommand: Subcommand<FlopsOptions> = {
  name: 'flops',
  summary: 'count FLOPs, parameters and size of a config, before and after pruning',
  define(cmd: Command) {
    addPruneFlags(addConfigFlags(cmd)).option('--json', 'machine-readable output');
  },
  validate(opts) {
    return { ...parseConfigOptions(opts), prune: parsePruneSpec(opts), json: opts.json === true };
  },
  run(o, ctx) {
    const cfg = loadCliConfig(o);
    const model = buildModel(cfg, 'test', ctx.stages);
    const { countFlops } = loadStage('flops', ctx.stages);
    const before = pick(countFlops(model.graph));
    if (!o.prune) {
      if (o.json) return ctx.out(JSON.stringify(before));
      return printCount(`FLOPs of ${cfg.architecture} (inference graph)`, before, ctx);
    }
    checkParamNames(model.graph, o.prune.params);
    const pruner = loadStage('prune', ctx.stages);
    loadStage('nn', ctx.stages).initModel(model, { seed: 0 });
    const warnings: string[] = [];
    const plan = pruner.plan(model.graph, { ...o.prune, warn: (m) => warnings.push(m) });
    pruner.apply(model.graph, plan, { mode: 'only_graph' });
    const after = pick(countFlops(model.graph));
    for (const w of warnings) ctx.io.stderr(`slimprune flops: warning: ${w}\n`);
    if (o.json) {
      const reduction = {
        macs: reductionPct(before.macs, after.macs),
        params: reductionPct(before.params, after.params),
        sizeMB: reductionPct(before.sizeMB, after.sizeMB),
      };
      return ctx.out(JSON.stringify({ before, after, reduction }));
    }
    printCount(`FLOPs of ${cfg.architecture} (inference graph), before -> after pruning`, before, ctx, after);
  },
};
