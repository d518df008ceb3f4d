/**
 * --with_postprocess: box decoding in the ONNX graph matches slimprune's decoding (boxes in
 * original-image pixels for each image's own size), and NonMaxSuppression keeps what
 * slimprune's multiclass NMS keeps (up to ONNX's IoU without Paddle's +1 pixel).
 */
import { foldNorms } from '../../src/export/bn_fold';
import { graphToOnnx } from '../../src/export/onnx';
import { addYoloPostprocess, IM_SIZE_INPUT } from '../../src/export/onnx_postprocess';
import { locateOnnxRuntime, runOnnx, compareOutputs } from '../../src/export/verify';
import { decodeYoloLevel } from '../../src/nn/yolo_box';
import { multiclassNms } from '../../src/nn/nms';
import { run, sampleInput, smallYolo } from './helpers';

const ort = locateOnnxRuntime();
const withOrt = typeof ort === 'string' ? test.skip : test;
if (typeof ort === 'string') console.log(`ONNX post-processing tests skipped: ${ort}`);

withOrt('decoded boxes and scores match slimprune per image size; NMS keeps the same detections', async () => {
  const m = smallYolo(5, 64);
  const { graph } = foldNorms(m.graph);
  try {
    const bytes = graphToOnnx(graph, { extend: (b) => addYoloPostprocess(b, m.outputs, m.head) });
    const x = sampleInput(2, 64, 33);
    const sizes: Array<[number, number]> = [[90, 120], [64, 64]];
    const got = await runOnnx(bytes, [{ name: m.input, data: x, dims: [2, 3, 64, 64] }, { name: IM_SIZE_INPUT, data: Float32Array.from(sizes.flat()), dims: [2, 2] }]);
    const raw = run(m.graph, m.input, x, [2, 3, 64, 64]);
    // the raw outputs are still there and still match
    expect(Math.max(...compareOutputs(got, raw).map((d) => d.rel))).toBeLessThan(1e-4);
    const C = m.head.numClasses;
    const M = got.boxes.dims[1];
    expect(got.boxes.dims).toEqual([2, M, 4]);
    expect(got.scores.dims).toEqual([2, C, M]);
    const sel = got.selected_indices;
    let matched = 0, total = 0;
    sizes.forEach(([h, w], n) => {
      const levels = m.outputs.map((o, i) => {
        const [, ch, H, W] = graph.shapeOf(o);
        const anchors = m.head.anchorMasks[i].map((k) => m.head.anchors[k]);
        return decodeYoloLevel(raw[o], n * ch * H * W, H, W, anchors, C, m.head.downsample[i], h, w, { confThresh: m.head.nms.scoreThreshold, clipBbox: true });
      });
      const boxes = levels.flatMap((l) => Array.from(l.boxes));
      const scores = levels.flatMap((l) => Array.from(l.scores));
      expect(boxes.length).toBe(M * 4);
      let maxBox = 0, maxScore = 0, live = 0;
      for (let j = 0; j < M; j++) {
        const rowLive = scores.slice(j * C, j * C + C).some((v) => v > 0);
        for (let c = 0; c < C; c++) maxScore = Math.max(maxScore, Math.abs(got.scores.data[(n * C + c) * M + j] - scores[j * C + c]));
        if (!rowLive) continue; // slimprune leaves filtered boxes at 0
        live++;
        for (let k = 0; k < 4; k++) maxBox = Math.max(maxBox, Math.abs(got.boxes.data[(n * M + j) * 4 + k] - boxes[j * 4 + k]));
      }
      expect(live).toBeGreaterThan(10);
      expect(maxBox).toBeLessThan(1e-3 * Math.max(h, w));
      expect(maxScore).toBeLessThan(1e-4);
      // NMS: every slimprune detection among ONNX's selections for this image
      const dets = multiclassNms(Float64Array.from(boxes), Float64Array.from(scores), M, C, m.head.nms);
      const picked = new Set<string>();
      for (let r = 0; r < sel.dims[0]; r++) if (sel.data[r * 3] === n) picked.add(`${sel.data[r * 3 + 1]}:${sel.data[r * 3 + 2]}`);
      for (const d of dets) {
        total++;
        const j = (() => {
          for (let q = 0; q < M; q++) if (scores[q * C + d.classId] === d.score && boxes[q * 4] === d.box[0] && boxes[q * 4 + 1] === d.box[1]) return q;
          return -1;
        })();
        if (picked.has(`${d.classId}:${j}`)) matched++;
      }
    });
    console.log(`NMS: ${matched} of ${total} slimprune detections selected by ONNX NonMaxSuppression (${sel.dims[0]} selections)`);
    expect(total).toBeGreaterThan(0);
    expect(matched / total).toBeGreaterThan(0.9);
  } finally {
    graph.dispose();
    m.dispose();
  }
});
