/**
 * The reader's batching and its determinism contract: batch k depends only on (seed, k), the
 * same inline and from worker threads, and startIter resumes exactly.
 */
import { createReader, type ReaderSpec } from '../../src/data/reader';
import type { Batch } from '../../src/data/types';
import { tf, tmpDir, vocReader, writeVoc } from './helpers';

let dir: string;
const quiet = () => undefined;

beforeAll(async () => {
  dir = tmpDir('reader');
  const items = Array.from({ length: 6 }, (_, i) => ({
    stem: `im${i}`,
    w: 40 + 4 * i,
    h: 30 + 2 * i,
    objects: [
      { name: i % 2 ? 'a' : 'b', box: [2 + i, 3, 20 + i, 22] },
      { name: 'a', box: [21, 5, 35, 25] },
    ],
  }));
  await writeVoc(dir, items, ['a', 'b']);
});

function trainSpec(over: Partial<ReaderSpec> = {}): ReaderSpec {
  return vocReader(dir, {
    sample_transforms: [
      tf('DecodeImage', { with_mixup: true }),
      tf('MixupImage'),
      tf('ColorDistort'),
      tf('RandomExpand', { ratio: 2 }),
      tf('RandomCrop'),
      tf('RandomFlipImage'),
      tf('NormalizeBox'),
      tf('PadBox', { num_max_boxes: 5 }),
      tf('BboxXYXY2XYWH'),
    ],
    batch_transforms: [tf('RandomShape', { sizes: [32, 48], random_inter: true }), tf('NormalizeImage'), tf('Permute')],
    batch_size: 2,
    shuffle: true,
    mixup_epoch: 1,
    drop_last: true,
    ...over,
  });
}

async function take(spec: ReaderSpec, n: number, opts: { workerNum?: number; startIter?: number; seed?: number } = {}): Promise<Batch[]> {
  const r = createReader(spec, { mode: 'train', seed: opts.seed ?? 7, workerNum: opts.workerNum ?? 0, startIter: opts.startIter, warn: quiet });
  const out: Batch[] = [];
  for await (const b of r.batches()) {
    out.push(b);
    if (out.length === n) break;
  }
  await r.close();
  return out;
}

// Plain arrays: buffers posted from a worker belong to another realm than jest's.
const strip = (b: Batch) => {
  const { loadMs, image, gtBox, gtLabel, gtScore, ...rest } = b;
  expect(Number.isFinite(loadMs) && loadMs >= 0).toBe(true);
  return { ...rest, image: Array.from(image), gtBox: Array.from(gtBox!), gtLabel: Array.from(gtLabel!), gtScore: Array.from(gtScore!) };
};

test('batch k is the same inline, from 2 worker threads, and when starting at k', async () => {
  const inline = await take(trainSpec(), 6);
  const workers = await take(trainSpec(), 6, { workerNum: 2 });
  expect(workers.map(strip)).toEqual(inline.map(strip));
  const resumed = await take(trainSpec(), 2, { startIter: 4 });
  expect(resumed.map(strip)).toEqual(inline.slice(4, 6).map(strip));
  // and a different seed gives different batches
  const other = await take(trainSpec(), 1, { seed: 8 });
  expect(other[0].image).not.toEqual(inline[0].image);

  // shapes and fields of a training batch
  for (const b of inline) {
    const [n, c, h, w] = b.shape;
    expect([n, c]).toEqual([2, 3]);
    expect([32, 48]).toContain(h);
    expect(w).toBe(h);
    expect(b.image.length).toBe(n * c * h * w);
    expect(b.numMaxBoxes).toBe(5);
    expect(b.gtBox!.length).toBe(n * 5 * 4);
    expect(b.gtLabel!.length).toBe(n * 5);
    for (const v of b.gtBox!) expect(v >= 0 && v <= 1).toBe(true);
  }
  // 6 samples, batch 2, drop_last: 3 batches an epoch
  expect(inline.map((b) => b.epoch)).toEqual([0, 0, 0, 1, 1, 1]);
  expect(inline.map((b) => b.iter)).toEqual([0, 1, 2, 3, 4, 5]);
  // mixup only while epoch < mixup_epoch (1): fractional scores in epoch 0 only
  const fractional = (b: Batch) => Array.from(b.gtScore!).some((s) => s > 0 && s < 1);
  expect(inline.slice(0, 3).every(fractional)).toBe(true);
  expect(inline.slice(3).some(fractional)).toBe(false);
});

test('each epoch visits every sample once, in a new order; drop_last decides the short batch', async () => {
  const plain = trainSpec({ sample_transforms: [tf('DecodeImage'), tf('ResizeImage', { target_size: 16 }), tf('NormalizeBox'), tf('PadBox', { num_max_boxes: 3 })], batch_transforms: [tf('NormalizeImage'), tf('Permute')], mixup_epoch: -1 });
  const batches = await take({ ...plain, batch_size: 4, drop_last: false }, 4);
  const epoch0 = [...batches[0].imId, ...batches[1].imId];
  const epoch1 = [...batches[2].imId, ...batches[3].imId];
  expect(batches.map((b) => b.shape[0])).toEqual([4, 2, 4, 2]);
  expect([...epoch0].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  expect([...epoch1].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  expect(epoch1).not.toEqual(epoch0);
  const dropped = createReader({ ...plain, batch_size: 4, drop_last: true }, { mode: 'train', seed: 1, warn: quiet });
  expect(dropped.batchesPerEpoch).toBe(1);
  expect(() => createReader({ ...plain, batch_size: 7, drop_last: true }, { mode: 'train', seed: 1, warn: quiet })).toThrow(/6 samples, fewer than batch_size 7/);
});

test('eval: one pass in file order with the original boxes and sizes, again on each call', async () => {
  const r = createReader(vocReader(dir, { batch_size: 4 }), { mode: 'eval', seed: 0, warn: quiet });
  const got: Batch[] = [];
  for await (const b of r.batches()) got.push(b);
  expect(got.map((b) => b.shape)).toEqual([
    [4, 3, 32, 32],
    [2, 3, 32, 32],
  ]);
  const ids = got.flatMap((b) => b.imId);
  expect(ids).toEqual([0, 1, 2, 3, 4, 5]);
  expect(got[0].imSize[1]).toEqual([32, 44]);
  expect(got[0].gt![1]).toEqual({ boxes: [[3, 3, 21, 22], [21, 5, 35, 25]], labels: [0, 0], difficult: [0, 0] });
  expect(got[0].gtBox).toBeUndefined();
  expect(r.labels).toEqual(['a', 'b']);
  // a second pass (evaluation after each snapshot) gives the same batches
  const again: Batch[] = [];
  for await (const b of r.batches()) again.push(b);
  expect(again.map((b) => b.imId)).toEqual(got.map((b) => b.imId));
  expect(Array.from(again[1].image)).toEqual(Array.from(got[1].image));
  await r.close();
});

test('config mistakes are caught when the reader is built', () => {
  expect(() => createReader(vocReader(dir, { sample_transforms: [tf('ResizeImage', { target_size: 8 }), tf('DecodeImage')] }), { mode: 'eval', seed: 0 })).toThrow(/DecodeImage must be the first/);
  expect(() => createReader(vocReader(dir), { mode: 'eval', seed: 0, numClasses: 1, warn: quiet })).toThrow(/class id 1 \(b\) is outside the model's num_classes 1/);
  expect(() => createReader(vocReader(dir, { batch_transforms: [tf('PadBox')] , sample_transforms: [tf('DecodeImage'), tf('RandomShape')]}), { mode: 'eval', seed: 0, warn: quiet })).toThrow(/RandomShape is a batch transform/);
});
