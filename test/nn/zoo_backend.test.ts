/**
 * Forward + backward of a tiny YOLOv3-MobileNetV1 (two output levels, 64x64 input) on the default fast backend (native, else
 * WASM; SLIMPRUNE_BACKEND picks another), compared with the float64 reference: outputs and
 * parameter gradients agree to float32 accuracy. Skipped, with the reason, when only the
 * reference backend is available.
 */
import { getBackend } from '../../src/backend/loader';
import { Tensor } from '../../src/backend/tensor';
import { forward } from '../../src/graph/executor';
import { initParams } from '../../src/graph/init';
import { buildModel } from '../../src/nn';
import { randomArray } from '../util/rng';
import { maxRelError } from '../util/allclose';
import { reference } from '../graph/harness';
import { fastBackend } from '../util/fast_backend';

const fast = fastBackend('the fast-backend YOLOv3 run');
const d = fast ? describe : describe.skip;


d('YOLOv3 + MobileNetV1 (tiny) on the default backend', () => {
  // Gradients are compared in eval mode: in train mode the deepest maps are 2x2, and batch
  // statistics over 8 values per channel make float32 gradients of the early layers drift by a
  // few percent from float64 (outputs still agree; see the train-mode check below).
  test('forward (train and eval) and eval-mode backward agree with the reference', () => {
    const run = (backend: ReturnType<typeof getBackend>, training: boolean) => {
      const m = buildModel({ architecture: 'YOLOv3', YOLOv3: { backbone: 'MobileNet' }, MobileNet: { conv_group_scale: 0.125 }, YOLOv3Head: { num_classes: 2, anchor_masks: [[3, 4, 5], [0, 1, 2]] } },
        { inputShape: [2, 3, 64, 64] });
      initParams(m.graph, { seed: 1, backend });
      const image = Tensor.from(randomArray(2 * 3 * 64 * 64, 3), [2, 3, 64, 64], backend);
      const { outputs, tape } = forward(m.graph, { image }, { training, grad: true });
      const seeds = Object.fromEntries(m.outputs.map((o, i) => [o, Tensor.from(randomArray(outputs[o].size, 10 + i), outputs[o].shape, backend)]));
      const grads = tape!.backward(seeds);
      return { m, out: m.outputs.map((o) => outputs[o].toArray()), grads };
    };
    const at = run(fast!, true);
    const rt = run(reference(), true);
    at.out.forEach((o, i) => expect(maxRelError(o, rt.out[i])).toBeLessThan(1e-3));
    const a = run(fast!, false);
    const r = run(reference(), false);
    a.out.forEach((o, i) => expect(maxRelError(o, r.out[i])).toBeLessThan(1e-3));
    const errs = ['conv1_weights', 'conv6_sep_weights', 'yolo_block.0.0.0.conv.weights', 'yolo_block.1.tip.bn.scale', 'yolo_output.1.conv.bias']
      .map((name) => [name, maxRelError(a.grads.params.get(name)!.toArray(), r.grads.params.get(name)!.toArray())] as const);
    expect(errs.filter(([, e]) => !(e < 1e-3))).toEqual([]);
    expect(a.grads.params.size).toBe(a.m.graph.paramList().filter((p) => p.trainable).length);
  });
});
