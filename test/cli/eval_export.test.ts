/**
 * `slimprune export` on checkpoints of the digits YOLOv3: pruned (record replayed), flags that
 * agree or differ with the record, a pruned checkpoint without a record, and what it writes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli';
import { readConfig } from '../../src/config';
import { buildModel, initModel } from '../../src/nn';
import { apply, plan } from '../../src/prune';
import { saveCheckpoint } from '../../src/train/checkpoint';
import { graphParams } from '../../src/train/model_state';
import { locateOnnxRuntime } from '../../src/export/verify';
import { readNativeModel } from '../../src/export/native_format';
import { parse } from 'yaml';
import { randomiseNorms } from '../export/helpers';

const CFG = 'configs/yolov3_mobilenet_v1_digits.yml';
const PRUNED = ['yolo_block.0.0.0.conv.weights', 'yolo_block.1.1.1.conv.weights'];
let tmp: string;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(args, { io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) } });
  return { code, out, err };
}

/** A checkpoint of the config's model (seeded), pruned by PRUNED at 0.5 when asked; record kept or dropped. */
function checkpoint(name: string, o: { prune: boolean; keepRecord: boolean }): string {
  const m = buildModel(readConfig(CFG) as never, { mode: 'test', inputShape: [1, 3, 64, 64] });
  initModel(m, { seed: 3 });
  randomiseNorms(m.graph, 4);
  const prune = o.prune ? [apply(m.graph, plan(m.graph, { params: PRUNED, ratios: [0.5, 0.5] }))] : [];
  const dir = path.join(tmp, name);
  saveCheckpoint(dir, { iteration: 1, params: graphParams(m.graph), prune: o.keepRecord ? prune : [] });
  m.dispose();
  return dir;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-export-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('slimprune export', () => {
  test('a pruned checkpoint: pruned shapes from its record, every file written, ONNX checked', async () => {
    const w = checkpoint('pruned', { prune: true, keepRecord: true });
    const outDir = path.join(tmp, 'out');
    const r = await cli(['export', '-c', CFG, '-o', `weights=${w}`, '--output_dir', outDir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const dir = path.join(outDir, 'yolov3_mobilenet_v1_digits');
    for (const f of ['model.onnx', 'model.json', 'weights.bin', 'infer_cfg.yml']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    if (typeof locateOnnxRuntime() === 'string') expect(r.out).toMatch(/onnx check skipped: /);
    else {
      const m = /max relative (\S+)/.exec(r.out);
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBeLessThan(1e-4);
    }
    const { graph, json } = readNativeModel(dir);
    try {
      const full = buildModel(readConfig(CFG) as never, { mode: 'test' });
      expect(graph.param(PRUNED[0]).shape[0]).toBe(full.graph.param(PRUNED[0]).shape[0] / 2);
      expect(json.prune[0].groups.map((g) => g.master)).toEqual(PRUNED);
      expect(json.input.shape).toEqual([null, 3, 128, 128]);
      expect(json.labels).toHaveLength(10);
    } finally {
      graph.dispose();
    }
    const cfgYml = parse(fs.readFileSync(path.join(dir, 'infer_cfg.yml'), 'utf8'));
    expect(Object.keys(cfgYml)).toEqual(['use_python_inference', 'mode', 'draw_threshold', 'metric', 'arch', 'min_subgraph_size', 'with_background', 'Preprocess', 'label_list']);
    expect(cfgYml).toMatchObject({ use_python_inference: false, mode: 'fluid', draw_threshold: 0.5, metric: 'VOC', arch: 'YOLO', min_subgraph_size: 3, with_background: false });
    expect(cfgYml.Preprocess.map((p: { type: string }) => p.type)).toEqual(['Resize', 'Normalize', 'Permute']);
    expect(cfgYml.Preprocess[0]).toMatchObject({ target_size: 128, max_size: 0, interp: 2, image_shape: [128, 128] });
  });

  test('flags that agree with the record are accepted; flags that differ name the differences', async () => {
    const w = checkpoint('pruned2', { prune: true, keepRecord: true });
    const outDir = path.join(tmp, 'out2');
    const ok = await cli(['export', '-c', CFG, '-o', `weights=${w}`, '--output_dir', outDir, '--format', 'native', '-p', PRUNED.join(','), '--pruned_ratios', '0.5,0.5']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const bad = await cli(['export', '-c', CFG, '-o', `weights=${w}`, '--output_dir', outDir, '-p', `${PRUNED[0]},yolo_block.2.0.0.conv.weights`, '--pruned_ratios', '0.3,0.5']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`${PRUNED[0]} (flags 0.3, checkpoint 0.5)`);
    expect(bad.err).toContain('yolo_block.2.0.0.conv.weights (flags 0.5, not pruned in the checkpoint)');
    expect(bad.err).toContain(`${PRUNED[1]} (checkpoint 0.5, not in the flags)`);
  });

  test('a pruned checkpoint without a record: refused naming the first pruned parameter, accepted with its flags', async () => {
    const w = checkpoint('norecord', { prune: true, keepRecord: false });
    const outDir = path.join(tmp, 'out3');
    const bad = await cli(['export', '-c', CFG, '-o', `weights=${w}`, '--output_dir', outDir]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(new RegExp(`parameter ${PRUNED[0].replace(/\./g, '\\.')} is \\[\\d+, .*looks pruned`));
    const ok = await cli(['export', '-c', CFG, '-o', `weights=${w}`, '--output_dir', outDir, '--format', 'onnx', '--with_postprocess', '-p', PRUNED.join(','), '--pruned_ratios', '0.5,0.5']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(fs.existsSync(path.join(outDir, 'yolov3_mobilenet_v1_digits', 'model.onnx'))).toBe(true);
    expect(fs.existsSync(path.join(outDir, 'yolov3_mobilenet_v1_digits', 'model.json'))).toBe(false);
    const { onnx } = await import('onnx-proto');
    const model = onnx.ModelProto.decode(fs.readFileSync(path.join(outDir, 'yolov3_mobilenet_v1_digits', 'model.onnx')));
    expect(model.graph!.input!.map((i) => i.name)).toEqual(['image', 'im_size']);
    expect(model.graph!.output!.map((i) => i.name)).toEqual(['yolo_output.0', 'yolo_output.1', 'yolo_output.2', 'boxes', 'scores', 'selected_indices']);
    if (typeof locateOnnxRuntime() !== 'string') expect(ok.out).toMatch(/onnx check \(onnxruntime-node\)/);
  });

  test('a bad --format is a usage error', async () => {
    const r = await cli(['export', '-c', CFG, '--format', 'tflite']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--format: expected one of onnx, native, both, got 'tflite'/);
  });
});

describe('slimprune eval', () => {
  let data: string;
  beforeAll(async () => {
    const { writeDigitsDataset } = await import('../../src/data');
    data = path.join(tmp, 'digits');
    await writeDigitsDataset({ out: data, train: 1, test: 4, seed: 5 });
  });

  test('VOC: per-class table and mAP of the pruned checkpoint, the same as evaluating the loaded model directly', async () => {
    const w = checkpoint('eval_pruned', { prune: true, keepRecord: true });
    const outEval = path.join(tmp, 'eval_out');
    const r = await cli(['eval', '-c', CFG, '-o', `weights=${w}`, `EvalReader.dataset.dataset_dir=${data}`, 'EvalReader.worker_num=1', '--output_eval', outEval]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').filter((l) => /^ {2}\d\s/.test(l));
    expect(rows).toHaveLength(10);
    const m = /mAP\(0\.50, 11point\) = ([\d.]+)% over 4 images/.exec(r.out);
    expect(m).not.toBeNull();
    const saved = JSON.parse(fs.readFileSync(path.join(outEval, 'voc_map.json'), 'utf8'));
    expect(saved.perClass).toHaveLength(10);
    expect((saved.map * 100).toFixed(2)).toBe(m![1]);
    // the same model evaluated without the CLI
    const { loadTrainedModel } = await import('../../src/cli/trained_model');
    const { evaluateVoc, evalInputSize } = await import('../../src/train/evaluate');
    const { resolveConfig, loadConfig } = await import('../../src/config');
    const cfg = resolveConfig(loadConfig(CFG, { overrides: [`EvalReader.dataset.dataset_dir=${data}`, 'EvalReader.worker_num=1'] }));
    const { model } = await loadTrainedModel(cfg, { mode: 'eval', weights: w, prune: null, inputSize: evalInputSize(cfg) });
    try {
      const direct = await evaluateVoc(model, cfg);
      expect(direct.map).toBeCloseTo(saved.map, 12);
    } finally {
      model.dispose();
    }
  });

  test('COCO: detections written as COCO results, re-scored by --json_eval; exact boxes score AP 1', async () => {
    // a COCO copy of the digits test annotations, and a config reading it
    const { parseVocXml } = await import('../../src/data');
    const names = fs.readFileSync(path.join(data, 'label_list.txt'), 'utf8').trim().split('\n');
    const lines = fs.readFileSync(path.join(data, 'test.txt'), 'utf8').trim().split('\n');
    const images: Array<{ id: number; file_name: string; width: number; height: number }> = [];
    const annotations: Array<Record<string, unknown>> = [];
    lines.forEach((l, i) => {
      const [img, xml] = l.split(' ');
      const a = parseVocXml(path.join(data, xml), new Map(names.map((n, k) => [n, k])));
      images.push({ id: i + 1, file_name: img, width: a.w, height: a.h });
      a.boxes.forEach(([x1, y1, x2, y2], k) => annotations.push({
        id: annotations.length + 1, image_id: i + 1, category_id: a.classes[k] + 1, bbox: [x1, y1, x2 - x1 + 1, y2 - y1 + 1], area: (x2 - x1 + 1) * (y2 - y1 + 1), iscrowd: 0,
      }));
    });
    const gt = { images, annotations, categories: names.map((n, k) => ({ id: k + 1, name: n })) };
    fs.writeFileSync(path.join(data, 'instances_test.json'), JSON.stringify(gt));
    const reader = fs.readFileSync('configs/digits_reader.yml', 'utf8').replace(
      /EvalReader:([\s\S]*?)dataset:\s*\n\s*!VOCDataSet[\s\S]*?with_background: false\n/,
      `EvalReader:$1dataset:\n    !COCODataSet\n    dataset_dir: ${data}\n    anno_path: instances_test.json\n    image_dir: './'\n    with_background: false\n`,
    );
    expect(reader).toContain('!COCODataSet');
    fs.writeFileSync(path.join(tmp, 'coco_reader.yml'), reader);
    const cfgFile = path.join(tmp, 'digits_coco.yml');
    fs.writeFileSync(cfgFile, fs.readFileSync(CFG, 'utf8').replace(/^metric: VOC$/m, 'metric: COCO').replace(/^_READER_: .*$/m, `_READER_: '${path.join(tmp, 'coco_reader.yml')}'`));
    const w = checkpoint('eval_coco', { prune: false, keepRecord: false });
    const outEval = path.join(tmp, 'coco_out');
    const r = await cli(['eval', '-c', cfgFile, '-o', `weights=${w}`, 'EvalReader.worker_num=1', '--output_eval', outEval]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').filter((l) => / Average (Precision|Recall)/.test(l))).toHaveLength(12);
    const results = JSON.parse(fs.readFileSync(path.join(outEval, 'bbox.json'), 'utf8')) as Array<{ image_id: number; category_id: number; bbox: number[]; score: number }>;
    expect(results.length).toBeGreaterThan(0);
    for (const d of results) {
      expect(images.map((i) => i.id)).toContain(d.image_id);
      expect(d.category_id).toBeGreaterThanOrEqual(1);
      expect(d.category_id).toBeLessThanOrEqual(10);
      expect(d.bbox).toHaveLength(4);
    }
    // --json_eval re-scores what is in bbox.json: the ground truth itself scores 1
    fs.writeFileSync(path.join(outEval, 'bbox.json'), JSON.stringify(annotations.map((a) => ({ image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 0.9 }))));
    const j = await cli(['eval', '-c', cfgFile, '--json_eval', '--output_eval', outEval]);
    expect(j.err).toBe('');
    expect(j.out).toMatch(/Average Precision {2}\(AP @\[IoU=0.50:0.95 \| area=all \| maxDets=100\]\) = 1.000/);
  });
});
