/**
 * Training learns: the trainer's step (train-mode forward, PaddleDetection's summed loss,
 * backward seeded per output, Momentum with L2) repeated on one fixed batch of the digits
 * data drives the loss down and makes the model predict every ground truth's class at its
 * matched cell, with high objectness there, in eval mode (running statistics) as well.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Tensor } from '../../src/backend/tensor';
import { readConfig } from '../../src/config';
import { createReader } from '../../src/data';
import { forward } from '../../src/graph/executor';
import { buildModel, initModel } from '../../src/nn';
import { MomentumOptimizer } from '../../src/train/optimizer';
import { lossConfig } from '../../src/train/trainer';
import { yolov3LossSum } from '../../src/train/yolov3_loss';
import { tinyConfig, tinyDigits } from './tiny';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

test('one batch, 120 steps: loss falls, every gt is found with its class (train and eval mode)', async () => {
  const dataset = await tinyDigits(4, 1);
  const cfg = readConfig(tinyConfig(dataset, fs.mkdtempSync(path.join(os.tmpdir(), 'sp-fit-')))) as any;
  const S = 64;
  cfg.TrainReader.batch_transforms[0].sizes = [S];
  cfg.TrainReader.batch_size = 4;
  const model = buildModel(cfg, { mode: 'train', inputShape: [1, 3, S, S] });
  initModel(model, { seed: 0 });
  const reader = await createReader(cfg.TrainReader, { mode: 'train', seed: 0, startIter: 0, numClasses: 10, workerNum: 0 });
  const batches = reader.batches();
  const b = (await batches.next()).value!;
  await batches.return?.(undefined);
  await reader.close();
  const [N] = b.shape;
  const B = b.numMaxBoxes!;
  const gt = { gtBox: { data: b.gtBox!, shape: [N, B, 4] }, gtLabel: { data: b.gtLabel!, shape: [N, B] } };
  const lc = lossConfig(model, cfg);
  const anchors = lc.anchors as number[][];
  const opt = MomentumOptimizer.forParams(model.graph.paramList(), { momentum: 0.9, l2: 0.0005 });
  const img = Tensor.from(b.image, b.shape);

  // loss, and per gt: objectness and the arg-max class at the cell of its best anchor
  const probe = (training: boolean) => {
    const { outputs } = forward(model.graph, { [model.input]: img }, { training, fetch: model.outputs });
    const outs = model.outputs.map((v) => outputs[v]);
    const total = yolov3LossSum(outs.map((t) => ({ data: t.toArray(), shape: [...t.shape] })), gt, lc).total;
    const found: Array<{ obj: number; ok: boolean }> = [];
    for (let i = 0; i < N; i++) {
      for (let t = 0; t < B; t++) {
        const q = (i * B + t) * 4;
        const [gx, gy, gw, gh] = [b.gtBox![q], b.gtBox![q + 1], b.gtBox![q + 2], b.gtBox![q + 3]];
        if (!(gw > 0)) continue;
        let best = 0;
        let bestA = 0;
        anchors.forEach(([aw, ah], a) => {
          const iw = Math.min(aw / S, gw), ih = Math.min(ah / S, gh);
          const iou = (iw * ih) / ((aw * ah) / (S * S) + gw * gh - iw * ih);
          if (iou > best) [best, bestA] = [iou, a];
        });
        const lvl = lc.anchorMasks.findIndex((m) => m.includes(bestA));
        const j = lc.anchorMasks[lvl].indexOf(bestA);
        const o = outs[lvl];
        const [, ch, H, W] = o.shape;
        const d = o.toArray();
        const at = i * ch * H * W + j * 15 * H * W + Math.min(H - 1, Math.floor(gy * H)) * W + Math.min(W - 1, Math.floor(gx * W));
        let arg = 0;
        for (let c = 1; c < 10; c++) if (d[at + (5 + c) * H * W] > d[at + (5 + arg) * H * W]) arg = c;
        found.push({ obj: sigmoid(d[at + 4 * H * W]), ok: arg === b.gtLabel![i * B + t] });
      }
    }
    outs.forEach((t) => t.dispose());
    return { total, found };
  };

  const first = probe(true).total;
  for (let k = 0; k < 120; k++) {
    const fr = forward(model.graph, { [model.input]: img }, { training: true, grad: true, fetch: model.outputs });
    const outs = model.outputs.map((v) => fr.outputs[v]);
    const loss = yolov3LossSum(outs.map((t) => ({ data: t.toArray(), shape: [...t.shape] })), gt, lc);
    const seeds: Record<string, Tensor> = {};
    model.outputs.forEach((v, i) => (seeds[v] = Tensor.from(loss.dx[i], outs[i].shape, outs[i].backend)));
    outs.forEach((t) => t.dispose());
    const grads = fr.tape!.backward(seeds);
    Object.values(seeds).forEach((t) => t.dispose());
    const params = new Map<string, Tensor>();
    for (const p of model.graph.paramList()) if (p.trainable && p.tensor) params.set(p.name, p.tensor);
    opt.step(params, grads.params, 0.004 * Math.min(1, (k + 1) / 20));
    grads.params.forEach((t) => t.dispose());
  }
  for (const training of [true, false]) {
    const r = probe(training);
    expect(r.found.length).toBeGreaterThan(3);
    expect(r.total).toBeLessThan(first / 20);
    // float32 backends drift apart over 120 steps, so one borderline gt may tip to another
    // class on one backend; a model that did not learn gets most of them wrong.
    const share = (pred: (f: (typeof r.found)[number]) => boolean) => r.found.filter(pred).length / r.found.length;
    expect(share((f) => f.ok)).toBeGreaterThanOrEqual(0.8);
    expect(share((f) => f.obj > 0.5)).toBeGreaterThanOrEqual(0.8);
  }
  img.dispose();
  fs.rmSync(dataset, { recursive: true, force: true });
});
