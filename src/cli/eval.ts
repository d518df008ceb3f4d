/**
 * `slimprune eval` (slim/prune/eval.py): build the eval graph, prune its shapes as the
 * checkpoint records (flags, when given, must agree), load `weights`, and compute the config's
 * metric on EvalReader: VOC mAP (PaddleDetection's DetectionMAP, IoU 0.5, map_type) or COCO
 * bbox AP (COCOeval's 12 numbers). Prints the metric table, per class too. COCO writes its
 * detections to {output_eval}/bbox.json (COCO's result format); --json_eval re-scores that
 * file without running the model. Faster / Mask R-CNN report COCO bbox AP and, for Mask R-CNN,
 * segm AP (masks written to {output_eval}/segm.json). VOC writes {output_eval}/voc_map.json when --output_eval is given.
 */
import * as path from 'path';
import type { Command } from 'commander';
import type { CliContext, Subcommand } from './command';
import { RuntimeError, UsageError } from './errors';
import { addConfigFlags, addPruneFlags, loadCliConfig, parseConfigOptions, parsePruneSpec, type ConfigOptions, type PruneSpec } from './options';
import { buildModel, checkParamNames } from './stages';

export interface EvalOptions extends ConfigOptions {
  jsonEval: boolean;
  outputEval: string | null;
  prune: PruneSpec | null;
}

const pct = (v: number | null) => (v === null || v < 0 ? '   -  ' : (v * 100).toFixed(2).padStart(6));

function printCoco(ctx: CliContext, r: { stats: number[]; perCategory: Array<{ name: string; ap: number; ap50: number; ap75: number; ar100: number }> }, format: (s: number[]) => string): void {
  ctx.out(format(r.stats));
  ctx.out('per category:        AP   AP50   AP75  AR100');
  for (const c of r.perCategory) ctx.out(`  ${c.name.slice(0, 16).padEnd(16)} ${pct(c.ap)} ${pct(c.ap50)} ${pct(c.ap75)} ${pct(c.ar100)}`);
}

export const evalCommand: Subcommand<EvalOptions> = {
  name: 'eval',
  summary: 'evaluate a (pruned) model (eval.py)',
  define(cmd: Command) {
    addConfigFlags(cmd)
      .option('--json_eval', 're-evaluate the result files already in --output_eval')
      .option('-f, --output_eval <dir>', 'directory for evaluation outputs');
    addPruneFlags(cmd);
  },
  validate(opts) {
    return {
      ...parseConfigOptions(opts),
      jsonEval: opts.json_eval === true,
      outputEval: typeof opts.output_eval === 'string' ? opts.output_eval : null,
      prune: parsePruneSpec(opts),
    };
  },
  async run(o, ctx) {
    const cfg = loadCliConfig(o);
    const metric = String(cfg.metric);
    if (metric !== 'VOC' && metric !== 'COCO') throw new UsageError(`metric: expected VOC or COCO (the metrics eval computes), got '${metric}'`);
    const fs = await import('fs');
    const { writeFileAtomic } = await import('../export/atomic');
    const { cocoEval, formatCocoStats } = await import('../eval/coco_eval');
    const { cocoAnnoFile, readCocoGt, evaluateCoco } = await import('../eval/evaluate');
    const outDir = o.outputEval ?? '.';
    if (o.jsonEval) {
      if (metric !== 'COCO') throw new UsageError(`--json_eval: expected metric COCO (result files are COCO's), got ${metric}`);
      const file = path.join(outDir, 'bbox.json');
      if (!fs.existsSync(file)) throw new RuntimeError(`--json_eval: expected ${file} (written by an earlier eval), got nothing at that path`);
      let dets: unknown;
      try {
        dets = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (e) {
        throw new RuntimeError(`--json_eval: expected JSON in ${file}, got ${(e as Error).message}`);
      }
      ctx.out(`scoring ${file}`);
      const gt = readCocoGt(cocoAnnoFile(cfg));
      printCoco(ctx, cocoEval(gt, dets as never, { iouType: 'bbox' }), formatCocoStats);
      // Mask R-CNN's eval also wrote its masks
      const segmFile = path.join(outDir, 'segm.json');
      if (cfg.architecture === 'MaskRCNN' && fs.existsSync(segmFile)) {
        ctx.out(`scoring ${segmFile}`);
        printCoco(ctx, cocoEval(gt, JSON.parse(fs.readFileSync(segmFile, 'utf8')) as never, { iouType: 'segm' }), formatCocoStats);
      }
      return;
    }
    if (cfg.architecture === 'FasterRCNN' || cfg.architecture === 'MaskRCNN') {
      if (metric !== 'COCO') throw new UsageError(`metric: expected COCO for ${cfg.architecture} (bbox and segm AP), got '${metric}'`);
      const shellR = buildModel(cfg, 'eval', ctx.stages);
      if (o.prune) checkParamNames(shellR.graph, o.prune.params);
      const { loadTrainedRcnn } = await import('./trained_model');
      const { evalInputSize } = await import('../train/evaluate');
      const { evaluateRcnnCoco } = await import('../train/rcnn_evaluate');
      const { model, records } = await loadTrainedRcnn(cfg, { mode: 'eval', weights: cfg.weights, prune: o.prune, inputSize: evalInputSize(cfg), log: (l) => ctx.out(l) });
      try {
        ctx.out(`evaluating ${cfg.weights}${records.length ? ' (pruned as recorded)' : ''} on EvalReader, metric COCO (bbox${model.architecture === 'MaskRCNN' ? ', segm' : ''})`);
        const r = await evaluateRcnnCoco(model, cfg);
        const file = path.join(outDir, 'bbox.json');
        writeFileAtomic(file, JSON.stringify(r.results));
        ctx.out(`${r.images} images, ${r.results.length} detections written to ${file}`);
        ctx.out('bbox:');
        printCoco(ctx, r.bbox, formatCocoStats);
        if (r.segm) {
          const segmFile = path.join(outDir, 'segm.json');
          writeFileAtomic(segmFile, JSON.stringify(r.segmResults));
          ctx.out(`masks written to ${segmFile}`);
          ctx.out('segm:');
          printCoco(ctx, r.segm, formatCocoStats);
        }
      } finally {
        model.dispose();
      }
      return;
    }
    const shell = buildModel(cfg, 'eval', ctx.stages);
    if (o.prune) checkParamNames(shell.graph, o.prune.params);
    const { loadTrainedModel } = await import('./trained_model');
    const { evaluateVoc, evalInputSize } = await import('../train/evaluate');
    const { labelsOf } = await import('../export/infer_cfg');
    const { model, records } = await loadTrainedModel(cfg, { mode: 'eval', weights: cfg.weights, prune: o.prune, inputSize: evalInputSize(cfg), log: (l) => ctx.out(l) });
    try {
      const labels = labelsOf(cfg, model.head.numClasses);
      ctx.out(`evaluating ${cfg.weights}${records.length ? ' (pruned as recorded)' : ''} on EvalReader, metric ${metric}`);
      if (metric === 'COCO') {
        const r = await evaluateCoco(model, cfg);
        const file = path.join(outDir, 'bbox.json');
        writeFileAtomic(file, JSON.stringify(r.results));
        ctx.out(`${r.images} images, ${r.results.length} detections written to ${file}`);
        printCoco(ctx, r, formatCocoStats);
        return;
      }
      const r = await evaluateVoc(model, cfg);
      const per = r.perClass as Array<{ ap: number | null; gtCount: number; truePositives: number; falsePositives: number }>;
      ctx.out('class              AP     gts    TP    FP');
      per.forEach((c, i) => ctx.out(`  ${String(labels[i] ?? i).slice(0, 14).padEnd(14)} ${pct(c.ap)} ${String(c.gtCount).padStart(6)} ${String(c.truePositives).padStart(5)} ${String(c.falsePositives).padStart(5)}`));
      ctx.out(`mAP(0.50, ${cfg.map_type}) = ${(r.map * 100).toFixed(2)}% over ${r.images} images`);
      if (o.outputEval) {
        const file = path.join(o.outputEval, 'voc_map.json');
        writeFileAtomic(file, JSON.stringify({ metric: 'VOC', map_type: cfg.map_type, map: r.map, images: r.images, perClass: per.map((c, i) => ({ name: labels[i] ?? String(i), ...c })) }, null, 1) + '\n');
        ctx.out(`wrote ${file}`);
      }
    } finally {
      model.dispose();
    }
  },
};
