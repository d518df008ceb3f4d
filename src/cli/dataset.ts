/**
 * `slimprune dataset digits --out DIR [--format voc|coco --train N --test M --size S --seed K]`:
 * writes the built-in handwritten-digits detection dataset (VOC layout, or COCO's with instance
 * masks; see src/data/digits/generate.ts and coco.ts) and prints one summary line with the time it took. The data set to build is a positional
 * word so more can be added beside `digits`.
 */
import type { Command } from 'commander';
import type { CliContext, Subcommand } from './command';
import { UsageError } from './errors';
import { writeDigitsDataset } from '../data/digits/generate';

export interface DatasetOptions {
  kind: 'digits';
  format: 'voc' | 'coco';
  out: string;
  train: number;
  test: number;
  size: number;
  seed: number;
}

const KINDS = ['digits'] as const;
const FORMATS = ['voc', 'coco'] as const;

function intFlag(name: string, raw: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const s = String(raw).trim();
  const v = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${name}: expected an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}, got ${JSON.stringify(s)}`);
  return v;
}

// commander hands the action the positional word first; validate reads the command itself.
let defined: Command | null = null;

export const datasetCommand: Subcommand<DatasetOptions> = {
  name: 'dataset',
  summary: 'Write a built-in dataset: `dataset digits --out DIR` (handwritten digits for detection, VOC format, or COCO with instance masks)',
  define(cmd) {
    defined = cmd;
    cmd
      .argument('<kind>', `dataset to write: ${KINDS.join(', ')}`)
      .requiredOption('--out <dir>', 'output folder (created; files in it are overwritten)')
      .option('--format <f>', 'voc (JPEGImages/, Annotations/, trainval.txt, test.txt) or coco (train2017/, val2017/, annotations/instances_{train,val}2017.json with polygon masks)', 'voc')
      .option('--train <N>', 'training images (trainval.txt)', '4000')
      .option('--test <M>', 'test images (test.txt)', '500')
      .option('--size <S>', 'image side in pixels', '128')
      .option('--seed <K>', 'random seed: the same seed writes the same files', '0');
  },
  validate() {
    const cmd = defined;
    if (!cmd) throw new UsageError('dataset: command not defined');
    const kind = String(cmd.processedArgs[0] ?? cmd.args[0] ?? '');
    if (!(KINDS as readonly string[]).includes(kind)) throw new UsageError(`expected one of ${KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
    const o = cmd.opts<Record<string, unknown>>();
    const format = String(o.format ?? 'voc');
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format: expected one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
    return {
      kind: kind as DatasetOptions['kind'],
      format: format as DatasetOptions['format'],
      out: String(o.out),
      train: intFlag('train', o.train, 4000, 0),
      test: intFlag('test', o.test, 500, 0),
      size: intFlag('size', o.size, 128, 64, 2048),
      seed: intFlag('seed', o.seed, 0, 0),
    };
  },
  async run(opts: DatasetOptions, ctx: CliContext) {
    if (opts.train + opts.test === 0) throw new UsageError("expected --train or --test above 0");
    const r = await writeDigitsDataset({ out: opts.out, train: opts.train, test: opts.test, size: opts.size, seed: opts.seed, format: opts.format });
    const secs = r.ms / 1000;
    const perMin = ((r.train + r.test) / Math.max(secs, 1e-9)) * 60;
    ctx.out(
      `digits: ${r.train} train + ${r.test} ${opts.format === 'coco' ? 'val' : 'test'} images (${r.size}x${r.size}, ${r.objects} digits${opts.format === 'coco' ? ' with masks, COCO' : ''}) in ${r.out} ` +
        `in ${secs.toFixed(1)} s (${Math.round(perMin)} images/min)`,
    );
  },
};
