/**
 * Mask R-CNN mask targets for one image, as Paddle's generate_mask_labels (PaddleDetection's
 * MaskAssigner).
 *
 * The fg rois (label > 0) of the BBoxAssigner's output are scaled back to original pixels and
 * each is matched to the non-crowd, non-background gt whose polygons' bounding box has the
 * highest IoU with it (pixel-inclusive; the first on ties). That gt's polygons are rasterised
 * over the roi box into resolution x resolution (rasterizePolygons). Targets are laid out
 * [P, num_classes * M * M] with -1 (ignored) everywhere except the roi's class block, which
 * holds the 0/1 mask.
 *
 * With no fg roi, Paddle's fallback: the first bg roi with an all -1 target and class 0, so
 * the mask branch always has one row (and no loss from it).
 */
import { modelFail } from '../common';
import { bboxOverlaps } from './overlaps';
import { rasterizePolygons } from './rasterize';

export interface MaskTargets {
  /** [P * 4] the rois given a mask, on the resized image */
  maskRois: Float32Array;
  /** [P] index of each mask roi within the input rois */
  roiHasMask: Int32Array;
  /** [P] class of each mask roi (0 only in the no-fg fallback) */
  maskClasses: Int32Array;
  /** [P * M * M] the 0/1 masks (all 0 in the fallback row) */
  masks: Uint8Array;
  /** [P * num_classes * M * M] Paddle's MaskInt32: -1 outside the roi's class block */
  maskInt32: Int32Array;
  count: number;
}

/**
 * rois: [R * 4] (resized image) with labels [R] from generateProposalLabels; gtPolys: per gt a
 * list of polygons, each a flat [x0, y0, x1, y1, ...] in original pixels; gtClasses, isCrowd:
 * [G]; imInfo: [im_h, im_w, scale].
 */
export function generateMaskLabels(rois: ArrayLike<number>, labels: ArrayLike<number>, R: number, gtPolys: number[][][], gtClasses: ArrayLike<number>, isCrowd: ArrayLike<number> | null, imInfo: ArrayLike<number>, numClasses: number, resolution: number): MaskTargets {
  const G = gtPolys.length;
  if (gtClasses.length < G) modelFail('generateMaskLabels', `${G} classes (one per gt polygon list)`, 'gt classes', gtClasses.length);
  if (rois.length < R * 4 || labels.length < R) modelFail('generateMaskLabels', `${R} rois and labels`, 'rois', `${rois.length / 4} rois, ${labels.length} labels`);
  if (!(imInfo[2] > 0)) modelFail('generateMaskLabels', '[im_h, im_w, scale] with scale > 0', 'im_info', Array.from(imInfo));
  const scale = imInfo[2];
  const MM = resolution * resolution;

  const gtIds: number[] = [];
  for (let g = 0; g < G; g++) if (gtClasses[g] > 0 && !(isCrowd && isCrowd[g])) gtIds.push(g);
  const polyBoxes = new Float64Array(gtIds.length * 4);
  gtIds.forEach((g, k) => {
    const polys = gtPolys[g];
    if (!Array.isArray(polys) || polys.length === 0) modelFail('generateMaskLabels', 'at least one polygon', `segmentation of gt ${g}`, polys);
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const p of polys) {
      for (let i = 0; i + 1 < p.length; i += 2) {
        x0 = Math.min(x0, p[i]); x1 = Math.max(x1, p[i]);
        y0 = Math.min(y0, p[i + 1]); y1 = Math.max(y1, p[i + 1]);
      }
    }
    polyBoxes.set([x0, y0, x1, y1], k * 4);
  });

  const fg: number[] = [];
  for (let i = 0; i < R; i++) if (labels[i] > 0) fg.push(i);
  if (fg.length > 0 && gtIds.length === 0) modelFail('generateMaskLabels', 'a non-crowd gt with polygons when rois are labelled fg', 'gt segmentations', 0);

  let P: number;
  let maskRois: Float32Array;
  let roiHasMask: Int32Array;
  let maskClasses: Int32Array;
  let masks: Uint8Array;
  if (fg.length > 0) {
    P = fg.length;
    const fgBoxes = new Float64Array(P * 4);
    fg.forEach((i, k) => { for (let c = 0; c < 4; c++) fgBoxes[k * 4 + c] = rois[i * 4 + c] / scale; });
    const iou = bboxOverlaps(fgBoxes, P, polyBoxes, gtIds.length);
    masks = new Uint8Array(P * MM);
    for (let k = 0; k < P; k++) {
      let best = -1, arg = 0;
      for (let j = 0; j < gtIds.length; j++) if (iou[k * gtIds.length + j] > best) { best = iou[k * gtIds.length + j]; arg = j; }
      const box = fgBoxes.subarray(k * 4, k * 4 + 4);
      masks.set(rasterizePolygons(gtPolys[gtIds[arg]], box, resolution), k * MM);
    }
    maskRois = new Float32Array(P * 4);
    fg.forEach((i, k) => { for (let c = 0; c < 4; c++) maskRois[k * 4 + c] = rois[i * 4 + c]; });
    roiHasMask = Int32Array.from(fg);
    maskClasses = Int32Array.from(fg, (i) => labels[i]);
  } else {
    let first = -1;
    for (let i = 0; i < R && first < 0; i++) if (labels[i] === 0) first = i;
    P = first >= 0 ? 1 : 0;
    maskRois = new Float32Array(P * 4);
    if (P) for (let c = 0; c < 4; c++) maskRois[c] = rois[first * 4 + c];
    roiHasMask = Int32Array.from(P ? [first] : []);
    maskClasses = new Int32Array(P);
    masks = new Uint8Array(P * MM);
  }
  return { maskRois, roiHasMask, maskClasses, masks, maskInt32: expandMaskTargets(masks, maskClasses, P, numClasses, resolution), count: P };
}

/** [P * M * M] masks + [P] classes -> [P * num_classes * M * M], -1 outside each class block. */
export function expandMaskTargets(masks: Uint8Array, classes: ArrayLike<number>, P: number, numClasses: number, M: number): Int32Array {
  const MM = M * M;
  const out = new Int32Array(P * numClasses * MM).fill(-1);
  for (let k = 0; k < P; k++) {
    const c = classes[k];
    if (c > 0) {
      if (c >= numClasses) modelFail('expandMaskTargets', `a class below num_classes ${numClasses}`, `mask class ${k}`, c);
      const dst = (k * numClasses + c) * MM;
      for (let i = 0; i < MM; i++) out[dst + i] = masks[k * MM + i];
    }
  }
  return out;
}
