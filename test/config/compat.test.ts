// Every real PaddleDetection config in ../shared/paddledet-configs loads unchanged, and
// slimprune's own configs/ resolve to the same values as their PaddleDetection originals.
import * as fs from 'fs';
import * as path from 'path';
import { readConfig, type SlimConfig } from '../../src/config';
import { PADDLE_CONFIGS, OUR_CONFIGS } from './helpers';

const present = fs.existsSync(PADDLE_CONFIGS);
if (!present) console.log(`skipping PaddleDetection compatibility tests: ${PADDLE_CONFIGS} is absent`);
const d = present ? describe : describe.skip;

/** The top files (those with an architecture; the others are _READER_ includes). */
const topFiles = present
  ? fs.readdirSync(PADDLE_CONFIGS).filter((f) => f.endsWith('.yml') && /^architecture:/m.test(fs.readFileSync(path.join(PADDLE_CONFIGS, f), 'utf8')))
  : [];

function comparable(c: SlimConfig): Omit<SlimConfig, '__file__' | 'raw'> {
  const { __file__: _f, raw: _r, ...rest } = c;
  return rest;
}

d('PaddleDetection configs', () => {
  test('the folder holds the configs the tutorial uses', () => {
    expect(topFiles.sort()).toEqual(expect.arrayContaining(['faster_rcnn_r50_1x.yml', 'mask_rcnn_r50_1x.yml', 'yolov3_mobilenet_v1_voc.yml']));
  });

  test.each(topFiles)('%s loads and resolves', (f) => {
    const cfg = readConfig(path.join(PADDLE_CONFIGS, f));
    expect(cfg.model.__type__).toBe(cfg.architecture);
    expect(cfg.TrainReader?.dataset.__type__).toMatch(/DataSet$/);
    expect(cfg.EvalReader?.sample_transforms.length).toBeGreaterThan(0);
    expect(cfg.TestReader?.dataset.__type__).toBe('ImageFolder');
  });

  test('yolov3_mobilenet_v1_voc.yml: values from the file, its reader and the defaults', () => {
    const cfg = readConfig(path.join(PADDLE_CONFIGS, 'yolov3_mobilenet_v1_voc.yml'));
    const m = cfg.model as any;
    expect(cfg).toMatchObject({ architecture: 'YOLOv3', max_iters: 70000, snapshot_iter: 2000, metric: 'VOC', num_classes: 20 });
    expect(m.backbone).toMatchObject({ __type__: 'MobileNet', norm_type: 'sync_bn', conv_group_scale: 1 });
    expect(m.yolo_head).toMatchObject({ num_classes: 20, norm_decay: 0 });
    expect(m.yolo_head.yolo_loss).toMatchObject({ ignore_thresh: 0.7, label_smooth: false });
    expect(cfg.LearningRate).toMatchObject({ base_lr: 0.001 });
    expect(cfg.LearningRate.schedulers[0]).toMatchObject({ __type__: 'PiecewiseDecay', milestones: [55000, 62000] });
    expect(cfg.LearningRate.schedulers[1]).toMatchObject({ __type__: 'LinearWarmup', start_factor: 0, steps: 1000 });
    expect(cfg.OptimizerBuilder.regularizer).toMatchObject({ type: 'L2', factor: 0.0005 });
    const tr = cfg.TrainReader!;
    // The VOC dataset of the top file replaces the reader file's COCO dataset whole.
    expect(tr.dataset).toEqual({ __type__: 'VOCDataSet', dataset_dir: 'dataset/voc', image_dir: null, anno_path: 'trainval.txt', sample_num: -1, with_background: false, use_default_label: true, label_list: 'label_list.txt' });
    expect(tr.sample_transforms.map((t) => t.__type__)).toEqual(['DecodeImage', 'MixupImage', 'ColorDistort', 'RandomExpand', 'RandomCrop', 'RandomFlipImage', 'NormalizeBox', 'PadBox', 'BboxXYXY2XYWH']);
    expect(tr.batch_transforms[0]).toMatchObject({ __type__: 'RandomShape', sizes: [320, 352, 384, 416, 448, 480, 512, 544, 576, 608] });
    expect(tr).toMatchObject({ batch_size: 8, mixup_epoch: 250, num_classes: 20 });
    expect(cfg.EvalReader!.inputs_def.fields).toEqual(['image', 'im_size', 'im_id', 'gt_bbox', 'gt_class', 'is_difficult']);
  });

  test('faster_rcnn_r50_1x.yml and mask_rcnn_r50_1x.yml resolve their R-CNN trees', () => {
    const f = readConfig(path.join(PADDLE_CONFIGS, 'faster_rcnn_r50_1x.yml')).model as any;
    expect(f.backbone).toMatchObject({ __type__: 'ResNet', depth: 50, feature_maps: [4], freeze_at: 2, norm_type: 'affine_channel' });
    expect(f.rpn_head.anchor_generator).toMatchObject({ anchor_sizes: [32, 64, 128, 256, 512], stride: [16, 16] });
    expect(f.bbox_head.head).toMatchObject({ __type__: 'ResNetC5', feature_maps: [5] });
    expect(f.bbox_head.num_classes).toBe(81);
    expect(f.bbox_assigner.num_classes).toBe(81);
    const mk = readConfig(path.join(PADDLE_CONFIGS, 'mask_rcnn_r50_1x.yml')).model as any;
    expect(mk.mask_head).toMatchObject({ __type__: 'MaskHead', conv_dim: 256, resolution: 14, num_classes: 81 });
    expect(mk.roi_extractor).toMatchObject({ __type__: 'RoIAlign', resolution: 14, spatial_scale: 0.0625 });
  });

  test("slimprune's configs/yolov3_mobilenet_v1_voc.yml resolves to the same values as PaddleDetection's", () => {
    const ours = readConfig(path.join(OUR_CONFIGS, 'yolov3_mobilenet_v1_voc.yml'));
    const theirs = readConfig(path.join(PADDLE_CONFIGS, 'yolov3_mobilenet_v1_voc.yml'));
    expect(comparable(ours)).toEqual(comparable(theirs));
    expect(ours.raw).toEqual(theirs.raw);
  });
});

describe("slimprune's own configs", () => {
  test('the demo config loads: quarter-width MobileNet, few classes, 160-pixel inputs', () => {
    const cfg = readConfig(path.join(OUR_CONFIGS, 'demo', 'yolov3_mobilenet_v1_demo.yml'));
    const m = cfg.model as any;
    expect(m.backbone.conv_group_scale).toBe(0.25);
    expect(m.yolo_head.num_classes).toBe(3);
    expect(cfg.TestReader!.inputs_def.image_shape).toEqual([3, 160, 160]);
    expect(cfg.EvalReader!.sample_transforms.find((t) => t.__type__ === 'ResizeImage')).toMatchObject({ target_size: 160 });
    expect(cfg.use_gpu).toBe(false);
  });

  test('every config under configs/ loads', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.yml') && /^architecture:/m.test(fs.readFileSync(p, 'utf8'))) files.push(p);
      }
    };
    walk(OUR_CONFIGS);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) expect(['YOLOv3', 'FasterRCNN', 'MaskRCNN']).toContain(readConfig(f).model.__type__);
  });
});
