/**
 * Export of a Faster / Mask R-CNN (weights loaded, pruned or not) into one folder:
 *
 *   backbone_rpn.onnx   stage 1: image [N, 3, H, W] -> res4 [N, C4, h, w], rpn_cls_score
 *                       [N, A, h, w], rpn_bbox_pred [N, 4A, h, w]              (opset 13)
 *   roi_heads.onnx      stage 2: res4, rois [R, 4], rois_batch [R] int64 -> RoiAlign -> res5 ->
 *                       cls_prob [R, C] (softmax), bbox_pred [R, 4C] (+ mask_prob [R, C, M, M],
 *                       sigmoid)                                               (opset 16)
 *   infer_cfg.yml       PaddleDetection's deployment fields plus the RCNN section: anchors,
 *                       proposals, box decoding, NMS, masks (rcnn_infer_cfg.ts)
 *
 * H and W are symbolic (the reader resizes each image to its own size), so are N and R. Norms
 * are folded into their convs first, as for YOLOv3. ONNX has no generate_proposals, hence two
 * files with proposals (and NMS, mask pasting) in between done by rcnn_runtime.ts.
 *
 * Verification (default on when onnxruntime-node loads) runs one seeded image through both:
 *   stage 1   ONNX outputs against slimprune's res4 / RPN outputs;
 *   stage 2   ONNX on slimprune's own res4 and RoIs against softmax(cls_score), bbox_pred,
 *             sigmoid(mask_fcn_logits) (relative error, VERIFY_TOLERANCE as for YOLOv3);
 *   end to end  rcnn_runtime's detections against the model object's detect(): the same
 *             number, each matched to one of the same class with scores within 1e-4 and box
 *             corners within 1e-3 of the image side, and (Mask R-CNN) masks that differ in at
 *             most 1% of the pixels of their union.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { SlimConfig } from '../config';
import { Tensor } from '../backend/tensor';
import { forward } from '../graph/executor';
import type { Graph } from '../graph/graph';
import type { RcnnDetection, RcnnImInfo, RcnnModel } from '../nn';
import { softmaxRows } from '../nn/rcnn/multiclass_nms';
import type { PruneRecord } from '../prune/types';
import { writeFileAtomic } from './atomic';
import { ExportError, foldNorms } from './bn_fold';
import { labelsOf } from './infer_cfg';
import { graphToOnnx, valueInfo, type OnnxBuilder } from './onnx';
import { INFER_CFG, RCNN_STAGE_FILES, rcnnInferCfgYaml } from './rcnn_infer_cfg';
import { RcnnOnnxModel } from './rcnn_runtime';
import { RCNN_ONNX_NAMES as N, splitRcnn } from './rcnn_split';
import { sampleImage } from './sample_image';
import { compareOutputs, locateOnnxRuntime, VERIFY_TOLERANCE, type OutputDiff } from './verify';

export const RCNN_STAGE2_OPSET = 16;
/** End-to-end tolerances (see the file comment). */
export const RCNN_DETECTION_TOLERANCE = { score: 1e-4, boxOfSide: 1e-3, maskPixels: 0.01 } as const;

export interface RcnnExportOptions {
  cfg: SlimConfig;
  dir: string;
  records?: PruneRecord[];
  labels?: string[];
  /** run the onnxruntime check (default true) */
  verify?: boolean;
  /** [H, W] of the verification image (default: the graph's input size) */
  verifySize?: [number, number];
}

export interface RcnnDetectionDiff {
  detections: number;
  maxScoreDiff: number;
  maxBoxDiff: number;
  /** Mask R-CNN: the largest fraction of differing pixels over a matched pair's union */
  maxMaskDiff: number | null;
  /** Mask R-CNN: pixels set over slimprune's masks (a check that masks were compared at all) */
  maskPixels: number;
}

export type RcnnVerifyResult =
  | { verified: true; outputs: OutputDiff[]; maxRel: number; detections: RcnnDetectionDiff; size: [number, number] }
  | { verified: false; skipped: string };

export interface RcnnExportReport {
  dir: string;
  files: string[];
  folded: number;
  verify: RcnnVerifyResult | null;
}

/** The ONNX bytes of both stages of a folded graph. */
export function rcnnOnnx(folded: Graph, model: RcnnModel, o: { name: string; doc: string }): [Uint8Array, Uint8Array] {
  const v = model.values;
  const { stage1, stage2 } = splitRcnn(folded, v);
  const C4 = stage1.shapeOf(N.feature)[1];
  const A = model.settings.rpn.numAnchors;
  const C = model.settings.numClasses;
  const feat = ['N', C4, 'h', 'w'];
  const one = graphToOnnx(stage1, {
    name: `${o.name}_backbone_rpn`, doc: o.doc,
    dims: { [N.image]: ['N', 3, 'H', 'W'], [N.feature]: feat, [N.rpnCls]: ['N', A, 'h', 'w'], [N.rpnBbox]: ['N', 4 * A, 'h', 'w'] },
  });
  // stage 2 returns probabilities: cls_score through Softmax, mask_fcn_logits through Sigmoid
  const logits = stage2.outputs;
  stage2.outputs = [N.bboxPred];
  const M = model.settings.maskResolution ?? 0;
  const extend = (b: OnnxBuilder) => {
    b.node('Softmax', [v.clsScore], [N.clsProb], { axis: 1 });
    b.outputs.unshift(valueInfo(N.clsProb, [], { dims: ['R', C] }));
    if (v.maskLogits && logits.includes(v.maskLogits)) {
      b.node('Sigmoid', [v.maskLogits], [N.maskProb]);
      b.outputs.push(valueInfo(N.maskProb, [], { dims: ['R', C, M, M] }));
    }
  };
  const two = graphToOnnx(stage2, {
    name: `${o.name}_roi_heads`, doc: o.doc, opset: RCNN_STAGE2_OPSET, extend, int64Inputs: [N.roisBatch],
    dims: { [N.feature]: feat, [N.rois]: ['R', 4], [N.roisBatch]: ['R'], [N.bboxPred]: ['R', 4 * C] },
  });
  return [one, two];
}

/** Exports `model` (eval-ready, weights loaded) into o.dir (see the file comment). */
export async function exportRcnnModel(model: RcnnModel, o: RcnnExportOptions): Promise<RcnnExportReport> {
  const records = o.records ?? [];
  const labels = o.labels ?? labelsOf(o.cfg, model.settings.numClasses - 1);
  const { graph, folded } = foldNorms(model.graph);
  const files: string[] = [];
  try {
    const doc = records.length ? `pruned: ${JSON.stringify(records.map((r) => r.groups.map((g) => [g.master, g.ratio])))}` : 'unpruned';
    const bytes = rcnnOnnx(graph, model, { name: path.basename(o.dir), doc });
    RCNN_STAGE_FILES.forEach((f, i) => {
      const file = path.join(o.dir, f);
      writeFileAtomic(file, bytes[i]);
      files.push(file);
    });
    const yml = path.join(o.dir, INFER_CFG);
    writeFileAtomic(yml, rcnnInferCfgYaml(o.cfg, model, labels, records));
    files.push(yml);
  } finally {
    graph.dispose();
  }
  let verify: RcnnVerifyResult | null = null;
  if (o.verify !== false) {
    const shape = model.graph.shapeOf(model.input);
    verify = await verifyRcnnExport(model, o.dir, o.verifySize ?? [shape[2], shape[3]]);
  }
  return { dir: o.dir, files, folded: folded.size, verify };
}

const arr = (t: Tensor) => Float32Array.from(t.toArray());

/** The check of an export folder against `model` on one seeded [1, 3, H, W] image (see the file comment). */
export async function verifyRcnnExport(model: RcnnModel, dir: string, size: [number, number], tolerance = VERIFY_TOLERANCE): Promise<RcnnVerifyResult> {
  const where = locateOnnxRuntime();
  if (typeof where === 'string') return { verified: false, skipped: where };
  if (!fs.existsSync(dir)) throw new ExportError(`export: expected an export folder at ${dir}, got nothing`);
  const v = model.values;
  const dims = [1, 3, size[0], size[1]];
  const data = sampleImage(dims);
  const imInfo: RcnnImInfo[] = [{ height: size[0], width: size[1], scale: 1 }];
  const want: Record<string, Float32Array> = {};
  const x = Tensor.from(data, dims);
  let ours: RcnnDetection[][];
  try {
    const f = model.feeds(x, imInfo);
    const { outputs } = forward(model.graph, f.feeds, { fetch: [...new Set([...f.fetch, v.res4])] });
    try {
      for (const [k, t] of Object.entries(outputs)) want[k] = arr(t);
    } finally {
      Object.values(outputs).forEach((t) => t.dispose());
    }
    ours = model.detect(x, imInfo);
  } finally {
    x.dispose();
  }
  const m = await RcnnOnnxModel.load(dir);
  try {
    const s1 = await m.stage1(data, dims);
    const d1 = compareOutputs(s1, { [N.feature]: want[v.res4], [N.rpnCls]: want[v.rpnCls], [N.rpnBbox]: want[v.rpnBbox] });
    const R = want[v.roisBatch].length;
    const C = model.settings.numClasses;
    const fetch = [N.clsProb, N.bboxPred, ...(v.maskLogits ? [N.maskProb] : [])];
    const s2 = await m.stage2({ data: want[v.res4], dims: s1[N.feature].dims }, want[v.rois], want[v.roisBatch], fetch);
    const w2: Record<string, Float32Array> = { [N.clsProb]: softmaxRows(want[v.clsScore], R, C), [N.bboxPred]: want[v.bboxPred] };
    if (v.maskLogits) w2[N.maskProb] = Float32Array.from(want[v.maskLogits], (z) => 1 / (1 + Math.exp(-z)));
    const outputs = [...d1, ...compareOutputs(s2, w2)];
    const worst = outputs.reduce((a, b) => (b.rel > a.rel ? b : a));
    if (!(worst.rel <= tolerance)) {
      throw new ExportError(`onnx: expected the ONNX stages to match slimprune within ${tolerance} (relative), got ${worst.rel.toExponential(3)} on output ${worst.name} (max difference ${worst.maxAbs.toExponential(3)})`);
    }
    const theirs = await m.detectPrepared(data, dims, imInfo);
    const detections = compareDetections(ours[0], theirs[0], Math.max(size[0], size[1]));
    return { verified: true, outputs, maxRel: worst.rel, detections, size };
  } finally {
    await m.close();
  }
}

/**
 * Matches two detection lists of one image (see the file comment for the tolerances); an
 * ExportError naming the first detection without a match.
 */
export function compareDetections(ours: RcnnDetection[], theirs: RcnnDetection[], side: number): RcnnDetectionDiff {
  const T = RCNN_DETECTION_TOLERANCE;
  if (ours.length !== theirs.length) throw new ExportError(`onnx: expected ${ours.length} detections from the exported pair (as slimprune finds), got ${theirs.length}`);
  const used = new Set<number>();
  let maxScoreDiff = 0, maxBoxDiff = 0;
  let maxMaskDiff: number | null = null;
  let maskPixels = 0;
  ours.forEach((d, i) => {
    let best = -1, bestDiff = Infinity;
    theirs.forEach((e, j) => {
      if (used.has(j) || e.classId !== d.classId || Math.abs(e.score - d.score) > T.score) return;
      const diff = Math.max(...d.box.map((c, k) => Math.abs(c - e.box[k])));
      if (diff < bestDiff) [best, bestDiff] = [j, diff];
    });
    if (best < 0 || bestDiff > T.boxOfSide * side) {
      throw new ExportError(`onnx: expected a detection of class ${d.classId}, score ${d.score.toFixed(5)}, box [${d.box.map((c) => c.toFixed(2)).join(', ')}] (slimprune's #${i}) from the exported pair, got ${best < 0 ? 'none of that class and score' : `one ${bestDiff.toExponential(2)} pixels off`}`);
    }
    used.add(best);
    const e = theirs[best];
    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(e.score - d.score));
    maxBoxDiff = Math.max(maxBoxDiff, bestDiff);
    if (d.mask || e.mask) {
      if (!d.mask || !e.mask || d.mask.length !== e.mask.length) throw new ExportError(`onnx: expected a mask of ${d.mask?.length ?? 0} pixels with detection #${i}, got ${e.mask?.length ?? 0}`);
      let differ = 0, union = 0;
      for (let p = 0; p < d.mask.length; p++) {
        if (d.mask[p] || e.mask[p]) union++;
        if (d.mask[p]) maskPixels++;
        if (d.mask[p] !== e.mask[p]) differ++;
      }
      const frac = union ? differ / union : 0;
      if (frac > T.maskPixels) throw new ExportError(`onnx: expected the mask of detection #${i} to match slimprune's in all but ${T.maskPixels * 100}% of its pixels, got ${(frac * 100).toFixed(2)}% different`);
      maxMaskDiff = Math.max(maxMaskDiff ?? 0, frac);
    }
  });
  return { detections: ours.length, maxScoreDiff, maxBoxDiff, maxMaskDiff, maskPixels };
}
