// `slimprune sensitivity` on the digits baseline (8 test images, first batch only): one line
// per point, resume skips measured points, --jobs 2 writes the same file as --jobs 1,
// refusals before any weights are loaded.
import * as fs from 'fs';
import * as path from 'path';
import { cli } from '../util/cli';
import { loadCliConfig } from '../../src/cli/options';
import { readSensitivityFile, writeSensitivityFile } from '../../src/prune/sensitivity_file';
import { digestOf } from '../../src/train/checkpoint';
import { buildModel } from '../../src/nn';
import { listGroups } from '../../src/prune/groups';
import { DIGITS_CFG, digitsFixture } from '../prune/sensitivity_fixture';

const P = ['yolo_block.0.2.conv.weights', 'yolo_block.1.tip.conv.weights'];
let dir = '';
let opts: string[] = [];

const measure = (file: string, ratios: string, ...more: string[]) =>
  cli('sensitivity', '-c', DIGITS_CFG, '-o', ...opts, '-p', P.join(','), '-r', ratios, '-s', file, '--max_eval_batches', '1', ...more);
const pointLines = (out: string) => out.split('\n').filter((l) => /^\[\s*\d+\/\d+\] /.test(l));

beforeAll(async () => {
  const f = await digitsFixture();
  dir = f.dir;
  opts = f.overrides;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('measures each point once, one line each; a rerun with more ratios measures only the new ones', async () => {
  const file = path.join(dir, 'a.json');
  const first = await measure(file, '0.3 0.6');
  expect(first.err).toBe('');
  expect(first.code).toBe(0);
  const lines = pointLines(first.out);
  expect(lines).toHaveLength(4);
  expect(lines[0]).toMatch(/^\[1\/4\] yolo_block\.0\.2\.conv\.weights ratio 0\.3: mAP \d\.\d{4}, loss -?\d\.\d{4}$/);
  expect(first.out).toMatch(/measured 4, skipped 0 already in the file; base mAP \d\.\d{4}/);
  const f1 = readSensitivityFile(file);
  expect(f1.config_digest).toBe(digestOf(loadCliConfig({ config: DIGITS_CFG, overrides: opts }).model));
  expect(Object.keys(f1.sensitivities).sort()).toEqual([...P].sort());
  // the printed metric and loss agree with the file
  const m = /mAP (\d\.\d{4}), loss (-?\d\.\d{4})$/.exec(lines[0])!;
  expect(Number(m[2])).toBeCloseTo(f1.sensitivities[P[0]]['0.3'], 4);
  expect(Number(m[2])).toBeCloseTo((f1.base - Number(m[1])) / f1.base, 3);
  fs.copyFileSync(file, path.join(dir, 'a-first.json'));

  // ratio 0 prunes nothing: loss exactly 0, measured from the unpruned weights
  const second = await measure(file, '0 0.3 0.6');
  expect(second.code).toBe(0);
  expect(second.out).toMatch(/4 of 6 already in/);
  expect(second.out).toMatch(/measured 2, skipped 4 already in the file/);
  expect(pointLines(second.out).map((l) => l.slice(0, 6))).toEqual(['[5/6] ', '[6/6] ']);
  const f2 = readSensitivityFile(file);
  for (const p of P) {
    expect(f2.sensitivities[p]['0']).toBe(0);
    expect(f2.sensitivities[p]['0.3']).toBe(f1.sensitivities[p]['0.3']);
    expect(f2.sensitivities[p]['0.6']).toBe(f1.sensitivities[p]['0.6']);
  }
  expect(f2.base).toBe(f1.base);
});

test('--jobs 2 (worker threads) writes the same file as --jobs 1', async () => {
  const file = path.join(dir, 'jobs2.json');
  const r = await measure(file, '0.3 0.6', '--jobs', '2');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(pointLines(r.out)).toHaveLength(4);
  expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(path.join(dir, 'a-first.json'), 'utf8'));
});

test('without -p every prunable group is measured once, by its master (all in the file here: nothing to do)', async () => {
  const cfg = loadCliConfig({ config: DIGITS_CFG, overrides: opts });
  const groups = listGroups(buildModel(cfg as never, { mode: 'eval', inputShape: [1, 3, 128, 128] }).graph);
  const masters = groups.filter((g) => !g.unprunable).map((g) => g.master);
  // the three yolo_output convs feed graph outputs: not prunable
  expect(groups.length - masters.length).toBe(3);
  const file = path.join(dir, 'all.json');
  const sens = Object.fromEntries(masters.map((p) => [p, { '0.5': 0.1 }]));
  writeSensitivityFile(file, { version: 1, metric: 'mAP', base: 0.5, config_digest: digestOf(cfg.model), sensitivities: sens });
  const r = await cli('sensitivity', '-c', DIGITS_CFG, '-o', ...opts, '-r', '0.5', '-s', file, '--max_eval_batches', '1');
  expect(r.err).toBe('');
  expect(r.out).toContain(`sensitivity of ${masters.length} parameter(s) at 1 ratio(s)`);
  expect(r.out).toContain(`measured 0, skipped ${masters.length} already in the file`);
});

test('refusals: another config, no -c, bad --jobs / --max_eval_batches, an unprunable or unknown param', async () => {
  const other = path.join(dir, 'other.json');
  writeSensitivityFile(other, { version: 1, metric: 'mAP', base: 0.5, config_digest: '0123456789abcdef', sensitivities: {} });
  const r = await measure(other, '0.3');
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^slimprune sensitivity: -s .*other\.json: measured on another config \(config_digest 0123456789ab, this config [0-9a-f]{12}\)/);
  expect(r.out).toBe('');
  expect((await cli('sensitivity', '-p', P[0])).err).toMatch(/-c, --config: expected the config file to measure on, got none/);
  expect((await measure(path.join(dir, 'x.json'), '0.3', '--jobs', '0')).err).toMatch(/--jobs: expected a positive integer, got '0'/);
  expect((await measure(path.join(dir, 'x.json'), '0.3', '--max_eval_batches', 'many')).err).toMatch(/--max_eval_batches: expected a positive integer, got 'many'/);
  const out = await cli('sensitivity', '-c', DIGITS_CFG, '-o', ...opts, '-p', 'yolo_output.0.conv.weights', '-s', path.join(dir, 'x.json'));
  expect(out.code).toBe(2);
  expect(out.err).toMatch(/--pruned_params: expected a prunable conv weight, got yolo_output\.0\.conv\.weights: .*graph output/);
  expect((await cli('sensitivity', '-c', DIGITS_CFG, '-p', 'yolo_block.0.2.conv.weight', '-s', path.join(dir, 'x.json'))).err).toMatch(/did you mean yolo_block\.0\.2\.conv\.weights/);
  expect(fs.existsSync(path.join(dir, 'x.json'))).toBe(false);
});
