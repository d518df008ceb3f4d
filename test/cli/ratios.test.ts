// Pruned ratio validation: same count as the params, each a plain number in [0, 1).
import { parseRatios, parsePruneSpec, parseParams, splitList, normalizeKebab } from '../../src/cli/options';
import { UsageError } from '../../src/cli/errors';

const msg = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('ratios', () => {
  test('numbers in [0, 1), comma or space separated', () => {
    expect(parseRatios('--pruned_ratios', ['0.2,0.3', '0', '.5', '9e-1'])).toEqual([0.2, 0.3, 0, 0.5, 0.9]);
  });

  test('out of range, non-numbers and empty entries are refused with the position', () => {
    expect(msg(() => parseRatios('--pruned_ratios', '0.2,1'))).toBe("--pruned_ratios: expected a number in [0, 1) for ratio 2, got '1'");
    expect(msg(() => parseRatios('--pruned_ratios', '0.2,0.3,1.5'))).toBe("--pruned_ratios: expected a number in [0, 1) for ratio 3, got '1.5'");
    expect(msg(() => parseRatios('--pruned_ratios', '-0.1'))).toBe("--pruned_ratios: expected a number in [0, 1) for ratio 1, got '-0.1'");
    expect(msg(() => parseRatios('--pruned_ratios', 'abc'))).toBe("--pruned_ratios: expected a number in [0, 1) for ratio 1, got 'abc'");
    expect(msg(() => parseRatios('--pruned_ratios', '0x1'))).toMatch(/got '0x1'/);
    expect(msg(() => parseRatios('--pruned_ratios', 'NaN'))).toMatch(/got 'NaN'/);
    expect(msg(() => parseRatios('--pruned_ratios', '0.2,,0.3'))).toBe("--pruned_ratios: expected a comma-separated list, got an empty entry in '0.2,,0.3'");
    expect(msg(() => parseRatios('--pruned_ratios', '0.2,'))).toMatch(/empty entry in '0\.2,'/);
  });

  test('one ratio per parameter', () => {
    expect(parsePruneSpec({ pruned_params: ['a,b,c'], pruned_ratios: ['0.2,0.3,0.4'] })).toEqual({ params: ['a', 'b', 'c'], ratios: [0.2, 0.3, 0.4] });
    expect(msg(() => parsePruneSpec({ pruned_params: ['a,b,c'], pruned_ratios: ['0.2,0.3'] }))).toBe(
      '--pruned_ratios: expected 3 ratios (one per parameter of --pruned_params), got 2',
    );
    expect(msg(() => parsePruneSpec({ pruned_params: ['a'], pruned_ratios: ['0.2,0.3'] }))).toBe(
      '--pruned_ratios: expected 1 ratio (one per parameter of --pruned_params), got 2',
    );
    expect(msg(() => parsePruneSpec({ pruned_params: ['a,b'] }))).toBe('--pruned_ratios: expected 2 ratios (one per parameter of --pruned_params), got 0');
    expect(msg(() => parsePruneSpec({ pruned_ratios: ['0.5'] }))).toBe('--pruned_ratios: expected --pruned_params to name the parameters the ratios apply to');
  });

  test('both absent is no pruning, unless required', () => {
    expect(parsePruneSpec({})).toBeNull();
    expect(msg(() => parsePruneSpec({}, 'for prune'))).toBe('--pruned_params: expected the parameters to prune for prune, got none');
  });
});

describe('params', () => {
  test('each parameter once', () => {
    expect(parseParams('--pruned_params', ['a, b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(msg(() => parseParams('--pruned_params', ['a,b,a']))).toBe("--pruned_params: expected each parameter once, got 'a' twice");
  });

  test('splitList trims and splits on commas and whitespace', () => {
    expect(splitList('-p', ' a ,b  c ')).toEqual(['a', 'b', 'c']);
    expect(splitList('-p', undefined)).toEqual([]);
  });
});

test('kebab-case flags are rewritten to their snake_case names, values untouched', () => {
  const flags = ['--pruned_ratios', '--pruned_params', '--config'];
  expect(normalizeKebab(['prune', '--pruned-ratios=0.1', '--pruned-params', 'a-b', '--other-flag', '--', '--pruned-params'], flags)).toEqual([
    'prune',
    '--pruned_ratios=0.1',
    '--pruned_params',
    'a-b',
    '--other-flag',
    '--',
    '--pruned-params',
  ]);
});
