/**
 * Around the R-CNN graph: the feeds of one forward, the post-processing of its outputs, and
 * (rcnn_loss.ts) its training loss.
 *
 * Feeds: the image, and `rois` / `rois_batch` as lazy feeds (graph/executor.ts) computed once
 * the RPN convs have run: objectness = sigmoid(rpn_cls_logits), proposals by
 * generateProposals with the mode's settings (train_proposal / test_proposal); at training the
 * BBoxAssigner then samples the proposals (and ground-truth boxes) into the RoIs the head sees,
 * keeping their labels and box targets for the loss. RoIs are in input (resized) pixels.
 *
 * Post-processing: bboxHeadDetections (PaddleDetection's BBoxHead.get_prediction: RoIs back
 * to original pixels, softmax, per-class decoding, clipping, multi-class NMS) per image; class
 * ids count foreground classes from 0. Mask R-CNN then runs the detected boxes through the
 * graph as RoIs (boxFeeds; PaddleDetection's test graph does the same with a second RoIAlign +
 * res5 on the detections) and pastes each detection's class mask into the image (masks()).
 */
import { Tensor } from '../backend/tensor';
import { pasteMask } from '../data/mask/paste';
import { Rng } from '../data/rng';
import { LazyFeed, type Feed } from '../graph/executor';
import type { Graph } from '../graph/graph';
import { ModelError } from './common';
import type { Detection } from './nms';
import type { Anchors } from './rcnn/anchors';
import { generateProposalLabels, type SampledRois } from './rcnn/bbox_assigner';
import { generateProposals } from './rcnn/generate_proposals';
import { bboxHeadDetections, softmaxRows } from './rcnn/multiclass_nms';
import type { RcnnValues } from './rcnn_graph';
import type { RcnnSettings } from './rcnn_settings';

/** One image of a batch: its size in the network input (after resize) and the resize scale. */
export interface RcnnImInfo {
  /** resized height and width (im_info[0], im_info[1]) */
  height: number;
  width: number;
  /** im_info[2]: resized / original */
  scale: number;
  /** original size (im_shape); default round(height / scale), round(width / scale) */
  origHeight?: number;
  origWidth?: number;
}

/** Ground truth of one image, in original-image pixels (as Paddle's readers give it). */
export interface RcnnGt {
  /** [G * 4] x1, y1, x2, y2 */
  boxes: ArrayLike<number>;
  /** [G] classes 1..num_classes-1 (0 is background) */
  classes: ArrayLike<number>;
  /** [G] non-zero for crowd boxes */
  isCrowd?: ArrayLike<number>;
  /** Mask R-CNN: per gt, its polygons ([x1, y1, x2, y2, ...] each) in original pixels */
  polygons?: number[][][];
}

export interface RcnnBatch {
  imInfo: RcnnImInfo[];
  gt: RcnnGt[];
}

export interface RcnnDetection extends Detection {
  /** Mask R-CNN: the binary mask [origHeight * origWidth], row-major */
  mask?: Uint8Array;
}

export interface RcnnLoss {
  /** the total training loss */
  loss: number;
  /** each term: loss_rpn_cls, loss_rpn_bbox, loss_cls, loss_bbox (+ loss_mask) */
  parts: Record<string, number>;
  /** d loss / d value for the fetched outputs: seed Tape.backward with it (owned by the caller) */
  grads: Record<string, Tensor>;
}

/** What the training forward's RoI sampling leaves for the loss. */
export interface SampledBatch {
  perImage: SampledRois[];
  /** [S] image index per RoI (RoIs are stored image after image) */
  imageIndex: Int32Array;
}

export function imInfoArray(info: RcnnImInfo[]): Float32Array {
  const a = new Float32Array(info.length * 3);
  info.forEach((m, n) => a.set([m.height, m.width, m.scale], n * 3));
  return a;
}

function checkImInfo(info: RcnnImInfo[], N: number, where: string): void {
  if (info.length !== N) throw new ModelError(`${where}: expected ${N} image infos (one per image) for imInfo, got ${info.length}`);
  for (const m of info) {
    if (!(m.height > 0 && m.width > 0 && m.scale > 0)) throw new ModelError(`${where}: expected positive height, width and scale for imInfo, got ${JSON.stringify(m)}`);
  }
}

const sigmoid = (a: ArrayLike<number>): Float32Array => Float32Array.from(a, (v) => 1 / (1 + Math.exp(-v)));

/**
 * Each detection's class mask pasted into its original image. `rows` holds one C x M x M block
 * per detection in order, and one placeholder block for an image without detections (the RoIs
 * that boxFeeds and the exported runtime feed); `prob` turns a block's class slice into
 * probabilities (identity when they already are).
 */
export function pasteRowMasks(
  dets: RcnnDetection[][],
  rows: Float32Array | Float64Array,
  C: number,
  M: number,
  imInfo: RcnnImInfo[],
  threshold: number,
  prob: (v: ArrayLike<number>) => ArrayLike<number> = (v) => v,
): RcnnDetection[][] {
  const MM = M * M;
  let row = 0;
  return dets.map((d, n) => {
    const [oh, ow] = origSize(imInfo[n]);
    const out = d.map((det) => {
      const off = (row++ * C + det.classId + 1) * MM;
      return { ...det, mask: pasteMask(prob(rows.subarray(off, off + MM)), det.box, oh, ow, threshold) };
    });
    if (!d.length) row++;
    return out;
  });
}

export function origSize(m: RcnnImInfo): [number, number] {
  return [m.origHeight ?? Math.round(m.height / m.scale), m.origWidth ?? Math.round(m.width / m.scale)];
}

export interface RcnnRun {
  feeds(image: Tensor, imInfo: RcnnImInfo[], batch?: RcnnBatch): { feeds: Record<string, Feed>; fetch: string[] };
  postprocess(raw: Record<string, Tensor>, imInfo: RcnnImInfo[]): RcnnDetection[][];
  /** the RoI sampling a training forward made for `batch` (undefined before its forward ran) */
  sampled(batch: RcnnBatch): SampledBatch | undefined;
  /** feeds that run the given boxes (original pixels, per image) through the graph as RoIs */
  boxFeeds(image: Tensor, imInfo: RcnnImInfo[], boxes: Detection[][]): Record<string, Feed>;
  /** Mask R-CNN: the detections with their masks, from the mask logits of a boxFeeds forward over them */
  masks(maskLogits: Tensor, dets: RcnnDetection[][], imInfo: RcnnImInfo[]): RcnnDetection[][];
}

export function makeRcnnRun(graph: Graph, s: RcnnSettings, v: RcnnValues, mode: 'train' | 'eval' | 'test', anchors: (h: number, w: number) => Anchors, seed = 0): RcnnRun {
  const rng = new Rng(seed);
  const sampledOf = new WeakMap<RcnnBatch, SampledBatch>();
  const proposalCfg = mode === 'train' ? s.rpn.trainProposal : s.rpn.testProposal;
  const A = s.rpn.numAnchors;

  /** The RoIs of a forward: proposals, sampled against the ground truth when batch is given. */
  const makeRois = (vals: Record<string, Tensor>, image: Tensor, imInfo: RcnnImInfo[], batch?: RcnnBatch) => {
    const cls = vals[v.rpnCls];
    const [N, , H, W] = cls.shape;
    const an = anchors(H, W);
    const info = imInfoArray(imInfo);
    const props = generateProposals(sigmoid(cls.toArray()), vals[v.rpnBbox].toArray(), info, an.anchors, an.variances, N, A, H, W, proposalCfg);
    if (!batch) return { rois: props.rois, index: props.imageIndex };
    const perImage: SampledRois[] = [];
    let start = 0;
    for (let n = 0; n < N; n++) {
      const R = props.counts[n];
      const gt = batch.gt[n];
      const G = gt.classes.length;
      perImage.push(generateProposalLabels(props.rois.subarray(start * 4, (start + R) * 4), R, gt.boxes, gt.classes, gt.isCrowd ?? null, G, info.subarray(n * 3, n * 3 + 3), {
        ...s.bboxAssigner, classNums: s.numClasses, useRandom: s.bboxAssigner.shuffleBeforeSample,
      }, rng));
      start += R;
    }
    const S = perImage.reduce((t, p) => t + p.count, 0);
    const rois = new Float32Array(S * 4);
    const index = new Int32Array(S);
    let r = 0;
    perImage.forEach((p, n) => {
      rois.set(p.rois.subarray(0, p.count * 4), r * 4);
      index.fill(n, r, r + p.count);
      r += p.count;
    });
    sampledOf.set(batch, { perImage, imageIndex: index });
    return { rois, index };
  };

  /** rois and rois_batch as two lazy feeds sharing one computation. */
  const lazyRois = (image: Tensor, compute: (vals: Record<string, Tensor>) => { rois: Float32Array; index: Int32Array }) => {
    let made: { rois: Float32Array; index: Int32Array } | null = null;
    const once = (vals: Record<string, Tensor>) => (made ??= compute(vals));
    const after = [v.rpnCls, v.rpnBbox];
    return {
      [v.rois]: new LazyFeed(after, (vals) => {
        const m = once(vals);
        return Tensor.from(m.rois, [m.index.length, 4], image.backend);
      }),
      [v.roisBatch]: new LazyFeed(after, (vals) => {
        const m = once(vals);
        return Tensor.from(m.index, [m.index.length], image.backend);
      }),
    };
  };

  const feeds = (image: Tensor, imInfo: RcnnImInfo[], batch?: RcnnBatch) => {
    checkImInfo(imInfo, image.shape[0], 'feeds');
    if (batch && batch.gt.length !== image.shape[0]) throw new ModelError(`feeds: expected ${image.shape[0]} ground truths (one per image) for batch.gt, got ${batch.gt.length}`);
    return {
      feeds: { [v.image]: image, ...lazyRois(image, (vals) => makeRois(vals, image, imInfo, batch)) },
      fetch: [...graph.outputs, v.rois, v.roisBatch],
    };
  };

  const boxFeeds = (image: Tensor, imInfo: RcnnImInfo[], boxes: Detection[][]): Record<string, Feed> => {
    checkImInfo(imInfo, image.shape[0], 'boxFeeds');
    const all = boxes.flatMap((d, n) => (d.length ? d.map((x) => ({ n, box: x.box })) : [{ n, box: [0, 0, 0, 0] as number[] }]));
    const rois = new Float32Array(all.length * 4);
    const index = new Int32Array(all.length);
    all.forEach((x, i) => {
      const sc = imInfo[x.n].scale;
      rois.set(x.box.map((c) => c * sc), i * 4);
      index[i] = x.n;
    });
    return { [v.image]: image, [v.rois]: Tensor.from(rois, [all.length, 4], image.backend), [v.roisBatch]: Tensor.from(index, [all.length], image.backend) };
  };

  const postprocess = (raw: Record<string, Tensor>, imInfo: RcnnImInfo[]): RcnnDetection[][] => {
    for (const name of [v.clsScore, v.bboxPred, v.rois, v.roisBatch]) {
      if (!raw[name]) throw new ModelError(`postprocess: expected the forward's value ${name} in raw (fetch it), got none`);
    }
    const C = s.numClasses;
    const scores = raw[v.clsScore].toArray();
    const deltas = raw[v.bboxPred].toArray();
    const rois = raw[v.rois].toArray();
    const index = raw[v.roisBatch].toArray();
    const R = index.length;
    if (scores.length !== R * C) throw new ModelError(`postprocess: expected [${R}, ${C}] for ${v.clsScore}, got ${raw[v.clsScore].shape.join('x')}`);
    return imInfo.map((m, n) => {
      const rows: number[] = [];
      for (let r = 0; r < R; r++) if (index[r] === n) rows.push(r);
      const M = rows.length;
      const boxes = new Float32Array(M * 4);
      const logits = new Float32Array(M * C);
      const d = new Float32Array(M * C * 4);
      rows.forEach((r, i) => {
        boxes.set(rois.subarray(r * 4, r * 4 + 4), i * 4);
        logits.set(scores.subarray(r * C, (r + 1) * C), i * C);
        d.set(deltas.subarray(r * C * 4, (r + 1) * C * 4), i * C * 4);
      });
      return bboxHeadDetections(boxes, softmaxRows(logits, M, C), d, M, C, [m.height, m.width, m.scale], origSize(m), s.bboxAssigner.bboxRegWeights, s.nms);
    });
  };

  const masks = (maskLogits: Tensor, dets: RcnnDetection[][], imInfo: RcnnImInfo[]): RcnnDetection[][] => {
    const M = s.maskResolution;
    if (M === undefined) throw new ModelError(`masks: expected a MaskRCNN model, got ${s.architecture}`);
    const C = s.numClasses;
    // boxFeeds gave an image without detections one placeholder RoI
    const rows = dets.reduce((t, d) => t + Math.max(d.length, 1), 0);
    const [P, ch, mh, mw] = maskLogits.shape;
    if (P !== rows || ch !== C || mh !== M || mw !== M) {
      throw new ModelError(`masks: expected mask logits [${rows}, ${C}, ${M}, ${M}] (one row per detection) for maskLogits, got [${maskLogits.shape.join(', ')}]`);
    }
    return pasteRowMasks(dets, maskLogits.toArray(), C, M, imInfo, 0.5, sigmoid);
  };

  return { feeds, postprocess, boxFeeds, masks, sampled: (batch) => sampledOf.get(batch) };
}
