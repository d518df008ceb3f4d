/**
 * The full-width YOLOv3-MobileNetV1 of configs/yolov3_mobilenet_v1_voc.yml (every parameter at
 * its real shape; input 96x96, batch 2 to keep it quick) gives the same outputs and parameter
 * gradients on every compiled backend as on native, to float32 tolerance. Gradients are compared
 * in eval mode (running statistics); train-mode outputs are compared too. Backends that are not
 * available here are skipped with their reason.
 */
import * as path from 'path';
import type { Backend } from '../../src/backend/backend';
import { listBackends, backendByName } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { readConfig } from '../../src/config';
import { forward } from '../../src/graph/executor';
import { initParams } from '../../src/graph/init';
import { buildModel } from '../../src/nn';
import { randomArray } from '../util/rng';
import { maxRelError } from '../util/allclose';

const CONFIG = path.join(__dirname, '..', '..', 'configs', 'yolov3_mobilenet_v1_voc.yml');
const SHAPE = [2, 3, 96, 96];

const all = listBackends();
const native = all.find((b) => b.name === 'native')!;
const others = all.filter((b) => b.name.startsWith('wasm'));
for (const b of [native, ...others]) if (!b.available) console.log(`yolov3 backend check: ${b.name} skipped: ${b.reason}`);


function run(backend: Backend<any>) {
  const m = buildModel(readConfig(CONFIG) as never, { mode: 'train', inputShape: SHAPE } as never);
  initParams(m.graph, { seed: 11, backend });
  const image = Tensor.from(randomArray(SHAPE.reduce((a, b) => a * b), 5), SHAPE, backend);
  const ev = forward(m.graph, { image }, { training: false, grad: true });
  const seeds = Object.fromEntries(m.outputs.map((o, i) => [o, Tensor.from(randomArray(ev.outputs[o].size, 20 + i), ev.outputs[o].shape, backend)]));
  const g = ev.tape!.backward(seeds);
  const tr = forward(m.graph, { image }, { training: true });
  return {
    evalOut: m.outputs.map((o) => ev.outputs[o].toArray()),
    trainOut: m.outputs.map((o) => tr.outputs[o].toArray()),
    grads: new Map([...g.params].map(([k, t]) => [k, t.toArray()])),
    trainable: m.graph.paramList().filter((p) => p.trainable).length,
  };
}

const d = native.available && others.some((b) => b.available) ? describe : describe.skip;
d('YOLOv3-MobileNetV1 on the WASM backends matches native', () => {
  const ref = native.available ? run(backendByName('native')) : null;
  for (const b of others) {
    const t = b.available ? test : test.skip;
    t(`${b.name}: outputs (eval, train) and every parameter gradient`, () => {
      const r = run(backendByName(b.name));
      r.evalOut.forEach((o, i) => expect(maxRelError(o, ref!.evalOut[i])).toBeLessThan(1e-4));
      r.trainOut.forEach((o, i) => expect(maxRelError(o, ref!.trainOut[i])).toBeLessThan(1e-3));
      expect(r.grads.size).toBe(r.trainable);
      const bad = [...r.grads].map(([k, g]) => [k, maxRelError(g, ref!.grads.get(k)!)] as const).filter(([, e]) => !(e < 1e-3));
      expect(bad).toEqual([]);
    });
  }
});
