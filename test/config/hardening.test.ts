// Hostile configs: keys that would edit Object.prototype, files that are not files, documents
// built to blow up (aliases, keys, nesting), and values a model cannot be built from. Each
// ends in one ConfigError naming the file (or the -o option), and Object.prototype is left as it was.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ConfigError, loadConfig, parseYaml, readConfig, resolveConfig, configFromObject } from '../../src/config';
import { CONFIG_LIMITS } from '../../src/config/limits';
import { errorOf, writeTree, OUR_CONFIGS } from './helpers';

const CFG = path.join(OUR_CONFIGS, 'yolov3_mobilenet_v1_voc.yml');
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

function prototypeUntouched(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES);
  const probe: Record<string, unknown> = {};
  for (const k of ['polluted', 'x', 'conv_block_num']) expect(probe[k]).toBeUndefined();
}

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, got none');
}

afterEach(prototypeUntouched);

describe('prototype keys are refused, naming the key and where it came from', () => {
  const forbidden = /key "(__proto__|constructor|prototype|toString|valueOf|hasOwnProperty)" is not allowed/;

  test.each([
    '__proto__.polluted=1',
    '__proto__={polluted: 1}',
    'TrainReader.__proto__.x=1',
    'a.b.__proto__.x=1',
    '__proto__.conv_block_num=0',
    'YOLOv3Head={__proto__: {conv_block_num: 0}}',
    'YOLOv3Head.constructor=1',
    'MobileNet.toString=1',
    'valueOf=1',
    'hasOwnProperty.x=1',
    'YOLOv3.prototype=1',
  ])('-o %s', (o) => {
    const e = configErrorOf(() => readConfig(CFG, [o]));
    expect(e.message).toMatch(forbidden);
    expect(e.message).toContain(`-o ${o}`);
  });

  test('-o __proto__.conv_block_num=0 leaves the head with its two conv blocks', () => {
    expect(() => readConfig(CFG, ['__proto__.conv_block_num=0'])).toThrow(ConfigError);
    const head = readConfig(CFG).model.yolo_head as Record<string, unknown>;
    expect(head.conv_block_num).toBe(2);
  });

  test.each(['__proto__', 'constructor', 'toString', 'prototype', '__defineGetter__'])('a %s key in a file, at the top or nested', (key) => {
    const dir = writeTree({
      'top.yml': `architecture: YOLOv3\n${key}:\n  polluted: 1\n`,
      'nested.yml': `architecture: YOLOv3\nMobileNet:\n  ${key}: {x: 1}\n`,
      'list.yml': `architecture: YOLOv3\nTrainReader:\n  sample_transforms:\n  - !DecodeImage {${key}: 1}\n`,
    });
    for (const f of ['top.yml', 'nested.yml', 'list.yml']) {
      const e = configErrorOf(() => readConfig(path.join(dir, f)));
      expect(e.message).toMatch(new RegExp(`${f}:\\d+:\\d+: key "${key}" is not allowed`));
    }
  });

  test('the top-level __proto__ message says why', () => {
    const dir = writeTree({ 'c.yml': 'architecture: YOLOv3\n__proto__: {polluted: 1}\n' });
    expect(errorOf(() => loadConfig(path.join(dir, 'c.yml')))).toMatch(
      /c\.yml:2:1: key "__proto__" is not allowed \(it would change every object in the process\)$/,
    );
  });

  test('an included file and a merge key cannot smuggle one in', () => {
    const dir = writeTree({
      'base.yml': 'architecture: YOLOv3\nx: &a {__proto__: {polluted: 1}}\n',
      'top.yml': '_READER_: base.yml\n',
      'merge.yml': 'architecture: YOLOv3\nbase: &b {a: 1}\nMobileNet:\n  <<: *b\n  constructor: 2\n',
    });
    expect(errorOf(() => loadConfig(path.join(dir, 'top.yml')))).toMatch(/base\.yml:2:\d+: key "__proto__" is not allowed/);
    expect(errorOf(() => loadConfig(path.join(dir, 'merge.yml')))).toMatch(/merge\.yml:5:3: key "constructor" is not allowed/);
  });

  test('objects given directly (own __proto__ keys from JSON.parse) are refused too', () => {
    const data = JSON.parse('{"architecture": "YOLOv3", "MobileNet": {"__proto__": {"polluted": 1}}}');
    expect(errorOf(() => configFromObject(data, { source: 'given' }))).toMatch(/given: key "__proto__" is not allowed/);
    const deep = JSON.parse('{"architecture": "YOLOv3", "MobileNet": {"a": [{"__proto__": {"polluted": 1}}]}}');
    expect(errorOf(() => resolveConfig(deep))).toMatch(/key "__proto__" is not allowed/);
  });
});

describe('files that are not config files', () => {
  test('/dev/zero, a directory, a FIFO, as the config or as _READER_', () => {
    const dir = writeTree({ 'zero.yml': '_READER_: /dev/zero\n', 'dir.yml': '_READER_: sub\n', 'sub/x.yml': 'a: 1\n' });
    expect(errorOf(() => loadConfig('/dev/zero'))).toMatch(/cannot read config file \/dev\/zero: expected a regular file, got a device$/);
    expect(errorOf(() => loadConfig(path.join(dir, 'zero.yml')))).toMatch(/zero\.yml: cannot read _READER_ \/dev\/zero: expected a regular file, got a device$/);
    expect(errorOf(() => loadConfig(path.join(dir, 'dir.yml')))).toMatch(/dir\.yml: cannot read _READER_ .*sub: expected a regular file, got a directory$/);
    const fifo = path.join(dir, 'fifo');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status !== 0) {
      console.log(`FIFO case skipped: mkfifo is not available here (${made.error?.message ?? made.stderr})`);
      return;
    }
    fs.writeFileSync(path.join(dir, 'fifo.yml'), '_READER_: fifo\n');
    expect(errorOf(() => loadConfig(path.join(dir, 'fifo.yml')))).toMatch(/fifo\.yml: cannot read _READER_ .*fifo: expected a regular file, got a FIFO$/);
    expect(errorOf(() => loadConfig(fifo))).toMatch(/expected a regular file, got a FIFO$/);
  });

  test('a file above the size limit is refused before it is read', () => {
    const dir = writeTree({ 'big.yml': `# ${'x'.repeat(CONFIG_LIMITS.fileBytes)}\n`, 'top.yml': '_READER_: big.yml\n' });
    expect(errorOf(() => loadConfig(path.join(dir, 'big.yml')))).toMatch(new RegExp(`expected at most ${CONFIG_LIMITS.fileBytes} bytes, got \\d+$`));
    expect(errorOf(() => loadConfig(path.join(dir, 'top.yml')))).toMatch(/top\.yml: cannot read _READER_ .*big\.yml: expected at most/);
  });

  test('includes nested deeper than the limit, and include cycles', () => {
    const files: Record<string, string> = { 'c0.yml': 'architecture: YOLOv3\n' };
    const n = CONFIG_LIMITS.includeDepth + 2;
    for (let i = 1; i <= n; i++) files[`c${i}.yml`] = `_READER_: c${i - 1}.yml\n`;
    files['loop.yml'] = '_READER_: loop.yml\n';
    const dir = writeTree(files);
    expect(errorOf(() => loadConfig(path.join(dir, `c${n}.yml`)))).toMatch(/expected _READER_ includes at most 16 deep, got more$/);
    expect(loadConfig(path.join(dir, `c${CONFIG_LIMITS.includeDepth}.yml`)).data.architecture).toBe('YOLOv3');
    expect(errorOf(() => loadConfig(path.join(dir, 'loop.yml')))).toMatch(/include cycle/);
  });
});

describe('documents built to cost time or memory', () => {
  function bomb(levels: number, fan: number): string {
    let s = `a0: &a0 [${Array(fan).fill('x').join(', ')}]\n`;
    for (let i = 1; i < levels; i++) s += `a${i}: &a${i} [${Array(fan).fill(`*a${i - 1}`).join(', ')}]\n`;
    return s;
  }

  test('an alias bomb under the alias limit is refused by its expanded size', () => {
    const text = bomb(9, 9); // 81 aliases, 9^9 values once expanded
    expect(errorOf(() => parseYaml(text, 'bomb.yml'))).toMatch(/^config: bomb\.yml:\d+:\d+: expected at most 200000 values once aliases are expanded, got more$/);
  });

  test('too many aliases, an alias to nothing, an alias inside its own anchor', () => {
    const many = 'a: &a 1\nb: [' + Array(CONFIG_LIMITS.aliases + 1).fill('*a').join(', ') + ']\n';
    expect(errorOf(() => parseYaml(many, 'm.yml'))).toMatch(/m\.yml:2:\d+: expected at most 1000 anchors and aliases, got more$/);
    expect(errorOf(() => parseYaml('a: *nope\n', 'u.yml'))).toMatch(/^config: u\.yml:1:4: unknown alias \*nope \(an anchor &nope must come before it\)$/);
    expect(errorOf(() => parseYaml('a: &s [1, *s]\n', 's.yml'))).toMatch(/^config: s\.yml:1:\d+: alias \*s is inside the node it refers to$/);
  });

  test('aliases within the limits still work (and keep their tags)', () => {
    expect(parseYaml('a: &a {x: 1}\nb: *a\nc: {<<: *a, y: 2}\n', 'ok.yml')).toEqual({ a: { x: 1 }, b: { x: 1 }, c: { x: 1, y: 2 } });
  });

  test('nesting: flow brackets, block indentation, and nesting reached through an alias', () => {
    const flow = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(errorOf(() => parseYaml(flow, 'f.yml'))).toMatch(/^config: f\.yml: expected at most 64 levels of nesting, got brackets 100000 deep$/);
    const d = CONFIG_LIMITS.depth + 1;
    expect(errorOf(() => parseYaml('['.repeat(d) + ']'.repeat(d), 'g.yml'))).toMatch(/^config: g\.yml:1:\d+: expected at most 64 levels of nesting, got more$/);
    const block = Array.from({ length: 100 }, (_, i) => ' '.repeat(i) + `k${i}:`).join('\n') + ' 1\n';
    expect(errorOf(() => parseYaml(block, 'b.yml'))).toMatch(/^config: b\.yml:\d+:\d+: expected at most 64 levels of nesting/);
    const half = 40;
    const viaAlias = `a: &a ${'['.repeat(half)}1${']'.repeat(half)}\nb: ${'['.repeat(half)}*a${']'.repeat(half)}\n`;
    expect(errorOf(() => parseYaml(viaAlias, 'v.yml'))).toMatch(/^config: v\.yml:2:\d+: expected at most 64 levels of nesting once \*a is expanded, got more$/);
  });

  test('100k keys are refused at once by the key limit; just over the limit by the exact count', () => {
    const keys = (n: number) => Array.from({ length: n }, (_, i) => `  k${i}: ${i}`).join('\n');
    expect(errorOf(() => parseYaml(`MobileNet:\n${keys(100_000)}\n`, 'k.yml'))).toMatch(
      /^config: k\.yml: expected at most 10000 keys in one document, got about 100001$/,
    );
    expect(errorOf(() => parseYaml(`MobileNet:\n${keys(CONFIG_LIMITS.keys + 1)}\n`, 'k.yml'))).toMatch(
      /^config: k\.yml:10001:3: expected at most 10000 keys in one document, got more$/,
    );
  });

  test('duplicate keys are found in any number of keys (set per mapping)', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `k${i}: ${i}`).join('\n') + '\nk17: again\n';
    expect(errorOf(() => parseYaml(text, 'd.yml'))).toMatch(/^config: d\.yml:5001:1: cannot parse: Map keys must be unique; k17 appears twice$/);
  });

  test('a collection as a key is refused', () => {
    expect(errorOf(() => parseYaml('? [a, b]\n: 1\n', 'c.yml'))).toMatch(/c\.yml:1:3: expected a plain key/);
  });
});

describe('numbers a model cannot be built from', () => {
  test.each([
    ['num_classes=99999999999999999999', /expected an integer in \[1, 10000\] for num_classes, got 100000000000000000000$/],
    ['YOLOv3Head.num_classes=0', /expected an integer in \[1, 10000\] for YOLOv3Head\.num_classes, got 0$/],
    ['MobileNet.conv_group_scale=0', /expected a number > 0 and <= 8 for MobileNet\.conv_group_scale, got 0$/],
    ['MobileNet.conv_group_scale=-1', /expected a number > 0 and <= 8 for MobileNet\.conv_group_scale, got -1$/],
    ['MobileNet.conv_group_scale=1e6', /expected a number > 0 and <= 8 for MobileNet\.conv_group_scale, got 1000000$/],
    ['MobileNet.norm_decay=-0.5', /expected a number in \[0, 1\] for MobileNet\.norm_decay, got -0\.5$/],
    ['YOLOv3Head.conv_block_num=100000', /expected an integer in \[0, 8\] for YOLOv3Head\.conv_block_num, got 100000$/],
    ['YOLOv3Head.conv_block_num=.nan', /expected an integer in \[0, 8\] for YOLOv3Head\.conv_block_num, got NaN$/],
    ['TestReader.inputs_def.image_shape=[3, 2147483648, 2147483648]', /expected an integer in \[1, 4096\] for TestReader\.inputs_def\.image_shape\[1\], got 2147483648$/],
    ['TestReader.inputs_def.image_shape=[4, 608, 608]', /expected \[3, H, W\] .* for TestReader\.inputs_def\.image_shape, got \[4,608,608\]$/],
    ['TestReader.inputs_def.image_shape=[3, 608]', /expected \[3, H, W\] .* for TestReader\.inputs_def\.image_shape, got \[3,608\]$/],
    ['TestReader.inputs_def.image_shape=[3, 600, 608]', /expected H and W multiples of 32 \(YOLOv3 downsamples by 32\) for TestReader\.inputs_def\.image_shape, got \[3,600,608\]$/],
    ['YOLOv3Head.anchor_masks=[[0, 1, 9]]', /expected non-empty lists of anchor indices below 9 .* for YOLOv3Head\.anchor_masks, got \[\[0,1,9\]\]$/],
    ['YOLOv3Head.anchor_masks=[[]]', /for YOLOv3Head\.anchor_masks, got \[\[\]\]$/],
    ['YOLOv3Head.anchors=[[10, 13, 5]]', /expected a non-empty list of \[w, h\] pairs for YOLOv3Head\.anchors/],
    ['YOLOv3Head.anchors=[[10, -13]]', /expected a number > 0 and <= 4096 for YOLOv3Head\.anchors\[0\]\[1\], got -13$/],
    ['YOLOv3Head.downsample=[32]', /expected a stride for each of the 3 levels of anchor_masks for YOLOv3Head\.downsample, got \[32\]$/],
  ])('-o %s', (o, msg) => {
    const e = configErrorOf(() => readConfig(CFG, [o]));
    expect(e.message).toMatch(msg);
    expect(e.message).toContain(`config: -o ${o}: `);
  });

  test('a value from a file names the file', () => {
    const dir = writeTree({ 'c.yml': `_READER_: ${CFG}\nMobileNet:\n  conv_group_scale: 0\n` });
    expect(errorOf(() => readConfig(path.join(dir, 'c.yml')))).toMatch(/c\.yml: expected a number > 0 and <= 8 for MobileNet\.conv_group_scale, got 0$/);
  });
});

describe('the model builder given a plain tree checks the same ranges', () => {
  // Imported here so that the config tests above do not load the graph code.
  const build = (tree: Record<string, unknown>, inputShape?: number[]) =>
    errorOf(() => require('../../src/nn').buildModel({ architecture: 'YOLOv3', YOLOv3: { backbone: 'MobileNet' }, ...tree }, inputShape ? { inputShape } : {}));

  test('names of built-in properties are not components; ranges and input sizes', () => {
    expect(build({ YOLOv3: { backbone: 'toString' } })).toBe("model: expected one of MobileNet, DarkNet, ResNet for backbone, got 'toString'");
    expect(build({ YOLOv3: { backbone: '__proto__' } })).toBe("model: expected one of MobileNet, DarkNet, ResNet for backbone, got '__proto__'");
    expect(build({ YOLOv3Head: { conv_block_num: 100000 } })).toBe('YOLOv3Head: expected an integer in [0, 8] for conv_block_num, got 100000');
    expect(build({ YOLOv3Head: { num_classes: 1e20 } })).toBe('YOLOv3Head: expected an integer in [1, 10000] for num_classes, got 100000000000000000000');
    expect(build({ MobileNet: { conv_group_scale: 0 } })).toBe('MobileNet: expected a number > 0 and <= 8 for conv_group_scale, got 0');
    expect(build({}, [1, 3, 33, 33])).toMatch(/^model: expected N <= 1024 and H, W multiples of 32 up to 4096 \(YOLOv3 downsamples by 32\) for inputShape, got \[1,3,33,33\]$/);
  });
});
