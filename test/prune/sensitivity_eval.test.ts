// The eval set of a sensitivity run: the first K batches scored as the whole set of those
// images would be (COCO ground truth cut to them), and the same score whether the batches are
// kept in memory or read again on every pass.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCliConfig } from '../../src/cli/options';
import { loadTrainedModel } from '../../src/cli/trained_model';
import { parseVocXml, writeDigitsDataset } from '../../src/data';
import { createEvalSet } from '../../src/prune/sensitivity_eval';
import { createMeasurer } from '../../src/prune/sensitivity_measure';
import { evalInputSize } from '../../src/train/evaluate';
import { BASELINE, DIGITS_CFG } from './sensitivity_fixture';

let tmp = '';
let data = '';

/** A COCO annotation file of the first `n` lines of test.txt, and a config reading it with metric COCO. */
function cocoConfig(name: string, n: number): string {
  const names = fs.readFileSync(path.join(data, 'label_list.txt'), 'utf8').trim().split('\n');
  const lines = fs.readFileSync(path.join(data, 'test.txt'), 'utf8').trim().split('\n').slice(0, n);
  const images: Array<Record<string, unknown>> = [];
  const annotations: Array<Record<string, unknown>> = [];
  lines.forEach((l, i) => {
    const [img, xml] = l.split(' ');
    const a = parseVocXml(path.join(data, xml), new Map(names.map((nm, k) => [nm, k])));
    images.push({ id: i + 1, file_name: img, width: a.w, height: a.h });
    a.boxes.forEach(([x1, y1, x2, y2], k) =>
      annotations.push({ id: annotations.length + 1, image_id: i + 1, category_id: a.classes[k] + 1, bbox: [x1, y1, x2 - x1 + 1, y2 - y1 + 1], area: (x2 - x1 + 1) * (y2 - y1 + 1), iscrowd: 0 }),
    );
  });
  fs.writeFileSync(path.join(data, `${name}.json`), JSON.stringify({ images, annotations, categories: names.map((nm, k) => ({ id: k + 1, name: nm })) }));
  const reader = fs.readFileSync(path.join(path.dirname(DIGITS_CFG), 'digits_reader.yml'), 'utf8').replace(
    /EvalReader:([\s\S]*?)dataset:\s*\n\s*!VOCDataSet[\s\S]*?with_background: false\n/,
    `EvalReader:$1dataset:\n    !COCODataSet\n    dataset_dir: ${data}\n    anno_path: ${name}.json\n    image_dir: './'\n    with_background: false\n`,
  );
  expect(reader).toContain(`anno_path: ${name}.json`);
  fs.writeFileSync(path.join(tmp, `${name}_reader.yml`), reader);
  const cfg = path.join(tmp, `${name}.yml`);
  fs.writeFileSync(cfg, fs.readFileSync(DIGITS_CFG, 'utf8').replace(/^metric: VOC$/m, 'metric: COCO').replace(/^_READER_: .*$/m, `_READER_: '${path.join(tmp, `${name}_reader.yml`)}'`));
  return cfg;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-senseval-'));
  data = path.join(tmp, 'digits');
  await writeDigitsDataset({ out: data, train: 0, test: 16, size: 128, seed: 7 });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('COCO: the first batch of 16 images scores as a set of those 8 images alone', async () => {
  const o = [`weights=${BASELINE}`, 'EvalReader.worker_num=0'];
  const part = await createMeasurer({ config: cocoConfig('all16', 16), overrides: o, maxEvalBatches: 1 });
  const alone = await createMeasurer({ config: cocoConfig('first8', 8), overrides: o });
  try {
    expect(part.metric).toBe('bbox AP');
    const a = await part.base();
    expect(a).toBeGreaterThan(0);
    expect(a).toBe(await alone.base());
    expect(await part.evaluate('yolo_block.0.2.conv.weights', 0.5)).toBe(await alone.evaluate('yolo_block.0.2.conv.weights', 0.5));
  } finally {
    await part.close();
    await alone.close();
  }
});

test('VOC: batches read again on every pass score as batches kept in memory', async () => {
  const cfg = loadCliConfig({ config: DIGITS_CFG, overrides: [`weights=${BASELINE}`, `EvalReader.dataset.dataset_dir=${data}`, 'EvalReader.worker_num=0'] });
  const { model } = await loadTrainedModel(cfg, { mode: 'eval', weights: cfg.weights, prune: null, inputSize: evalInputSize(cfg) });
  try {
    const kept = createEvalSet(cfg, { numClasses: model.head.numClasses, maxBatches: 2 });
    const streamed = createEvalSet(cfg, { numClasses: model.head.numClasses, maxBatches: 2, cacheBytes: 1 });
    const k1 = await kept.score(model);
    expect(kept.images()).toBe(16);
    expect(await kept.score(model)).toBe(k1);
    expect(await streamed.score(model)).toBe(k1);
    expect(await streamed.score(model)).toBe(k1);
    expect(streamed.images()).toBe(16);
    const first = createEvalSet(cfg, { numClasses: model.head.numClasses, maxBatches: 1 });
    await first.score(model);
    expect(first.images()).toBe(8);
  } finally {
    model.dispose();
  }
});
