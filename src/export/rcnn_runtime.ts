/**
 * Runs an R-CNN export folder (backbone_rpn.onnx, roi_heads.onnx, infer_cfg.yml) in
 * onnxruntime-node, with the post-processing infer_cfg.yml describes done by slimprune's own
 * R-CNN pieces (src/nn/rcnn): the same steps as the model object's detect():
 *
 *   stage 1       image -> res4, rpn_cls_score, rpn_bbox_pred
 *   proposals     anchorGenerator on res4's grid, generateProposals (sigmoid of the logits,
 *                 test_proposal settings) -> rois [R, 4] in input pixels, rois_batch [R]
 *   stage 2       res4, rois, rois_batch -> cls_prob, bbox_pred
 *   detections    per image bboxHeadDetections (RoIs back to original pixels, per-class
 *                 decoding with bbox_reg_weights, clipping, multi-class NMS)
 *   masks         Mask R-CNN: stage 2 again with the detections as RoIs, mask_prob of each
 *                 detection's class pasted into the original image (pasteMask, threshold)
 *
 *     const m = await loadRcnnExport('output/mask_rcnn_r50_digits');
 *     const dets = await m.detect(fs.readFileSync('a.png'));  // [{label, classId, score, box, mask?}]
 *     await m.close();
 */
import { Graph } from '../graph/graph';
import { InferenceModel, type InferDetection } from '../infer/model';
import type { RcnnDetection, RcnnImInfo } from '../nn';
import { anchorGenerator } from '../nn/rcnn/anchors';
import { generateProposals } from '../nn/rcnn/generate_proposals';
import { bboxHeadDetections } from '../nn/rcnn/multiclass_nms';
import { imInfoArray, origSize, pasteRowMasks } from '../nn/rcnn_run';
import { ExportError } from './bn_fold';
import { OrtSessions, type OrtOutputs } from './ort_sessions';
import { readRcnnInferCfg, type RcnnExportCfg } from './rcnn_infer_cfg';
import { RCNN_ONNX_NAMES as N } from './rcnn_split';

export type RcnnOnnxDetection = InferDetection & { mask?: Uint8Array };

const sigmoid = (a: ArrayLike<number>): Float32Array => Float32Array.from(a, (v) => 1 / (1 + Math.exp(-v)));

/** Zero padding at the bottom and right up to multiples of `stride` ([1, C, H, W] in, the same layout out). */
export function padToStride(data: Float32Array, shape: number[], stride: number): { data: Float32Array; shape: number[] } {
  if (stride <= 1) return { data, shape };
  const [n, c, h, w] = shape;
  const H = Math.ceil(h / stride) * stride, W = Math.ceil(w / stride) * stride;
  if (H === h && W === w) return { data, shape };
  const out = new Float32Array(n * c * H * W);
  for (let p = 0; p < n * c; p++) for (let y = 0; y < h; y++) out.set(data.subarray((p * h + y) * w, (p * h + y + 1) * w), (p * H + y) * W);
  return { data: out, shape: [n, c, H, W] };
}

export class RcnnOnnxModel {
  private readonly prep: InferenceModel;

  private constructor(readonly cfg: RcnnExportCfg, private readonly ort: OrtSessions) {
    // only its TestReader preprocessing is used (the graph is empty: detection runs in onnxruntime)
    this.prep = new InferenceModel({ graph: new Graph(), input: N.image, outputs: [], head: null as never, labels: cfg.labels, preprocess: cfg.preprocess, owned: false });
  }

  /** Opens an export folder (see the file comment); an ExportError naming what is missing or wrong. */
  static async load(dir: string): Promise<RcnnOnnxModel> {
    const cfg = readRcnnInferCfg(dir);
    const ort = await OrtSessions.open({ stage1: cfg.stages[0], stage2: cfg.stages[1] });
    return new RcnnOnnxModel(cfg, ort);
  }

  /** Stage 1 on images [N, 3, H, W]. */
  stage1(image: Float32Array, dims: number[]): Promise<OrtOutputs> {
    return this.ort.run('stage1', [{ name: N.image, data: image, dims }]);
  }

  /** Stage 2 on res4 and RoIs (input pixels, image index each); `fetch` picks the outputs. */
  stage2(feature: { data: Float32Array; dims: number[] }, rois: ArrayLike<number>, batch: ArrayLike<number>, fetch: string[]): Promise<OrtOutputs> {
    return this.ort.run('stage2', [
      { name: N.feature, data: feature.data, dims: feature.dims },
      { name: N.rois, data: rois, dims: [batch.length, 4] },
      { name: N.roisBatch, data: batch, dims: [batch.length], int64: true },
    ], fetch);
  }

  /** Detections per image of a prepared batch [N, 3, H, W] (see the file comment); boxes and masks in original pixels. */
  async detectPrepared(image: Float32Array, dims: number[], imInfo: RcnnImInfo[]): Promise<RcnnDetection[][]> {
    const c = this.cfg;
    if (dims.length !== 4 || dims[1] !== 3 || imInfo.length !== dims[0]) {
      throw new ExportError(`detect: expected an image batch [N, 3, H, W] with one imInfo per image, got [${dims.join(', ')}] and ${imInfo.length} imInfo`);
    }
    const s1 = await this.stage1(image, dims);
    const feature = s1[N.feature], cls = s1[N.rpnCls], deltas = s1[N.rpnBbox];
    const [n, A, h, w] = cls.dims;
    const an = anchorGenerator(h, w, c.anchor);
    if (an.perPosition !== A) throw new ExportError(`detect: expected ${an.perPosition} anchors per position (infer_cfg.yml anchor_generator) in ${N.rpnCls}, got ${A}`);
    const info = imInfoArray(imInfo);
    const props = generateProposals(sigmoid(cls.data), deltas.data, info, an.anchors, an.variances, n, A, h, w, c.proposal);
    const s2 = await this.stage2(feature, props.rois, props.imageIndex, [N.clsProb, N.bboxPred]);
    const C = c.numClasses;
    const prob = s2[N.clsProb].data, pred = s2[N.bboxPred].data;
    const dets = imInfo.map((m, b): RcnnDetection[] => {
      const rows: number[] = [];
      props.imageIndex.forEach((k, r) => k === b && rows.push(r));
      const M = rows.length;
      const boxes = new Float32Array(M * 4), p = new Float32Array(M * C), d = new Float32Array(M * C * 4);
      rows.forEach((r, i) => {
        boxes.set(props.rois.subarray(r * 4, r * 4 + 4), i * 4);
        p.set(prob.subarray(r * C, (r + 1) * C), i * C);
        d.set(pred.subarray(r * C * 4, (r + 1) * C * 4), i * C * 4);
      });
      return bboxHeadDetections(boxes, p, d, M, C, [m.height, m.width, m.scale], origSize(m), c.bboxRegWeights, c.nms);
    });
    return c.mask ? this.masks(feature, dets, imInfo) : dets;
  }

  /** Mask R-CNN: each detection's class mask from stage 2 run on the detections, pasted into its image. */
  private async masks(feature: { data: Float32Array; dims: number[] }, dets: RcnnDetection[][], imInfo: RcnnImInfo[]): Promise<RcnnDetection[][]> {
    const { resolution: M, threshold } = this.cfg.mask!;
    const C = this.cfg.numClasses;
    // an image without detections gets one placeholder RoI, as the model object does
    const all = dets.flatMap((d, n) => (d.length ? d.map((x) => ({ n, box: x.box as number[] })) : [{ n, box: [0, 0, 0, 0] }]));
    const rois = new Float32Array(all.length * 4);
    all.forEach((x, i) => rois.set(x.box.map((v) => v * imInfo[x.n].scale), i * 4));
    const out = await this.stage2(feature, rois, all.map((x) => x.n), [N.maskProb]);
    const { data, dims } = out[N.maskProb];
    if (dims.join() !== [all.length, C, M, M].join()) throw new ExportError(`detect: expected ${N.maskProb} [${all.length}, ${C}, ${M}, ${M}], got [${dims.join(', ')}]`);
    return pasteRowMasks(dets, data, C, M, imInfo, threshold);
  }

  /** Detections in one encoded image (JPEG, PNG, ...), prepared as infer_cfg.yml's Preprocess says. */
  async detect(bytes: Uint8Array, o: { threshold?: number } = {}): Promise<RcnnOnnxDetection[]> {
    const prepared = await this.prep.prepare(bytes);
    const { data, shape } = padToStride(prepared.data, prepared.shape, this.cfg.padStride);
    const [oh, ow] = prepared.imSize;
    const info: RcnnImInfo = { height: prepared.shape[2], width: prepared.shape[3], scale: prepared.shape[2] / oh, origHeight: oh, origWidth: ow };
    const [found] = await this.detectPrepared(data, shape, [info]);
    const th = o.threshold ?? -Infinity;
    return found.filter((d) => d.score >= th).map((d) => ({ ...d, label: this.cfg.labels[d.classId] ?? String(d.classId) }));
  }

  close(): Promise<void> {
    return this.ort.close();
  }
}

/** The R-CNN detector of an export folder (RcnnOnnxModel.load). */
export function loadRcnnExport(dir: string): Promise<RcnnOnnxModel> {
  return RcnnOnnxModel.load(dir);
}
