/**
 * The digits dataset in COCO's layout: files where the COCO readers look, each digit's
 * polygons rasterising to exactly its own ink pixels, boxes as the VOC variant's, the same seed
 * giving the same files, COCODataSet keeping the polygons per box, and the CLI flag.
 */
import * as fs from 'fs';
import * as path from 'path';
import { composeImage } from '../../src/data/digits/compose';
import { loadMnist } from '../../src/data/digits/mnist';
import { writeDigitsDataset } from '../../src/data/digits/generate';
import { COCODataSet } from '../../src/data/datasets';
import { streamFor } from '../../src/data/rng';
import { decodeRle, rleArea, segmentationToRle } from '../../src/data/mask';
import { main } from '../../src/cli';
import { tmpDir } from './helpers';

test('writes COCO JSON with exact instance masks that COCODataSet loads back', async () => {
  const dir = tmpDir('digits-coco');
  const r = await writeDigitsDataset({ out: dir, train: 4, test: 2, size: 64, seed: 3, format: 'coco' });
  expect([r.train, r.test]).toEqual([4, 2]);
  for (const f of ['train2017/train_000001.jpg', 'val2017/val_000002.jpg', 'annotations/instances_train2017.json', 'annotations/instances_val2017.json']) {
    expect(fs.existsSync(path.join(dir, f))).toBe(true);
  }
  const js = JSON.parse(fs.readFileSync(path.join(dir, 'annotations/instances_train2017.json'), 'utf8'));
  expect(js.categories.map((c: { id: number; name: string }) => [c.id, c.name])).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1, String(i)]));
  expect(js.images[0]).toEqual({ id: 1, file_name: 'train_000001.jpg', width: 64, height: 64 });
  // image 1 of the train split is the VOC variant's train_000001: stream (seed 3, train, 0)
  const drawn = composeImage(loadMnist('train'), 64, streamFor(3, 11, 0), { masks: true });
  const anns = js.annotations.filter((a: { image_id: number }) => a.image_id === 1);
  expect(anns).toHaveLength(drawn.objects.length);
  let holes = 0;
  anns.forEach((a: { id: number; bbox: number[]; category_id: number; area: number; iscrowd: number; segmentation: number[][] }, i: number) => {
    const o = drawn.objects[i];
    expect(a.category_id).toBe(o.label + 1);
    expect(a.bbox).toEqual([o.box[0], o.box[1], o.box[2] - o.box[0] + 1, o.box[3] - o.box[1] + 1]);
    expect(a.iscrowd).toBe(0);
    const rle = segmentationToRle(a.segmentation, 64, 64);
    expect(Array.from(decodeRle(rle))).toEqual(Array.from(o.mask!));
    expect(a.area).toBe(rleArea(rle));
    expect(a.area).toBeGreaterThan(10);
  });
  // across the split, digits such as 0, 6, 8, 9 have holes: their polygons revisit a corner
  for (const a of js.annotations as Array<{ segmentation: number[][] }>) {
    for (const p of a.segmentation) {
      const seen = new Set<string>();
      for (let k = 0; k < p.length; k += 2) seen.add(`${p[k]},${p[k + 1]}`);
      if (seen.size < p.length / 2) holes++;
    }
  }
  expect(holes).toBeGreaterThan(0);

  const ds = new COCODataSet({ dataset_dir: dir, image_dir: 'train2017', anno_path: 'annotations/instances_train2017.json', with_background: true }).load({ warn: () => undefined });
  expect(ds.records).toHaveLength(4);
  expect(ds.labels).toEqual(['background', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  const rec = ds.records[0];
  expect(rec.gtBbox).toEqual(drawn.objects.map((o) => o.box));
  expect(rec.gtClass).toEqual(drawn.objects.map((o) => o.label + 1));
  expect(rec.gtPoly).toEqual(anns.map((a: { segmentation: number[][] }) => a.segmentation));

  const again = tmpDir('digits-coco2');
  await writeDigitsDataset({ out: again, train: 4, test: 2, size: 64, seed: 3, format: 'coco' });
  for (const f of ['annotations/instances_train2017.json', 'annotations/instances_val2017.json', 'val2017/val_000001.jpg']) {
    expect(fs.readFileSync(path.join(again, f))).toEqual(fs.readFileSync(path.join(dir, f)));
  }
});

test('masks do not change the drawn image: the VOC and COCO variants share pixels and boxes', () => {
  const m = loadMnist('test');
  for (let i = 0; i < 4; i++) {
    const a = composeImage(m, 64, streamFor(9, 12, i));
    const b = composeImage(m, 64, streamFor(9, 12, i), { masks: true });
    expect(Buffer.from(b.rgb).equals(Buffer.from(a.rgb))).toBe(true);
    expect(b.objects.map((o) => o.box)).toEqual(a.objects.map((o) => o.box));
  }
});

test('slimprune dataset digits --format coco; a bad format is a usage error', async () => {
  const dir = tmpDir('digits-coco-cli');
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) };
  expect(await main(['dataset', 'digits', '--format', 'coco', '--out', dir, '--train', '1', '--test', '1', '--size', '64'], { io })).toBe(0);
  expect(out.join('')).toMatch(/^digits: 1 train \+ 1 val images \(64x64, \d+ digits with masks, COCO\) in /);
  expect(fs.existsSync(path.join(dir, 'annotations/instances_val2017.json'))).toBe(true);
  expect(await main(['dataset', 'digits', '--format', 'yolo', '--out', dir], { io })).toBe(2);
  expect(err.join('')).toMatch(/--format: expected one of voc, coco, got "yolo"/);
});
