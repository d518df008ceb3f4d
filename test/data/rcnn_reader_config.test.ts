/**
 * The real mask_rcnn_r50_1x.yml reader (mask_reader.yml, unchanged but for dataset_dir) on the
 * digits COCO data: one training batch at 800 px with im_info, crowd flags and polygons that
 * follow the random flip, and the eval reader's im_info / im_shape.
 */
import * as path from 'path';
import { readConfig } from '../../src/config';
import { createReader, type ReaderSpec } from '../../src/data/reader';
import { writeDigitsDataset } from '../../src/data/digits/generate';
import { COCODataSet } from '../../src/data/datasets';
import { tmpDir } from './helpers';

const CFG = path.resolve(__dirname, '../../../shared/paddledet-configs/mask_rcnn_r50_1x.yml');

test('TrainReader and EvalReader of mask_rcnn_r50_1x.yml read the digits COCO data', async () => {
  const dir = tmpDir('rcnn-reader');
  await writeDigitsDataset({ out: dir, train: 4, test: 1, size: 64, seed: 2, format: 'coco' });
  const cfg = readConfig(CFG, [`TrainReader.dataset.dataset_dir=${dir}`, `EvalReader.dataset.dataset_dir=${dir}`]);
  const records = new COCODataSet({ dataset_dir: dir, image_dir: 'train2017', anno_path: 'annotations/instances_train2017.json' }).load({ warn: () => undefined }).records;
  const reader = createReader(cfg.TrainReader as unknown as ReaderSpec, { mode: 'train', seed: 5, workerNum: 0 });
  let flipped = 0;
  let k = 0;
  for await (const b of reader.batches()) {
    // 64 x 64 -> 800 x 800 (scale 12.5, 800 <= 1333); pad_to_stride -1 with one image: as is
    expect(b.shape).toEqual([1, 3, 800, 800]);
    expect(Array.from(b.imInfo!)).toEqual([800, 800, 12.5]);
    const rec = records.find((r) => r.imId === b.imId[0])!;
    const n = rec.gtBbox.length;
    expect(b.numMaxBoxes).toBe(n);
    expect(Array.from(b.isCrowd!)).toEqual(new Array(n).fill(0));
    // boxes stay in the decoded image's pixels; flipped or not, polygons go with them
    const boxes = Array.from({ length: n }, (_, i) => Array.from(b.gtBox!.subarray(i * 4, i * 4 + 4)));
    const isFlip = boxes[0][0] !== rec.gtBbox[0][0] || boxes[0][2] !== rec.gtBbox[0][2];
    if (isFlip) {
      flipped++;
      expect(boxes).toEqual(rec.gtBbox.map(([x1, y1, x2, y2]) => [64 - x2 - 1, y1, 64 - x1 - 1, y2]));
      expect(b.gtPoly![0]).toEqual(rec.gtPoly!.map((ps) => ps.map((p) => p.map((v, j) => (j % 2 === 0 ? 64 - v - 1 : v)))));
    } else {
      expect(boxes).toEqual(rec.gtBbox);
      expect(b.gtPoly![0]).toEqual(rec.gtPoly);
    }
    if (++k === 4) break;
  }
  await reader.close();
  // prob 0.5 over 4 images with this seed flips some and not others
  expect(flipped).toBeGreaterThan(0);
  expect(flipped).toBeLessThan(4);

  const ev = createReader(cfg.EvalReader as unknown as ReaderSpec, { mode: 'eval', seed: 0, workerNum: 0 });
  for await (const b of ev.batches()) {
    expect(Array.from(b.imInfo!)).toEqual([800, 800, 12.5]);
    expect(Array.from(b.imShape!)).toEqual([64, 64, 1]);
  }
  await ev.close();
});
