/**
 * COCO bbox and segm evaluation computed as the reference COCO evaluation (pycocotools'
 * COCOeval with iouType 'bbox' or 'segm', useCats 1) computes it, so that figures match the
 * published ones.
 *
 * Setting: images = every gt image id, sorted; categories = every gt category id, sorted; IoU
 * thresholds 0.5:0.05:0.95 and recall points 0:0.01:1 built as numpy's linspace builds them
 * (i * step + start, last one exactly the end), area ranges all [0, 1e10], small [0, 32^2],
 * medium [32^2, 96^2], large [96^2, 1e10] (bounds inclusive on both sides), maxDets 1, 10, 100.
 *
 * Per (image, category):
 * - gts in annotation order; a gt is ignored when iscrowd is set or its `area` field lies
 *   outside the range; ignored gts are moved after the others (stable).
 * - detections sorted by score, highest first (stable: equal scores keep result order), only
 *   the first maxDet kept. A detection's area is its box's w * h.
 * - IoU of boxes [x, y, w, h] without the +1 pixel; against a crowd gt the union is the
 *   detection's own area (intersection / detection area).
 * - segm: the same with masks. A gt's segmentation (polygons, unioned, or an RLE compressed or
 *   not) is rasterised at its image's height x width; a detection carries a COCO RLE (or
 *   polygons) of that size; a detection's area is its mask's pixel count, a gt's area is still
 *   its `area` field; IoU counts pixels, and against a crowd gt divides by the detection's
 *   mask area. A detection needs no bbox.
 * - Greedy matching per threshold t: each detection in score order takes, among the gts not yet
 *   matched (crowd gts can be matched again), the one of highest IoU >= min(t, 1 - 1e-10),
 *   the later one on equal IoU, never moving from a counted gt to an ignored one. A detection
 *   matched to an ignored gt is ignored; an unmatched detection outside the area range is
 *   ignored too.
 * Per (category, area, maxDet): detections of all images pooled and sorted by score (stable,
 * images in id order), cumulative TP / FP counts over non-ignored ones; recall = TP / (counted
 * gts), precision = TP / (TP + FP + 2^-52), made non-increasing from the right (the envelope),
 * and read at the first index whose recall reaches each of the 101 recall points (0 past the
 * last one). Recall is the final recall. A (category, area) with no counted gt, or whose images
 * have neither gts nor detections of the category, stays -1 and is left out of the means.
 * stats: the 12 means in COCOeval.summarize's order, -1 when nothing counted.
 */

import { rleArea, rleIou, type CocoRle, type Rle } from '../data/mask/rle';
import { segmentationToRle } from '../data/mask/polygon';

export class CocoEvalError extends Error {
  override name = 'CocoEvalError';
}

export interface CocoImage {
  id: number;
  [k: string]: unknown;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  /** [x, y, w, h] (bbox evaluation) */
  bbox?: number[];
  area: number;
  iscrowd?: number | boolean;
  /** polygons or an RLE (segm evaluation) */
  segmentation?: unknown;
  [k: string]: unknown;
}

export interface CocoCategory {
  id: number;
  name?: string;
  [k: string]: unknown;
}

/** A COCO instances object (the parts the evaluation reads). */
export interface CocoGt {
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** A COCO result record. */
export interface CocoDetection {
  image_id: number;
  category_id: number;
  /** [x, y, w, h] (bbox evaluation) */
  bbox?: number[];
  score: number;
  /** COCO RLE of the image's size (segm evaluation) */
  segmentation?: CocoRle | number[][];
}

export interface CocoEvalOptions {
  iouType: 'bbox' | 'segm';
}

export interface CocoCategoryResult {
  id: number;
  name: string;
  /** AP@[.5:.95], AP50, AP75 (area all, 100 dets) and AR@100; -1 when the category has no counted gt */
  ap: number;
  ap50: number;
  ap75: number;
  ar100: number;
}

export interface CocoEvalResult {
  /** AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl */
  stats: number[];
  perCategory: CocoCategoryResult[];
}

export const COCO_STAT_NAMES = [
  'AP @[IoU=0.50:0.95 | area=all | maxDets=100]',
  'AP @[IoU=0.50 | area=all | maxDets=100]',
  'AP @[IoU=0.75 | area=all | maxDets=100]',
  'AP @[IoU=0.50:0.95 | area=small | maxDets=100]',
  'AP @[IoU=0.50:0.95 | area=medium | maxDets=100]',
  'AP @[IoU=0.50:0.95 | area=large | maxDets=100]',
  'AR @[IoU=0.50:0.95 | area=all | maxDets=1]',
  'AR @[IoU=0.50:0.95 | area=all | maxDets=10]',
  'AR @[IoU=0.50:0.95 | area=all | maxDets=100]',
  'AR @[IoU=0.50:0.95 | area=small | maxDets=100]',
  'AR @[IoU=0.50:0.95 | area=medium | maxDets=100]',
  'AR @[IoU=0.50:0.95 | area=large | maxDets=100]',
] as const;

/** numpy.linspace(start, stop, num): i * step + start, the last exactly stop. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const y = Array.from({ length: num }, (_, i) => i * step + start);
  y[num - 1] = stop;
  return y;
}

export const IOU_THRESHOLDS = linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1);
export const RECALL_POINTS = linspace(0, 1, Math.round((1 - 0) / 0.01) + 1);
export const AREA_RANGES: ReadonlyArray<readonly [number, number]> = [[0, 1e5 ** 2], [0, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]];
export const MAX_DETS = [1, 10, 100] as const;
/** numpy.spacing(1) */
const EPS = 2.220446049250313e-16;

interface Gt { id: number; box: number[]; area: number; crowd: boolean; rle?: Rle }
interface Dt { id: number; box: number[]; area: number; score: number; rle?: Rle }

/** IoU of [x, y, w, h] boxes; a crowd gt's union is the detection's area. */
export function cocoBoxIou(d: readonly number[], g: readonly number[], crowd: boolean): number {
  const w = Math.min(d[0] + d[2], g[0] + g[2]) - Math.max(d[0], g[0]);
  if (w <= 0) return 0;
  const h = Math.min(d[1] + d[3], g[1] + g[3]) - Math.max(d[1], g[1]);
  if (h <= 0) return 0;
  const inter = w * h;
  const da = d[2] * d[3];
  const u = crowd ? da : da + g[2] * g[3] - inter;
  return inter / u;
}

/** Indices sorting by score, highest first, equal scores in their original order. */
function byScore(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}

interface ImgEval {
  /** per threshold, per kept detection: matched a gt */
  matched: Uint8Array[];
  /** per threshold, per kept detection: ignored */
  ignored: Uint8Array[];
  scores: number[];
  gtIgnore: boolean[];
}

function evaluateImg(gts: Gt[], dts: Dt[], ious: number[][], rng: readonly [number, number], maxDet: number): ImgEval | null {
  if (!gts.length && !dts.length) return null;
  const ign = gts.map((g) => g.crowd || g.area < rng[0] || g.area > rng[1]);
  // ignored gts last, stable
  const gOrder = gts.map((_, i) => i).sort((a, b) => Number(ign[a]) - Number(ign[b]) || a - b);
  const gtIg = gOrder.map((i) => ign[i]);
  const crowd = gOrder.map((i) => gts[i].crowd);
  const D = Math.min(dts.length, maxDet);
  const T = IOU_THRESHOLDS.length;
  const matched: Uint8Array[] = [];
  const ignored: Uint8Array[] = [];
  for (let t = 0; t < T; t++) {
    const gtm = new Uint8Array(gOrder.length);
    const dtm = new Uint8Array(D);
    const dtIg = new Uint8Array(D);
    if (gOrder.length && dts.length) {
      for (let d = 0; d < D; d++) {
        let best = Math.min(IOU_THRESHOLDS[t], 1 - 1e-10);
        let m = -1;
        for (let gi = 0; gi < gOrder.length; gi++) {
          if (gtm[gi] && !crowd[gi]) continue;
          if (m > -1 && !gtIg[m] && gtIg[gi]) break;
          const iou = ious[d][gOrder[gi]];
          if (iou < best) continue;
          best = iou;
          m = gi;
        }
        if (m === -1) continue;
        dtIg[d] = gtIg[m] ? 1 : 0;
        dtm[d] = 1;
        gtm[m] = 1;
      }
    }
    for (let d = 0; d < D; d++) {
      const a = dts[d].area;
      if (!dtm[d] && (a < rng[0] || a > rng[1])) dtIg[d] = 1;
    }
    matched.push(dtm);
    ignored.push(dtIg);
  }
  return { matched, ignored, scores: dts.slice(0, D).map((d) => d.score), gtIgnore: gtIg };
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function checkBox(box: unknown, what: string): number[] {
  if (!Array.isArray(box) || box.length !== 4 || !box.every(finite) || box[2] < 0 || box[3] < 0) {
    throw new CocoEvalError(`cocoEval: expected bbox [x, y, w, h] of 4 finite numbers with w, h >= 0 for ${what}, got ${JSON.stringify(box)?.slice(0, 80)}`);
  }
  return box as number[];
}

function checkGt(gt: CocoGt): void {
  if (!gt || typeof gt !== 'object') throw new CocoEvalError(`cocoEval: expected a COCO instances object for gt, got ${JSON.stringify(gt)?.slice(0, 80)}`);
  for (const k of ['images', 'annotations', 'categories'] as const) {
    if (!Array.isArray(gt[k])) throw new CocoEvalError(`cocoEval: expected an array for gt.${k}, got ${JSON.stringify(gt[k])?.slice(0, 80)}`);
  }
}

/** A segmentation as a mask of size h x w, errors as CocoEvalErrors naming `what`. */
function maskOf(segm: unknown, h: number, w: number, what: string): Rle {
  if (segm === undefined || segm === null) throw new CocoEvalError(`cocoEval: expected a segmentation (polygons or RLE) for ${what} (iouType 'segm'), got none`);
  try {
    return segmentationToRle(segm, h, w, `cocoEval: ${what}`);
  } catch (e) {
    throw new CocoEvalError((e as Error).message);
  }
}

/** COCO bbox or segm evaluation of `detections` against `gt` (see the file comment). */
export function cocoEval(gt: CocoGt, detections: readonly CocoDetection[], opts: CocoEvalOptions = { iouType: 'bbox' }): CocoEvalResult {
  const iouType = opts?.iouType;
  if (iouType !== 'bbox' && iouType !== 'segm') throw new CocoEvalError(`cocoEval: expected iouType 'bbox' or 'segm', got ${JSON.stringify(iouType)}`);
  const segm = iouType === 'segm';
  checkGt(gt);
  if (!Array.isArray(detections)) throw new CocoEvalError(`cocoEval: expected an array of result records for detections, got ${JSON.stringify(detections)?.slice(0, 80)}`);
  const imgIds = [...new Set(gt.images.map((im) => im.id))].sort((a, b) => a - b);
  const catIds = [...new Set(gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  const imgSet = new Set(imgIds);
  const imSize = new Map<number, [number, number]>();
  if (segm) {
    for (const im of gt.images) {
      const { height: h, width: w } = im as { height?: unknown; width?: unknown };
      if (!Number.isInteger(h) || !Number.isInteger(w) || (h as number) < 1 || (w as number) < 1) {
        throw new CocoEvalError(`cocoEval: expected whole-number height and width for image ${JSON.stringify(im.id)} (iouType 'segm' rasterises masks at the image size), got ${JSON.stringify(h)} x ${JSON.stringify(w)}`);
      }
      imSize.set(im.id, [h as number, w as number]);
    }
  }
  const catSet = new Set(catIds);
  const key = (img: number, cat: number) => `${img}\u0000${cat}`;
  const gtsOf = new Map<string, Gt[]>();
  const dtsOf = new Map<string, Dt[]>();
  for (const a of gt.annotations) {
    const what = `annotation ${JSON.stringify(a?.id)}`;
    const box = segm ? [] : checkBox(a?.bbox, what);
    if (!finite(a.area)) throw new CocoEvalError(`cocoEval: expected a finite area for ${what}, got ${JSON.stringify(a.area)}`);
    if (!imgSet.has(a.image_id) || !catSet.has(a.category_id)) continue;
    const k = key(a.image_id, a.category_id);
    if (!gtsOf.has(k)) gtsOf.set(k, []);
    const size = imSize.get(a.image_id);
    const rle = segm ? maskOf(a.segmentation, size![0], size![1], what) : undefined;
    gtsOf.get(k)!.push({ id: a.id, box, area: a.area, crowd: !!a.iscrowd, rle });
  }
  detections.forEach((d, i) => {
    const what = `detection ${i}`;
    const box = segm ? [] : checkBox(d?.bbox, what);
    if (!finite(d.score)) throw new CocoEvalError(`cocoEval: expected a finite score for ${what}, got ${JSON.stringify(d.score)}`);
    if (!imgSet.has(d.image_id)) throw new CocoEvalError(`cocoEval: expected detections on images of gt, got image_id ${JSON.stringify(d.image_id)} for ${what} (not in gt.images)`);
    if (!catSet.has(d.category_id)) return;
    const k = key(d.image_id, d.category_id);
    if (!dtsOf.has(k)) dtsOf.set(k, []);
    if (segm) {
      const size = imSize.get(d.image_id)!;
      const rle = maskOf(d.segmentation, size[0], size[1], what);
      dtsOf.get(k)!.push({ id: i + 1, box, area: rleArea(rle), score: d.score, rle });
    } else {
      dtsOf.get(k)!.push({ id: i + 1, box, area: box[2] * box[3], score: d.score });
    }
  });

  const T = IOU_THRESHOLDS.length, R = RECALL_POINTS.length, K = catIds.length, A = AREA_RANGES.length, M = MAX_DETS.length;
  const maxAll = MAX_DETS[M - 1];
  // precision[t][r][k][a][m] and recall[t][k][a][m], flattened; -1 = not counted
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const pIdx = (t: number, r: number, k: number, a: number, m: number) => (((t * R + r) * K + k) * A + a) * M + m;
  const rIdx = (t: number, k: number, a: number, m: number) => ((t * K + k) * A + a) * M + m;

  catIds.forEach((cat, k) => {
    // per image: sorted, truncated detections and their IoU with every gt
    const perImg = imgIds.map((img) => {
      const gts = gtsOf.get(key(img, cat)) ?? [];
      const all = dtsOf.get(key(img, cat)) ?? [];
      const dts = byScore(all.map((d) => d.score)).slice(0, maxAll).map((i) => all[i]);
      let ious: number[][] = [];
      if (gts.length && dts.length) {
        ious = segm
          ? rleIou(dts.map((d) => d.rle!), gts.map((g) => g.rle!), gts.map((g) => g.crowd))
          : dts.map((d) => gts.map((g) => cocoBoxIou(d.box, g.box, g.crowd)));
      }
      return { gts, dts, ious, any: gts.length > 0 || all.length > 0 };
    });
    AREA_RANGES.forEach((rng, a) => {
      const evals = perImg.map((p) => (p.any ? evaluateImg(p.gts, p.dts, p.ious, rng, maxAll) : null)).filter((e): e is ImgEval => e !== null);
      if (!evals.length) return;
      const npig = evals.reduce((s, e) => s + e.gtIgnore.filter((g) => !g).length, 0);
      if (npig === 0) return;
      MAX_DETS.forEach((maxDet, m) => {
        const scores: number[] = [];
        const src: Array<[ImgEval, number]> = [];
        for (const e of evals) {
          const n = Math.min(maxDet, e.scores.length);
          for (let d = 0; d < n; d++) {
            scores.push(e.scores[d]);
            src.push([e, d]);
          }
        }
        const order = byScore(scores);
        for (let t = 0; t < T; t++) {
          const rc: number[] = [];
          const pr: number[] = [];
          let tp = 0, fp = 0;
          for (const i of order) {
            const [e, d] = src[i];
            if (!e.ignored[t][d]) {
              if (e.matched[t][d]) tp++;
              else fp++;
            }
            rc.push(tp / npig);
            pr.push(tp / (fp + tp + EPS));
          }
          const nd = rc.length;
          recall[rIdx(t, k, a, m)] = nd ? rc[nd - 1] : 0;
          for (let i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
          let pi = 0;
          for (let r = 0; r < R; r++) {
            while (pi < nd && rc[pi] < RECALL_POINTS[r]) pi++;
            precision[pIdx(t, r, k, a, m)] = pi < nd ? pr[pi] : 0;
          }
        }
      });
    });
  });

  const meanOf = (vals: number[]) => {
    const v = vals.filter((x) => x > -1);
    return v.length ? v.reduce((s, x) => s + x, 0) / v.length : -1;
  };
  const ts = (iouThr?: number) => (iouThr === undefined ? IOU_THRESHOLDS.map((_, t) => t) : IOU_THRESHOLDS.flatMap((v, t) => (v === iouThr ? [t] : [])));
  const ap = (iouThr: number | undefined, a: number, m: number, ks = catIds.map((_, k) => k)) => {
    const v: number[] = [];
    for (const t of ts(iouThr)) for (let r = 0; r < R; r++) for (const k of ks) v.push(precision[pIdx(t, r, k, a, m)]);
    return meanOf(v);
  };
  const ar = (a: number, m: number, ks = catIds.map((_, k) => k)) => {
    const v: number[] = [];
    for (const t of ts()) for (const k of ks) v.push(recall[rIdx(t, k, a, m)]);
    return meanOf(v);
  };
  const stats = [
    ap(undefined, 0, 2), ap(0.5, 0, 2), ap(0.75, 0, 2), ap(undefined, 1, 2), ap(undefined, 2, 2), ap(undefined, 3, 2),
    ar(0, 0), ar(0, 1), ar(0, 2), ar(1, 2), ar(2, 2), ar(3, 2),
  ];
  const names = new Map(gt.categories.map((c) => [c.id, typeof c.name === 'string' ? c.name : String(c.id)]));
  const perCategory = catIds.map((id, k) => ({
    id, name: names.get(id)!, ap: ap(undefined, 0, 2, [k]), ap50: ap(0.5, 0, 2, [k]), ap75: ap(0.75, 0, 2, [k]), ar100: ar(0, 2, [k]),
  }));
  return { stats, perCategory };
}

/** COCOeval.summarize's table, one line per stat. */
export function formatCocoStats(stats: readonly number[]): string {
  return COCO_STAT_NAMES.map((n, i) => ` Average ${n.startsWith('AP') ? 'Precision' : 'Recall   '}  (${n}) = ${stats[i].toFixed(3)}`).join('\n');
}
