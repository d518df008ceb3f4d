/**
 * A tiny digits dataset and a config for it (the real YOLOv3 + MobileNetV1 at 1/8 width on
 * 64x64 inputs), shared by the trainer tests. The dataset is made once per test file.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeDigitsDataset } from '../../src/data';

export async function tinyDigits(train = 8, test = 4): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-digits-'));
  await writeDigitsDataset({ out: dir, train, test, size: 64, seed: 3 });
  return dir;
}

export function tinyConfig(dataset: string, saveDir: string, o: { workers?: number; maxIters?: number; snapshotIter?: number; baseLr?: number; adam?: boolean } = {}): string {
  const reader = (split: string, train: boolean) => `
  inputs_def:
    fields: [${train ? "'image', 'gt_bbox', 'gt_class', 'gt_score'" : "'image', 'im_size', 'im_id', 'gt_bbox', 'gt_class', 'is_difficult'"}]
    num_max_boxes: 6
  dataset:
    !VOCDataSet
    dataset_dir: ${dataset}
    anno_path: ${split}
    label_list: label_list.txt
    use_default_label: false
    with_background: false
  sample_transforms:
  - !DecodeImage
    to_rgb: true
${train ? `  - !RandomFlipImage
    is_normalized: false
  - !NormalizeBox {}
  - !PadBox
    num_max_boxes: 6
  - !BboxXYXY2XYWH {}
  batch_transforms:
  - !RandomShape
    sizes: [64, 96]
  - !NormalizeImage
    mean: [0.485, 0.456, 0.406]
    std: [0.229, 0.224, 0.225]
    is_scale: true
    is_channel_first: false
  - !Permute
    to_bgr: false
    channel_first: true
  shuffle: true
  drop_last: true` : `  - !ResizeImage
    target_size: 64
  - !NormalizeImage
    mean: [0.485, 0.456, 0.406]
    std: [0.229, 0.224, 0.225]
    is_scale: true
    is_channel_first: false
  - !PadBox
    num_max_boxes: 6
  - !Permute
    to_bgr: false
    channel_first: true`}
  batch_size: 2
  worker_num: ${o.workers ?? 0}
`;
  const yml = `architecture: YOLOv3
max_iters: ${o.maxIters ?? 6}
log_iter: 1
save_dir: ${saveDir}
snapshot_iter: ${o.snapshotIter ?? 2}
metric: VOC
pretrain_weights: ''
num_classes: 10
YOLOv3:
  backbone: MobileNet
  yolo_head: YOLOv3Head
MobileNet:
  conv_group_scale: 0.125
YOLOv3Head:
  width_scale: 0.125
  anchors: [[4, 12], [6, 9], [8, 9], [8, 13], [10, 11], [11, 16], [14, 12], [13, 17], [16, 18]]
  nms:
    keep_top_k: 20
    nms_top_k: 100
    score_threshold: 0.01
YOLOv3Loss:
  label_smooth: false
LearningRate:
  base_lr: ${o.baseLr ?? 0.001}
  schedulers:
  - !PiecewiseDecay
    milestones: [4]
  - !LinearWarmup
    start_factor: 0.1
    steps: 2
OptimizerBuilder:
  optimizer:
${o.adam ? '    type: Adam\n    beta1: 0.9' : '    type: Momentum\n    momentum: 0.9'}
  regularizer:
    type: L2
    factor: 0.0005
TrainReader:${reader('trainval.txt', true)}
EvalReader:${reader('test.txt', false)}
TestReader:
  inputs_def:
    image_shape: [3, 64, 64]
  dataset:
    !ImageFolder {}
`;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sp-cfg-')), 'tiny_digits.yml');
  fs.writeFileSync(file, yml);
  return file;
}
