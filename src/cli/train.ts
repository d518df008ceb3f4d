/**
 * `slimprune train` (PaddleDetection tools/train.py): train the config's model from its
 * pretrain_weights (or `-o weights=...`, or a seeded initialisation) without pruning, with
 * the same loop, snapshots, --eval and -r/--resume_checkpoint as `prune`. This is how the
 * baseline that `prune` starts from is made.
 */
import type { Command } from 'commander';
import type { Subcommand } from './command';
import { addConfigFlags, loadCliConfig, parseConfigOptions, type ConfigOptions } from './options';
import { buildModel } from './stages';
import { addTrainFlags, parseTrainFlags, runTraining, type TrainFlags } from './training';

export interface TrainOptions extends ConfigOptions, TrainFlags {
  outputEval: string | null;
}

export const trainCommand: Subcommand<TrainOptions> = {
  name: 'train',
  summary: 'train a model without pruning (tools/train.py)',
  define(cmd: Command) {
    addConfigFlags(cmd)
      .option('-r, --resume_checkpoint <path>', 'checkpoint to resume training from')
      .option('--eval', 'evaluate after each snapshot and keep best_model')
      .option('--output_eval <dir>', 'with --eval: folder where voc_map.json (R-CNN: coco_ap.json, bbox.json, segm.json) is rewritten after each evaluation');
    addTrainFlags(cmd);
  },
  validate(opts) {
    return {
      ...parseConfigOptions(opts),
      resumeCheckpoint: typeof opts.resume_checkpoint === 'string' ? opts.resume_checkpoint : null,
      eval: opts.eval === true,
      outputEval: typeof opts.output_eval === 'string' ? opts.output_eval : null,
      ...parseTrainFlags(opts),
    };
  },
  async run(o, ctx) {
    const cfg = loadCliConfig(o);
    buildModel(cfg, 'train', ctx.stages); // architecture checks, before any data is read
    await runTraining(cfg, o, null, ctx, 'train');
  },
};
