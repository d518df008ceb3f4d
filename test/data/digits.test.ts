/**
 * The digits dataset: boxes tight on the pasted ink, files exactly as the VOC reader expects,
 * the same seed giving the same files, and the CLI command.
 */
import * as fs from 'fs';
import * as path from 'path';
import { composeImage, INK } from '../../src/data/digits/compose';
import { loadMnist } from '../../src/data/digits/mnist';
import { writeDigitsDataset } from '../../src/data/digits/generate';
import { VOCDataSet } from '../../src/data/datasets';
import { decodeImage } from '../../src/data/image';
import { streamFor } from '../../src/data/rng';
import { main } from '../../src/cli';
import { tmpDir } from './helpers';

test('each box is the tight bounding box of its digit ink; no ink outside the boxes', () => {
  const m = loadMnist('test');
  let objects = 0;
  for (let i = 0; i < 12; i++) {
    const S = 96;
    const c = composeImage(m, S, streamFor(5, 12, i), { alpha: true });
    const a = c.alpha!;
    expect(c.objects.length).toBeGreaterThanOrEqual(1);
    expect(c.objects.length).toBeLessThanOrEqual(4);
    objects += c.objects.length;
    const inAnyBox = (x: number, y: number) => c.objects.some((o) => x >= o.box[0] && x <= o.box[2] && y >= o.box[1] && y <= o.box[3]);
    let stray = 0;
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) if (a[y * S + x] > INK && !inAnyBox(x, y)) stray++;
    expect(stray).toBe(0);
    for (const { box, label } of c.objects) {
      expect(label >= 0 && label <= 9).toBe(true);
      const [x1, y1, x2, y2] = box;
      expect(0 <= x1 && x1 < x2 && x2 < S && 0 <= y1 && y1 < y2 && y2 < S).toBe(true);
      const rowHasInk = (y: number) => Array.from({ length: x2 - x1 + 1 }, (_, k) => a[y * S + x1 + k]).some((v) => v > INK);
      const colHasInk = (x: number) => Array.from({ length: y2 - y1 + 1 }, (_, k) => a[(y1 + k) * S + x]).some((v) => v > INK);
      expect([rowHasInk(y1), rowHasInk(y2), colHasInk(x1), colHasInk(x2)]).toEqual([true, true, true, true]);
    }
  }
  expect(objects).toBeGreaterThan(12);
});

test('writes a VOC dataset the reader loads back; the same seed writes the same files', async () => {
  const dir = tmpDir('digits');
  const r = await writeDigitsDataset({ out: dir, train: 6, test: 3, size: 64, seed: 3 });
  expect([r.train, r.test, r.size]).toEqual([6, 3, 64]);
  expect(fs.readFileSync(path.join(dir, 'label_list.txt'), 'utf8')).toBe('0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
  expect(fs.readFileSync(path.join(dir, 'trainval.txt'), 'utf8').split('\n')[0]).toBe('JPEGImages/train_000001.jpg Annotations/train_000001.xml');
  const warn = jest.fn();
  const train = new VOCDataSet({ dataset_dir: dir, anno_path: 'trainval.txt', with_background: false }).load({ warn });
  const test = new VOCDataSet({ dataset_dir: dir, anno_path: 'test.txt', with_background: false }).load({ warn });
  expect(warn).not.toHaveBeenCalled();
  expect(train.records).toHaveLength(6);
  expect(test.records).toHaveLength(3);
  expect(train.labels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  let boxes = 0;
  for (const rec of [...train.records, ...test.records]) {
    expect([rec.w, rec.h]).toEqual([64, 64]);
    for (const [x1, y1, x2, y2] of rec.gtBbox) {
      expect(0 <= x1 && x1 < x2 && x2 <= 63 && 0 <= y1 && y1 < y2 && y2 <= 63).toBe(true);
      boxes++;
    }
    const img = await decodeImage(rec.imFile);
    expect([img.h, img.w, img.c]).toEqual([64, 64, 3]);
  }
  expect(boxes).toBe(r.objects);
  // the JPEG holds the drawn image (quality 92: small error)
  const drawn = composeImage(loadMnist('train'), 64, streamFor(3, 11, 0));
  const img = await decodeImage(train.records[0].imFile);
  let err = 0;
  for (let i = 0; i < drawn.rgb.length; i++) err += Math.abs(drawn.rgb[i] - img.data[i]);
  expect(err / drawn.rgb.length).toBeLessThan(6);
  expect(train.records[0].gtBbox).toEqual(drawn.objects.map((o) => o.box));
  expect(train.records[0].gtClass).toEqual(drawn.objects.map((o) => o.label));

  const again = tmpDir('digits2');
  await writeDigitsDataset({ out: again, train: 6, test: 3, size: 64, seed: 3 });
  for (const f of ['trainval.txt', 'Annotations/train_000004.xml', 'JPEGImages/test_000002.jpg']) {
    expect(fs.readFileSync(path.join(again, f))).toEqual(fs.readFileSync(path.join(dir, f)));
  }
});

test('slimprune dataset digits: writes the files and reports; bad flags are usage errors', async () => {
  const dir = tmpDir('digits-cli');
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) };
  const code = await main(['dataset', 'digits', '--out', dir, '--train', '2', '--test', '1', '--size', '64', '--seed', '1'], { io });
  expect(err.join('')).toBe('');
  expect(code).toBe(0);
  expect(out.join('')).toMatch(/^digits: 2 train \+ 1 test images \(64x64, \d+ digits\) in .* in [\d.]+ s \(\d+ images\/min\)\n$/);
  expect(fs.readFileSync(path.join(dir, 'test.txt'), 'utf8').trim().split('\n')).toHaveLength(1);
  expect(await main(['dataset', 'digits', '--out', dir, '--size', '10'], { io })).toBe(2);
  expect(err.join('')).toMatch(/--size: expected an integer in 64\.\.2048, got "10"/);
  expect(await main(['dataset', 'letters', '--out', dir], { io })).toBe(2);
  expect(err.join('')).toMatch(/expected one of digits, got "letters"/);
});
