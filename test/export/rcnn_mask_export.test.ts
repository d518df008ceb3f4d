/**
 * Mask R-CNN export: the pair in onnxruntime-node gives slimprune's stage outputs (mask_prob
 * included) and its detections with masks (at most 1% of a mask's pixels different); the
 * infer_cfg.yml RCNN section reads back with the model's settings.
 */
import * as fs from 'fs';
import * as path from 'path';
import { exportRcnnModel, locateOnnxRuntime, readRcnnInferCfg, RCNN_STAGE_FILES } from '../../src/export';
import { readConfig, type SlimConfig } from '../../src/config';
import { buildRcnnModel, initModel } from '../../src/nn';
import { SMALL_RCNN } from '../nn/rcnn_fixture';
import { randomiseNorms } from './helpers';
import { decodedOnnx, dimsOf, rcnnCfg, smallRcnn, tmpDir } from './rcnn_helpers';

const ort = locateOnnxRuntime();
const withOrt = typeof ort === 'string' ? test.skip : test;
if (typeof ort === 'string') console.log(`Mask R-CNN ONNX tests skipped: ${ort}`);

describe('Mask R-CNN ONNX export', () => {
  withOrt('stages, detections and masks match slimprune; infer_cfg.yml carries the post-processing', async () => {
    const m = smallRcnn('mask', 3);
    const dir = tmpDir('mask');
    try {
      const r = await exportRcnnModel(m, { cfg: rcnnCfg('mask'), dir });
      if (!r.verify?.verified) throw new Error(`not verified: ${JSON.stringify(r.verify)}`);
      const d = r.verify.detections;
      console.log(`Mask R-CNN 64x64: stage max rel ${r.verify.maxRel.toExponential(2)}, ${d.detections} detections, score diff ${d.maxScoreDiff.toExponential(2)}, box diff ${d.maxBoxDiff.toExponential(2)} px, mask pixels differing ${(d.maxMaskDiff! * 100).toFixed(3)}% (of ${d.maskPixels} set)`);
      expect(r.verify.outputs.map((o) => o.name)).toContain('mask_prob');
      expect(r.verify.maxRel).toBeLessThan(1e-4);
      expect(d.detections).toBeGreaterThan(0);
      expect(d.maxMaskDiff).not.toBeNull();
      expect(d.maxMaskDiff!).toBeLessThanOrEqual(0.01);
      expect(d.maskPixels).toBeGreaterThan(0);

      const s2 = decodedOnnx(path.join(dir, RCNN_STAGE_FILES[1]));
      const out = Object.fromEntries(s2.graph.output.map((o: { name: string }) => [o.name, dimsOf(o as never)]));
      const M = m.settings.maskResolution!;
      expect(out).toEqual({ cls_prob: ['R', 11], bbox_pred: ['R', 44], mask_prob: ['R', 11, M, M] });
      expect(s2.graph.node.some((n: { opType: string }) => n.opType === 'ConvTranspose')).toBe(true);

      const c = readRcnnInferCfg(dir);
      const s = m.settings;
      expect(c.architecture).toBe('MaskRCNN');
      expect(c.numClasses).toBe(11);
      expect(c.labels).toHaveLength(10);
      expect(c.anchor).toEqual(s.rpn.anchor);
      expect(c.proposal).toEqual(s.rpn.testProposal);
      expect(c.roi).toEqual(s.roi);
      expect(c.bboxRegWeights).toEqual(s.bboxAssigner.bboxRegWeights);
      expect(c.nms).toEqual({ scoreThreshold: s.nms.scoreThreshold, nmsThreshold: s.nms.nmsThreshold, nmsTopK: s.nms.nmsTopK, keepTopK: s.nms.keepTopK, nmsEta: s.nms.nmsEta });
      expect(c.mask).toEqual({ resolution: s.maskResolution, threshold: 0.5 });
      expect(c.preprocess.map((t) => t.__type__)).toEqual(['NormalizeImage', 'ResizeImage', 'Permute']);
      const yml = fs.readFileSync(path.join(dir, 'infer_cfg.yml'), 'utf8');
      expect(yml).toMatch(/^arch: RCNN$/m);
      expect(yml).toMatch(/^min_subgraph_size: 40$/m);
      expect(yml).toMatch(/^with_background: true$/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      m.dispose();
    }
  });
});

describe('Mask R-CNN ONNX export of the shipped 1x config', () => {
  withOrt('mask_rcnn_r50_1x (affine_channel norms, 81 classes, RoIAlign 14, masks 14x14) at 64x64 with few proposals', async () => {
    const cfg = readConfig('configs/mask_rcnn_r50_1x.yml', SMALL_RCNN) as SlimConfig;
    const m = buildRcnnModel(cfg as never, { mode: 'test', inputShape: [1, 3, 64, 64] });
    initModel(m, { seed: 21 });
    randomiseNorms(m.graph, 22);
    const p = m.graph.param('cls_score_w');
    p.tensor!.set(p.tensor!.toArray().map((v) => v * 100));
    const dir = tmpDir('mask1x');
    try {
      expect(m.graph.nodes.filter((n) => n.type === 'affine_channel').length).toBeGreaterThan(50);
      const r = await exportRcnnModel(m, { cfg, dir });
      if (!r.verify?.verified) throw new Error(`not verified: ${JSON.stringify(r.verify)}`);
      expect(r.folded).toBe(m.graph.nodes.filter((n) => n.type === 'affine_channel').length);
      expect(r.verify.maxRel).toBeLessThan(1e-4);
      expect(r.verify.detections.detections).toBeGreaterThan(0);
      const s2 = decodedOnnx(path.join(dir, RCNN_STAGE_FILES[1]));
      const out = Object.fromEntries(s2.graph.output.map((o: { name: string }) => [o.name, dimsOf(o as never)]));
      expect(out.mask_prob).toEqual(['R', 81, 14, 14]);
      const ra = s2.graph.node.find((n: { opType: string }) => n.opType === 'RoiAlign');
      expect(ra.attribute.find((a: { name: string }) => a.name === 'output_height').i).toBe(14);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      m.dispose();
    }
  });
});
