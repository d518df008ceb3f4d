/**
 * `slimprune dataset digits`: a Pascal VOC-layout detection dataset of handwritten digits.
 *
 *   DIR/JPEGImages/{train,test}_NNNNNN.jpg   SIZE x SIZE RGB
 *   DIR/Annotations/{...}.xml                <size>, one <object> per digit (name "0".."9",
 *                                             difficult 0, tight ink bndbox, pixel indices)
 *   DIR/trainval.txt, DIR/test.txt           "JPEGImages/x.jpg Annotations/x.xml" lines
 *   DIR/label_list.txt                        0..9, one a line
 *
 * With format 'coco' the same images are written in COCO's layout with instance masks (see
 * coco.ts): train2017/ holds the training images, val2017/ the test images.
 *
 * Training images use MNIST's training digits, test images its test digits, so no
 * handwriting is shared between the splits. Image i of a split is drawn from the stream
 * (seed, split, i): the same seed gives the same files. The list files are written last, so
 * an interrupted run leaves no list that names a missing file. JPEG encoding runs in sharp's
 * thread pool, several images at once, while the next images are drawn.
 */
import * as fs from 'fs';
import * as path from 'path';
import { streamFor } from '../rng';
import { loadSharp } from '../image';
import { DataError } from '../errors';
import { loadMnist } from './mnist';
import { composeImage, type Composed } from './compose';
import { COCO_SPLITS, cocoCategories, cocoEntries, type CocoAnnEntry, type CocoImageEntry } from './coco';

export interface DigitsOptions {
  out: string;
  train?: number;
  test?: number;
  size?: number;
  seed?: number;
  /** 'voc' (default) or 'coco' (with instance masks) */
  format?: 'voc' | 'coco';
  /** JPEG quality (default 92) */
  quality?: number;
  /** called after each image with (done, total) */
  onProgress?: (done: number, total: number) => void;
}

export interface DigitsSummary {
  out: string;
  train: number;
  test: number;
  size: number;
  objects: number;
  ms: number;
}

export const DIGIT_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

const SPLIT_KEY = { train: 11, test: 12 } as const;

export function annotationXml(stem: string, c: Composed): string {
  const objs = c.objects
    .map(
      (o) =>
        `  <object>\n    <name>${o.label}</name>\n    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n    <difficult>0</difficult>\n` +
        `    <bndbox>\n      <xmin>${o.box[0]}</xmin>\n      <ymin>${o.box[1]}</ymin>\n      <xmax>${o.box[2]}</xmax>\n      <ymax>${o.box[3]}</ymax>\n    </bndbox>\n  </object>\n`,
    )
    .join('');
  return (
    `<annotation>\n  <folder>JPEGImages</folder>\n  <filename>${stem}.jpg</filename>\n  <source>\n    <database>slimprune digits (MNIST)</database>\n  </source>\n` +
    `  <size>\n    <width>${c.size}</width>\n    <height>${c.size}</height>\n    <depth>3</depth>\n  </size>\n  <segmented>0</segmented>\n${objs}</annotation>\n`
  );
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new DataError(`digits: expected ${name} to be an integer >= ${min}, got ${v}`);
}

export async function writeDigitsDataset(opts: DigitsOptions): Promise<DigitsSummary> {
  const t0 = performance.now();
  const nTrain = opts.train ?? 4000;
  const nTest = opts.test ?? 500;
  const size = opts.size ?? 128;
  const seed = opts.seed ?? 0;
  const quality = opts.quality ?? 92;
  checkCount('--train', nTrain, 0);
  checkCount('--test', nTest, 0);
  checkCount('--seed', seed, 0);
  const format = opts.format ?? 'voc';
  if (format !== 'voc' && format !== 'coco') throw new DataError(`digits: expected --format voc or coco, got ${JSON.stringify(format)}`);
  const coco = format === 'coco';
  if (!Number.isInteger(size) || size < 64 || size > 2048) throw new DataError(`digits: expected --size to be an integer in 64..2048, got ${size}`);
  if (nTrain + nTest === 0) throw new DataError('digits: expected at least one image (--train or --test above 0)');
  const out = path.resolve(opts.out);
  const dirs = coco ? [COCO_SPLITS.train.dir, COCO_SPLITS.test.dir, 'annotations'] : ['JPEGImages', 'Annotations'];
  for (const d of dirs) fs.mkdirSync(path.join(out, d), { recursive: true });
  const cocoJson: Record<'train' | 'test', { images: CocoImageEntry[]; annotations: CocoAnnEntry[] }> = { train: { images: [], annotations: [] }, test: { images: [], annotations: [] } };
  const sharp = loadSharp();
  const total = nTrain + nTest;
  let done = 0;
  let objects = 0;
  const lists: Record<'train' | 'test', string[]> = { train: [], test: [] };
  const inFlight = new Set<Promise<void>>();
  const limit = 8;

  for (const split of ['train', 'test'] as const) {
    const count = split === 'train' ? nTrain : nTest;
    if (count === 0) continue;
    const mnist = loadMnist(split);
    for (let i = 0; i < count; i++) {
      const stem = `${coco ? COCO_SPLITS[split].stem : split}_${String(i + 1).padStart(6, '0')}`;
      const c = composeImage(mnist, size, streamFor(seed, SPLIT_KEY[split], i), { masks: coco });
      objects += c.objects.length;
      if (coco) {
        const js = cocoJson[split];
        const e = cocoEntries(c, i + 1, `${stem}.jpg`, js.annotations.length + 1);
        js.images.push(e.image);
        js.annotations.push(...e.annotations);
      } else {
        lists[split].push(`JPEGImages/${stem}.jpg Annotations/${stem}.xml`);
      }
      const imageFile = path.join(out, coco ? COCO_SPLITS[split].dir : 'JPEGImages', `${stem}.jpg`);
      const job = (async () => {
        await sharp(Buffer.from(c.rgb.buffer, c.rgb.byteOffset, c.rgb.length), { raw: { width: size, height: size, channels: 3 } })
          .jpeg({ quality, chromaSubsampling: '4:4:4' })
          .toFile(imageFile);
        if (!coco) await fs.promises.writeFile(path.join(out, 'Annotations', `${stem}.xml`), annotationXml(stem, c));
        done++;
        opts.onProgress?.(done, total);
      })();
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job)).catch(() => undefined);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  if (coco) {
    const categories = cocoCategories(DIGIT_LABELS);
    for (const split of ['train', 'test'] as const) {
      if ((split === 'train' ? nTrain : nTest) === 0) continue;
      const file = path.join(out, 'annotations', COCO_SPLITS[split].anno);
      const body = JSON.stringify({ info: { description: 'slimprune digits (MNIST)', version: '1' }, images: cocoJson[split].images, annotations: cocoJson[split].annotations, categories });
      // whole or not at all: a reader never sees half a file
      fs.writeFileSync(`${file}.tmp`, body);
      fs.renameSync(`${file}.tmp`, file);
    }
    return { out, train: nTrain, test: nTest, size, objects, ms: performance.now() - t0 };
  }
  fs.writeFileSync(path.join(out, 'label_list.txt'), DIGIT_LABELS.join('\n') + '\n');
  fs.writeFileSync(path.join(out, 'trainval.txt'), lists.train.join('\n') + (lists.train.length ? '\n' : ''));
  fs.writeFileSync(path.join(out, 'test.txt'), lists.test.join('\n') + (lists.test.length ? '\n' : ''));
  return { out, train: nTrain, test: nTest, size, objects, ms: performance.now() - t0 };
}
