/**
 * The data pipeline's value types. A dataset yields records (file + ground truth, pixels as
 * the annotation gives them); the reader turns each into a sample, decodes its image and runs
 * the transforms over it; batches are what the trainer and evaluator consume.
 */

/** One annotated image as a dataset lists it. Boxes are x1, y1, x2, y2 in pixels. */
export interface DataRecord {
  imFile: string;
  imId: number;
  /** size from the annotation (0 when the dataset does not say); decoding sets the real one */
  h: number;
  w: number;
  gtBbox: number[][];
  gtClass: number[];
  gtScore: number[];
  isCrowd: number[];
  difficult: number[];
  /**
   * COCO with segmentations: per box, its polygons [[x1, y1, x2, y2, ...], ...] in pixels of
   * the image (an RLE segmentation is traced into polygons when loaded); PaddleDetection's
   * gt_poly. Absent when the dataset has no masks.
   */
  gtPoly?: number[][][];
}

/**
 * An image in float32 storage. `uint8` says the values are whole numbers in 0..255 as a uint8
 * array would hold them (decoding, RandomExpand and MixupImage produce such images; colour
 * distortion produces free floats), so resizing rounds and saturates exactly when the
 * reference pipeline's uint8 arrays would.
 */
export interface Img {
  data: Float32Array;
  h: number;
  w: number;
  /** channel count (3) */
  c: number;
  /** CHW after Permute, HWC before */
  chw: boolean;
  uint8: boolean;
}

/** A record on its way through the transforms. */
export interface Sample extends DataRecord {
  image?: Img;
  /** decoded size, before any transform */
  origH: number;
  origW: number;
  /** the second image of a mixup pair, until MixupImage merges it */
  mixup?: Sample;
  /** set by PadBox: gtBbox/gtClass/gtScore now hold exactly this many rows, zero-padded */
  numMaxBoxes?: number;
  flipped?: boolean;
  /** [h, w, scale] of the network input: decoded size and 1, then ResizeImage's (h * scale, w * scale, scale) */
  imInfo?: [number, number, number];
}

/** Context shared by a reader's transforms (PaddleDetection passes inputs_def.fields). */
export interface TransformContext {
  fields: readonly string[];
}

/** What the reader hands out; see training-contract (createReader). */
export interface Batch {
  /** index of this batch since the start of training (or of the pass, for eval/test) */
  iter: number;
  epoch: number;
  /** normalised CHW images, [N, 3, H, W] */
  image: Float32Array;
  shape: [number, number, number, number];
  /** train: [N, B, 4] boxes as the transforms leave them (normalised cx, cy, w, h for YOLOv3) */
  gtBox?: Float32Array;
  /** train: [N, B] class ids */
  gtLabel?: Int32Array;
  /** train: [N, B] box weights (1, or the mixup factor) */
  gtScore?: Float32Array;
  /** train: B */
  numMaxBoxes?: number;
  imId: number[];
  /** decoded size of each image, [h, w] */
  imSize: Array<[number, number]>;
  /** fields im_info: [N, 3] rows [h, w, scale] (see Sample.imInfo; PadBatch use_padded_im_info puts the padded h, w) */
  imInfo?: Float32Array;
  /** fields im_shape: [N, 3] rows [h, w, 1] of the decoded images */
  imShape?: Float32Array;
  /** train with fields is_crowd: [N, B] crowd flags, rows as gtBox */
  isCrowd?: Int32Array;
  /** train with fields gt_mask (or gt_poly): per image, per box row of gtBox, its polygons (see DataRecord.gtPoly) */
  gtPoly?: number[][][][];
  /** eval: each image's ground truth in pixels of the original image */
  gt?: Array<{ boxes: number[][]; labels: number[]; difficult: number[] }>;
  /** milliseconds the consumer waited for this batch */
  loadMs: number;
}

export type BadSamplePolicy = 'skip' | 'error';
