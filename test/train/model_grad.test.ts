/**
 * The trainer's gradient, end to end: the real YOLOv3 + MobileNetV1 (1/8 width, three output
 * levels of equal channel count, so an output fed the wrong level's gradient still matches in
 * shape) in train mode on the float64 reference backend, PaddleDetection's summed loss on its
 * raw outputs, backward seeded with the loss's per-output gradients exactly as the trainer
 * does. Compared with central differences of the total loss along random directions over every
 * trainable parameter, and per element for parameters of each layer kind. The step is tiny
 * (1e-8): on random images the loss has ReLU kinks close enough that steps of 1e-7 already
 * cross some (one-sided differences then disagree by a percent).
 */
import { backendByName } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { forward } from '../../src/graph/executor';
import { buildModel, initModel, type YoloModel } from '../../src/nn';
import { yolov3LossSum, type Yolov3LossSumConfig } from '../../src/train/yolov3_loss';
import { randomArray } from '../util/rng';

const be = backendByName('reference');
const N = 2, B = 4, S = 64;

function setup() {
  const model = buildModel({
    architecture: 'YOLOv3', YOLOv3: { backbone: 'MobileNet' }, MobileNet: { conv_group_scale: 0.125 },
    YOLOv3Head: {
      num_classes: 3, width_scale: 0.125,
      anchors: [[4, 12], [6, 9], [8, 9], [8, 13], [10, 11], [11, 16], [14, 12], [13, 17], [16, 18]],
    },
  }, { mode: 'train', inputShape: [N, 3, S, S] });
  initModel(model, { seed: 4, backend: be });
  // gts of several sizes (so every level owns some), one padding row per image
  const gtBox = Float64Array.from([
    0.30, 0.40, 0.10, 0.20, 0.70, 0.60, 0.25, 0.25, 0.55, 0.20, 0.12, 0.16, 0, 0, 0, 0,
    0.50, 0.50, 0.20, 0.28, 0.20, 0.75, 0.07, 0.18, 0.80, 0.30, 0.14, 0.14, 0, 0, 0, 0,
  ]);
  const gtLabel = Int32Array.from([0, 1, 2, 0, 2, 1, 0, 0]);
  const cfg: Yolov3LossSumConfig = {
    anchors: model.head.anchors, anchorMasks: model.head.anchorMasks, classNum: 3,
    ignoreThresh: 0.7, downsample: model.head.downsample, labelSmooth: true,
  };
  const img = Tensor.from(randomArray(N * 3 * S * S, 11, -2, 2), [N, 3, S, S], be);
  const gt = { gtBox: { data: gtBox, shape: [N, B, 4] }, gtLabel: { data: gtLabel, shape: [N, B] } };
  return { model, cfg, img, gt };
}

type Setup = ReturnType<typeof setup>;

function lossOf({ model, cfg, img, gt }: Setup): number {
  const { outputs } = forward(model.graph, { [model.input]: img }, { training: true, fetch: model.outputs });
  const total = yolov3LossSum(model.outputs.map((v) => ({ data: outputs[v].toArray(), shape: [...outputs[v].shape] })), gt, cfg).total;
  Object.values(outputs).forEach((t) => t.dispose());
  return total;
}

/** The trainer's gradient: forward(grad), the loss's dx per raw output, backward. */
function trainerGrads({ model, cfg, img, gt }: Setup): Map<string, Float64Array> {
  const fr = forward(model.graph, { [model.input]: img }, { training: true, grad: true, fetch: model.outputs });
  const outs = model.outputs.map((v) => fr.outputs[v]);
  const loss = yolov3LossSum(outs.map((t) => ({ data: t.toArray(), shape: [...t.shape] })), gt, cfg);
  const seeds: Record<string, Tensor> = {};
  model.outputs.forEach((v, i) => (seeds[v] = Tensor.from(loss.dx[i], outs[i].shape, be)));
  const grads = fr.tape!.backward(seeds);
  const out = new Map<string, Float64Array>();
  grads.params.forEach((t, k) => out.set(k, Float64Array.from(t.toArray())));
  return out;
}

const trainable = (m: YoloModel) => m.graph.paramList().filter((p) => p.trainable);

describe('YOLOv3 training gradient (model + summed loss, reference backend)', () => {
  const s = setup();
  const grads = trainerGrads(s);
  const h = 1e-8;

  test('the loss is the sum of three level means and every level owns a gt', () => {
    const { outputs } = forward(s.model.graph, { [s.model.input]: s.img }, { training: true, fetch: s.model.outputs });
    const shapes = s.model.outputs.map((v) => outputs[v].shape);
    expect(shapes).toEqual([[N, 24, 2, 2], [N, 24, 4, 4], [N, 24, 8, 8]]);
    const r = yolov3LossSum(s.model.outputs.map((v) => ({ data: outputs[v].toArray(), shape: [...outputs[v].shape] })), s.gt, s.cfg);
    expect(r.total).toBeCloseTo(r.levels.reduce((a, b) => a + b, 0), 10);
    r.perImage.forEach((l, i) => expect(r.levels[i]).toBeCloseTo((l[0] + l[1]) / 2, 10));
    // a gt's box terms reach its level's dx: each level has a nonzero x/y gradient somewhere
    r.dx.forEach((dx) => expect(dx.some((v, i) => Math.floor(i / 4) % 6 === 0 && v !== 0)).toBe(true));
    Object.values(outputs).forEach((t) => t.dispose());
  });

  test('directional derivatives over every trainable parameter match', () => {
    const params = trainable(s.model);
    expect(params.every((p) => grads.has(p.name))).toBe(true);
    for (let k = 0; k < 2; k++) {
      const dirs = params.map((p, i) => randomArray(p.tensor!.size, 1000 * k + i, -1, 1));
      const base = params.map((p) => Float64Array.from(p.tensor!.toArray()));
      const shift = (t: number) => params.forEach((p, i) => p.tensor!.set(base[i].map((v, j) => v + t * dirs[i][j])));
      shift(h); const lp = lossOf(s);
      shift(-h); const lm = lossOf(s);
      shift(0);
      const numeric = (lp - lm) / (2 * h);
      let analytic = 0;
      params.forEach((p, i) => grads.get(p.name)!.forEach((g, j) => (analytic += g * dirs[i][j])));
      expect(Math.abs(analytic - numeric) / Math.max(1, Math.abs(numeric))).toBeLessThan(1e-4);
    }
  });

  test.each([
    'conv1_weights', 'conv2_1_dw_weights', 'conv3_1_sep_bn_offset', 'conv6_dw_bn_scale',
    'yolo_block.0.0.0.conv.weights', 'yolo_transition.0.bn.offset', 'yolo_block.2.tip.conv.weights',
    'yolo_output.0.conv.weights', 'yolo_output.1.conv.bias', 'yolo_output.2.conv.bias',
  ])('per element: %s', (name) => {
    const p = s.model.graph.param(name);
    const data = Float64Array.from(p.tensor!.toArray());
    const g = grads.get(name)!;
    // the elements with the largest gradients, plus a seeded pick
    const idx = [...g.keys()].sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 3);
    idx.push(Math.floor(randomArray(1, name.length, 0, 1)[0] * g.length));
    for (const i of idx) {
      const d = data.slice();
      d[i] += h; p.tensor!.set(d); const lp = lossOf(s);
      d[i] -= 2 * h; p.tensor!.set(d); const lm = lossOf(s);
      p.tensor!.set(data);
      const numeric = (lp - lm) / (2 * h);
      expect(Math.abs(g[i] - numeric)).toBeLessThan(1e-4 * Math.max(1, Math.abs(numeric)));
    }
  });
});
