/**
 * `slimprune export` on an R-CNN checkpoint: a Faster R-CNN pruned at res4f_branch2c (record in
 * the checkpoint) writes the two ONNX stages and infer_cfg.yml, checked end to end; flags that
 * make no sense for an R-CNN get one usage error each.
 */
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli';
import { locateOnnxRuntime, readRcnnInferCfg, RCNN_STAGE_FILES } from '../../src/export';
import { apply, plan } from '../../src/prune';
import { saveCheckpoint } from '../../src/train/checkpoint';
import { graphParams } from '../../src/train/model_state';
import { SMALL_RCNN } from '../nn/rcnn_fixture';
import { decodedOnnx, RCNN_CFG, smallRcnn, tmpDir } from './rcnn_helpers';

let tmp: string;
beforeAll(() => (tmp = tmpDir('rcnn-cli')));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(args, { io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t) } });
  return { code, out, err };
}

describe('slimprune export (R-CNN)', () => {
  test('a pruned Faster R-CNN checkpoint: both stages with pruned shapes, infer_cfg.yml, the check reported', async () => {
    const m = smallRcnn('faster', 6);
    const record = apply(m.graph, plan(m.graph, { params: ['res4f_branch2c_weights'], ratios: [0.5], warn: () => undefined }));
    const C4 = m.graph.param('res4f_branch2c_weights').shape[0];
    const w = path.join(tmp, 'ckpt');
    saveCheckpoint(w, { iteration: 1, params: graphParams(m.graph), prune: [record] });
    m.dispose();
    const outDir = path.join(tmp, 'out');
    const r = await cli(['export', '-c', RCNN_CFG.faster, '-o', `weights=${w}`, ...SMALL_RCNN, '--output_dir', outDir, '--verify_size', '64']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const dir = path.join(outDir, 'faster_rcnn_r50_digits');
    expect(fs.readdirSync(dir).sort()).toEqual([...RCNN_STAGE_FILES, 'infer_cfg.yml'].sort());
    expect(r.out).toContain(`res4 ${C4} channels, pruned (1 convs recorded)`);
    expect(r.out).toContain('native format: not written for an R-CNN');
    if (typeof locateOnnxRuntime() === 'string') expect(r.out).toMatch(/onnx check skipped: /);
    else {
      const got = /onnx check \(onnxruntime-node, 64x64 image\): stages max relative (\S+) over 5 outputs \(tolerance 1e-4\); (\d+) detections matched/.exec(r.out);
      expect(got).not.toBeNull();
      expect(Number(got![1])).toBeLessThan(1e-4);
    }
    const s1 = decodedOnnx(path.join(dir, RCNN_STAGE_FILES[0]));
    expect(s1.graph.initializer.find((t: { name: string }) => t.name === 'res4f_branch2c_weights').dims.map(Number)[0]).toBe(C4);
    expect(readRcnnInferCfg(dir).proposal.postNmsTopN).toBe(6);
  });

  test('flags an R-CNN cannot take: one usage error each', async () => {
    const w = path.join(tmp, 'none');
    const native = await cli(['export', '-c', RCNN_CFG.mask, '-o', `weights=${w}`, '--format', 'native']);
    expect(native.code).toBe(2);
    expect(native.err.trim()).toBe('slimprune export: --format: expected onnx or both for MaskRCNN (the native format holds single-graph models; an R-CNN exports as two ONNX stages), got native');
    const post = await cli(['export', '-c', RCNN_CFG.faster, '-o', `weights=${w}`, '--with_postprocess']);
    expect(post.code).toBe(2);
    expect(post.err).toContain('--with_postprocess: expected a YOLOv3 config, got FasterRCNN');
    const size = await cli(['export', '-c', RCNN_CFG.faster, '--verify_size', '20']);
    expect(size.code).toBe(2);
    expect(size.err).toMatch(/--verify_size: expected an integer from 32 to \d+, got '20'/);
    const yolo = await cli(['export', '-c', 'configs/yolov3_mobilenet_v1_digits.yml', '--verify_size', '64']);
    expect(yolo.code).toBe(2);
    expect(yolo.err).toContain('--verify_size: expected a Faster / Mask R-CNN config');
  });
});
