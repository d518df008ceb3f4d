// Loading: _READER_ includes (relative, recursive, including file wins) and -o overrides.
import * as path from 'path';
import { loadConfig, parseOverride, configFromObject, displayPath } from '../../src/config';
import { errorOf, writeTree } from './helpers';

describe('_READER_ includes', () => {
  const dir = writeTree({
    'main.yml': `architecture: YOLOv3
TrainReader:
  batch_size: 4
  dataset: !VOCDataSet {dataset_dir: voc}
  inputs_def:
    num_max_boxes: 20
_READER_: 'readers/reader.yml'
`,
    'readers/reader.yml': `TrainReader:
  batch_size: 8
  shuffle: true
  dataset: !COCODataSet {dataset_dir: coco, image_dir: train2017}
  inputs_def:
    fields: [image, gt_bbox]
    num_max_boxes: 50
  sample_transforms: [!DecodeImage {}, !PadBox {}]
_READER_: '../base/base.yml'
`,
    'base/base.yml': `EvalReader:
  batch_size: 2
TrainReader:
  worker_num: 3
  shuffle: false
`,
    'cycle_a.yml': "_READER_: 'cycle_b.yml'\n",
    'cycle_b.yml': "_READER_: 'cycle_a.yml'\n",
    'missing.yml': "architecture: YOLOv3\n_READER_: 'nope.yml'\n",
    'bad_include.yml': '_READER_: [a]\n',
    'list.yml': '- a\n',
  });
  const cfg = loadConfig(path.join(dir, 'main.yml'));
  const tr = cfg.data.TrainReader as any;

  test('the include is resolved relative to the including file, recursively', () => {
    expect(tr.worker_num).toBe(3);
    expect((cfg.data.EvalReader as any).batch_size).toBe(2);
    expect(cfg.data._READER_).toBeUndefined();
  });

  test("the including file's keys win; mappings merge deeply", () => {
    expect(tr.batch_size).toBe(4);
    expect(tr.shuffle).toBe(true); // reader.yml over base.yml
    expect(tr.inputs_def).toEqual({ fields: ['image', 'gt_bbox'], num_max_boxes: 20 });
    expect(tr.sample_transforms).toHaveLength(2);
  });

  test('a tagged mapping replaces what it overrides instead of merging into it', () => {
    expect(tr.dataset).toEqual({ __type__: 'VOCDataSet', dataset_dir: 'voc' });
  });

  test('origins name the file each key came from', () => {
    expect(cfg.origins.get('TrainReader.batch_size')).toBe(displayPath(path.join(dir, 'main.yml')));
    expect(cfg.origins.get('TrainReader.worker_num')).toMatch(/base[/\\]base\.yml$/);
    expect(cfg.origins.get('TrainReader.sample_transforms[1].num_max_boxes')).toMatch(/readers[/\\]reader\.yml$/);
  });

  test('include cycles, missing includes and bad include values are errors naming the file', () => {
    expect(errorOf(() => loadConfig(path.join(dir, 'cycle_a.yml')))).toMatch(/_READER_ include cycle: .*cycle_a\.yml -> .*cycle_b\.yml -> .*cycle_a\.yml/);
    expect(errorOf(() => loadConfig(path.join(dir, 'missing.yml')))).toMatch(/^config: .*missing\.yml: cannot read _READER_ .*nope\.yml: no such file$/);
    expect(errorOf(() => loadConfig(path.join(dir, 'bad_include.yml')))).toMatch(/bad_include\.yml: expected a file path for _READER_, got \["a"\]/);
    expect(errorOf(() => loadConfig(path.join(dir, 'list.yml')))).toMatch(/list\.yml: expected a mapping of config keys at the top of the file, got \["a"\]/);
    expect(errorOf(() => loadConfig(path.join(dir, 'none.yml')))).toMatch(/^config: cannot read config file .*none\.yml: no such file$/);
  });
});

describe('-o overrides', () => {
  const base = () => ({
    LearningRate: { base_lr: 0.001, schedulers: [{ __type__: 'PiecewiseDecay', gamma: 0.1 }] },
    TrainReader: { dataset: { __type__: 'VOCDataSet', dataset_dir: 'a' }, batch_size: 8 },
    use_gpu: true,
  });

  test('dotted keys, values parsed as YAML, several at once', () => {
    const c = configFromObject(base(), { overrides: ['LearningRate.base_lr=0.01', 'use_gpu=false', 'MobileNet.conv_group_scale=0.5', 'x.y=[1, 2]'] });
    expect((c.data.LearningRate as any).base_lr).toBe(0.01);
    expect(c.data.use_gpu).toBe(false);
    expect(c.data.MobileNet).toEqual({ conv_group_scale: 0.5 });
    expect((c.data.x as any).y).toEqual([1, 2]);
    expect(c.origins.get('LearningRate.base_lr')).toBe('-o LearningRate.base_lr=0.01');
  });

  test('values may contain "=" and be empty', () => {
    const c = configFromObject({}, { overrides: ['weights=a=b', 'pretrain_weights='] });
    expect(c.data.weights).toBe('a=b');
    expect(c.data.pretrain_weights).toBeNull();
  });

  test('a key into a tagged mapping edits it and keeps its type; numeric keys index lists', () => {
    const c = configFromObject(base(), {
      overrides: ['TrainReader.dataset.dataset_dir=b', 'LearningRate.schedulers.0.gamma=0.5'],
    });
    expect((c.data.TrainReader as any).dataset).toEqual({ __type__: 'VOCDataSet', dataset_dir: 'b' });
    expect((c.data.LearningRate as any).schedulers[0]).toEqual({ __type__: 'PiecewiseDecay', gamma: 0.5 });
  });

  test('a mapping value merges; a tagged value replaces', () => {
    const c = configFromObject(base(), { overrides: ['TrainReader={batch_size: 2}', 'LearningRate.schedulers.0=!CosineDecay {max_iters: 9}'] });
    expect((c.data.TrainReader as any).batch_size).toBe(2);
    expect((c.data.TrainReader as any).dataset.dataset_dir).toBe('a');
    expect((c.data.LearningRate as any).schedulers[0]).toEqual({ __type__: 'CosineDecay', max_iters: 9 });
  });

  test('malformed overrides are errors naming the option', () => {
    expect(errorOf(() => parseOverride('base_lr'))).toBe("-o: expected key=value with a dotted key (e.g. LearningRate.base_lr=0.01), got 'base_lr'");
    expect(errorOf(() => parseOverride('a..b=1'))).toMatch(/expected key=value with a dotted key .*got 'a\.\.b=1'/);
    expect(errorOf(() => configFromObject(base(), { overrides: ['TrainReader.batch_size.x=1'] }))).toBe(
      'config: -o TrainReader.batch_size.x=1: cannot set TrainReader.batch_size.x: TrainReader.batch_size is 8, not a mapping or list',
    );
    expect(errorOf(() => configFromObject(base(), { overrides: ['LearningRate.schedulers.3.gamma=1'] }))).toBe(
      "config: -o LearningRate.schedulers.3.gamma=1: expected an index in [0, 0] for LearningRate.schedulers (a list), got '3'",
    );
    expect(errorOf(() => configFromObject(base(), { overrides: ['a=[1'] }))).toMatch(/^config: -o a=\[1:1:\d+: cannot parse/);
  });
});
