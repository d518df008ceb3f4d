/**
 * Gradient checks of the zoo's models at tiny size on the float64 reference backend, by
 * directional derivatives over every trainable parameter and the input (train mode: batch
 * statistics, unless said otherwise). Sizes are chosen so that each model runs in well under
 * a second on the reference backend; per-element checks of each op are in
 * test/graph/ops_grad.test.ts.
 */
import { GraphBuilder } from '../../src/graph/builder';
import { buildModel } from '../../src/nn';
import { darkNet } from '../../src/nn/darknet';
import { mobileNetV1 } from '../../src/nn/mobilenet';
import { resNet } from '../../src/nn/resnet';
import { checkDirectional, initForCheck } from '../graph/harness';

function backboneGraph(fn: (b: GraphBuilder, x: string, c: { __type__: string }) => string[], cfg: Record<string, unknown>, shape: number[]) {
  const b = new GraphBuilder();
  const x = b.input('image', shape);
  b.output(...fn(b, x, { __type__: 'test', ...cfg }));
  initForCheck(b.graph, 5);
  return b.graph;
}

const TOL = 1e-5;

describe('zoo gradients (reference backend, directional derivatives)', () => {
  // eval mode: at this input size the deepest maps are 1x1, where batch statistics over two
  // values make the loss too curved for finite differences; train-mode batch norm is checked
  // on the backbones below and per op
  test('YOLOv3 + MobileNetV1 (conv_group_scale 0.125, two output levels, 2 classes), eval mode', () => {
    const m = buildModel({
      architecture: 'YOLOv3', YOLOv3: { backbone: 'MobileNet' }, MobileNet: { conv_group_scale: 0.125 },
      YOLOv3Head: { num_classes: 2, anchor_masks: [[3, 4, 5], [0, 1, 2]] },
    }, { inputShape: [2, 3, 32, 32] });
    expect(m.outputs).toHaveLength(2);
    initForCheck(m.graph, 9);
    expect(checkDirectional(m.graph, { training: false, directions: 1 })).toBeLessThan(TOL);
  });

  test('MobileNetV1 backbone, train mode', () => {
    const g = backboneGraph(mobileNetV1, { conv_group_scale: 0.125 }, [2, 3, 64, 64]);
    expect(checkDirectional(g, { directions: 2 })).toBeLessThan(TOL);
  });

  test('ResNet-18 (variant b, batch norm, first stages)', () => {
    const g = backboneGraph(resNet, { depth: 18, norm_type: 'bn', freeze_norm: false, freeze_at: 0, feature_maps: [2, 3] }, [2, 3, 16, 16]);
    expect(checkDirectional(g, { directions: 1 })).toBeLessThan(TOL);
  });

  test('ResNet-50 variant d (affine_channel, frozen norms and stem)', () => {
    const g = backboneGraph(resNet, { depth: 50, variant: 'd', norm_type: 'affine_channel', freeze_norm: true, freeze_at: 1, feature_maps: [2, 3] }, [1, 3, 16, 16]);
    expect(g.paramList().filter((p) => p.trainable).every((p) => /_weights$/.test(p.name) && !p.name.startsWith('conv1_'))).toBe(true);
    expect(checkDirectional(g, { directions: 1 })).toBeLessThan(TOL);
  });

  test('DarkNet-53 backbone at 1/16 width', () => {
    const b = new GraphBuilder();
    const x = b.input('image', [1, 3, 64, 64]);
    b.output(...darkNet(b, x, { __type__: 'DarkNet' }, { channelScale: 1 / 16 }).slice(-3));
    initForCheck(b.graph, 5);
    expect(checkDirectional(b.graph, { directions: 1 })).toBeLessThan(TOL);
  });
});
