/**
 * `slimprune sensitivity plot -s F -o sens.svg|sens.png`: one curve per parameter (loss vs
 * ratio) and, when ratios are chosen, a bar chart of them: by --loss X, by --target_flops F or
 * --target_latency F with -c CFG (as `slimprune ratios` chooses them), or read from
 * --ratios_file (the JSON of `slimprune ratios --json`). Config overrides go in --opt here, as
 * -o names the picture.
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import type { Subcommand } from './command';
import { UsageError } from './errors';
import { chooseRatios, parseRatiosChoice, shownRatios, type RatiosOptions } from './ratios';
import { readSensitivityFile, SensitivityFileError } from '../prune/sensitivity_file';
import { writeFileAtomic } from '../export/atomic';

export interface SensitivityPlotOptions {
  sensitivitiesFile: string;
  output: string;
  choice: RatiosOptions | null;
  ratiosFile: string | null;
}

/** {ratios: {param: ratio}} or {pruned_params, pruned_ratios}, as `slimprune ratios --json` writes both. */
function readRatiosFile(file: string): Record<string, number> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--ratios_file ${file}: expected the JSON of \`slimprune ratios --json\`, got ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const o = raw as { ratios?: unknown; pruned_params?: unknown; pruned_ratios?: unknown };
  const ok = (r: unknown) => typeof r === 'number' && r >= 0 && r < 1;
  if (o && typeof o.ratios === 'object' && o.ratios !== null && Object.values(o.ratios).every(ok)) return o.ratios as Record<string, number>;
  if (o && Array.isArray(o.pruned_params) && Array.isArray(o.pruned_ratios) && o.pruned_params.length === o.pruned_ratios.length && o.pruned_ratios.every(ok)) {
    const ratios = o.pruned_ratios as number[];
    return Object.fromEntries(o.pruned_params.map((p, i) => [String(p), ratios[i]]));
  }
  throw new UsageError(`--ratios_file ${file}: expected {"ratios": {param: ratio}} or {"pruned_params": [...], "pruned_ratios": [...]} with ratios in [0, 1), got something else`);
}

export const sensitivityPlotCommand: Subcommand<SensitivityPlotOptions> = {
  name: 'plot',
  summary: 'draw the sensitivities (one curve per parameter) and the chosen ratios, as SVG or PNG',
  define(cmd: Command) {
    cmd
      .requiredOption('-s, --sensitivities_file <file>', 'sensitivities file written by `slimprune sensitivity`')
      .requiredOption('-o, --output <file>', 'picture to write: .svg or .png')
      .option('--loss <x>', 'show the ratios whose loss stays at or under x')
      .option('--target_flops <f>', 'show the ratios removing this fraction of FLOPs (needs -c)')
      .option('--target_latency <f>', 'show the ratios removing this fraction of measured latency (needs -c)')
      .option('-c, --config <file>', 'config file the sensitivities were measured on')
      .option('--opt <key=value...>', 'override config keys: dotted keys, YAML values')
      .option('--round_to <K>', 'keep the remaining channel count of each pruned layer a multiple of K (with a target)')
      .option('--ratios_file <file>', 'show the ratios in this JSON (`slimprune ratios --json` output)');
  },
  validate(opts) {
    const output = String(opts.output);
    if (!/\.(svg|png)$/i.test(output)) throw new UsageError(`-o, --output: expected a file name ending in .svg or .png, got '${output}'`);
    const chooses = opts.loss !== undefined || opts.target_flops !== undefined || opts.target_latency !== undefined;
    const ratiosFile = typeof opts.ratios_file === 'string' ? opts.ratios_file : null;
    if (chooses && ratiosFile) throw new UsageError('--ratios_file: expected it or --loss / --target_flops / --target_latency, got both');
    if (!chooses && opts.round_to !== undefined) throw new UsageError('--round_to: expected --target_flops or --target_latency with it');
    return {
      sensitivitiesFile: String(opts.sensitivities_file),
      output,
      choice: chooses ? parseRatiosChoice(opts) : null,
      ratiosFile,
    };
  },
  async run(o, ctx) {
    let file;
    try {
      file = readSensitivityFile(o.sensitivitiesFile);
    } catch (e) {
      if (e instanceof SensitivityFileError) throw new UsageError(`-s ${e.message}`);
      throw e;
    }
    let chosen: { ratios: Record<string, number>; title: string } | null = null;
    if (o.choice) {
      const c = chooseRatios(o.choice, ctx);
      const shown = shownRatios(c);
      const how = o.choice.loss !== null ? `loss <= ${o.choice.loss}` : o.choice.targetFlops !== null ? `FLOPs -${(c.extra.flops_reduction * 100).toFixed(1)}%` : `latency -${(c.extra.latency_reduction * 100).toFixed(1)}%`;
      chosen = { ratios: Object.fromEntries(shown.params.map((p, i) => [p, shown.ratios[i]])), title: how };
    } else if (o.ratiosFile) {
      chosen = { ratios: readRatiosFile(o.ratiosFile), title: o.ratiosFile };
    }
    const { renderSensitivity } = await import('../plot/sensitivity_chart');
    const bytes = await renderSensitivity(o.output, file, chosen);
    writeFileAtomic(o.output, bytes);
    ctx.out(`wrote ${o.output}: ${Object.keys(file.sensitivities).length} curve(s)${chosen ? `, chosen ratios (${chosen.title})` : ''}`);
  },
};
