/**
 * What `prune` and `train` share: the training flags beyond PaddleDetection's (--seed,
 * --strict) and the call into the trainer (src/train), loaded only when a command trains so
 * that --help and --print_params stay fast.
 */
import type { Command } from 'commander';
import type { SlimConfig } from '../config';
import type { CliContext } from './command';
import { UsageError } from './errors';

export interface TrainFlags {
  seed: number;
  strict: boolean;
  resumeCheckpoint: string | null;
  eval: boolean;
  /** with eval: where voc_map.json is rewritten after each evaluation */
  outputEval?: string | null;
  overrides: string[];
}

export function addTrainFlags(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'seed of the initialisation and the data order (a resumed run must use its own)', '0')
    .option('--strict', 'refuse starting weights unless every parameter is present with its shape');
}

export function parseTrainFlags(opts: Record<string, unknown>): { seed: number; strict: boolean } {
  const seed = Number(opts.seed ?? 0);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new UsageError(`--seed: expected an integer in [0, 2^32), got '${String(opts.seed)}'`);
  return { seed, strict: opts.strict === true };
}

/** The value of a `weights=...` override, if one was given (it then replaces pretrain_weights). */
export function weightsOverride(overrides: readonly string[]): string | null {
  let found: string | null = null;
  for (const o of overrides) {
    const m = /^weights=(.*)$/.exec(o.trim());
    if (m) found = m[1].trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return found || null;
}

export async function runTraining(
  cfg: SlimConfig,
  o: TrainFlags,
  prune: { params: string[]; ratios: number[]; criterion?: 'l1_norm' | 'l2_norm' | 'geometry_median' | 'bn_scale'; roundTo?: number; groupReduction?: 'master' | 'mean' } | null,
  ctx: CliContext,
  command: string,
): Promise<void> {
  const { train } = await import('../train/trainer');
  const quiet = process.env.SLIMPRUNE_QUIET === '1';
  const r = await train({
    cfg,
    prune,
    resume: o.resumeCheckpoint,
    weights: weightsOverride(o.overrides),
    strict: o.strict,
    eval: o.eval,
    outputEval: o.outputEval ?? null,
    seed: o.seed,
    log: (l) => ctx.out(l),
    warn: (m) => ctx.io.stderr(`slimprune ${command}: warning: ${m}\n`),
    progress: !quiet && process.stderr.isTTY === true && process.stdout.isTTY === true,
  });
  ctx.out(`done: ${r.iterations} iterations, final weights in ${r.finalDir}`);
  // R-CNN keeps its best snapshot by COCO bbox AP@[.5:.95], YOLOv3 by VOC mAP at IoU 0.5
  const metric = r.model.architecture === 'YOLOv3' ? 'mAP(0.5)' : 'bbox AP';
  if (r.bestMap !== null) ctx.out(`best ${metric}: ${(r.bestMap * 100).toFixed(2)}${r.bestDir ? ` (${r.bestDir})` : ''}`);
}
