// YAML reading: PaddleDetection's !Tags become { __type__, ...fields }, PyYAML scalars, clear errors.
import { parseYaml, ConfigError, REGISTRY } from '../../src/config';
import { errorOf } from './helpers';

describe('YAML tags', () => {
  test('a tagged mapping becomes { __type__, ...fields }', () => {
    const v = parseYaml('s:\n- !PiecewiseDecay\n  gamma: 0.1\n  milestones: [1, 2]\n- !LinearWarmup {steps: 5}\n', 'x.yml');
    expect(v).toEqual({
      s: [
        { __type__: 'PiecewiseDecay', gamma: 0.1, milestones: [1, 2] },
        { __type__: 'LinearWarmup', steps: 5 },
      ],
    });
  });

  test('the tag may sit on its own line above the fields (dataset: !VOCDataSet ...)', () => {
    const v = parseYaml('dataset:\n  !VOCDataSet\n  dataset_dir: d\n  anno_path: a.txt\n', 'x.yml');
    expect(v).toEqual({ dataset: { __type__: 'VOCDataSet', dataset_dir: 'd', anno_path: 'a.txt' } });
  });

  test('an empty tag, `!X {}` and a bare `!X`, is a component with no fields', () => {
    expect(parseYaml('a: !ColorDistort {}\nb: !NormalizeBox\n', 'x.yml')).toEqual({
      a: { __type__: 'ColorDistort' },
      b: { __type__: 'NormalizeBox' },
    });
  });

  test('tags nest, and an alias of a tagged anchor keeps its type', () => {
    const v = parseYaml('a: &n !MultiClassNMS {keep_top_k: 5}\nb: *n\nc: !BBoxHead {nms: !MultiClassNMS {}}\n', 'x.yml') as any;
    expect(v.b).toEqual({ __type__: 'MultiClassNMS', keep_top_k: 5 });
    expect(v.c.nms).toEqual({ __type__: 'MultiClassNMS' });
  });

  test('every registered component is a tag', () => {
    for (const name of REGISTRY.keys()) {
      expect(parseYaml(`x: !${name} {}`, 'x.yml')).toEqual({ x: { __type__: name } });
    }
  });

  test('scalars read as PyYAML reads them (YAML 1.1 booleans without y/n)', () => {
    const v = parseYaml('a: [True, yes, off, 0., 1e-4, .5, 1.0e+2]\nn: 1\ny: x\n', 'x.yml');
    expect(v).toEqual({ a: [true, true, false, 0, 0.0001, 0.5, 100], n: 1, y: 'x' });
  });

  test('an unknown tag names the file, line and the closest tags', () => {
    const msg = errorOf(() => parseYaml('a: 1\nb: !PiecewiseDecy {gamma: 1}\n', 'cfg.yml'));
    expect(msg).toBe('config: cfg.yml:2:4: unknown tag !PiecewiseDecy (did you mean PiecewiseDecay?)');
  });

  test('a tag on a non-empty scalar is an error', () => {
    expect(errorOf(() => parseYaml('a: !PadBox 50\n', 'cfg.yml'))).toMatch(/^config: cfg\.yml:1:4: cannot parse: expected a mapping \(or nothing\) after !PadBox, got '50'/);
  });

  test('syntax errors and duplicate keys are ConfigErrors with a position', () => {
    expect(() => parseYaml('a: [1\nb: 2\n', 'cfg.yml')).toThrow(ConfigError);
    expect(errorOf(() => parseYaml('a: 1\na: 2\n', 'cfg.yml'))).toMatch(/^config: cfg\.yml:2:1: cannot parse: Map keys must be unique/);
  });
});
