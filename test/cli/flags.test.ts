// Flag parsing: the tutorial's command lines verbatim, kebab-case aliases, defaults, usage errors.
import { CommanderError } from 'commander';
import { parseCommand } from '../../src/cli';
import type { PruneOptions } from '../../src/cli/prune';
import type { EvalOptions } from '../../src/cli/eval';
import type { ExportOptions } from '../../src/cli/export';
import type { SensitivityOptions } from '../../src/cli/sensitivity';
import type { FlopsOptions } from '../../src/cli/flops';
import type { GroupsOptions } from '../../src/cli/groups';

const quiet = { stdout: () => undefined, stderr: () => undefined };
const parse = <T>(line: string[]) => {
  const p = parseCommand(line, quiet);
  return { name: p.command.name, o: p.options as T };
};
const PARAMS = 'yolo_block.0.0.0.conv.weights,yolo_block.0.0.1.conv.weights,yolo_block.0.1.0.conv.weights';
const PARAM_LIST = PARAMS.split(',');
const CFG = './configs/yolov3_mobilenet_v1_voc.yml';

describe("the tutorial's command lines", () => {
  test('prune --print_params', () => {
    const { name, o } = parse<PruneOptions>(['prune', '-c', CFG, '--print_params']);
    expect(name).toBe('prune');
    expect(o).toMatchObject({ config: CFG, overrides: [], printParams: true, prune: null, criterion: 'l1_norm', eval: false });
  });

  test('prune --pruned_params "a,b,c" --pruned_ratios="0.2,0.3,0.4"', () => {
    const { o } = parse<PruneOptions>(['prune', '-c', CFG, '--pruned_params', PARAMS, '--pruned_ratios=0.2,0.3,0.4']);
    expect(o.prune).toEqual({ params: PARAM_LIST, ratios: [0.2, 0.3, 0.4] });
  });

  test('eval with -o weights=...', () => {
    const { o } = parse<EvalOptions>(['eval', '-c', CFG, '--pruned_params', PARAMS, '--pruned_ratios=0.2,0.3,0.4', '-o', 'weights=output/yolov3_mobilenet_v1_voc/model_final']);
    expect(o.overrides).toEqual(['weights=output/yolov3_mobilenet_v1_voc/model_final']);
    expect(o.prune?.ratios).toEqual([0.2, 0.3, 0.4]);
    expect(o).toMatchObject({ jsonEval: false, outputEval: null });
  });

  test('export with -o weights=..., output_dir defaults to output', () => {
    const { o } = parse<ExportOptions>(['export', '-c', CFG, '--pruned_params', PARAMS, '--pruned_ratios=0.2,0.3,0.4', '-o', 'weights=w']);
    expect(o).toMatchObject({ outputDir: 'output', overrides: ['weights=w'] });
  });

  test('faster_rcnn: prune ... --eval', () => {
    const { o } = parse<PruneOptions>(['prune', '-c', './configs/faster_rcnn_r50_1x.yml', '--pruned_params', 'res4f_branch2b_weights,res4f_branch2a_weights', '--pruned_ratios=0.3,0.4', '--eval']);
    expect(o.eval).toBe(true);
    expect(o.prune).toEqual({ params: ['res4f_branch2b_weights', 'res4f_branch2a_weights'], ratios: [0.3, 0.4] });
  });
});

describe('flag forms', () => {
  test('kebab-case aliases mean the same flags', () => {
    const { o } = parse<PruneOptions>(['prune', '--config', CFG, '--pruned-params', 'a,b', '--pruned-ratios=0.1,0.2', '--prune-criterion', 'geometry_median', '--resume-checkpoint', 'ck', '--output-eval', 'ev']);
    expect(o).toMatchObject({ prune: { params: ['a', 'b'], ratios: [0.1, 0.2] }, criterion: 'geometry_median', resumeCheckpoint: 'ck', outputEval: 'ev' });
    const s = parse<SensitivityOptions>(['sensitivity', '-c', CFG, '-p', 'a', '--sensitivities-file', 's.data', '--print-params']);
    expect(s.o).toMatchObject({ sensitivitiesFile: 's.data', printParams: true });
    expect(parse<EvalOptions>(['eval', '-c', CFG, '--json-eval']).o.jsonEval).toBe(true);
    expect(parse<ExportOptions>(['export', '-c', CFG, '--output-dir', 'o']).o.outputDir).toBe('o');
  });

  test('short flags: -c -o -r -p -P -f -s', () => {
    const p = parse<PruneOptions>(['prune', '-c', CFG, '-r', 'ck', '-p', 'a', '--pruned_ratios', '0.5', '-P']);
    expect(p.o).toMatchObject({ resumeCheckpoint: 'ck', printParams: true, prune: { params: ['a'], ratios: [0.5] } });
    expect(parse<EvalOptions>(['eval', '-c', CFG, '-f', 'out']).o.outputEval).toBe('out');
    expect(parse<SensitivityOptions>(['sensitivity', '-c', CFG, '-p', 'a', '-s', 'x.data']).o.sensitivitiesFile).toBe('x.data');
  });

  test('several overrides after one -o, and -o repeated', () => {
    const { o } = parse<PruneOptions>(['prune', '-c', CFG, '-P', '-o', 'LearningRate.base_lr=0.01', 'use_gpu=false', '-o', 'max_iters=10']);
    expect(o.overrides).toEqual(['LearningRate.base_lr=0.01', 'use_gpu=false', 'max_iters=10']);
  });

  test('lists take commas or spaces', () => {
    const { o } = parse<PruneOptions>(['prune', '-c', CFG, '-p', 'a', 'b,c', '--pruned_ratios', '0.1', '0.2,0.3']);
    expect(o.prune).toEqual({ params: ['a', 'b', 'c'], ratios: [0.1, 0.2, 0.3] });
  });

  test('sensitivity: -r is the ratios (space separated), default 0.1 ... 0.9', () => {
    const a = parse<SensitivityOptions>(['sensitivity', '-c', CFG, '-p', PARAMS, '-r', '0.1', '0.2', '0.3']);
    expect(a.o).toMatchObject({ params: PARAM_LIST, ratios: [0.1, 0.2, 0.3], sensitivitiesFile: 'sensitivities.data' });
    const b = parse<SensitivityOptions>(['sensitivity', '-c', CFG, '-p', 'a']);
    expect(b.o.ratios).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  });

  test('flops and groups', () => {
    expect(parse<FlopsOptions>(['flops', '-c', CFG, '--json']).o).toMatchObject({ prune: null, json: true });
    expect(parse<FlopsOptions>(['flops', '-c', CFG, '-p', 'a', '--pruned_ratios', '0.5']).o.prune).toEqual({ params: ['a'], ratios: [0.5] });
    expect(parse<GroupsOptions>(['groups', '-c', CFG, '-p', 'a,b']).o).toMatchObject({ params: ['a', 'b'], json: false });
  });
});

describe('usage errors', () => {
  const commanderError = (line: string[]) => {
    try {
      parseCommand(line, quiet);
    } catch (e) {
      expect(e).toBeInstanceOf(CommanderError);
      return (e as CommanderError).message;
    }
    throw new Error('expected a CommanderError');
  };

  test('missing -c, unknown options and commands, stray arguments', () => {
    expect(commanderError(['prune', '-P'])).toMatch(/required option '-c, --config <file>' not specified/);
    expect(commanderError(['prune', '-c', CFG, '--evl'])).toMatch(/unknown option '--evl'[\s\S]*Did you mean --eval\?/);
    expect(commanderError(['prun', '-c', CFG])).toMatch(/unknown command 'prun'[\s\S]*Did you mean prune\?/);
    expect(commanderError(['export', '-c', CFG, 'extra'])).toMatch(/too many arguments/);
    expect(commanderError([])).toMatch(/./);
  });

  test('-p is required where the work needs it', () => {
    expect(() => parseCommand(['prune', '-c', CFG], quiet)).toThrow('--pruned_params: expected the parameters to prune for prune (or -P to list them), got none');
    expect(() => parseCommand(['prune', '-c', CFG, '-r', 'ck'], quiet)).not.toThrow();
    expect(() => parseCommand(['sensitivity', '-c', CFG], quiet)).not.toThrow(); // every prunable group
    expect(() => parseCommand(['groups', '-c', CFG], quiet)).not.toThrow(); // every group
    expect(() => parseCommand(['eval', '-c', CFG], quiet)).not.toThrow();
  });

  test('an unknown criterion names the valid ones', () => {
    expect(() => parseCommand(['prune', '-c', CFG, '-P', '--prune_criterion', 'fpgm'], quiet)).toThrow(
      "--prune_criterion: expected one of l1_norm, l2_norm, geometry_median, bn_scale, got 'fpgm'",
    );
    expect(() => parseCommand(['prune', '-c', CFG, '-P', '--prune_criterion', 'l1norm'], quiet)).toThrow(/did you mean l1_norm/);
  });
});
