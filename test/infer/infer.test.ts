/**
 * Inference: an export folder read back by loadInferenceModel gives the detections of the
 * in-memory model it was exported from (folded vs unfolded graph, zoo postprocess vs the
 * export's own); drawing changes pixels only where boxes are; `slimprune infer` writes the
 * drawn images and detections.json.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readConfig } from '../../src/config';
import { exportModel } from '../../src/export';
import { testTransforms, labelsOf } from '../../src/export/infer_cfg';
import { InferenceModel, loadInferenceModel, drawDetections, InferError } from '../../src/infer';
import { loadSharp } from '../../src/data/image';
import { forward } from '../../src/graph/executor';
import { Tensor } from '../../src/backend/tensor';
import { plan, apply } from '../../src/prune';
import { saveCheckpoint } from '../../src/train/checkpoint';
import { graphParams } from '../../src/train/model_state';
import { main } from '../../src/cli';
import { smallYolo, DIGITS_CFG } from '../export/helpers';
import { rng } from '../util/rng';

let tmp: string;
let png: Buffer;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-infer-'));
  const r = rng(11);
  const w = 120, h = 90; // not square: boxes are scaled back per axis
  const px = Buffer.from(Array.from({ length: w * h * 3 }, () => Math.floor((r() + 1) * 127.5)));
  png = await loadSharp()(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('loadInferenceModel', () => {
  test('an exported (folded, pruned) model detects what the in-memory model detects', async () => {
    const cfg = readConfig(DIGITS_CFG);
    const m = smallYolo(6, 64);
    apply(m.graph, plan(m.graph, { params: ['yolo_block.0.0.0.conv.weights'], ratios: [0.5] }));
    const dir = path.join(tmp, 'export');
    await exportModel(m, { cfg, dir, format: 'native' });
    const exported = await loadInferenceModel(dir);
    const memory = new InferenceModel({
      graph: m.graph, input: m.input, outputs: m.outputs, head: m.head, labels: labelsOf(cfg, 10), preprocess: testTransforms(cfg, [64, 64]), owned: false,
    });
    try {
      const a = await exported.detect(png);
      const b = await memory.detect(png);
      expect(b.length).toBeGreaterThan(5);
      expect(a.map((d) => d.classId)).toEqual(b.map((d) => d.classId));
      a.forEach((d, i) => {
        expect(d.score).toBeCloseTo(b[i].score, 4);
        d.box.forEach((v, k) => expect(Math.abs(v - b[i].box[k])).toBeLessThan(1e-2));
        expect(d.box[2]).toBeLessThanOrEqual(119);
        expect(d.box[3]).toBeLessThanOrEqual(89);
      });
      // the zoo's own postprocess on the same prepared input agrees with the export's
      const prep = await memory.prepare(png);
      expect(prep.shape).toEqual([1, 3, 64, 64]);
      expect(prep.imSize).toEqual([90, 120]);
      const x = Tensor.from(prep.data, prep.shape);
      const { outputs } = forward(m.graph, { [m.input]: x }, { training: false });
      const zoo = m.postprocess(outputs, [prep.imSize])[0];
      Object.values(outputs).forEach((t) => t.dispose());
      x.dispose();
      expect(zoo.map((d) => [d.classId, d.score, ...d.box])).toEqual(b.map((d) => [d.classId, d.score, ...d.box]));
      expect((await exported.detect(png, { threshold: 0.3 })).every((d) => d.score >= 0.3)).toBe(true);
      await expect(exported.detect(Buffer.from('not an image'))).rejects.toThrow(InferError);
    } finally {
      exported.dispose();
      m.dispose();
    }
  });

  test('a folder that is not an export is refused naming model.json', async () => {
    await expect(loadInferenceModel(tmp)).rejects.toThrow(/expected model.json/);
  });
});

describe('drawing', () => {
  test('boxes change the pixels on their edges, not far from them', async () => {
    const flat = await loadSharp()({ create: { width: 100, height: 80, channels: 3, background: { r: 0, g: 0, b: 0 } } }).png().toBuffer();
    const out = await drawDetections(flat, [{ classId: 0, label: 'zero', score: 0.9, box: [20, 30, 70, 60] }], 'png');
    const { data, info } = await loadSharp()(out).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([100, 80]);
    const at = (x: number, y: number) => data[(y * info.width + x) * info.channels] + data[(y * info.width + x) * info.channels + 1] + data[(y * info.width + x) * info.channels + 2];
    expect(at(45, 60)).toBeGreaterThan(100); // bottom edge
    expect(at(70, 45)).toBeGreaterThan(100); // right edge
    expect(at(45, 45)).toBe(0); // inside the box
    expect(at(95, 75)).toBe(0); // far outside
  });
});

describe('slimprune infer', () => {
  test('--infer_dir: drawn images and detections.json; exactly one of --infer_img / --infer_dir', async () => {
    const m = smallYolo(8, 64);
    const w = path.join(tmp, 'ckpt');
    saveCheckpoint(w, { iteration: 1, params: graphParams(m.graph) });
    m.dispose();
    const imgs = path.join(tmp, 'imgs');
    fs.mkdirSync(imgs);
    fs.writeFileSync(path.join(imgs, 'b.png'), png);
    fs.writeFileSync(path.join(imgs, 'a.jpg'), await loadSharp()(png).jpeg().toBuffer());
    fs.writeFileSync(path.join(imgs, 'notes.txt'), 'x');
    let out = '', err = '';
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
    const outDir = path.join(tmp, 'infer_out');
    const code = await main(['infer', '-c', DIGITS_CFG, '-o', `weights=${w}`, '--infer_dir', imgs, '--output_dir', outDir, '--draw_threshold', '0.2'], { io });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(fs.readdirSync(outDir).sort()).toEqual(['a.jpg', 'b.jpg', 'detections.json']);
    const dets = JSON.parse(fs.readFileSync(path.join(outDir, 'detections.json'), 'utf8'));
    expect(dets.map((d: { image: string }) => path.basename(d.image))).toEqual(['a.jpg', 'b.png']);
    for (const d of dets) for (const x of d.detections) expect(x.score).toBeGreaterThanOrEqual(0.2);
    const meta = await loadSharp()(fs.readFileSync(path.join(outDir, 'b.jpg'))).metadata();
    expect([meta.width, meta.height]).toEqual([120, 90]);
    err = '';
    expect(await main(['infer', '-c', DIGITS_CFG, '--infer_dir', imgs, '--infer_img', 'x.jpg'], { io })).toBe(2);
    expect(err).toMatch(/expected exactly one of them, got both/);
  });
});
