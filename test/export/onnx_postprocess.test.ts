/**
 * --with_postprocess: box decoding in the ONNX graph matches slimprune's decoding (boxes in
 * original-image pixels for each image's own size), and the graph's NMS selects exactly what
 * slimprune's multiclass NMS (Paddle's multiclass_nms) keeps, under several NMS settings.
 */
import { foldNorms } from '../../src/export/bn_fold';
import { graphToOnnx } from '../../src/export/onnx';
import { addYoloPostprocess, IM_SIZE_INPUT } from '../../src/export/onnx_postprocess';
import { locateOnnxRuntime, runOnnx, compareOutputs } from '../../src/export/verify';
import { decodeYoloLevel } from '../../src/nn/yolo_box';
import { multiclassNms } from '../../src/nn/nms';
import type { NmsConfig } from '../../src/nn';
import { run, sampleInput, smallYolo } from './helpers';

const ort = locateOnnxRuntime();
const withOrt = typeof ort === 'string' ? test.skip : test;
if (typeof ort === 'string') console.log(`ONNX post-processing tests skipped: ${ort}`);

/** Runs the export with `nms` on a seeded batch of two; per image, ONNX's selections and slimprune's multiclassNms detections as "class:box" keys in output order. */
async function selections(nms: NmsConfig, seed = 33): Promise<{ onnx: string[][]; slim: string[][]; live: number[]; maxBox: number[]; maxScore: number[]; M: number; C: number }> {
  const m = smallYolo(5, 64);
  const { graph } = foldNorms(m.graph);
  try {
    const head = { ...m.head, nms };
    const bytes = graphToOnnx(graph, { extend: (b) => addYoloPostprocess(b, m.outputs, head) });
    const x = sampleInput(2, 64, seed);
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
    expect(sel.dims[1]).toBe(3);
    const out = { onnx: [] as string[][], slim: [] as string[][], live: [] as number[], maxBox: [] as number[], maxScore: [] as number[], M, C };
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
      out.live.push(live);
      out.maxBox.push(maxBox / Math.max(h, w));
      out.maxScore.push(maxScore);
      // slimprune's detections, mapped back to their box index
      const dets = multiclassNms(Float64Array.from(boxes), Float64Array.from(scores), M, C, nms);
      out.slim.push(dets.map((d) => {
        for (let q = 0; q < M; q++) if (scores[q * C + d.classId] === d.score && boxes[q * 4] === d.box[0] && boxes[q * 4 + 1] === d.box[1]) return `${d.classId}:${q}`;
        return `${d.classId}:?`;
      }));
      const mine: string[] = [];
      for (let r = 0; r < sel.dims[0]; r++) if (Number(sel.data[r * 3]) === n) mine.push(`${sel.data[r * 3 + 1]}:${sel.data[r * 3 + 2]}`);
      out.onnx.push(mine);
    });
    return out;
  } finally {
    graph.dispose();
    m.dispose();
  }
}

withOrt('decoded boxes and scores match slimprune per image size; NMS selects exactly slimprune\'s detections', async () => {
  const nms = smallYolo(5, 64).head.nms;
  const r = await selections(nms);
  for (let n = 0; n < 2; n++) {
    expect(r.live[n]).toBeGreaterThan(10);
    expect(r.maxBox[n]).toBeLessThan(1e-3);
    expect(r.maxScore[n]).toBeLessThan(1e-4);
    expect(r.slim[n].length).toBeGreaterThan(0);
    // the same detections in the same order (class, then descending score)
    expect(r.onnx[n]).toEqual(r.slim[n]);
  }
  console.log(`NMS: ${r.onnx.map((s) => s.length).join(' + ')} selections, equal to slimprune's (${JSON.stringify(nms)})`);
});

withOrt('NMS settings in the graph: keep_top_k per image, nms_top_k per class, background label, normalized IoU', async () => {
  const base = smallYolo(5, 64).head.nms;
  const cases: NmsConfig[] = [
    { ...base, keepTopK: 7 },
    { ...base, nmsTopK: 4, keepTopK: -1 },
    { ...base, backgroundLabel: 0, normalized: true, nmsThreshold: 0.3 },
    { ...base, keepTopK: 0 },
  ];
  for (const nms of cases) {
    const r = await selections(nms);
    for (let n = 0; n < 2; n++) {
      expect(r.onnx[n]).toEqual(r.slim[n]);
      if (nms.keepTopK > -1) expect(r.onnx[n].length).toBeLessThanOrEqual(nms.keepTopK);
      if (nms.backgroundLabel === 0) expect(r.onnx[n].some((k) => k.startsWith('0:'))).toBe(false);
    }
    // each setting really cuts something against the defaults (else this case tests nothing)
    const all = await selections({ ...base, keepTopK: -1, nmsTopK: -1, backgroundLabel: -1 });
    expect(r.onnx[0].length + r.onnx[1].length).toBeLessThan(all.onnx[0].length + all.onnx[1].length);
  }
});

test('an adaptive NMS threshold (nms_eta < 1) is refused with the reason', () => {
  const m = smallYolo(5, 64);
  const { graph } = foldNorms(m.graph);
  try {
    const head = { ...m.head, nms: { ...m.head.nms, nmsEta: 0.9 } };
    expect(() => graphToOnnx(graph, { extend: (b) => addYoloPostprocess(b, m.outputs, head) })).toThrow(/expected nms_eta 1 .*got 0\.9/);
  } finally {
    graph.dispose();
    m.dispose();
  }
});
