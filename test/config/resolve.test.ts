// resolveConfig: registry defaults, shared keys, injection by name / tag / mapping, and errors.
import * as path from 'path';
import { resolveConfig, loadConfig, ConfigError, assertArchitectureAvailable } from '../../src/config';
import { errorOf, writeTree, MINIMAL_YOLO } from './helpers';
import { parseYaml } from '../../src/config';

const yolo = (extra = '', overrides: string[] = []) => {
  const dir = writeTree({ 'c.yml': MINIMAL_YOLO + extra });
  return resolveConfig(loadConfig(path.join(dir, 'c.yml'), { overrides }));
};

describe('defaults', () => {
  const cfg = yolo();
  const m = cfg.model as any;

  test('the architecture names its components; unnamed ones take their defaults', () => {
    expect(m.__type__).toBe('YOLOv3');
    expect(m.backbone.__type__).toBe('MobileNet');
    expect(m.yolo_head.__type__).toBe('YOLOv3Head');
    expect(m.yolo_head.yolo_loss.__type__).toBe('YOLOv3Loss');
  });

  test("PaddleDetection's defaults: MobileNet, YOLOv3Head, YOLOv3Loss, its NMS", () => {
    expect(m.backbone).toMatchObject({ norm_type: 'bn', norm_decay: 0, conv_group_scale: 1, with_extra_blocks: false });
    expect(m.yolo_head).toMatchObject({
      num_classes: 80,
      conv_block_num: 2,
      norm_decay: 0,
      anchor_masks: [[6, 7, 8], [3, 4, 5], [0, 1, 2]],
      downsample: [32, 16, 8],
    });
    expect(m.yolo_head.anchors).toHaveLength(9);
    expect(m.yolo_head.anchors[8]).toEqual([373, 326]);
    expect(m.yolo_head.yolo_loss).toMatchObject({ ignore_thresh: 0.7, label_smooth: true });
    expect(m.yolo_head.nms).toEqual({
      __type__: 'MultiClassNMS',
      score_threshold: 0.01,
      nms_top_k: 1000,
      keep_top_k: 100,
      nms_threshold: 0.45,
      normalized: false,
      nms_eta: 1,
      background_label: -1,
    });
  });

  test('global, learning rate and optimizer defaults', () => {
    expect(cfg).toMatchObject({ use_gpu: true, log_iter: 20, save_dir: 'output', snapshot_iter: 10000, map_type: '11point', num_classes: null });
    expect(cfg.LearningRate.base_lr).toBe(0.01);
    expect(cfg.LearningRate.schedulers).toEqual([
      { __type__: 'PiecewiseDecay', gamma: 0.1, milestones: [60000, 80000], values: null },
      { __type__: 'LinearWarmup', steps: 500, start_factor: 1 / 3 },
    ]);
    expect(cfg.OptimizerBuilder.optimizer).toEqual({ __type__: 'Momentum', type: 'Momentum', momentum: 0.9, use_nesterov: false });
    expect(cfg.OptimizerBuilder.regularizer).toEqual({ __type__: 'L2', type: 'L2', factor: 0.0001 });
    expect(cfg.TrainReader).toBeNull();
  });

  test('ResNet: depth 50, variant b, freeze_at 2, affine_channel, all four stages; an integer feature_maps is a list of one', () => {
    const c = resolveConfig({ architecture: 'FasterRCNN', FasterRCNN: { backbone: 'ResNet', rpn_head: 'RPNHead', roi_extractor: 'RoIAlign' }, BBoxHead: { head: 'ResNetC5' } });
    const r = (c.model as any).backbone;
    expect(r).toMatchObject({ depth: 50, variant: 'b', freeze_at: 2, norm_type: 'affine_channel', freeze_norm: true, feature_maps: [2, 3, 4, 5] });
    const c4 = resolveConfig({ ...c.raw, ResNet: { feature_maps: 4 } });
    expect((c4.model as any).backbone.feature_maps).toEqual([4]);
    expect((c4.model as any).rpn_head.train_proposal).toMatchObject({ pre_nms_top_n: 12000, post_nms_top_n: 2000, nms_thresh: 0.5 });
    expect((c4.model as any).bbox_head.nms).toMatchObject({ score_threshold: 0.05, background_label: 0 });
  });
});

describe('overriding fields', () => {
  test('a section overrides fields of the component it names', () => {
    const m = yolo('MobileNet:\n  conv_group_scale: 0.25\n  norm_type: sync_bn\n').model as any;
    expect(m.backbone).toMatchObject({ conv_group_scale: 0.25, norm_type: 'sync_bn', with_extra_blocks: false });
  });

  test("a plain nms mapping is laid over the head's default NMS (background_label stays -1)", () => {
    const m = yolo('YOLOv3Head:\n  nms:\n    score_threshold: 0.05\n').model as any;
    expect(m.yolo_head.nms).toMatchObject({ score_threshold: 0.05, nms_top_k: 1000, background_label: -1 });
  });

  test('shared keys: the global value applies unless the section sets its own', () => {
    const a = yolo('num_classes: 20\n');
    expect((a.model as any).yolo_head.num_classes).toBe(20);
    expect(a.num_classes).toBe(20);
    const b = yolo('num_classes: 20\nYOLOv3Head:\n  num_classes: 3\n');
    expect((b.model as any).yolo_head.num_classes).toBe(3);
    const c = yolo('norm_type: sync_bn\n');
    expect((c.model as any).backbone.norm_type).toBe('sync_bn');
  });

  test('optimizer `type` picks the entry and its defaults', () => {
    const c = yolo('OptimizerBuilder:\n  optimizer: {type: Adam, beta1: 0.8}\n  regularizer: null\n');
    expect(c.OptimizerBuilder.optimizer).toEqual({ __type__: 'Adam', type: 'Adam', beta1: 0.8, beta2: 0.999, epsilon: 1e-8 });
    expect(c.OptimizerBuilder.regularizer).toBeNull();
  });

  test('overrides reach into the tree', () => {
    const c = yolo('', ['YOLOv3.backbone=DarkNet', 'YOLOv3Head.yolo_loss.ignore_thresh=0.5', 'LearningRate.base_lr=0.1']);
    expect((c.model as any).backbone).toEqual({ __type__: 'DarkNet', depth: 53, norm_type: 'bn', norm_decay: 0, weight_prefix_name: '' });
    expect((c.model as any).yolo_head.yolo_loss.ignore_thresh).toBe(0.5);
    expect(c.LearningRate.base_lr).toBe(0.1);
  });

  test('a resolved tree is a fresh copy: defaults are never shared between configs', () => {
    const a = yolo();
    ((a.model as any).yolo_head.anchors as number[][])[0][0] = 999;
    expect((yolo().model as any).yolo_head.anchors[0][0]).toBe(10);
  });
});

describe('errors', () => {
  const fail = (extra: string, overrides: string[] = []) => {
    try {
      yolo(extra, overrides);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  test('unknown top-level key: file and closest names', () => {
    expect(fail('Mobilenet:\n  conv_group_scale: 1\n')).toMatch(/^config: .*c\.yml: unknown key Mobilenet \(did you mean MobileNet\?\)$/);
    expect(fail('max_iter: 5\n')).toMatch(/unknown key max_iter \(did you mean max_iters(, \w+)*\?\)$/);
  });

  test('unknown field of a component: the key path and the closest fields', () => {
    expect(fail('MobileNet:\n  norm_typ: bn\n')).toMatch(/^config: .*c\.yml: unknown key MobileNet\.norm_typ for MobileNet \(did you mean norm_type\?\)$/);
    expect(fail('YOLOv3Head:\n  nms: {score_treshold: 0.1}\n')).toMatch(/unknown key YOLOv3Head\.nms\.score_treshold for MultiClassNMS \(did you mean score_threshold\?\)/);
  });

  test('unknown component names: the closest names of the right kind', () => {
    expect(fail('', ['architecture=YOLOV3'])).toBe(
      "config: -o architecture=YOLOV3: expected one of YOLOv3, FasterRCNN, MaskRCNN, CascadeRCNN for architecture, got 'YOLOV3' (did you mean YOLOv3?)",
    );
    expect(fail('', ['YOLOv3.backbone=MobileNt'])).toMatch(/expected one of MobileNet, DarkNet, ResNet, ResNetC5 for YOLOv3\.backbone, got 'MobileNt' \(did you mean MobileNet\?\)/);
    expect(fail('', ['YOLOv3.yolo_head=YOLOv3Loss'])).toMatch(/expected one of .*YOLOv3Head.* for YOLOv3\.yolo_head, got 'YOLOv3Loss'/);
    expect(fail('LearningRate:\n  schedulers: [!MobileNet {}]\n')).toMatch(
      /expected one of !PiecewiseDecay, !LinearWarmup, !CosineDecay for LearningRate\.schedulers\[0\], got !MobileNet/,
    );
    expect(fail('OptimizerBuilder:\n  optimizer: {type: Momentun}\n')).toMatch(/for OptimizerBuilder\.optimizer\.type, got 'Momentun' \(did you mean Momentum\?\)/);
  });

  test('wrong types: the key, the expected type and the value found', () => {
    expect(fail('MobileNet:\n  conv_group_scale: abc\n')).toMatch(/: expected a number > 0 and <= 8 for MobileNet\.conv_group_scale, got 'abc'$/);
    expect(fail('max_iters: 1.5\n')).toMatch(/expected an integer >= 0 for max_iters, got 1\.5$/);
    expect(fail('use_gpu: 1\n')).toMatch(/expected a boolean for use_gpu, got 1$/);
    expect(fail('YOLOv3Head:\n  anchors: [[1, 2], [3, x]]\n')).toMatch(/expected a number > 0 and <= 4096 for YOLOv3Head\.anchors\[1\]\[1\], got 'x'$/);
    expect(fail('MobileNet:\n  norm_type: bm\n')).toMatch(/expected one of 'bn', 'sync_bn' for MobileNet\.norm_type, got 'bm' \(did you mean bn\?\)$/);
    expect(fail('YOLOv3Head: 5\n')).toMatch(/expected a mapping of YOLOv3Head fields for YOLOv3Head, got 5$/);
    expect(fail('num_classes: x\n')).toMatch(/expected an integer in \[1, 10000\] for num_classes, got 'x'$/);
  });

  test('the message names the source of the faulty value: an include or an override', () => {
    const dir = writeTree({ 'a.yml': MINIMAL_YOLO + "_READER_: r.yml\n", 'r.yml': 'TrainReader:\n  dataset: !VOCDataSet {}\n  batch_size: big\n' });
    expect(errorOf(() => resolveConfig(loadConfig(path.join(dir, 'a.yml'))))).toMatch(/^config: .*r\.yml: expected an integer >= 1 for TrainReader\.batch_size, got 'big'$/);
    expect(fail('', ['MobileNet.conv_group_scale=[1]'])).toMatch(/^config: -o MobileNet\.conv_group_scale=\[1\]: expected a number/);
  });

  test('missing required keys and untagged components', () => {
    expect(errorOf(() => resolveConfig({ architecture: 'YOLOv3' }))).toMatch(/missing required key YOLOv3\.backbone/);
    expect(errorOf(() => resolveConfig({ YOLOv3: { backbone: 'MobileNet' } }))).toMatch(/missing required key architecture/);
    expect(fail('TrainReader:\n  dataset: {dataset_dir: x}\n')).toMatch(/expected a tagged dataset \(!COCODataSet, !VOCDataSet, !ImageFolder\) for TrainReader\.dataset/);
  });

  test('sections the model does not use are still checked', () => {
    expect(fail('ResNet:\n  depht: 50\n')).toMatch(/unknown key ResNet\.depht for ResNet \(did you mean depth\?\)/);
  });

  test('component cycles are reported', () => {
    const msg = errorOf(() =>
      resolveConfig({ architecture: 'FasterRCNN', FasterRCNN: { backbone: 'ResNet', rpn_head: 'RPNHead', roi_extractor: 'RoIAlign', bbox_head: 'BBoxHead' }, BBoxHead: { head: 'BBoxHead' } }),
    );
    expect(msg).toMatch(/component cycle: .*BBoxHead -> BBoxHead/);
  });
});

describe('availability', () => {
  test('Cascade R-CNN resolves but the model builder refuses it; Faster / Mask R-CNN build', () => {
    expect(() => assertArchitectureAvailable('YOLOv3')).not.toThrow();
    expect(() => assertArchitectureAvailable('FasterRCNN')).not.toThrow();
    expect(() => assertArchitectureAvailable('CascadeRCNN')).toThrow('architecture CascadeRCNN is not available yet');
    expect(() => assertArchitectureAvailable('YOLOV3')).toThrow(/did you mean YOLOv3/);
  });
});

test('parseYaml output feeds resolveConfig directly', () => {
  const cfg = resolveConfig(parseYaml(MINIMAL_YOLO + 'TestReader:\n  dataset: !ImageFolder\n', 'x.yml') as Record<string, unknown>);
  expect(cfg.TestReader?.dataset).toMatchObject({ __type__: 'ImageFolder', with_background: true });
  expect(cfg.TestReader?.inputs_def).toMatchObject({ image_shape: [3, null, null], num_max_boxes: 50 });
});
