/**
 * Faster R-CNN export: two ONNX files and infer_cfg.yml, run in onnxruntime-node with the
 * post-processing in TypeScript, against slimprune's own forward (stage outputs within 1e-4
 * relative, detections matched one to one). Also the RoiAlign semantics the split relies on.
 * Skipped with the reason when onnxruntime-node is absent.
 */
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { Tensor } from '../../src/backend/tensor';
import {
  exportRcnnModel, loadRcnnExport, locateOnnxRuntime, padToStride, OrtSessions, verifyRcnnExport, RCNN_STAGE_FILES, graphToOnnx, sampleImage,
} from '../../src/export';
import { forward } from '../../src/graph/executor';
import { GraphBuilder } from '../../src/graph/builder';
import { rng } from '../util/rng';
import { decodedOnnx, dimsOf, rcnnCfg, smallRcnn, tmpDir } from './rcnn_helpers';

const ort = locateOnnxRuntime();
const withOrt = typeof ort === 'string' ? test.skip : test;
if (typeof ort === 'string') console.log(`R-CNN ONNX tests skipped: ${ort}`);

describe('R-CNN ONNX export', () => {
  withOrt("ONNX RoiAlign (opset 16 output_half_pixel, and opset 10) equals slimprune's roi_align, adaptive and fixed sampling", async () => {
    const r = rng(5);
    const [N, C, H, W] = [2, 3, 9, 11];
    const x = Float32Array.from({ length: N * C * H * W }, () => r() * 2 - 1);
    // inside, crossing every border, smaller than a cell, larger than the map, degenerate, reversed
    const rois = Float32Array.from([
      8, 8, 60, 50, -20, -10, 30, 40, 100, 90, 190, 170, 33.3, 21.7, 35.1, 22.2, -40, -40, 250, 200, 50, 50, 50, 50, 70, 60, 20, 10,
    ]);
    const batch = Int32Array.from([0, 1, 0, 1, 0, 1, 0]);
    for (const samplingRatio of [0, 2]) {
      const b = new GraphBuilder();
      const xi = b.input('x', [N, C, H, W]);
      const ri = b.input('rois', [7, 4]);
      const bi = b.input('rois_batch', [7]);
      b.output(b.roiAlign(xi, ri, bi, { pooledH: 3, pooledW: 4, samplingRatio, spatialScale: 1 / 16 }, 'roi_align'));
      const g = b.graph;
      const xt = Tensor.from(x, [N, C, H, W]), rt = Tensor.from(rois, [7, 4]), bt = Tensor.from(batch, [7]);
      let want: Float32Array;
      try {
        const { outputs } = forward(g, { x: xt, rois: rt, rois_batch: bt });
        want = Float32Array.from(outputs.roi_align.toArray());
        outputs.roi_align.dispose();
      } finally {
        [xt, rt, bt].forEach((t) => t.dispose());
      }
      const dir = tmpDir('roialign');
      try {
        for (const opset of [10, 16]) {
          const file = path.join(dir, `roi${opset}.onnx`);
          fs.writeFileSync(file, graphToOnnx(g, { opset, int64Inputs: ['rois_batch'], dims: { x: ['N', C, H, W], rois: ['R', 4], rois_batch: ['R'], roi_align: ['R', C, 3, 4] } }));
          const s = await OrtSessions.open({ m: file });
          try {
            const got = (await s.run('m', [{ name: 'x', data: x, dims: [N, C, H, W] }, { name: 'rois', data: rois, dims: [7, 4] }, { name: 'rois_batch', data: batch, dims: [7], int64: true }])).roi_align.data;
            let worst = 0;
            want.forEach((w, i) => (worst = Math.max(worst, Math.abs(w - got[i]))));
            expect(got.length).toBe(want.length);
            expect(worst).toBeLessThan(1e-6);
            expect(want.some((v) => v !== 0)).toBe(true);
          } finally {
            await s.close();
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  withOrt('Faster R-CNN: two files, symbolic sizes, stages and detections match slimprune at two image sizes; detect() on an encoded image; a batch of two', async () => {
    const m = smallRcnn('faster', 2);
    const dir = tmpDir('faster');
    try {
      const r = await exportRcnnModel(m, { cfg: rcnnCfg('faster'), dir });
      expect(r.files.map((f) => path.basename(f))).toEqual([...RCNN_STAGE_FILES, 'infer_cfg.yml']);
      expect(fs.readdirSync(dir).sort()).toEqual([...RCNN_STAGE_FILES, 'infer_cfg.yml'].sort());
      expect(r.folded).toBeGreaterThan(50);
      if (!r.verify?.verified) throw new Error(`not verified: ${JSON.stringify(r.verify)}`);
      const d = r.verify.detections;
      console.log(`Faster R-CNN 64x64: stage max rel ${r.verify.maxRel.toExponential(2)}, ${d.detections} detections, score diff ${d.maxScoreDiff.toExponential(2)}, box diff ${d.maxBoxDiff.toExponential(2)} px`);
      expect(r.verify.maxRel).toBeLessThan(1e-4);
      expect(r.verify.outputs.map((o) => o.name).sort()).toEqual(['bbox_pred', 'cls_prob', 'res4', 'rpn_bbox_pred', 'rpn_cls_score']);
      expect(d.detections).toBeGreaterThan(0);

      const s1 = decodedOnnx(path.join(dir, RCNN_STAGE_FILES[0]));
      const s2 = decodedOnnx(path.join(dir, RCNN_STAGE_FILES[1]));
      expect(s1.graph.input.map((i: { name: string }) => i.name)).toEqual(['image']);
      expect(dimsOf(s1.graph.input[0])).toEqual(['N', 3, 'H', 'W']);
      expect(s2.graph.input.map((i: { name: string }) => i.name)).toEqual(['res4', 'rois', 'rois_batch']);
      expect(s2.graph.input[2].type.tensorType.elemType).toBe(onnx.TensorProto.DataType.INT64);
      expect(Number(s2.opsetImport[0].version)).toBe(16);
      const ops1 = new Set(s1.graph.node.map((n: { opType: string }) => n.opType));
      const ops2 = new Set(s2.graph.node.map((n: { opType: string }) => n.opType));
      expect([...ops1].sort()).toEqual(['Add', 'Conv', 'MaxPool', 'Relu']);
      expect(ops2.has('RoiAlign') && ops2.has('Softmax') && !ops2.has('BatchNormalization')).toBe(true);
      const ra = s2.graph.node.find((n: { opType: string }) => n.opType === 'RoiAlign');
      expect(Buffer.from(ra.attribute.find((a: { name: string }) => a.name === 'coordinate_transformation_mode').s).toString()).toBe('output_half_pixel');

      // H and W are symbolic: another size runs and matches too
      const other = await verifyRcnnExport(m, dir, [96, 80]);
      if (!other.verified) throw new Error(other.skipped);
      expect(other.maxRel).toBeLessThan(1e-4);

      // the runtime on an encoded image equals the model object on the same prepared (padded) image
      const { default: sharp } = await import('sharp');
      const rr = rng(9);
      const png = await sharp(Buffer.from(Uint8Array.from({ length: 70 * 90 * 3 }, () => Math.floor(rr() * 256))), { raw: { width: 90, height: 70, channels: 3 } }).png().toBuffer();
      const rt = await loadRcnnExport(dir);
      try {
        expect(rt.cfg.padStride).toBe(16);
        const got = await rt.detect(png);
        const prepared = await (rt as unknown as { prep: { prepare(b: Uint8Array): Promise<{ data: Float32Array; shape: number[] }> } }).prep.prepare(png);
        // ResizeImage target 128, max 128: the long side 90 -> 128, then PadStride 16
        expect(prepared.shape).toEqual([1, 3, 100, 128]);
        const padded = padToStride(prepared.data, prepared.shape, 16);
        expect(padded.shape).toEqual([1, 3, 112, 128]);
        const x = Tensor.from(padded.data, padded.shape);
        let want;
        try {
          want = m.detect(x, [{ height: 100, width: 128, scale: 100 / 70, origHeight: 70, origWidth: 90 }])[0];
        } finally {
          x.dispose();
        }
        expect(want.length).toBeGreaterThan(0);
        expect(got.length).toBe(want.length);
        got.forEach((det, i) => {
          expect(det.classId).toBe(want[i].classId);
          expect(Math.abs(det.score - want[i].score)).toBeLessThan(1e-4);
          det.box.forEach((c, k) => expect(Math.abs(c - want[i].box[k])).toBeLessThan(0.1));
          expect(det.label).toBe(rt.cfg.labels[det.classId]);
        });

        // a batch of two images: rois_batch routes each RoI to its image, as in the model object
        const a = sampleImage([1, 3, 64, 64], 31), b = sampleImage([1, 3, 64, 64], 32);
        const both = new Float32Array(a.length * 2);
        both.set(a);
        both.set(b, a.length);
        const info = { height: 64, width: 64, scale: 1 };
        const batched = await rt.detectPrepared(both, [2, 3, 64, 64], [info, info]);
        const singles = [(await rt.detectPrepared(a, [1, 3, 64, 64], [info]))[0], (await rt.detectPrepared(b, [1, 3, 64, 64], [info]))[0]];
        const xb = Tensor.from(both, [2, 3, 64, 64]);
        let ours;
        try {
          ours = m.detect(xb, [info, info]);
        } finally {
          xb.dispose();
        }
        expect(batched).toHaveLength(2);
        for (const n of [0, 1]) {
          expect(batched[n].length).toBeGreaterThan(0);
          expect(batched[n].map((x) => x.classId)).toEqual(singles[n].map((x) => x.classId));
          expect(batched[n].map((x) => x.classId)).toEqual(ours[n].map((x) => x.classId));
          batched[n].forEach((x, i) => expect(Math.abs(x.score - ours[n][i].score)).toBeLessThan(1e-4));
        }
        expect(JSON.stringify(batched[0])).not.toBe(JSON.stringify(batched[1]));
      } finally {
        await rt.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      m.dispose();
    }
  });
});
