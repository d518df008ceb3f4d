// Odd command lines for the real CLI: a subcommand (or none, or a wrong one), a random mix of
// its flags, other commands' flags, unknown flags and kebab forms, with odd values, `-o`
// overrides with odd dotted keys and YAML values, and config paths that are not configs.
// `prune` always gets -P, so a valid line prints parameters instead of starting to train.
import * as path from 'path';
import { pick, rngFor, ROOT, type Rng } from './config_mutate';

const CFG = path.join(ROOT, 'configs/yolov3_mobilenet_v1_voc.yml');
const COMMANDS = ['prune', 'prune', 'flops', 'flops', 'groups', 'eval', 'export', 'sensitivity', 'prun', 'FLOPS', '', '--', '-c'];
const FLAGS = [
  '-c', '--config', '-o', '--opt', '-p', '--pruned_params', '--pruned-params', '--pruned_ratios', '--pruned-ratios', '-r',
  '--round_to', '--round-to', '--group_reduction', '--input_size', '--input-size', '--json', '--detail', '-P', '--print_params',
  '--prune_criterion', '--eval', '--output_eval', '--resume_checkpoint', '--sensitivities_file', '--criterion', '-x', '--nope',
  '--', '-', '---', '--=', '--json=1', '--input_size=', '-pP', '-oo',
];
const PARAMS = ['yolo_block.0.0.0.conv.weights', 'conv1_weights', 'yolo_output.0.conv.weights', 'conv2_1_sep_weights', 'nope', 'yolo_block.0.0.0.conv.weight', ''];
const VALUES = [
  '0', '0.5', '1', '-1', '1e3', '1e999', 'nan', 'NaN', 'Infinity', '0x20', '32', '33', '320', '608', '4097', '2147483648', '0.9999999999',
  '', ' ', ',', 'a,,b', '0.1,0.2', '0.1 0.2', 'l1_norm', 'l2_norm', 'mean', 'master', 'x'.repeat(2000), '１２', '${HOME}', '$(id)', "'", '"',
  '/dev/zero', '/dev/null', '/tmp', '/nonexistent/x.yml', CFG, path.join(ROOT, 'configs/yolov3_reader.yml'), 'configs/yolov3_reader.yml',
];
const O_KEYS = [
  '__proto__.polluted', '__proto__', 'constructor.x', 'a.b.__proto__.x', 'TrainReader.__proto__.x', 'YOLOv3Head.conv_block_num',
  'num_classes', 'MobileNet.conv_group_scale', 'TestReader.inputs_def.image_shape', 'YOLOv3Head.anchor_masks', 'TrainReader.sample_transforms.2.prob',
  'TrainReader.sample_transforms.99.prob', 'LearningRate.base_lr', 'architecture', '', '.', 'a..b', 'toString', 'x'.repeat(300), '_READER_',
];
const O_VALUES = [
  '1', '0', '-1', '1e400', '.nan', '99999999999999999999', '[3, 33, 33]', '[3, 608, 608]', '{polluted: 1}', '{__proto__: {x: 1}}', '!Nope {}',
  '!MobileNet {}', '&a [*a]', '*a', '[[[[[[[[', '"', "'", '', 'null', '~', '/dev/zero', '[' + '1,'.repeat(500) + '1]', 'a: b: c',
];

function opt(r: Rng): string[] {
  const k = r();
  if (k < 0.7) return ['-o', `${pick(r, O_KEYS)}=${pick(r, O_VALUES)}`];
  if (k < 0.85) return ['-o', pick(r, O_KEYS)];
  return [`--opt=${pick(r, O_KEYS)}=${pick(r, O_VALUES)}`];
}

/** The words after `slimprune` for case i. */
export function flagsCase(seed: number, i: number): string[] {
  const r = rngFor(seed ^ 0x5eed, i);
  if (r() < 0.4) {
    // A line that is valid but for its overrides: these reach the config loader.
    const args = [...pick(r, [['flops', '--input_size', '64'], ['groups', '-p', 'conv1_weights'], ['prune', '-P', '--json']]), '-c', CFG];
    for (let j = 1 + Math.floor(r() * 2); j > 0; j--) args.push(...opt(r));
    return args;
  }
  const cmd = pick(r, COMMANDS);
  const args: string[] = cmd ? [cmd] : [];
  if (cmd === 'prune') args.push('-P');
  if (r() < 0.85) args.push('-c', r() < 0.8 ? CFG : pick(r, VALUES));
  const n = Math.floor(r() * 6);
  for (let j = 0; j < n; j++) {
    const k = r();
    if (k < 0.3) args.push(...opt(r));
    else if (k < 0.5) args.push(pick(r, ['-p', '--pruned_params']), r() < 0.7 ? pick(r, PARAMS) : pick(r, VALUES));
    else if (k < 0.65) args.push('--pruned_ratios', pick(r, VALUES));
    else args.push(pick(r, FLAGS), ...(r() < 0.7 ? [pick(r, VALUES)] : []));
  }
  return args;
}
