/**
 * Bad input to the R-CNN export and its runtime: one clear error each, naming the file or value,
 * what was expected and what was found.
 */
import * as fs from 'fs';
import * as path from 'path';
import { exportRcnnModel, loadRcnnExport, locateOnnxRuntime, readRcnnInferCfg, RCNN_STAGE_FILES } from '../../src/export';
import { buildRcnnModel } from '../../src/nn';
import { rcnnCfg, smallRcnn, tmpDir } from './rcnn_helpers';

const withOrt = typeof locateOnnxRuntime() === 'string' ? test.skip : test;
let tmp: string;
let good: string;

beforeAll(async () => {
  tmp = tmpDir('rcnn-bad');
  good = path.join(tmp, 'good');
  const m = smallRcnn('faster', 8);
  try {
    const r = await exportRcnnModel(m, { cfg: rcnnCfg('faster'), dir: good, verify: false });
    expect(r.verify).toBeNull();
  } finally {
    m.dispose();
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of the good export with infer_cfg.yml edited by `edit` (and files removed / replaced). */
function variant(name: string, edit: (yml: string) => string, files: Record<string, Buffer | null> = {}): string {
  const dir = path.join(tmp, name);
  fs.cpSync(good, dir, { recursive: true });
  const yml = path.join(dir, 'infer_cfg.yml');
  fs.writeFileSync(yml, edit(fs.readFileSync(yml, 'utf8')));
  for (const [f, data] of Object.entries(files)) {
    if (data === null) fs.rmSync(path.join(dir, f));
    else fs.writeFileSync(path.join(dir, f), data);
  }
  return dir;
}

describe('R-CNN export: bad input', () => {
  test('infer_cfg.yml missing, not YAML, of another architecture, with a bad field, or naming a missing or outside file', () => {
    const none = path.join(tmp, 'empty');
    fs.mkdirSync(none);
    expect(() => readRcnnInferCfg(none)).toThrow(`export ${none}: expected infer_cfg.yml (written by slimprune export), got no such file`);
    const yml = (d: string) => path.join(d, 'infer_cfg.yml');
    const notYaml = variant('not-yaml', () => 'RCNN: [1, 2\n');
    expect(() => readRcnnInferCfg(notYaml)).toThrow(new RegExp(`^${yml(notYaml).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: expected YAML, got a parse error`));
    const yolo = variant('yolo', (s) => s.replace('arch: RCNN', 'arch: YOLO'));
    expect(() => readRcnnInferCfg(yolo)).toThrow(`${yml(yolo)}: expected RCNN (an R-CNN export) for arch, got "YOLO"`);
    const anchors = variant('anchors', (s) => s.replace(/anchor_sizes:\n(\s+- \d+\n)+/, 'anchor_sizes: [-16]\n'));
    expect(() => readRcnnInferCfg(anchors)).toThrow(`${yml(anchors)}: RCNN.anchor_generator: expected a non-empty list of positive numbers for anchor_sizes, got [-16]`);
    const weights = variant('weights', (s) => s.replace(/bbox_reg_weights:\n(\s+- [\d.]+\n)+/, 'bbox_reg_weights: [0.1, 0.1]\n'));
    expect(() => readRcnnInferCfg(weights)).toThrow(`${yml(weights)}: expected 4 positive numbers for RCNN.bbox_reg_weights, got [0.1,0.1]`);
    const missing = variant('missing', (s) => s, { [RCNN_STAGE_FILES[1]]: null });
    expect(() => readRcnnInferCfg(missing)).toThrow(`export ${missing}: expected roi_heads.onnx (listed in infer_cfg.yml), got no such file`);
    const outside = variant('outside', (s) => s.replace('file: roi_heads.onnx', 'file: ../good/roi_heads.onnx'));
    expect(() => readRcnnInferCfg(outside)).toThrow(`${yml(outside)}: expected two stages, each {file: a file name in the export folder} for RCNN.stages`);
    const labels = variant('labels', (s) => s.replace(/label_list:\n(\s+- .+\n)+/, 'label_list: [a, b]\n'));
    expect(() => readRcnnInferCfg(labels)).toThrow(`${yml(labels)}: expected a list of 10 class names for label_list, got ["a","b"]`);
  });

  test('a model without weights: the parameter named', async () => {
    const m = buildRcnnModel(rcnnCfg('faster') as never, { mode: 'test', inputShape: [1, 3, 64, 64] });
    try {
      await expect(exportRcnnModel(m, { cfg: rcnnCfg('faster'), dir: path.join(tmp, 'noweights'), verify: false })).rejects.toThrow(/^export: expected data for parameter \S+, got none \(load weights first\)$/);
      expect(fs.existsSync(path.join(tmp, 'noweights', RCNN_STAGE_FILES[0]))).toBe(false);
    } finally {
      m.dispose();
    }
  });

  withOrt('a corrupt stage file and a wrong image batch: errors from the runtime, not a crash', async () => {
    const corrupt = variant('corrupt', (s) => s, { [RCNN_STAGE_FILES[0]]: Buffer.from('not an onnx model') });
    await expect(loadRcnnExport(corrupt)).rejects.toThrow(/^onnx: onnxruntime could not load: /);
    const rt = await loadRcnnExport(good);
    try {
      await expect(rt.detectPrepared(new Float32Array(64 * 64), [1, 1, 64, 64], [{ height: 64, width: 64, scale: 1 }])).rejects.toThrow(
        'detect: expected an image batch [N, 3, H, W] with one imInfo per image, got [1, 1, 64, 64] and 1 imInfo',
      );
      await expect(rt.detect(Buffer.from('not an image'))).rejects.toThrow(/^detect: expected an encoded image \(JPEG, PNG, WebP, \.\.\.\), got bytes sharp cannot decode/);
      // the sessions still work after the refusals
      const ok = await rt.detectPrepared(new Float32Array(3 * 64 * 64).fill(0.5), [1, 3, 64, 64], [{ height: 64, width: 64, scale: 1 }]);
      expect(ok).toHaveLength(1);
    } finally {
      await rt.close();
    }
  });
});
