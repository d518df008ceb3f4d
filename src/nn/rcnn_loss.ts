/**
 * The training loss of an R-CNN forward, as PaddleDetection's heads sum it:
 *   loss_rpn_cls + loss_rpn_bbox   rpnTargetAssign on each image's anchors, the sampled anchors
 *                                  of the whole batch in one sigmoid CE (mean) and one smooth L1
 *                                  (sigma 3, / sampled count)
 *   loss_cls + loss_bbox           the RoIs the forward sampled (BBoxAssigner): softmax CE (mean)
 *                                  and smooth L1 (sigma 1, / RoIs) on cls_score / bbox_pred
 *   loss_mask (Mask R-CNN)         generateMaskLabels on the sampled fg RoIs; per-class sigmoid
 *                                  CE on their rows of mask_fcn_logits (the others ignored)
 * Gradients come back as tensors for the fetched outputs, to seed Tape.backward with.
 */
import { Tensor } from '../backend/tensor';
import { Rng } from '../data/rng';
import { ModelError } from './common';
import type { Anchors } from './rcnn/anchors';
import { bboxBoxLoss, bboxClsLoss, maskLoss, rpnBoxLoss, rpnClsLoss } from './rcnn/losses';
import { generateMaskLabels } from './rcnn/mask_assigner';
import { rpnTargetAssign } from './rcnn/rpn_target_assign';
import { gatherAnchorValues, scatterAnchorGrads } from './rcnn/rpn_layout';
import type { RcnnValues } from './rcnn_graph';
import { imInfoArray, type RcnnBatch, type RcnnLoss, type SampledBatch } from './rcnn_run';
import type { RcnnSettings } from './rcnn_settings';

export function makeRcnnLoss(s: RcnnSettings, v: RcnnValues, anchors: (h: number, w: number) => Anchors, sampled: (b: RcnnBatch) => SampledBatch | undefined, seed = 0) {
  const rng = new Rng(seed ^ 0x5eed);
  const A = s.rpn.numAnchors;
  const C = s.numClasses;

  return (raw: Record<string, Tensor>, batch: RcnnBatch): RcnnLoss => {
    const need = [v.rpnCls, v.rpnBbox, v.clsScore, v.bboxPred, ...(v.maskLogits ? [v.maskLogits] : [])];
    for (const name of need) if (!raw[name]) throw new ModelError(`loss: expected the forward's value ${name} in raw (fetch it), got none`);
    const smp = sampled(batch);
    if (!smp) throw new ModelError('loss: expected a batch whose training forward ran (model.feeds(image, imInfo, batch)), got one without sampled RoIs');
    const backend = raw[v.rpnCls].backend;
    const info = imInfoArray(batch.imInfo);

    // RPN: targets per image, one loss over the batch's sampled anchors
    const [N, , H, W] = raw[v.rpnCls].shape;
    const K = H * W * A;
    const an = anchors(H, W);
    const cls = raw[v.rpnCls].toArray();
    const box = raw[v.rpnBbox].toArray();
    const targets = batch.gt.map((gt, n) => rpnTargetAssign(an.anchors, K, gt.boxes, gt.classes.length, gt.isCrowd ?? null, info.subarray(n * 3, n * 3 + 3), s.rpn.targetAssign, rng));
    const S = targets.reduce((t, x) => t + x.scoreIndex.length, 0);
    const F = targets.reduce((t, x) => t + x.fgCount, 0);
    const logits = new Float32Array(S);
    const labels = new Float32Array(S);
    const deltas = new Float32Array(F * 4);
    const boxTargets = new Float32Array(F * 4);
    const inside = new Float32Array(F * 4);
    let si = 0;
    let fi = 0;
    targets.forEach((t, n) => {
      gatherAnchorValues(cls.subarray(n * K, (n + 1) * K), A, H, W, 1, t.scoreIndex, logits.subarray(si, si + t.scoreIndex.length));
      labels.set(t.labels, si);
      gatherAnchorValues(box.subarray(n * K * 4, (n + 1) * K * 4), A, H, W, 4, t.locationIndex, deltas.subarray(fi * 4, (fi + t.fgCount) * 4));
      boxTargets.set(t.bboxTargets, fi * 4);
      inside.set(t.insideWeights, fi * 4);
      si += t.scoreIndex.length;
      fi += t.fgCount;
    });
    const rpnCls = rpnClsLoss(logits, labels, S);
    const rpnBox = rpnBoxLoss(deltas, boxTargets, inside, F, S);
    const gCls = new Float32Array(N * K);
    const gBox = new Float32Array(N * K * 4);
    si = 0;
    fi = 0;
    targets.forEach((t, n) => {
      scatterAnchorGrads(rpnCls.grad.subarray(si, si + t.scoreIndex.length), A, H, W, 1, t.scoreIndex, gCls.subarray(n * K, (n + 1) * K));
      scatterAnchorGrads(rpnBox.grad.subarray(fi * 4, (fi + t.fgCount) * 4), A, H, W, 4, t.locationIndex, gBox.subarray(n * K * 4, (n + 1) * K * 4));
      si += t.scoreIndex.length;
      fi += t.fgCount;
    });

    // BBoxHead on the sampled RoIs, image after image as the forward stored them
    const R = smp.imageIndex.length;
    if (raw[v.clsScore].shape[0] !== R) throw new ModelError(`loss: expected ${R} RoI rows (the sampled RoIs) for ${v.clsScore}, got ${raw[v.clsScore].shape[0]}`);
    const roiLabels = new Int32Array(R);
    const bt = new Float32Array(R * 4 * C);
    const bi = new Float32Array(R * 4 * C);
    const bo = new Float32Array(R * 4 * C);
    let r = 0;
    for (const p of smp.perImage) {
      roiLabels.set(p.labels.subarray(0, p.count), r);
      bt.set(p.bboxTargets.subarray(0, p.count * 4 * C), r * 4 * C);
      bi.set(p.bboxInsideWeights.subarray(0, p.count * 4 * C), r * 4 * C);
      bo.set(p.bboxOutsideWeights.subarray(0, p.count * 4 * C), r * 4 * C);
      r += p.count;
    }
    const lc = bboxClsLoss(raw[v.clsScore].toArray(), roiLabels, R, C);
    const lb = bboxBoxLoss(raw[v.bboxPred].toArray(), bt, bi, bo, R, C);

    const parts: Record<string, number> = { loss_rpn_cls: rpnCls.loss, loss_rpn_bbox: rpnBox.loss, loss_cls: lc.loss, loss_bbox: lb.loss };
    const grads: Record<string, Tensor> = {
      [v.rpnCls]: Tensor.from(gCls, raw[v.rpnCls].shape, backend),
      [v.rpnBbox]: Tensor.from(gBox, raw[v.rpnBbox].shape, backend),
      [v.clsScore]: Tensor.from(lc.grad, raw[v.clsScore].shape, backend),
      [v.bboxPred]: Tensor.from(lb.grad, raw[v.bboxPred].shape, backend),
    };

    if (v.maskLogits) {
      // Mask targets for the fg RoIs; every other row of the [R, C, M, M] logits is ignored (-1)
      const M = s.maskResolution!;
      const per = C * M * M;
      const target = new Int32Array(R * per).fill(-1);
      r = 0;
      smp.perImage.forEach((p, n) => {
        const gt = batch.gt[n];
        if (!gt.polygons) throw new ModelError(`loss: expected polygons for every ground truth of a Mask R-CNN batch for batch.gt[${n}].polygons, got none`);
        const mt = generateMaskLabels(p.rois, p.labels, p.count, gt.polygons, gt.classes, gt.isCrowd ?? null, info.subarray(n * 3, n * 3 + 3), C, M);
        for (let k = 0; k < mt.count; k++) target.set(mt.maskInt32.subarray(k * per, (k + 1) * per), (r + mt.roiHasMask[k]) * per);
        r += p.count;
      });
      const lm = maskLoss(raw[v.maskLogits].toArray(), target, R * per);
      parts.loss_mask = lm.loss;
      grads[v.maskLogits] = Tensor.from(lm.grad, raw[v.maskLogits].shape, backend);
    }
    const loss = Object.values(parts).reduce((a, b) => a + b, 0);
    return { loss, parts, grads };
  };
}
