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
      expect(json.input.shape).toEqual([null, 3, 256, 256]);
      expect(json.labels).toHaveLength(10);
    } finally {
      graph.dispose();
    }
    const cfgYml = parse(fs.readFileSync(path.join(dir, 'infer_cfg.yml'), 'utf8'));
    expect(Object.keys(cfgYml)).toEqual(['use_python_inference', 'mode', 'draw_threshold', 'metric', 'arch', 'min_subgraph_size', 'with_background', 'Preprocess', 'label_list']);
    expect(cfgYml).toMatchObject({ use_python_inference: false, mode: 'fluid', draw_threshold: 0.5, metric: 'VOC', arch: 'YOLO', min_subgraph_size: 3, with_background: false });
    expect(cfgYml.Preprocess.map((p: { type: string }) => p.type)).toEqual(['Resize', 'Normalize', 'Permute']);
    expect(cfgYml.Preprocess[0]).toMatchObject({ target_size: 256, max_size: 0, interp: 2, image_shape: [256, 256] });
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
    const ok = await cli(['export', '-c', CFG, '-o', `weights=${w}`, '--output_dir', outDir, '--format', 'onnx', '-p', PRUNED.join(','), '--pruned_ratios', '0.5,0.5']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(fs.existsSync(path.join(outDir, 'yolov3_mobilenet_v1_digits', 'model.onnx'))).toBe(true);
    expect(fs.existsSync(path.join(outDir, 'yolov3_mobilenet_v1_digits', 'model.json'))).toBe(false);
  });

  test('a bad --format is a usage error', async () => {
    const r = await cli(['export', '-c', CFG, '--format', 'tflite']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--format: expected one of onnx, native, both, got 'tflite'/);
  });
});
