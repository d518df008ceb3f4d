/**
 * VOC mean average precision, computed the way PaddleDetection's DetectionMAP does, so that
 * figures are comparable with the ones it publishes.
 *
 * Per image, every ground truth that counts (not difficult, or evaluateDifficult) adds one to
 * its class's gt count. Detections are then taken in the order given (not re-sorted), each
 * compared with the image's gts of the same class: the gt of highest IoU (first on ties) is
 * its match when that IoU exceeds overlapThresh. A match to a difficult gt (when difficult gts
 * are not evaluated) is neither a true nor a false positive: the detection is dropped. A first
 * match to a gt is a true positive, a repeated match or no match a false positive.
 *
 * Per class, the records are sorted by score, highest first (stable: equal scores keep the
 * order they were recorded in), giving cumulative precision and recall, and then:
 * - '11point': for t = 1.0, 0.9, ..., 0: the highest precision at recall >= t, carried down so
 *   that it never decreases as t falls; AP = mean of the 11 values.
 * - 'integral': sum of precision * (recall step) over the records whose recall moves by more
 *   than 1e-6.
 * mAP is the mean AP over classes that have at least one counted gt; a class with gts but no
 * detection has AP 0. Classes without counted gts are left out (AP reported as null).
 *
 * Boxes are pixel corners x1, y1, x2, y2; unless isBboxNormalized, a box spans x2 - x1 + 1
 * pixels (the VOC convention). IoU is 0 for boxes that only touch.
 */

export type MapType = '11point' | 'integral';

export interface VocImage {
  /** [label, score, x1, y1, x2, y2] per detection */
  detections: Array<ArrayLike<number>>;
  /** [x1, y1, x2, y2] per ground truth */
  gtBoxes: Array<ArrayLike<number>>;
  gtLabels: number[];
  /** 1 for difficult gts; all 0 when absent */
  difficult?: number[];
}

export interface VocMapOptions {
  classNum: number;
  /** default 0.5 */
  overlapThresh?: number;
  /** '11point' (default) or 'integral'; a config's string is checked at run time */
  mapType?: MapType | string;
  /** default false */
  evaluateDifficult?: boolean;
  /** default false: pixel boxes with the +1 convention */
  isBboxNormalized?: boolean;
}

export interface ClassAp {
  /** null when the class has no counted gt (left out of the mean) */
  ap: number | null;
  gtCount: number;
  truePositives: number;
  falsePositives: number;
}

export interface VocMapResult {
  /** in [0, 1] */
  map: number;
  perClass: ClassAp[];
}

export const MAP_TYPES: readonly MapType[] = ['11point', 'integral'];

export class VocMapError extends Error {
  override name = 'VocMapError';
}

function fail(what: string, expected: string, got: unknown): never {
  const shown = Array.isArray(got) ? `[${got.join(', ')}]` : typeof got === 'string' ? JSON.stringify(got) : String(got);
  throw new VocMapError(`vocMap: expected ${expected} for ${what}, got ${shown}`);
}

function isRow(v: unknown): v is ArrayLike<number> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function area(x1: number, y1: number, x2: number, y2: number, norm: number): number {
  return (x2 - x1 + norm) * (y2 - y1 + norm);
}

/** IoU of two corner boxes; norm is 1 for pixel boxes (+1 convention), 0 for normalised ones. */
export function jaccard(a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, norm: number): number {
  const ax1 = a[aOff], ay1 = a[aOff + 1], ax2 = a[aOff + 2], ay2 = a[aOff + 3];
  if (ax1 >= b[2] || ax2 <= b[0] || ay1 >= b[3] || ay2 <= b[1]) return 0;
  const inter = area(Math.max(ax1, b[0]), Math.max(ay1, b[1]), Math.min(ax2, b[2]), Math.min(ay2, b[3]), norm);
  return inter / (area(ax1, ay1, ax2, ay2, norm) + area(b[0], b[1], b[2], b[3], norm) - inter);
}

/** Streaming form: feed images one by one (update), read the result at the end. */
export class VocMapAccumulator {
  private readonly classNum: number;
  private readonly thresh: number;
  private readonly mapType: MapType;
  private readonly difficultToo: boolean;
  private readonly norm: number;
  private readonly scores: number[][];
  private readonly positive: number[][];
  private readonly gtCounts: number[];
  private images = 0;

  constructor(opts: VocMapOptions) {
    if (!opts || typeof opts !== 'object') fail('options', 'an object {classNum, overlapThresh, mapType, evaluateDifficult}', opts);
    if (!Number.isInteger(opts.classNum) || opts.classNum < 1) fail('classNum', 'an integer >= 1', opts.classNum);
    const thresh = opts.overlapThresh ?? 0.5;
    if (typeof thresh !== 'number' || !(thresh >= 0 && thresh <= 1)) fail('overlapThresh', 'a number in [0, 1]', thresh);
    const mapType = (opts.mapType ?? '11point') as MapType;
    if (!MAP_TYPES.includes(mapType)) fail('mapType', `one of ${MAP_TYPES.map((m) => `'${m}'`).join(', ')}`, mapType);
    this.classNum = opts.classNum;
    this.thresh = thresh;
    this.mapType = mapType;
    this.difficultToo = opts.evaluateDifficult ?? false;
    this.norm = opts.isBboxNormalized ? 0 : 1;
    this.scores = Array.from({ length: this.classNum }, () => []);
    this.positive = Array.from({ length: this.classNum }, () => []);
    this.gtCounts = new Array<number>(this.classNum).fill(0);
  }

  private label(what: string, v: unknown): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(what, `a class id in [0, ${this.classNum})`, v);
    const c = Math.trunc(v);
    if (c < 0 || c >= this.classNum) fail(what, `a class id in [0, ${this.classNum})`, v);
    return c;
  }

  update(image: VocImage): void {
    const at = `image ${this.images}`;
    if (!image || typeof image !== 'object') fail(at, 'an object {detections, gtBoxes, gtLabels, difficult?}', image);
    const { detections, gtBoxes, gtLabels } = image;
    if (!Array.isArray(detections)) fail(`${at} detections`, 'a list of [label, score, x1, y1, x2, y2]', detections);
    if (!Array.isArray(gtBoxes)) fail(`${at} gtBoxes`, 'a list of [x1, y1, x2, y2]', gtBoxes);
    if (!Array.isArray(gtLabels) || gtLabels.length !== gtBoxes.length) fail(`${at} gtLabels`, `${gtBoxes.length} labels (one per gt box)`, gtLabels);
    const difficult = image.difficult ?? [];
    if (image.difficult !== undefined && (!Array.isArray(difficult) || difficult.length !== gtBoxes.length)) {
      fail(`${at} difficult`, `${gtBoxes.length} flags (one per gt box)`, difficult);
    }
    const labels = gtLabels.map((l, i) => this.label(`${at} gtLabels[${i}]`, l));
    gtBoxes.forEach((b, i) => {
      if (!isRow(b) || b.length !== 4) fail(`${at} gtBoxes[${i}]`, '[x1, y1, x2, y2]', b);
    });
    const isDifficult = (i: number): boolean => Math.trunc(Number(difficult[i] ?? 0)) !== 0;

    for (let i = 0; i < labels.length; i++) {
      if (this.difficultToo || !isDifficult(i)) this.gtCounts[labels[i]]++;
    }
    const visited = new Uint8Array(labels.length);
    detections.forEach((d, k) => {
      if (!isRow(d) || d.length !== 6) fail(`${at} detections[${k}]`, '[label, score, x1, y1, x2, y2]', d);
      const c = this.label(`${at} detections[${k}] label`, d[0]);
      const score = d[1];
      let best = -1;
      let bestIdx = -1;
      for (let i = 0; i < labels.length; i++) {
        if (labels[i] !== c) continue;
        const o = jaccard(d, 2, gtBoxes[i], this.norm);
        if (o > best) {
          best = o;
          bestIdx = i;
        }
      }
      if (best > this.thresh) {
        if (this.difficultToo || !isDifficult(bestIdx)) {
          this.record(c, score, visited[bestIdx] ? 0 : 1);
          visited[bestIdx] = 1;
        }
      } else {
        this.record(c, score, 0);
      }
    });
    this.images++;
  }

  private record(c: number, score: number, pos: number): void {
    this.scores[c].push(score);
    this.positive[c].push(pos);
  }

  result(): VocMapResult {
    const perClass: ClassAp[] = [];
    let sum = 0;
    let counted = 0;
    for (let c = 0; c < this.classNum; c++) {
      const count = this.gtCounts[c];
      const n = this.scores[c].length;
      // Stable sort by score, highest first.
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.scores[c][b] - this.scores[c][a]);
      const precision = new Float64Array(n);
      const recall = new Float64Array(n);
      let tp = 0;
      let fp = 0;
      order.forEach((r, i) => {
        if (this.positive[c][r]) tp++;
        else fp++;
        precision[i] = tp / (tp + fp);
        recall[i] = count > 0 ? tp / count : 0;
      });
      if (count === 0) {
        perClass.push({ ap: null, gtCount: 0, truePositives: tp, falsePositives: fp });
        continue;
      }
      const ap = n === 0 ? 0 : this.mapType === '11point' ? elevenPoint(precision, recall) : integral(precision, recall);
      perClass.push({ ap, gtCount: count, truePositives: tp, falsePositives: fp });
      sum += ap;
      counted++;
    }
    return { map: counted > 0 ? sum / counted : 0, perClass };
  }
}

/**
 * Highest precision at recall >= t for t = 1.0 down to 0 in steps of 0.1, each value at least
 * the one above it; the walk runs once down the records (recall never decreases along them).
 */
function elevenPoint(precision: Float64Array, recall: Float64Array): number {
  const maxP = new Float64Array(11);
  let start = precision.length - 1;
  for (let j = 10; j >= 0; j--) {
    for (let i = start; i >= 0; i--) {
      if (recall[i] < j / 10) {
        start = i;
        if (j > 0) maxP[j - 1] = maxP[j];
        break;
      }
      if (maxP[j] < precision[i]) maxP[j] = precision[i];
    }
  }
  let s = 0;
  for (const v of maxP) s += v;
  return s / 11;
}

/** Area under the precision-recall steps, skipping steps of recall below 1e-6. */
function integral(precision: Float64Array, recall: Float64Array): number {
  let ap = 0;
  let prev = 0;
  for (let i = 0; i < precision.length; i++) {
    const gap = Math.abs(recall[i] - prev);
    if (gap > 1e-6) {
      ap += precision[i] * gap;
      prev = recall[i];
    }
  }
  return ap;
}

/** VOC mAP over a list of images (see the module comment for the exact rules). */
export function vocMap(images: VocImage[], opts: VocMapOptions): VocMapResult {
  const acc = new VocMapAccumulator(opts);
  if (!Array.isArray(images)) fail('images', 'a list of {detections, gtBoxes, gtLabels, difficult?}', images);
  for (const im of images) acc.update(im);
  return acc.result();
}
