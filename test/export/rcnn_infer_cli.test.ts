/**
 * `slimprune infer --model_dir` on a Mask R-CNN export folder: onnxruntime-node with the
 * post-processing of infer_cfg.yml draws the same detections (and masks) as `infer` on the
 * checkpoint the folder was exported from.
 */
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli';
import { locateOnnxRuntime } from '../../src/export';
import { saveCheckpoint } from '../../src/train/checkpoint';
import { graphParams } from '../../src/train/model_state';
import { rng } from '../util/rng';
import { SMALL_RCNN } from '../nn/rcnn_fixture';
import { RCNN_CFG, smallRcnn, tmpDir } from './rcnn_helpers';

const withOrt = typeof locateOnnxRuntime() === 'string' ? test.skip : test;
if (typeof locateOnnxRuntime() === 'string') console.log(`infer --model_dir tests skipped: ${locateOnnxRuntime()}`);
let tmp: string;
beforeAll(() => (tmp = tmpDir('rcnn-infer')));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(args, { io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) } });
  return { code, out, err };
}

type Listed = Array<{ detections: Array<{ class_id: number; score: number; bbox: number[]; mask_area: number }> }>;

describe('slimprune infer --model_dir (R-CNN export)', () => {
  withOrt('the export folder draws the checkpoint\'s detections and masks', async () => {
    const m = smallRcnn('mask', 11);
    const w = path.join(tmp, 'ckpt');
    saveCheckpoint(w, { iteration: 1, params: graphParams(m.graph), prune: [] });
    m.dispose();
    const exp = await cli(['export', '-c', RCNN_CFG.mask, '-o', `weights=${w}`, ...SMALL_RCNN, '--output_dir', path.join(tmp, 'export'), '--verify_size', '64']);
    expect(exp.err).toBe('');
    const { default: sharp } = await import('sharp');
    const r = rng(12);
    const img = path.join(tmp, 'digit.png');
    fs.writeFileSync(img, await sharp(Buffer.from(Uint8Array.from({ length: 64 * 64 * 3 }, () => Math.floor(r() * 256))), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer());

    const onnxOut = path.join(tmp, 'onnx'), ckptOut = path.join(tmp, 'ckpt-out');
    const a = await cli(['infer', '-c', RCNN_CFG.mask, '--model_dir', path.join(tmp, 'export', 'mask_rcnn_r50_digits'), '--infer_img', img, '--output_dir', onnxOut, '--draw_threshold', '0']);
    expect(a.err).toBe('');
    expect(a.code).toBe(0);
    expect(a.out).toContain('(MaskRCNN, onnxruntime-node)');
    const b = await cli(['infer', '-c', RCNN_CFG.mask, '-o', `weights=${w}`, ...SMALL_RCNN, '--infer_img', img, '--output_dir', ckptOut, '--draw_threshold', '0']);
    expect(b.err).toBe('');
    const drawn = fs.readFileSync(path.join(onnxOut, 'digit.jpg'));
    expect([drawn[0], drawn[1]]).toEqual([0xff, 0xd8]);
    const got = (JSON.parse(fs.readFileSync(path.join(onnxOut, 'detections.json'), 'utf8')) as Listed)[0].detections;
    const want = (JSON.parse(fs.readFileSync(path.join(ckptOut, 'detections.json'), 'utf8')) as Listed)[0].detections;
    expect(want.length).toBeGreaterThan(0);
    expect(got.length).toBe(want.length);
    got.forEach((d, i) => {
      expect(d.class_id).toBe(want[i].class_id);
      expect(Math.abs(d.score - want[i].score)).toBeLessThan(1e-4);
      d.bbox.forEach((c, k) => expect(Math.abs(c - want[i].bbox[k])).toBeLessThan(0.05));
      expect(Math.abs(d.mask_area - want[i].mask_area)).toBeLessThanOrEqual(Math.max(2, 0.01 * want[i].mask_area));
    });
    expect(want.some((d) => d.mask_area > 0)).toBe(true);
  });

  test('--model_dir with a YOLOv3 config or no folder: one usage error', async () => {
    const img = path.join(tmp, 'x.png');
    fs.writeFileSync(img, 'x');
    const yolo = await cli(['infer', '-c', 'configs/yolov3_mobilenet_v1_digits.yml', '--model_dir', tmp, '--infer_img', img]);
    expect(yolo.code).toBe(2);
    expect(yolo.err.trim()).toBe('slimprune infer: --model_dir: expected a Faster / Mask R-CNN config (a YOLOv3 export runs with loadInferenceModel), got YOLOv3');
    const none = await cli(['infer', '-c', RCNN_CFG.faster, '--model_dir', path.join(tmp, 'nothing'), '--infer_img', img]);
    expect(none.code).toBe(2);
    expect(none.err.trim()).toBe(`slimprune infer: --model_dir: expected an export folder (slimprune export), got nothing at ${path.join(tmp, 'nothing')}`);
  });
});
