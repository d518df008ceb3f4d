/**
 * `slimprune sensitivity merge a.json b.json ... -o all.json`: joins sensitivities files of
 * one config and metric (runs split by parameter, or over several machines) into one file,
 * written atomically. A (param, ratio) in several files must carry the same loss; different
 * losses, configs, metrics or base metrics are refused, naming the files.
 */
import type { Command } from 'commander';
import type { Subcommand } from './command';
import { UsageError } from './errors';
import { mergeSensitivities, readSensitivityFile, SensitivityFileError, writeSensitivityFile, type SensitivityFile } from '../prune/sensitivity_file';

export interface SensitivityMergeOptions {
  files: string[];
  output: string;
}

export const sensitivityMergeCommand: Subcommand<SensitivityMergeOptions> = {
  name: 'merge',
  summary: 'join sensitivities files of one config and metric into one',
  define(cmd: Command) {
    cmd.argument('<files...>', 'sensitivities files to join').option('-o, --output <file>', 'the joined file (written atomically)');
  },
  validate(opts) {
    const files = (opts.operands as string[] | undefined) ?? [];
    if (files.length < 2) throw new UsageError(`files: expected at least two sensitivities files to merge, got ${files.length}`);
    if (typeof opts.output !== 'string' || opts.output === '') throw new UsageError('-o, --output: expected the file to write the merged sensitivities to, got none');
    return { files, output: opts.output };
  },
  run(o, ctx) {
    let merged: SensitivityFile;
    try {
      merged = mergeSensitivities(o.files.map((f) => readSensitivityFile(f)));
    } catch (e) {
      if (!(e instanceof SensitivityFileError)) throw e;
      // mergeSensitivities numbers the files from 1: name them.
      throw new UsageError(`${e.message} (${o.files.map((f, i) => `file ${i + 1}: ${f}`).join(', ')})`);
    }
    writeSensitivityFile(o.output, merged);
    const points = Object.values(merged.sensitivities).reduce((n, row) => n + Object.keys(row).length, 0);
    ctx.out(`merged ${o.files.length} files: ${Object.keys(merged.sensitivities).length} parameter(s), ${points} measurement(s) (${merged.metric}, base ${merged.base}) -> ${o.output}`);
  },
};
