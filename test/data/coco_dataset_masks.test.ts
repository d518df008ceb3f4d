/**
 * COCODataSet with segmentations: polygons kept per box, RLEs (compressed and not) traced into
 * polygons covering exactly their pixels, crowd annotations left out as PaddleDetection leaves
 * them, boxes and polygons aligned when a box is dropped, and errors naming file and id.
 */
import * as fs from 'fs';
import * as path from 'path';
import { COCODataSet } from '../../src/data/datasets';
import { encodeMask, toCocoRle, decodeRle, segmentationToRle } from '../../src/data/mask';
import { tmpDir, writeImage } from './helpers';

const W = 12, H = 8;
function ring(): Uint8Array {
  const m = new Uint8Array(H * W);
  for (let y = 1; y <= 5; y++) for (let x = 2; x <= 6; x++) if (y === 1 || y === 5 || x === 2 || x === 6) m[y * W + x] = 1;
  return m;
}

async function dataset(annotations: unknown[]): Promise<{ dir: string; file: string }> {
  const dir = tmpDir('coco-masks');
  await writeImage(path.join(dir, 'images', 'a.jpg'), W, H);
  const file = path.join(dir, 'ann.json');
  fs.writeFileSync(file, JSON.stringify({ images: [{ id: 1, file_name: 'a.jpg', width: W, height: H }], categories: [{ id: 5, name: 'x' }, { id: 9, name: 'y' }], annotations }));
  return { dir, file };
}
const load = (dir: string) => new COCODataSet({ dataset_dir: dir, image_dir: 'images', anno_path: 'ann.json', with_background: false }).load({ warn: () => undefined });

test('polygons, compressed and uncompressed RLE, crowd left out', async () => {
  const m = ring();
  const rle = encodeMask(m, H, W);
  const { dir } = await dataset([
    { id: 1, image_id: 1, category_id: 5, bbox: [0, 0, 3, 3], iscrowd: 0, segmentation: [[0, 0, 3, 0, 3, 3, 0, 3]] },
    { id: 2, image_id: 1, category_id: 9, bbox: [2, 1, 5, 5], iscrowd: 0, segmentation: toCocoRle(rle) },
    { id: 3, image_id: 1, category_id: 9, bbox: [2, 1, 5, 5], iscrowd: 0, segmentation: { size: [H, W], counts: rle.counts } },
    { id: 4, image_id: 1, category_id: 5, bbox: [0, 0, 12, 8], iscrowd: 1, segmentation: { size: [H, W], counts: [0, 96] } },
  ]);
  const rec = load(dir).records[0];
  expect(rec.gtClass).toEqual([0, 1, 1]);
  expect(rec.isCrowd).toEqual([0, 0, 0]);
  expect(rec.gtPoly![0]).toEqual([[0, 0, 3, 0, 3, 3, 0, 3]]);
  // the RLEs come back as polygons of exactly the ring's pixels, hole included
  for (const k of [1, 2]) expect(Array.from(decodeRle(segmentationToRle(rec.gtPoly![k], H, W)))).toEqual(Array.from(m));
});

test('a box dropped as empty takes its polygon with it; a box without segmentation gets none', async () => {
  const { dir } = await dataset([
    { id: 1, image_id: 1, category_id: 5, bbox: [20, 20, 3, 3], iscrowd: 0, segmentation: [[20, 20, 23, 20, 23, 23]] },
    { id: 2, image_id: 1, category_id: 9, bbox: [1, 1, 2, 2], iscrowd: 0, segmentation: [[1, 1, 3, 1, 3, 3]] },
    { id: 3, image_id: 1, category_id: 9, bbox: [4, 4, 2, 2], iscrowd: 0 },
  ]);
  const rec = load(dir).records[0];
  expect(rec.gtBbox).toEqual([[1, 1, 2, 2], [4, 4, 5, 5]]);
  expect(rec.gtPoly).toEqual([[[1, 1, 3, 1, 3, 3]], []]);
});

test('a file without segmentations gives records without gtPoly', async () => {
  const { dir } = await dataset([{ id: 1, image_id: 1, category_id: 5, bbox: [1, 1, 2, 2], iscrowd: 0 }]);
  expect(load(dir).records[0].gtPoly).toBeUndefined();
});

test('malformed segmentations: the file and the annotation id are named', async () => {
  const bad = async (segmentation: unknown, pattern: RegExp) => {
    const { dir } = await dataset([{ id: 77, image_id: 1, category_id: 5, bbox: [1, 1, 2, 2], iscrowd: 0, segmentation }]);
    expect(() => load(dir)).toThrow(pattern);
  };
  await bad([[1, 2, 3]], /ann\.json: annotation 77 \(image 1\): expected segmentation polygon 0 to be a list of finite x, y pairs/);
  await bad({ size: [H, W], counts: [5, 5] }, /ann\.json: annotation 77 \(image 1\): expected RLE counts summing to h \* w = 96, got 10/);
  await bad({ size: [4, 4], counts: [16] }, /annotation 77 \(image 1\): expected an RLE of the image's size \[8, 12\], got size \[4, 4\]/);
  await bad({ size: [H, W], counts: 'x~' }, /annotation 77.*compressed RLE characters/);
  await bad('polygon', /annotation 77 \(image 1\): expected a segmentation as a list of polygons or an RLE/);
});
