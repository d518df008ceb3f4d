/**
 * A pruned Mask R-CNN (res4f_branch2c: the whole res4 sum group, the RPN conv's input and res5's
 * input, plus a head conv) exports its pruned shapes in both files and still matches slimprune.
 */
import * as fs from 'fs';
import * as path from 'path';
import { exportRcnnModel, locateOnnxRuntime, readRcnnInferCfg, RCNN_STAGE_FILES } from '../../src/export';
import { apply, plan } from '../../src/prune';
import { decodedOnnx, dimsOf, rcnnCfg, smallRcnn, tmpDir } from './rcnn_helpers';

const ort = locateOnnxRuntime();
const withOrt = typeof ort === 'string' ? test.skip : test;
if (typeof ort === 'string') console.log(`pruned R-CNN ONNX tests skipped: ${ort}`);

describe('pruned R-CNN ONNX export', () => {
  withOrt('res4f_branch2c_weights and conv5_mask_w pruned: pruned shapes in the files, outputs and detections match', async () => {
    const m = smallRcnn('mask', 4);
    const before = m.graph.param('res4f_branch2c_weights').shape[0];
    const record = apply(m.graph, plan(m.graph, { params: ['res4f_branch2c_weights', 'conv5_mask_w'], ratios: [0.5, 0.25], warn: () => undefined }), { mode: 'default' });
    const C4 = m.graph.param('res4f_branch2c_weights').shape[0];
    expect(C4).toBe(before / 2);
    const dir = tmpDir('pruned');
    try {
      const r = await exportRcnnModel(m, { cfg: rcnnCfg('mask'), dir, records: [record] });
      if (!r.verify?.verified) throw new Error(`not verified: ${JSON.stringify(r.verify)}`);
      console.log(`pruned Mask R-CNN: stage max rel ${r.verify.maxRel.toExponential(2)}, ${r.verify.detections.detections} detections`);
      expect(r.verify.maxRel).toBeLessThan(1e-4);
      expect(r.verify.detections.detections).toBeGreaterThan(0);

      const s1 = decodedOnnx(path.join(dir, RCNN_STAGE_FILES[0]));
      const s2 = decodedOnnx(path.join(dir, RCNN_STAGE_FILES[1]));
      const init = (model: { graph: { initializer: Array<{ name: string; dims: number[] }> } }, name: string) => model.graph.initializer.find((t) => t.name === name)!.dims.map(Number);
      expect(init(s1, 'res4f_branch2c_weights')[0]).toBe(C4);
      expect(init(s1, 'res4a_branch1_weights')[0]).toBe(C4);
      expect(init(s1, 'conv_rpn_w')[1]).toBe(C4);
      expect(init(s2, 'res5a_branch2a_weights')[1]).toBe(C4);
      expect(init(s2, 'res5a_branch1_weights')[1]).toBe(C4);
      expect(init(s2, 'conv5_mask_w')[1]).toBe(m.graph.param('conv5_mask_w').shape[1]);
      expect(dimsOf(s1.graph.output.find((o: { name: string }) => o.name === 'res4'))).toEqual(['N', C4, 'h', 'w']);
      expect(dimsOf(s2.graph.input[0])).toEqual(['N', C4, 'h', 'w']);
      expect(String(s1.docString)).toContain('res4f_branch2c_weights');
      expect(readRcnnInferCfg(dir).prune.map((p) => [p.master, p.ratio])).toEqual([['res4f_branch2c_weights', 0.5], ['conv5_mask_w', 0.25]]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      m.dispose();
    }
  });
});
