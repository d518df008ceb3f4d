/** VOC, COCO and ImageFolder listing, on small datasets written to a temp folder. */
import * as fs from 'fs';
import * as path from 'path';
import { VOCDataSet, COCODataSet, ImageFolder, VOC_LABELS } from '../../src/data/datasets';
import { tmpDir, vocXml, writeImage, writeVoc } from './helpers';

describe('VOCDataSet', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tmpDir('voc');
    await writeVoc(
      dir,
      [
        { stem: 'a', w: 40, h: 30, objects: [{ name: 'cat', box: [2, 3, 20, 25], difficult: 1 }, { name: 'dog', box: [-5, 4, 60, 40] }] },
        { stem: 'b', w: 40, h: 30, objects: [{ name: 'dog', box: [30, 10, 30, 20] }, { name: 'cat', box: [1, 1, 9, 9] }], xml: undefined },
        { stem: 'c', w: 40, h: 30, objects: [], xml: vocXml(40, 30, [{ name: 'dog', box: [5, 5, 15, 15] }], '<id>77</id>') },
      ],
      ['cat', 'dog'],
    );
  });

  test('reads boxes, classes, difficult; clips to the image; drops empty boxes with a warning', () => {
    const warnings: string[] = [];
    const ds = new VOCDataSet({ dataset_dir: dir, anno_path: 'trainval.txt', with_background: false });
    const { records, labels } = ds.load({ warn: (l) => warnings.push(l) });
    expect(labels).toEqual(['cat', 'dog']);
    expect(records).toHaveLength(3);
    const [a, b, c] = records;
    expect(a.imFile).toBe(path.join(dir, 'JPEGImages', 'a.jpg'));
    expect(a.gtBbox).toEqual([
      [2, 3, 20, 25],
      [0, 4, 39, 29],
    ]);
    expect(a.gtClass).toEqual([0, 1]);
    expect(a.difficult).toEqual([1, 0]);
    expect([a.w, a.h, a.imId]).toEqual([40, 30, 0]);
    // b's first box has x2 == x1: dropped, reported with the file
    expect(b.gtBbox).toEqual([[1, 1, 9, 9]]);
    expect(warnings.some((w) => w.includes('b.xml') && w.includes('dropping object 1'))).toBe(true);
    expect(c.imId).toBe(77);
  });

  test('with_background shifts ids by one; use_default_label gives the 20 VOC names', () => {
    const bg = new VOCDataSet({ dataset_dir: dir, anno_path: 'trainval.txt', with_background: true }).load({ warn: () => undefined });
    expect(bg.labels).toEqual(['background', 'cat', 'dog']);
    expect(bg.records[0].gtClass).toEqual([1, 2]);
    const def = new VOCDataSet({ dataset_dir: dir, anno_path: 'trainval.txt', use_default_label: true, with_background: false });
    const r = def.load({ warn: () => undefined });
    expect(r.labels).toEqual(VOC_LABELS);
    expect(r.records[0].gtClass).toEqual([VOC_LABELS.indexOf('cat'), VOC_LABELS.indexOf('dog')]);
  });

  test('sample_num limits the count; datasetDirOverride replaces dataset_dir', () => {
    const ds = new VOCDataSet({ dataset_dir: '/nowhere', anno_path: 'trainval.txt', sample_num: 2, with_background: false }, { datasetDirOverride: dir });
    expect(ds.load({ warn: () => undefined }).records).toHaveLength(2);
  });

  test('a missing list or label file names the path', () => {
    expect(() => new VOCDataSet({ dataset_dir: dir, anno_path: 'nope.txt' }).load()).toThrow(/anno_path .*nope\.txt not found/);
    expect(() => new VOCDataSet({ dataset_dir: path.join(dir, 'missing'), anno_path: 'x.txt' }).load()).toThrow(/dataset_dir .*missing does not exist/);
    expect(() => new VOCDataSet({ dataset_dir: dir, anno_path: 'trainval.txt', label_list: 'labels2.txt' }).load()).toThrow(/label_list .*labels2\.txt not found/);
  });
});

describe('COCODataSet', () => {
  test('xywh -> xyxy with the +1 convention, contiguous ids, crowd left out, unannotated images skipped', async () => {
    const dir = tmpDir('coco');
    for (const f of ['1.jpg', '2.jpg', '3.jpg']) await writeImage(path.join(dir, 'imgs', f), 50, 40);
    const js = {
      images: [
        { id: 11, file_name: '1.jpg', width: 50, height: 40 },
        { id: 12, file_name: '2.jpg', width: 50, height: 40 },
        { id: 13, file_name: '3.jpg', width: 50, height: 40 },
      ],
      categories: [
        { id: 5, name: 'five' },
        { id: 9, name: 'nine' },
      ],
      annotations: [
        { image_id: 11, category_id: 9, bbox: [10, 5, 20, 10], iscrowd: 0 },
        { image_id: 11, category_id: 5, bbox: [45, 30, 20, 20], iscrowd: 0 },
        { image_id: 11, category_id: 5, bbox: [0, 0, 5, 5], iscrowd: 1 },
        { image_id: 13, category_id: 5, bbox: [0, 0, 5, 5], iscrowd: 1 },
      ],
    };
    fs.mkdirSync(path.join(dir, 'ann'));
    fs.writeFileSync(path.join(dir, 'ann', 'inst.json'), JSON.stringify(js));
    const { records, labels } = new COCODataSet({ dataset_dir: dir, image_dir: 'imgs', anno_path: 'ann/inst.json', with_background: false }).load();
    expect(labels).toEqual(['five', 'nine']);
    expect(records.map((r) => r.imId)).toEqual([11]);
    expect(records[0].gtBbox).toEqual([
      [10, 5, 29, 14],
      [45, 30, 49, 39],
    ]);
    expect(records[0].gtClass).toEqual([1, 0]);
    expect(records[0].isCrowd).toEqual([0, 0]);
    const bg = new COCODataSet({ dataset_dir: dir, image_dir: 'imgs', anno_path: 'ann/inst.json', with_background: true }).load();
    expect(bg.records[0].gtClass).toEqual([2, 1]);
    fs.writeFileSync(path.join(dir, 'ann', 'bad.json'), '{"images": [');
    expect(() => new COCODataSet({ dataset_dir: dir, anno_path: 'ann/bad.json' }).load()).toThrow(/cannot parse .*bad\.json as JSON/);
  });
});

describe('ImageFolder', () => {
  test('a folder (recursive, sorted), one image, or a list; class names from anno_path', async () => {
    const dir = tmpDir('folder');
    await writeImage(path.join(dir, 'b.jpg'), 8, 8);
    await writeImage(path.join(dir, 'a.png'), 8, 8);
    await writeImage(path.join(dir, 'sub', 'c.jpg'), 8, 8);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
    fs.writeFileSync(path.join(dir, 'labels.txt'), 'x\ny\n');
    const all = new ImageFolder({ dataset_dir: dir, image_dir: '.', anno_path: 'labels.txt', with_background: false }).load();
    expect(all.records.map((r) => path.relative(dir, r.imFile))).toEqual(['a.png', 'b.jpg', path.join('sub', 'c.jpg')]);
    expect(all.records.map((r) => r.imId)).toEqual([0, 1, 2]);
    expect(all.labels).toEqual(['x', 'y']);
    const one = new ImageFolder({ dataset_dir: dir, image_dir: 'b.jpg' }).load();
    expect(one.records).toHaveLength(1);
    fs.writeFileSync(path.join(dir, 'list.txt'), 'b.jpg\nsub/c.jpg\n');
    const listed = new ImageFolder({ dataset_dir: dir, image_dir: 'list.txt' }).load();
    expect(listed.records.map((r) => path.basename(r.imFile))).toEqual(['b.jpg', 'c.jpg']);
    expect(() => new ImageFolder({ dataset_dir: dir, image_dir: 'none' }).load()).toThrow(/image_dir .*none not found/);
  });
});
