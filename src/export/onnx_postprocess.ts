/**
 * `--with_postprocess`: YOLOv3 box decoding and NonMaxSuppression appended to the ONNX graph,
 * with standard ops, as Paddle's yolo_box + multiclass_nms compute them:
 *
 *   extra input   im_size [N, 2]      original image (height, width), as PaddleDetection feeds it
 *   per level i   raw [N, A*(5+C), H, W] -> [N, A, 5+C, H*W] -> split tx,ty | tw,th | obj | classes
 *                 cx, cy = (cell + sigmoid(t) * s - (s - 1) / 2) / (W, H) * (w, h)
 *                 bw, bh = exp(t) * anchor / (downsample * (W, H)) * (w, h)
 *                 box = (c - b/2, c + b/2), clipped to [0, (w, h) - 1]
 *                 score = sigmoid(obj) * [sigmoid(obj) >= conf_thresh] * sigmoid(class)
 *   outputs       boxes [N, M, 4] (x1, y1, x2, y2 pixels), scores [N, C, M],
 *                 selected_indices [K, 3] (image, class, box): Paddle's multiclass_nms, built
 *                 around ONNX's NonMaxSuppression:
 *                   background_label   that class's scores never selected;
 *                   nms_top_k          per class, scores below its nms_top_k-th best dropped
 *                                      before the NMS (a tie with that score stays);
 *                   normalized: false  the NMS sees (x1, y1, x2 + 1, y2 + 1), so its areas and
 *                                      overlaps are Paddle's pixel-inclusive ones;
 *                   nms_threshold, score_threshold as given, at most keep_top_k per class;
 *                   keep_top_k         per image, the selections scoring below its keep_top_k-th
 *                                      best dropped (a tie stays).
 *                 Rows in NonMaxSuppression's order: image, class, descending score.
 * Boxes are in the same order as slimprune's own decoding (level, anchor, row, column).
 * nms_eta < 1 (Paddle's adaptive threshold) has no ONNX counterpart: the export refuses it.
 */
import type { NmsConfig, YoloHeadConfig } from '../nn';
import { ExportError } from './bn_fold';
import { valueInfo, type OnnxBuilder } from './onnx';

export const IM_SIZE_INPUT = 'im_size';

export function addYoloPostprocess(b: OnnxBuilder, rawOutputs: readonly string[], head: YoloHeadConfig): void {
  const g = b.graph;
  const C = head.numClasses;
  b.inputs.push(valueInfo(IM_SIZE_INPUT, [0, 2]));
  // (w, h) of each image as [N, 1, 2, 1]
  const h = b.fresh('im_h'), w = b.fresh('im_w'), wh = b.fresh('im_wh'), whImg = b.fresh('im_wh4'), whMax = b.fresh('im_wh_max');
  b.node('Slice', [IM_SIZE_INPUT, b.int64Constant('s0', [0]), b.int64Constant('e1', [1]), b.int64Constant('ax1', [1])], [h]);
  b.node('Slice', [IM_SIZE_INPUT, b.int64Constant('s1', [1]), b.int64Constant('e2', [2]), b.int64Constant('ax1', [1])], [w]);
  b.node('Concat', [w, h], [wh], { axis: 1 });
  b.node('Reshape', [wh, b.int64Constant('shape', [-1, 1, 2, 1])], [whImg]);
  b.node('Sub', [whImg, b.constant('one', [], [1])], [whMax]);
  const zero = b.constant('zero', [], [0]);
  const boxes: string[] = [];
  const scores: string[] = [];
  rawOutputs.forEach((raw, i) => {
    const [, ch, H, W] = g.shapeOf(raw);
    const A = head.anchorMasks[i].length;
    if (ch !== A * (5 + C)) throw new Error(`postprocess: expected ${A * (5 + C)} channels for ${raw}, got ${ch}`);
    const HW = H * W;
    const s = head.scaleXY[i] ?? 1;
    const t = b.fresh(`${raw}.r`);
    b.node('Reshape', [raw, b.int64Constant('shape', [-1, A, 5 + C, HW])], [t]);
    const [txy, twh, tobj, tcls] = ['xy', 'wh', 'obj', 'cls'].map((k) => b.fresh(`${raw}.${k}`));
    b.node('Split', [t, b.int64Constant('split', [2, 2, 1, C])], [txy, twh, tobj, tcls], { axis: 2 });
    // centres
    const grid = new Float32Array(2 * HW);
    for (let k = 0; k < H; k++) for (let l = 0; l < W; l++) {
      grid[k * W + l] = l - 0.5 * (s - 1);
      grid[HW + k * W + l] = k - 0.5 * (s - 1);
    }
    const sig = b.fresh(`${raw}.sxy`), sc = b.fresh(`${raw}.sxy_s`), cell = b.fresh(`${raw}.cell`), norm = b.fresh(`${raw}.cnorm`), cxy = b.fresh(`${raw}.cxy`);
    b.node('Sigmoid', [txy], [sig]);
    b.node('Mul', [sig, b.constant('scale_xy', [], [s])], [sc]);
    b.node('Add', [sc, b.constant(`${raw}.grid`, [1, 1, 2, HW], grid)], [cell]);
    b.node('Mul', [cell, b.constant('inv_wh', [1, 1, 2, 1], [1 / W, 1 / H])], [norm]);
    b.node('Mul', [norm, whImg], [cxy]);
    // sizes
    const inW = head.downsample[i] * W, inH = head.downsample[i] * H;
    const anchors = head.anchorMasks[i].flatMap((k) => [head.anchors[k][0] / inW, head.anchors[k][1] / inH]);
    const ex = b.fresh(`${raw}.ewh`), bwh = b.fresh(`${raw}.bwh_n`), bwhP = b.fresh(`${raw}.bwh`), half = b.fresh(`${raw}.half`);
    b.node('Exp', [twh], [ex]);
    b.node('Mul', [ex, b.constant(`${raw}.anchors`, [1, A, 2, 1], anchors)], [bwh]);
    b.node('Mul', [bwh, whImg], [bwhP]);
    b.node('Mul', [bwhP, b.constant('half', [], [0.5])], [half]);
    const p1 = b.fresh(`${raw}.x1y1`), p2 = b.fresh(`${raw}.x2y2`), box = b.fresh(`${raw}.box`), boxT = b.fresh(`${raw}.boxT`), boxR = b.fresh(`${raw}.boxes`);
    if (head.clipBbox) {
      const q1 = b.fresh(`${raw}.x1y1u`), q2 = b.fresh(`${raw}.x2y2u`);
      b.node('Sub', [cxy, half], [q1]);
      b.node('Add', [cxy, half], [q2]);
      b.node('Max', [q1, zero], [p1]);
      b.node('Min', [q2, whMax], [p2]);
    } else {
      b.node('Sub', [cxy, half], [p1]);
      b.node('Add', [cxy, half], [p2]);
    }
    b.node('Concat', [p1, p2], [box], { axis: 2 });
    b.node('Transpose', [box], [boxT], { perm: [0, 1, 3, 2] });
    b.node('Reshape', [boxT, b.int64Constant('shape', [-1, A * HW, 4])], [boxR]);
    boxes.push(boxR);
    // scores
    const conf = b.fresh(`${raw}.conf`), keep = b.fresh(`${raw}.keep`), keepF = b.fresh(`${raw}.keepf`), confK = b.fresh(`${raw}.confk`);
    const cls = b.fresh(`${raw}.cls_p`), sco = b.fresh(`${raw}.score`), scoT = b.fresh(`${raw}.scoreT`), scoR = b.fresh(`${raw}.scores`);
    b.node('Sigmoid', [tobj], [conf]);
    b.node('GreaterOrEqual', [conf, b.constant('conf_thresh', [], [head.nms.scoreThreshold])], [keep]);
    b.node('Cast', [keep], [keepF], { to: 1 });
    b.node('Mul', [conf, keepF], [confK]);
    b.node('Sigmoid', [tcls], [cls]);
    b.node('Mul', [confK, cls], [sco]);
    b.node('Transpose', [sco], [scoT], { perm: [0, 2, 1, 3] });
    b.node('Reshape', [scoT, b.int64Constant('shape', [-1, C, A * HW])], [scoR]);
    scores.push(scoR);
  });
  const M = rawOutputs.reduce((m, raw, i) => m + head.anchorMasks[i].length * g.shapeOf(raw)[2] * g.shapeOf(raw)[3], 0);
  b.node('Concat', boxes, ['boxes'], { axis: 1 });
  b.node('Concat', scores, ['scores'], { axis: 2 });
  addMulticlassNms(b, M, C, head.nms);
  b.outputs.push(valueInfo('boxes', [0, M, 4]), valueInfo('scores', [0, C, M]), valueInfo('selected_indices', [], { int64: true, dims: ['K', 3] }));
}

/** boxes [N, M, 4] + scores [N, C, M] -> selected_indices [K, 3], as Paddle's multiclass_nms (see the file comment). */
function addMulticlassNms(b: OnnxBuilder, M: number, C: number, nms: NmsConfig): void {
  if (nms.nmsEta < 1) throw new ExportError(`--with_postprocess: expected nms_eta 1 (ONNX NonMaxSuppression has no adaptive threshold), got ${nms.nmsEta}`);
  const NEG = -Infinity;
  let scores = 'scores';
  // a score masked out: below any score_threshold, so never selected
  const dropped = (keep: string): string => {
    const out = b.fresh('nms_scores');
    b.node('Where', [keep, scores, b.constant('neg_inf', [], [NEG])], [out]);
    return out;
  };
  if (nms.backgroundLabel >= 0 && nms.backgroundLabel < C) {
    const mask = new Float32Array(C).fill(1);
    mask[nms.backgroundLabel] = 0;
    scores = dropped(castBool(b, b.constant('foreground', [1, C, 1], mask)));
  }
  if (nms.nmsTopK === 0) {
    scores = dropped(castBool(b, b.constant('none', [1, 1, 1], [0])));
  } else if (nms.nmsTopK > 0 && nms.nmsTopK < M) {
    const vals = b.fresh('nms_topk_vals'), idx = b.fresh('nms_topk_idx'), kth = b.fresh('nms_topk_kth'), keep = b.fresh('nms_topk_keep');
    b.node('TopK', [scores, b.int64Constant('nms_top_k', [nms.nmsTopK])], [vals, idx], { axis: 2 });
    b.node('ReduceMin', [vals], [kth], { axes: [2], keepdims: 1 });
    b.node('GreaterOrEqual', [scores, kth], [keep]);
    scores = dropped(keep);
  }
  let boxes = 'boxes';
  if (!nms.normalized) {
    boxes = b.fresh('nms_boxes_px');
    b.node('Add', ['boxes', b.constant('px_inclusive', [1, 1, 4], [0, 0, 1, 1])], [boxes]);
  }
  // at most keep_top_k per class (0: none at all); the per-image cut below only for keep_top_k > 0
  const perClass = nms.keepTopK > -1 ? nms.keepTopK : M;
  const sel = nms.keepTopK > 0 ? b.fresh('nms_selected') : 'selected_indices';
  b.node('NonMaxSuppression', [boxes, scores, b.int64Constant('max_per_class', [perClass]), b.constant('iou_threshold', [1], [nms.nmsThreshold]), b.constant('score_threshold', [1], [nms.scoreThreshold])], [sel], { center_point_box: 0 });
  if (nms.keepTopK <= 0) return;
  // keep_top_k per image: each selection's score against its image's keep_top_k-th best
  const s = b.fresh('sel_score'), img2 = b.fresh('sel_image2'), img = b.fresh('sel_image'), n1 = b.fresh('n_images');
  b.node('GatherND', ['scores', sel], [s]);
  b.node('Gather', [sel, b.int64Constant('col0', [0])], [img2], { axis: 1 });
  b.node('Squeeze', [img2, b.int64Constant('axis1', [1])], [img]);
  b.node('Slice', [shapeOf(b, 'scores'), b.int64Constant('s0', [0]), b.int64Constant('e1', [1])], [n1]);
  const onehot = b.fresh('sel_onehot'), isImg = b.fresh('sel_is_image'), s1 = b.fresh('sel_score_col'), kn = b.fresh('sel_scores_kn'), nk = b.fresh('sel_scores_nk'), padded = b.fresh('sel_scores_pad');
  b.node('OneHot', [img, n1, b.constant('onehot_values', [2], [0, 1])], [onehot], { axis: -1 });
  b.node('Cast', [onehot], [isImg], { to: 9 });
  b.node('Unsqueeze', [s, b.int64Constant('axis1', [1])], [s1]);
  b.node('Where', [isImg, s1, b.constant('neg_inf', [], [NEG])], [kn]);
  b.node('Transpose', [kn], [nk], { perm: [1, 0] });
  b.node('Pad', [nk, b.int64Constant('pad_one_col', [0, 0, 0, 1]), b.constant('neg_inf', [], [NEG])], [padded], { mode: 'constant' });
  const width = b.fresh('sel_width'), k = b.fresh('keep_k'), vals = b.fresh('keep_vals'), idx = b.fresh('keep_idx'), thr = b.fresh('keep_thr'), thrSel = b.fresh('keep_thr_sel');
  b.node('Slice', [shapeOf(b, padded), b.int64Constant('s1', [1]), b.int64Constant('e2', [2])], [width]);
  b.node('Min', [width, b.int64Constant('keep_top_k', [nms.keepTopK])], [k]);
  b.node('TopK', [padded, k], [vals, idx], { axis: 1 });
  b.node('ReduceMin', [vals], [thr], { axes: [1], keepdims: 0 });
  b.node('Gather', [thr, img], [thrSel], { axis: 0 });
  const keep = b.fresh('keep'), nz = b.fresh('keep_nz'), rows = b.fresh('keep_rows');
  b.node('GreaterOrEqual', [s, thrSel], [keep]);
  b.node('NonZero', [keep], [nz]);
  b.node('Squeeze', [nz, b.int64Constant('axis0', [0])], [rows]);
  b.node('Gather', [sel, rows], ['selected_indices'], { axis: 0 });
}

function shapeOf(b: OnnxBuilder, x: string): string {
  const out = b.fresh(`${x}.shape`);
  b.node('Shape', [x], [out]);
  return out;
}

function castBool(b: OnnxBuilder, x: string): string {
  const out = b.fresh(`${x}.bool`);
  b.node('Cast', [x], [out], { to: 9 });
  return out;
}
