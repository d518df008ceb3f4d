/** Test helpers for the data pipeline: scripted random draws, tiny images and samples. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { Rng } from '../../src/data/rng';
import type { Img, Sample } from '../../src/data/types';
import type { ReaderSpec } from '../../src/data/reader';

/**
 * An Rng whose draws are given in advance, so a transform can be checked by hand: uniform and
 * beta return the next queued value (checked against the range), randint and choice the next
 * queued integer (an index for choice), shuffle and permutation keep the order.
 */
export class ScriptedRng extends Rng {
  readonly queue: number[];
  constructor(values: number[]) {
    super(0);
    this.queue = values.slice();
  }
  private take(what: string): number {
    if (this.queue.length === 0) throw new Error(`ScriptedRng: no value left for ${what}`);
    return this.queue.shift()!;
  }
  override uniform(lo: number, hi: number): number {
    const v = this.take(`uniform(${lo}, ${hi})`);
    if (v < lo || v > hi) throw new Error(`ScriptedRng: ${v} outside uniform(${lo}, ${hi})`);
    return v;
  }
  override randint(lo: number, hi: number): number {
    const v = this.take(`randint(${lo}, ${hi})`);
    if (v < lo || v >= hi) throw new Error(`ScriptedRng: ${v} outside randint(${lo}, ${hi})`);
    return v;
  }
  override choice<T>(items: readonly T[]): T {
    return items[this.randint(0, items.length)];
  }
  override shuffle<T>(items: T[]): T[] {
    return items;
  }
  override permutation<T>(items: readonly T[]): T[] {
    return items.slice();
  }
  override beta(): number {
    return this.take('beta');
  }
}

/** An HWC uint8-valued image whose pixel (y, x, c) is f(y, x, c). */
export function makeImg(h: number, w: number, f: (y: number, x: number, c: number) => number): Img {
  const data = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = f(y, x, c);
  return { data, h, w, c: 3, chw: false, uint8: true };
}

export function px(img: Img, y: number, x: number): number[] {
  const o = (y * img.w + x) * 3;
  return [img.data[o], img.data[o + 1], img.data[o + 2]];
}

export function makeSample(img: Img, boxes: number[][], classes?: number[]): Sample {
  const n = boxes.length;
  return {
    imFile: 'mem.jpg',
    imId: 0,
    h: img.h,
    w: img.w,
    origH: img.h,
    origW: img.w,
    image: img,
    gtBbox: boxes.map((b) => b.slice()),
    gtClass: classes ?? boxes.map((_, i) => i),
    gtScore: new Array<number>(n).fill(1),
    isCrowd: new Array<number>(n).fill(0),
    difficult: new Array<number>(n).fill(0),
  };
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `slimprune-${tag}-`));
}

/** Writes a w x h JPEG (or PNG by extension) with a simple pattern. */
export async function writeImage(file: string, w: number, h: number, seed = 0): Promise<void> {
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + seed * 13) % 251;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  await (file.endsWith('.png') ? img.png() : img.jpeg({ quality: 90 })).toFile(file);
}

export interface VocObject {
  name: string;
  box: number[];
  difficult?: number;
}

export function vocXml(w: number, h: number, objects: VocObject[], extra = ''): string {
  const objs = objects
    .map(
      (o) =>
        `<object><name>${o.name}</name>${o.difficult === undefined ? '' : `<difficult>${o.difficult}</difficult>`}` +
        `<bndbox><xmin>${o.box[0]}</xmin><ymin>${o.box[1]}</ymin><xmax>${o.box[2]}</xmax><ymax>${o.box[3]}</ymax></bndbox></object>`,
    )
    .join('');
  return `<annotation>${extra}<size><width>${w}</width><height>${h}</height><depth>3</depth></size>${objs}</annotation>`;
}

/** A VOC dataset folder: images, XMLs, a list file and label_list.txt. */
export async function writeVoc(
  dir: string,
  items: Array<{ stem: string; w: number; h: number; objects: VocObject[]; xml?: string }>,
  labels: string[],
  list = 'trainval.txt',
): Promise<void> {
  fs.mkdirSync(path.join(dir, 'Annotations'), { recursive: true });
  for (const [i, it] of items.entries()) {
    await writeImage(path.join(dir, 'JPEGImages', `${it.stem}.jpg`), it.w, it.h, i);
    fs.writeFileSync(path.join(dir, 'Annotations', `${it.stem}.xml`), it.xml ?? vocXml(it.w, it.h, it.objects));
  }
  fs.writeFileSync(path.join(dir, list), items.map((it) => `JPEGImages/${it.stem}.jpg Annotations/${it.stem}.xml`).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'label_list.txt'), labels.join('\n') + '\n');
}

// Defaults as the config registry fills them (PaddleDetection's).
export const DEFAULTS: Record<string, Record<string, unknown>> = {
  MixupImage: { alpha: 1.5, beta: 1.5 },
  ColorDistort: { hue: [-18, 18, 0.5], saturation: [0.5, 1.5, 0.5], contrast: [0.5, 1.5, 0.5], brightness: [0.5, 1.5, 0.5], random_apply: true, hsv_format: false, random_channel: false },
  RandomExpand: { ratio: 4, prob: 0.5, fill_value: [123.675, 116.28, 103.53], is_mask_expand: false },
  RandomCrop: { aspect_ratio: [0.5, 2], thresholds: [0, 0.1, 0.3, 0.5, 0.7, 0.9], scaling: [0.3, 1], num_attempts: 50, allow_no_crop: true, cover_all_box: false, is_mask_crop: false },
  RandomFlipImage: { prob: 0.5, is_normalized: false, is_mask_flip: false },
  NormalizeBox: {},
  PadBox: { num_max_boxes: 50 },
  BboxXYXY2XYWH: {},
  ResizeImage: { target_size: 0, max_size: 0, interp: 1, use_cv2: true, resize_box: false },
  NormalizeImage: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], is_scale: true, is_channel_first: false },
  Permute: { to_bgr: false, channel_first: true },
  DecodeImage: { to_rgb: true, with_mixup: false, with_cutmix: false, with_mosaic: false },
  RandomShape: { sizes: [320, 352], random_inter: false, resize_box: false },
  PadBatch: { pad_to_stride: 0, use_padded_im_info: true, pad_gt: false },
};


/** One transform's resolved config: the defaults with `over` laid on top. */
export function tf(name: string, over: Record<string, unknown> = {}): { __type__: string; [k: string]: unknown } {
  if (!DEFAULTS[name]) throw new Error(`no defaults for ${name}`);
  return { __type__: name, ...DEFAULTS[name], ...over };
}

/** A reader config as resolveConfig would give it, for a VOC dataset in `dir`. */
export function vocReader(dir: string, over: Record<string, unknown> = {}, anno = 'trainval.txt'): ReaderSpec {
  return {
    dataset: { __type__: 'VOCDataSet', dataset_dir: dir, anno_path: anno, image_dir: null, sample_num: -1, with_background: false, use_default_label: false, label_list: 'label_list.txt' },
    sample_transforms: [tf('DecodeImage'), tf('ResizeImage', { target_size: 32, interp: 1 }), tf('NormalizeImage'), tf('Permute')],
    batch_transforms: [],
    batch_size: 2,
    shuffle: false,
    drop_last: false,
    drop_empty: true,
    mixup_epoch: -1,
    worker_num: 0,
    bufsize: 2,
    inputs_def: { fields: null },
    ...over,
  } as ReaderSpec;
}
