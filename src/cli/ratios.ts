/**
 * `slimprune ratios`: pruning ratios from a sensitivities file, printed as flags ready to paste
 * into `slimprune prune` (and as JSON with --json).
 *
 *   slimprune ratios -s F --loss 0.02
 *       per param, the largest ratio whose loss stays at or under 0.02 (PaddleSlim's
 *       get_ratios_by_loss, interpolated between measured ratios)
 *   slimprune ratios -s F -c CFG --target_flops 0.5 [--round_to 8]
 *       ratios removing at least half the FLOPs of CFG's inference graph with the smallest
 *       summed estimated loss, and the FLOPs they reach
 *   slimprune ratios -s F -c CFG --target_latency 0.4 [--round_to 8]
 *       the same search with measured latency as the cost: every conv of CFG's inference graph
 *       is timed once on this machine with the current backend, and a pruned conv is
 *       estimated as its time x (kept input / input channels) x (kept output / output
 *       channels) (src/prune/layer_latency.ts)
 *
 * With -c, a file measured on another config (its config_digest is the digest of the model
 * section, as checkpoints record it) is refused.
 *
 * --json: {"pruned_params", "pruned_ratios", "ratios": {param: ratio}} plus, for --loss,
 * {"loss"}; for --target_flops, {"target_flops", "macs_before", "macs_after", "flops_reduction",
 * "estimated_loss"}; for --target_latency, {"target_latency", "latency_before_ms",
 * "latency_after_ms", "latency_reduction", "estimated_loss"}.
 */
import type { Command } from 'commander';
import type { CliContext, Subcommand } from './command';
import { UsageError } from './errors';
import { loadCliConfig, MAX_ROUND_TO, parseConfigOptions, type ConfigOptions } from './options';
import { buildModel, modelInputShape } from './stages';
import { digestOf } from '../train/checkpoint';
import { readSensitivityFile, SensitivityFileError, type SensitivityFile } from '../prune/sensitivity_file';
import { getRatiosByLoss, ratiosForCost, ratiosForFlops } from '../prune/ratios';
import { latencyWithRatios, measureLayerLatency } from '../prune/layer_latency';
import { getBackend } from '../backend/loader';
import { PruneError } from '../prune/groups';
import type { Graph } from '../graph/graph';

export interface RatiosOptions {
  sensitivitiesFile: string;
  config: ConfigOptions | null;
  loss: number | null;
  targetFlops: number | null;
  targetLatency: number | null;
  roundTo: number;
  json: boolean;
}

function fraction(flag: string, v: unknown, lo: number, hi: number): number {
  const s = String(v).trim();
  const x = /^[0-9.eE+-]+$/.test(s) ? Number(s) : NaN;
  if (!(x > lo && x < hi)) throw new UsageError(`${flag}: expected a number in (${lo}, ${hi}), got '${s}'`);
  return x;
}

/**
 * Ratios as they are printed. By loss: at most 4 decimals, rounded down so no param loses more
 * than the threshold allows. By FLOPs: grid values (at most 6 decimals), printed exactly, as
 * rounding either way would change the FLOPs they reach.
 */
export function formatRatio(r: number, exact = false): string {
  return exact ? String(Number(r.toFixed(6))) : String(Math.floor(r * 1e4 + 1e-9) / 1e4);
}

/** Ratios chosen by `slimprune ratios` (also what `sensitivity plot` and `prune --sensitivities_file` use). */
export interface ChosenRatios {
  file: SensitivityFile;
  /** param -> ratio; printed exactly (grid values) when true, else rounded down to 4 decimals */
  ratios: Record<string, number>;
  exact: boolean;
  extra: Record<string, number>;
  summary: string[];
}

/** The pruned params and their ratios as printed (params whose printed ratio is 0 left out). */
export function shownRatios(c: Pick<ChosenRatios, 'ratios' | 'exact'>): { params: string[]; ratios: number[] } {
  const params = Object.keys(c.ratios).filter((p) => Number(formatRatio(c.ratios[p], c.exact)) > 0);
  return { params, ratios: params.map((p) => Number(formatRatio(c.ratios[p], c.exact))) };
}

function print(ctx: CliContext, o: RatiosOptions, ratios: Record<string, number>, extra: Record<string, number>, summary: string[]): void {
  const exact = o.targetFlops !== null || o.targetLatency !== null;
  const params = Object.keys(ratios).filter((p) => Number(formatRatio(ratios[p], exact)) > 0);
  const shown = params.map((p) => formatRatio(ratios[p], exact));
  if (o.json) {
    ctx.out(
      JSON.stringify({ pruned_params: params, pruned_ratios: shown.map(Number), ratios: Object.fromEntries(params.map((p, i) => [p, Number(shown[i])])), ...extra }),
    );
    return;
  }
  for (const line of summary) ctx.out(line);
  if (params.length === 0) {
    ctx.out('no parameter can be pruned within this limit');
    return;
  }
  const width = Math.max(...params.map((p) => p.length));
  params.forEach((p, i) => ctx.out(`  ${p.padEnd(width)}  ${shown[i]}`));
  ctx.out(`--pruned_params ${params.join(',')} --pruned_ratios ${shown.join(',')}${o.roundTo > 1 ? ` --round_to ${o.roundTo}` : ''}`);
}

export const ratiosCommand: Subcommand<RatiosOptions> = {
  name: 'ratios',
  summary: 'choose pruning ratios from a sensitivities file, by loss threshold, FLOPs target or measured-latency target',
  define(cmd: Command) {
    cmd
      .requiredOption('-s, --sensitivities_file <file>', 'sensitivities file written by `slimprune sensitivity`')
      .option('--loss <x>', 'largest accepted loss per parameter, (base - metric) / base')
      .option('--target_flops <f>', 'fraction of FLOPs to remove, in (0, 1) (needs -c)')
      .option(
        '--target_latency <f>',
        'fraction of latency to remove, in (0, 1) (needs -c): each conv is timed once here with the current backend, a pruned one estimated as time x kept_in/in x kept_out/out',
      )
      .option('-c, --config <file>', 'config file the sensitivities were measured on')
      .option('-o, --opt <key=value...>', 'override config keys: dotted keys, YAML values')
      .option('--round_to <K>', 'keep the remaining channel count of each pruned layer a multiple of K (with --target_flops / --target_latency)')
      .option('--json', 'machine-readable output');
  },
  validate(opts) {
    return parseRatiosChoice(opts);
  },
  run(o, ctx) {
    const c = chooseRatios(o, ctx);
    print(ctx, o, c.ratios, c.extra, c.summary);
  },
};

/**
 * The flags of a ratio choice (-s, --loss | --target_flops | --target_latency, -c, -o,
 * --round_to, --json) from commander's option bag; `prefix` names the command in errors.
 */
export function parseRatiosChoice(opts: Record<string, unknown>): RatiosOptions {
  const loss = opts.loss === undefined ? null : fraction('--loss', opts.loss, 0, 1);
  const targetFlops = opts.target_flops === undefined ? null : fraction('--target_flops', opts.target_flops, 0, 1);
  const targetLatency = opts.target_latency === undefined ? null : fraction('--target_latency', opts.target_latency, 0, 1);
  const given = [loss, targetFlops, targetLatency].filter((x) => x !== null).length;
  if (given !== 1) throw new UsageError(`--loss / --target_flops / --target_latency: expected exactly one of them, got ${given === 0 ? 'none' : given}`);
  const target = targetFlops !== null ? '--target_flops' : targetLatency !== null ? '--target_latency' : null;
  if (target && opts.config === undefined) throw new UsageError(`${target}: expected -c CONFIG to count ${target === '--target_flops' ? 'FLOPs' : 'latency'} on, got none`);
  let roundTo = 1;
  if (opts.round_to !== undefined) {
    const v = Number(opts.round_to);
    if (!Number.isInteger(v) || v < 1 || v > MAX_ROUND_TO) throw new UsageError(`--round_to: expected an integer in [1, ${MAX_ROUND_TO}], got '${String(opts.round_to)}'`);
    if (!target) throw new UsageError('--round_to: expected --target_flops or --target_latency with it (ratios by --loss are not rounded)');
    roundTo = v;
  }
  return {
    sensitivitiesFile: String(opts.sensitivities_file),
    config: opts.config === undefined ? null : parseConfigOptions(opts),
    loss,
    targetFlops,
    targetLatency,
    roundTo,
    json: opts.json === true,
  };
}

/** Reads the file (checked against -c when given) and chooses the ratios. */
export function chooseRatios(o: RatiosOptions, ctx: Pick<CliContext, 'stages'>): ChosenRatios {
  const cfg = o.config ? loadCliConfig(o.config) : null;
  let file: SensitivityFile;
  try {
    file = readSensitivityFile(o.sensitivitiesFile, cfg ? { configDigest: digestOf(cfg.model) } : {});
  } catch (e) {
    if (e instanceof SensitivityFileError) throw new UsageError(`-s ${e.message}`);
    throw e;
  }
  const sens = file.sensitivities;
  if (o.loss !== null) {
    const ratios = getRatiosByLoss(sens, o.loss);
    return { file, ratios, exact: false, extra: { loss: o.loss }, summary: [`ratios with a loss of at most ${o.loss} (${file.metric}, base ${file.base}) per parameter:`] };
  }
  const flag = o.targetFlops !== null ? '--target_flops' : '--target_latency';
  const shape = modelInputShape(cfg!, 'test');
  if (!shape) throw new UsageError(`-c: expected a fixed TestReader.inputs_def.image_shape to count ${flag === '--target_flops' ? 'FLOPs' : 'latency'} at, got none`);
  const model = buildModel(cfg!, 'test', ctx.stages, shape[3]);
  // The model stage builds a src/graph Graph; the search prunes copies of it and prices them.
  const graph = model.graph as unknown as Graph;
  try {
    if (o.targetFlops !== null) {
      const res = ratiosForFlops(graph, sens, o.targetFlops, { roundTo: o.roundTo });
      const pct = (res.fraction * 100).toFixed(2);
      return {
        file,
        ratios: res.ratios,
        exact: true,
        extra: { target_flops: o.targetFlops, macs_before: res.macsBefore, macs_after: res.macsAfter, flops_reduction: res.fraction, estimated_loss: res.estimatedLoss },
        summary: [
          `ratios removing at least ${(o.targetFlops * 100).toFixed(2)}% of FLOPs (${shape[3]}x${shape[3]} input): ${res.macsBefore.toLocaleString('en-US')} -> ${res.macsAfter.toLocaleString('en-US')} MACs (-${pct}%), estimated summed loss ${res.estimatedLoss.toFixed(4)}:`,
        ],
      };
    }
    const table = measureLayerLatency(graph);
    const res = ratiosForCost(graph, sens, o.targetLatency!, (g, groups, ratios) => latencyWithRatios(g, table, groups, ratios, o.roundTo), { roundTo: o.roundTo, what: 'latency' });
    return {
      file,
      ratios: res.ratios,
      exact: true,
      extra: { target_latency: o.targetLatency!, latency_before_ms: res.before, latency_after_ms: res.after, latency_reduction: res.fraction, estimated_loss: res.estimatedLoss },
      summary: [
        `ratios removing at least ${(o.targetLatency! * 100).toFixed(2)}% of the conv latency measured here (${table.layers.size} convs, ${shape[3]}x${shape[3]} input, ${getBackend().name} backend): ${res.before.toFixed(2)} -> ${res.after.toFixed(2)} ms (-${(res.fraction * 100).toFixed(2)}%), estimated summed loss ${res.estimatedLoss.toFixed(4)}:`,
      ],
    };
  } catch (e) {
    if (e instanceof RangeError || e instanceof PruneError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
}
