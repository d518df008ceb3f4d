/**
 * The zoo's graphs: exact PaddleDetection parameter names, shapes and order, output shapes,
 * FLOPs as PaddleSlim counts them (published baselines), configs, clean refusals.
 */
import * as fs from 'fs';
import * as path from 'path';
import { countFlops } from '../../src/graph/flops';
import { buildModel } from '../../src/nn';
import { GraphBuilder } from '../../src/graph/builder';
import { darkNet } from '../../src/nn/darknet';
import { resNet } from '../../src/nn/resnet';

const YOLO_MBV1_VOC = {
  architecture: 'YOLOv3', num_classes: 20,
  YOLOv3: { backbone: 'MobileNet', yolo_head: 'YOLOv3Head' },
  MobileNet: { norm_type: 'sync_bn', norm_decay: 0, conv_group_scale: 1, with_extra_blocks: false },
  YOLOv3Head: { anchor_masks: [[6, 7, 8], [3, 4, 5], [0, 1, 2]], norm_decay: 0 },
};

describe('YOLOv3 + MobileNetV1 (yolov3_mobilenet_v1_voc)', () => {
  const m = buildModel(YOLO_MBV1_VOC);
  const params = m.graph.paramList();
  const shapeOf = (n: string) => m.graph.param(n).shape;

  test('parameter count and order', () => {
    // 27 backbone convs x (weight + 4 BN) + 20 head conv+BN x 5 + 3 outputs x (weight + bias)
    expect(params).toHaveLength(27 * 5 + 20 * 5 + 3 * 2);
    expect(params.slice(0, 11).map((p) => `${p.name}: [${p.shape.join(', ')}]`)).toEqual([
      'conv1_weights: [32, 3, 3, 3]', 'conv1_bn_scale: [32]', 'conv1_bn_offset: [32]', 'conv1_bn_mean: [32]', 'conv1_bn_variance: [32]',
      'conv2_1_dw_weights: [32, 1, 3, 3]', 'conv2_1_dw_bn_scale: [32]', 'conv2_1_dw_bn_offset: [32]', 'conv2_1_dw_bn_mean: [32]', 'conv2_1_dw_bn_variance: [32]',
      'conv2_1_sep_weights: [64, 32, 1, 1]',
    ]);
    const convs = params.filter((p) => p.shape.length === 4).map((p) => p.name);
    expect(convs.slice(0, 27)).toEqual([
      'conv1_weights',
      ...['2_1', '2_2', '3_1', '3_2', '4_1', '4_2', '5_1', '5_2', '5_3', '5_4', '5_5', '5_6'].flatMap((s) => [`conv${s}_dw_weights`, `conv${s}_sep_weights`]),
      'conv6_dw_weights', 'conv6_sep_weights',
    ]);
    expect(convs.slice(27)).toEqual([
      ...[0, 1, 2].flatMap((i) => [
        `yolo_block.${i}.0.0.conv.weights`, `yolo_block.${i}.0.1.conv.weights`, `yolo_block.${i}.1.0.conv.weights`, `yolo_block.${i}.1.1.conv.weights`,
        `yolo_block.${i}.2.conv.weights`, `yolo_block.${i}.tip.conv.weights`, `yolo_output.${i}.conv.weights`, ...(i < 2 ? [`yolo_transition.${i}.conv.weights`] : []),
      ]),
    ]);
  });

  test('head shapes: 1024-channel input, concat with the upsampled route, 75 outputs', () => {
    expect(shapeOf('yolo_block.0.0.0.conv.weights')).toEqual([512, 1024, 1, 1]);
    expect(shapeOf('yolo_block.0.0.1.conv.weights')).toEqual([1024, 512, 3, 3]);
    expect(shapeOf('yolo_block.0.tip.conv.weights')).toEqual([1024, 512, 3, 3]);
    expect(shapeOf('yolo_output.0.conv.weights')).toEqual([75, 1024, 1, 1]);
    expect(shapeOf('yolo_output.0.conv.bias')).toEqual([75]);
    expect(shapeOf('yolo_transition.0.conv.weights')).toEqual([256, 512, 1, 1]);
    expect(shapeOf('yolo_block.1.0.0.conv.weights')).toEqual([256, 768, 1, 1]);
    expect(shapeOf('yolo_transition.1.conv.weights')).toEqual([128, 256, 1, 1]);
    expect(shapeOf('yolo_block.2.0.0.conv.weights')).toEqual([128, 384, 1, 1]);
    expect(shapeOf('yolo_block.2.tip.conv.weights')).toEqual([256, 128, 3, 3]);
    expect(shapeOf('yolo_block.2.2.bn.var')).toEqual([128]);
    expect(m.outputs.map((o) => m.graph.shapeOf(o))).toEqual([[1, 75, 19, 19], [1, 75, 38, 38], [1, 75, 76, 76]]);
  });

  test('trainability and decay: BN statistics frozen, output bias and backbone convs undecayed', () => {
    const p = (n: string) => m.graph.param(n);
    expect(p('conv1_bn_mean').trainable).toBe(false);
    expect(p('conv1_bn_variance').trainable).toBe(false);
    expect(p('conv1_bn_scale')).toMatchObject({ trainable: true, decay: 'norm', l2: 0 });
    expect(p('conv1_weights').decay).toBe('none'); // MobileNet conv_decay 0
    expect(p('yolo_block.0.0.0.conv.weights').decay).toBe('weight');
    expect(p('yolo_output.0.conv.bias').decay).toBe('none');
  });

  test('FLOPs match the published baselines (20.20 / 9.46 / 5.60 GFLOPs at 608 / 416 / 320)', () => {
    const g = (s: number) => countFlops(m.graph, { inputShapes: { image: [1, 3, s, s] } }).gflops.toFixed(2);
    expect([g(608), g(416), g(320)]).toEqual(['20.20', '9.46', '5.60']);
    // with the output convs' bias counted (the formula's "+1 if bias", which Paddle's own graphs
    // never trigger) the 608 figure grows by 19^2*75 + 38^2*75 + 76^2*75 multiply-adds
    const withBias = countFlops(m.graph, { countConvBias: true }).macs - countFlops(m.graph).macs;
    expect(withBias).toBe((19 * 19 + 38 * 38 + 76 * 76) * 75);
    const r = countFlops(m.graph);
    expect(r.params).toBe(params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0));
    expect(r.sizeMB).toBeCloseTo((r.params * 4) / 2 ** 20, 9);
    // the graph keeps its own shapes when counted at another size
    expect(m.graph.shapeOf('image')).toEqual([1, 3, 608, 608]);
  });

  test('conv_group_scale scales every backbone channel count, not the head', () => {
    const t = buildModel({ ...YOLO_MBV1_VOC, MobileNet: { conv_group_scale: 0.25 } }, { inputShape: [1, 3, 64, 64] });
    expect(t.graph.param('conv1_weights').shape).toEqual([8, 3, 3, 3]);
    expect(t.graph.param('conv2_1_dw_weights').shape).toEqual([8, 1, 3, 3]);
    expect(t.graph.param('conv6_sep_weights').shape).toEqual([256, 256, 1, 1]);
    expect(t.graph.param('yolo_block.0.0.0.conv.weights').shape).toEqual([512, 256, 1, 1]);
    expect(t.graph.node('conv5_3_dw').attrs.groups).toBe(128);
  });

  const cfgFile = path.join(__dirname, '..', '..', '..', 'shared', 'paddledet-configs', 'yolov3_mobilenet_v1_voc.yml');
  const haveCfg = fs.existsSync(cfgFile);
  if (!haveCfg) console.log(`skipping the real-config test: ${cfgFile} is absent`);
  (haveCfg ? test : test.skip)('builds from the real PaddleDetection config file', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { readConfig } = require('../../src/config');
    const built = buildModel(readConfig(cfgFile));
    expect(built.graph.paramList().map((p) => `${p.name}:${p.shape}`)).toEqual(params.map((p) => `${p.name}:${p.shape}`));
    expect(built.head.nms).toMatchObject({ scoreThreshold: 0.01, nmsThreshold: 0.45, nmsTopK: 1000, keepTopK: 100, backgroundLabel: -1 });
  });
});

describe('other backbones and architectures', () => {
  test('DarkNet-53 names, shapes and outputs', () => {
    const b = new GraphBuilder();
    const outs = darkNet(b, b.input('image', [1, 3, 256, 256]), { __type__: 'DarkNet' });
    const g = b.graph;
    expect(g.paramList().filter((p) => p.shape.length === 4)).toHaveLength(52);
    expect(g.param('yolo_input.conv.weights').shape).toEqual([32, 3, 3, 3]);
    expect(g.param('yolo_input.downsample.conv.weights').shape).toEqual([64, 32, 3, 3]);
    expect(g.param('stage.0.0.0.conv.weights').shape).toEqual([32, 64, 1, 1]);
    expect(g.param('stage.0.0.1.bn.var').shape).toEqual([64]);
    expect(g.param('stage.3.7.1.conv.weights').shape).toEqual([512, 256, 3, 3]);
    expect(g.param('stage.3.downsample.conv.weights').shape).toEqual([1024, 512, 3, 3]);
    expect(g.param('stage.4.3.1.conv.weights').shape).toEqual([1024, 512, 3, 3]);
    expect(outs.map((o) => g.shapeOf(o))).toEqual([[1, 64, 128, 128], [1, 128, 64, 64], [1, 256, 32, 32], [1, 512, 16, 16], [1, 1024, 8, 8]]);
    expect(g.node('stage.0.0.0.bn.leaky_relu').attrs.alpha).toBe(0.1);
  });

  test('YOLOv3 on DarkNet uses the last three stages', () => {
    const m = buildModel({ architecture: 'YOLOv3', num_classes: 80, YOLOv3: { backbone: 'DarkNet' }, DarkNet: { depth: 53 }, YOLOv3Head: {} }, { inputShape: [1, 3, 320, 320] });
    expect(m.graph.param('yolo_block.0.0.0.conv.weights').shape).toEqual([512, 1024, 1, 1]);
    expect(m.graph.param('yolo_output.2.conv.weights').shape).toEqual([255, 256, 1, 1]);
    expect(m.outputs.map((o) => m.graph.shapeOf(o)[2])).toEqual([10, 20, 40]);
  });

  test('ResNet-50 (affine_channel) names and the res4a..res4f stage', () => {
    const b = new GraphBuilder();
    const outs = resNet(b, b.input('image', [1, 3, 224, 224]), { __type__: 'ResNet', depth: 50, norm_type: 'affine_channel', feature_maps: [4, 5] });
    const g = b.graph;
    expect(g.param('conv1_weights').shape).toEqual([64, 3, 7, 7]);
    expect(g.param('bn_conv1_scale').shape).toEqual([64]);
    expect(g.params.has('bn_conv1_mean')).toBe(false);
    expect(g.param('res2a_branch1_weights').shape).toEqual([256, 64, 1, 1]);
    expect(g.param('res4f_branch2c_weights').shape).toEqual([1024, 256, 1, 1]);
    expect(g.params.has('res4g_branch2a_weights')).toBe(false);
    expect(g.param('bn4f_branch2b_offset').shape).toEqual([256]);
    expect(g.param('res5a_branch2b_weights').shape).toEqual([512, 512, 3, 3]);
    expect(g.param('res5c_branch2c_weights').shape).toEqual([2048, 512, 1, 1]);
    expect(outs.map((o) => g.shapeOf(o))).toEqual([[1, 1024, 14, 14], [1, 2048, 7, 7]]);
    // freeze_at 2 (default): stem and res2 frozen; freeze_norm: no norm is trained
    expect(g.param('res2c_branch2a_weights').trainable).toBe(false);
    expect(g.param('res3a_branch2a_weights').trainable).toBe(true);
    expect(g.param('bn3a_branch2a_scale').trainable).toBe(false);
  });

  test('ResNet-34 with batch norm, and the vd stem / shortcut', () => {
    const b = new GraphBuilder();
    resNet(b, b.input('image', [1, 3, 64, 64]), { __type__: 'ResNet', depth: 34, norm_type: 'bn', freeze_norm: false, freeze_at: 0, feature_maps: [3, 4, 5] });
    const g = b.graph;
    expect(g.param('res2a_branch1_weights').shape).toEqual([64, 64, 1, 1]); // depth < 50: first block always has a shortcut conv
    expect(g.param('bn2a_branch2a_variance').shape).toEqual([64]);
    expect(g.params.has('res2b_branch1_weights')).toBe(false);
    expect(g.param('res4f_branch2b_weights').shape).toEqual([256, 256, 3, 3]);
    const d = new GraphBuilder();
    resNet(d, d.input('image', [1, 3, 64, 64]), { __type__: 'ResNet', depth: 50, variant: 'd', feature_maps: [3] });
    expect(d.graph.param('conv1_1_weights').shape).toEqual([32, 3, 3, 3]);
    expect(d.graph.param('bnv1_3_scale').shape).toEqual([64]); // Paddle's rule: 'bn' + name[3:]
    expect(d.graph.node('res3a_branch1_pool').attrs).toMatchObject({ pooling_type: 'avg', ceil_mode: true });
    expect(d.graph.node('res3a_branch1').attrs.strides).toEqual([1, 1]);
  });

  test('R-CNN architectures and unsupported options are refused cleanly', () => {
    expect(() => buildModel({ architecture: 'CascadeRCNN', CascadeRCNN: { backbone: 'ResNet' } })).toThrow('architecture CascadeRCNN is not available yet');
    expect(() => buildModel({ model: { __type__: 'MaskRCNN' } })).toThrow('architecture MaskRCNN: this is not available yet for R-CNN models');
    expect(() => buildModel({ architecture: 'YOLOv3', YOLOv3: { backbone: 'VGG' } })).toThrow("expected one of MobileNet, DarkNet, ResNet for backbone, got 'VGG'");
    expect(() => buildModel({ architecture: 'YOLOv3', YOLOv3: { backbone: 'MobileNet' }, YOLOv3Head: { spp: true } })).toThrow('SPP (spp: true) is not available yet');
  });
});
