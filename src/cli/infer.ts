/**
 * `slimprune infer` (tools/infer.py): run a (pruned) checkpoint on --infer_img or every image
 * of --infer_dir (jpg, jpeg, png, bmp, sorted), preprocessed as TestReader says; write each
 * image with its boxes, labels and scores drawn into --output_dir (same file name), and every
 * detection at or above --draw_threshold into {output_dir}/detections.json. Faster / Mask R-CNN
 * checkpoints run through their model object (test proposals, box head, NMS; Mask R-CNN's masks
 * drawn as a translucent fill under the boxes); --model_dir runs an R-CNN export folder
 * (slimprune export: two ONNX stages + infer_cfg.yml) in onnxruntime-node instead.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';
import type { CliContext, Subcommand } from './command';
import type { SlimConfig } from '../config';
import { RuntimeError, UsageError } from './errors';
import { addConfigFlags, addPruneFlags, loadCliConfig, parseConfigOptions, parsePruneSpec, type ConfigOptions, type PruneSpec } from './options';
import { buildModel, checkParamNames } from './stages';

export interface InferOptions extends ConfigOptions {
  inferImg: string | null;
  inferDir: string | null;
  outputDir: string;
  drawThreshold: number;
  prune: PruneSpec | null;
  modelDir: string | null;
}

const IMAGE = /\.(jpe?g|png|bmp)$/i;

/** The images to run on: the one file, or the folder's images sorted by name. */
export function listImages(o: Pick<InferOptions, 'inferImg' | 'inferDir'>): string[] {
  if (o.inferImg) {
    if (!fs.existsSync(o.inferImg) || !fs.statSync(o.inferImg).isFile()) throw new UsageError(`--infer_img: expected an image file, got nothing at ${o.inferImg}`);
    return [o.inferImg];
  }
  const dir = o.inferDir!;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--infer_dir: expected a folder of images, got nothing at ${dir}`);
  const files = fs.readdirSync(dir).filter((f) => IMAGE.test(f)).sort().map((f) => path.join(dir, f));
  if (!files.length) throw new UsageError(`--infer_dir: expected jpg, jpeg, png or bmp images in ${dir}, got none`);
  return files;
}

export const inferCommand: Subcommand<InferOptions> = {
  name: 'infer',
  summary: 'detect objects in images and draw them (infer.py)',
  define(cmd: Command) {
    addConfigFlags(cmd)
      .option('--infer_img <file>', 'an image to run on')
      .option('--infer_dir <dir>', 'a folder of images to run on')
      .option('--output_dir <dir>', 'where the drawn images and detections.json go', 'output')
      .option('--draw_threshold <t>', 'lowest score drawn and listed', '0.5')
      .option('--model_dir <dir>', 'Faster / Mask R-CNN: an export folder (slimprune export) to run in onnxruntime-node instead of the weights');
    addPruneFlags(cmd);
  },
  validate(opts) {
    const img = typeof opts.infer_img === 'string' ? opts.infer_img : null;
    const dir = typeof opts.infer_dir === 'string' ? opts.infer_dir : null;
    if (!img === !dir) throw new UsageError(`--infer_img / --infer_dir: expected exactly one of them, got ${img ? 'both' : 'neither'}`);
    const t = Number(opts.draw_threshold ?? 0.5);
    if (!(t >= 0 && t <= 1)) throw new UsageError(`--draw_threshold: expected a number in [0, 1], got '${String(opts.draw_threshold)}'`);
    return { ...parseConfigOptions(opts), inferImg: img, inferDir: dir, outputDir: String(opts.output_dir ?? 'output'), drawThreshold: t, prune: parsePruneSpec(opts), modelDir: typeof opts.model_dir === 'string' ? opts.model_dir : null };
  },
  async run(o, ctx) {
    const images = listImages(o);
    const cfg = loadCliConfig(o);
    const shell = buildModel(cfg, 'test', ctx.stages);
    if (o.prune) checkParamNames(shell.graph, o.prune.params);
    const { loadTrainedModel } = await import('./trained_model');
    const { InferenceModel, drawDetections } = await import('../infer');
    const { labelsOf, testTransforms } = await import('../export/infer_cfg');
    const { writeFileAtomic } = await import('../export/atomic');
    const rcnn = cfg.architecture === 'FasterRCNN' || cfg.architecture === 'MaskRCNN';
    if (o.modelDir && !rcnn) throw new UsageError(`--model_dir: expected a Faster / Mask R-CNN config (a YOLOv3 export runs with loadInferenceModel), got ${cfg.architecture}`);
    if (o.modelDir) return inferRcnnExport(o, cfg, images, ctx);
    if (rcnn) return inferRcnn(o, cfg, images, ctx);
    const { model } = await loadTrainedModel(cfg, { mode: 'test', weights: cfg.weights, prune: o.prune, log: (l) => ctx.out(l) });
    try {
      const shape = model.graph.shapeOf(model.input);
      const detector = new InferenceModel({
        graph: model.graph, input: model.input, outputs: model.outputs, head: model.head, labels: labelsOf(cfg, model.head.numClasses),
        preprocess: testTransforms(cfg, [shape[2], shape[3]]), owned: false,
      });
      const all: Array<{ image: string; output: string; detections: Array<{ label: string; class_id: number; score: number; bbox: number[] }> }> = [];
      for (const file of images) {
        const bytes = fs.readFileSync(file);
        const dets = await detector.detect(bytes, { threshold: o.drawThreshold });
        const out = path.join(o.outputDir, path.basename(file).replace(/\.(png|bmp)$/i, '.jpg'));
        try {
          writeFileAtomic(out, await drawDetections(bytes, dets));
        } catch (e) {
          throw new RuntimeError(`infer: could not write ${out}: ${(e as Error).message}`);
        }
        all.push({ image: file, output: out, detections: dets.map((d) => ({ label: d.label, class_id: d.classId, score: d.score, bbox: [...d.box] })) });
        ctx.out(`${file}: ${dets.length} detection(s) >= ${o.drawThreshold} -> ${out}`);
      }
      const json = path.join(o.outputDir, 'detections.json');
      writeFileAtomic(json, JSON.stringify(all, null, 1) + '\n');
      ctx.out(`wrote ${json}`);
    } finally {
      model.dispose();
    }
  },
};

type RcnnFound = Array<{ label: string; classId: number; score: number; box: [number, number, number, number]; mask?: Uint8Array }>;

/** Each image detected by `detect`, drawn with its masks into --output_dir, and detections.json. */
async function drawAll(o: InferOptions, images: string[], ctx: CliContext, detect: (bytes: Uint8Array) => Promise<RcnnFound>): Promise<void> {
  const { drawDetections } = await import('../infer');
  const { writeFileAtomic } = await import('../export/atomic');
  const all: Array<{ image: string; output: string; detections: Array<{ label: string; class_id: number; score: number; bbox: number[]; mask_area?: number }> }> = [];
  for (const file of images) {
    const bytes = fs.readFileSync(file);
    const dets = (await detect(bytes)).filter((d) => d.score >= o.drawThreshold);
    const out = path.join(o.outputDir, path.basename(file).replace(/\.(png|bmp)$/i, '.jpg'));
    try {
      writeFileAtomic(out, await drawDetections(bytes, dets));
    } catch (e) {
      throw new RuntimeError(`infer: could not write ${out}: ${(e as Error).message}`);
    }
    all.push({
      image: file, output: out,
      detections: dets.map((d) => ({ label: d.label, class_id: d.classId, score: d.score, bbox: [...d.box], ...(d.mask ? { mask_area: d.mask.reduce((t, v) => t + (v ? 1 : 0), 0) } : {}) })),
    });
    ctx.out(`${file}: ${dets.length} detection(s) >= ${o.drawThreshold} -> ${out}`);
  }
  const json = path.join(o.outputDir, 'detections.json');
  writeFileAtomic(json, JSON.stringify(all, null, 1) + '\n');
  ctx.out(`wrote ${json}`);
}

/** R-CNN: each image prepared as TestReader says, detected by the model object, drawn with its masks. */
async function inferRcnn(o: InferOptions, cfg: SlimConfig, images: string[], ctx: CliContext): Promise<void> {
  const { loadTrainedRcnn } = await import('./trained_model');
  const { InferenceModel } = await import('../infer');
  const { labelsOf, testTransforms } = await import('../export/infer_cfg');
  const { Tensor } = await import('../backend/tensor');
  const { PreparedWeights } = await import('../backend/prepared');
  const { model } = await loadTrainedRcnn(cfg, { mode: 'test', weights: cfg.weights, prune: o.prune, log: (l) => ctx.out(l) });
  try {
    const labels = labelsOf(cfg, model.settings.numClasses - 1);
    // only its TestReader preprocessing is used: the R-CNN's detections come from the model object
    const prep = new InferenceModel({ graph: model.graph, input: model.input, outputs: [], head: null as never, labels, preprocess: testTransforms(cfg), owned: false });
    const kept = new PreparedWeights();
    await drawAll(o, images, ctx, async (bytes) => {
      const { data, shape, imSize } = await prep.prepare(bytes);
      const x = Tensor.from(data, shape);
      try {
        const found = model.detect(x, [{ height: shape[2], width: shape[3], scale: shape[2] / imSize[0], origHeight: imSize[0], origWidth: imSize[1] }], kept)[0];
        return found.map((d) => ({ ...d, label: labels[d.classId] ?? String(d.classId) }));
      } finally {
        x.dispose();
      }
    });
    kept.dispose();
  } finally {
    model.dispose();
  }
}

/** --model_dir: an R-CNN export folder run in onnxruntime-node, preprocessed as its infer_cfg.yml says. */
async function inferRcnnExport(o: InferOptions, cfg: SlimConfig, images: string[], ctx: CliContext): Promise<void> {
  const { loadRcnnExport } = await import('../export/rcnn_runtime');
  const dir = o.modelDir!;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--model_dir: expected an export folder (slimprune export), got nothing at ${dir}`);
  let m;
  try {
    m = await loadRcnnExport(dir);
  } catch (e) {
    throw new RuntimeError((e as Error).message);
  }
  try {
    if (m.cfg.architecture !== cfg.architecture) throw new UsageError(`--model_dir: expected an export of a ${cfg.architecture} (the config's architecture), got one of a ${m.cfg.architecture}`);
    ctx.out(`running ${dir} (${m.cfg.architecture}, onnxruntime-node)`);
    await drawAll(o, images, ctx, (bytes) => m.detect(bytes));
  } finally {
    await m.close();
  }
}
