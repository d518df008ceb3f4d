// `slimprune prune --sensitivities_file F --target_flops f`: the ratios `slimprune ratios`
// chooses, printed first as flags, then pruned and trained with (tiny digits model, 2 steps).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from '../util/cli';
import { loadCliConfig } from '../../src/cli/options';
import { writeSensitivityFile } from '../../src/prune/sensitivity_file';
import { digestOf, readCheckpoint } from '../../src/train/checkpoint';
import { tinyConfig, tinyDigits } from '../train/tiny';

const P = ['yolo_block.0.0.0.conv.weights', 'yolo_block.0.0.1.conv.weights', 'yolo_block.0.1.0.conv.weights', 'yolo_block.1.2.conv.weights'];
const grid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const curve = (f: (r: number) => number) => Object.fromEntries(grid.map((r) => [String(r), f(r)]));
let dataset = '';
let dir = '';

beforeAll(async () => {
  dataset = await tinyDigits(4, 2);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-sensprune-'));
});
afterAll(() => {
  fs.rmSync(dataset, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('chooses as `ratios` does, prints the flags first, prunes and trains with them', async () => {
  const save = path.join(dir, 'out');
  const cfg = tinyConfig(dataset, save, { maxIters: 2, snapshotIter: 2, workers: 0 });
  const file = path.join(dir, 'sens.json');
  const digest = digestOf(loadCliConfig({ config: cfg, overrides: [] }).model);
  writeSensitivityFile(file, { version: 1, metric: 'mAP', base: 0.3, config_digest: digest, sensitivities: Object.fromEntries(P.map((p, i) => [p, curve((r) => (r * (i + 1)) / 10)])) });

  const chosen = JSON.parse((await cli('ratios', '-s', file, '-c', cfg, '--target_flops', '0.1', '--json')).out);
  expect(chosen.flops_reduction).toBeGreaterThanOrEqual(0.1);
  const flags = `--pruned_params ${chosen.pruned_params.join(',')} --pruned_ratios ${chosen.pruned_ratios.join(',')}`;

  const r = await cli('prune', '-c', cfg, '--sensitivities_file', file, '--target_flops', '0.1', '--seed', '1');
  expect(r.code).toBe(0);
  const lines = r.out.split('\n');
  expect(lines[0]).toMatch(/^ratios removing at least 10\.00% of FLOPs \(64x64 input\)/);
  expect(lines[1]).toBe(flags);
  const ck = readCheckpoint(path.join(save, 'tiny_digits', 'model_final'));
  const rec = ck.manifest.prune[ck.manifest.prune.length - 1];
  expect(rec.groups.map((g) => g.master)).toEqual(chosen.pruned_params);
  expect(rec.groups.map((g) => g.ratio)).toEqual(chosen.pruned_ratios);
  // the FLOPs of the pruned model are those `ratios` promised
  const f = JSON.parse((await cli('flops', '-c', cfg, '-p', chosen.pruned_params.join(','), '--pruned_ratios', chosen.pruned_ratios.join(','), '--json')).out);
  expect(f.after.macs).toBe(chosen.macs_after);
  expect(f.before.macs).toBe(chosen.macs_before);
});

test('refusals: both sources of ratios, a choice without a file, a file of another config', async () => {
  const cfg = tinyConfig(dataset, path.join(dir, 'x'), { maxIters: 1 });
  const other = path.join(dir, 'other.json');
  writeSensitivityFile(other, { version: 1, metric: 'mAP', base: 0.3, config_digest: '0123456789abcdef', sensitivities: { [P[0]]: { '0.5': 0.1 } } });
  expect((await cli('prune', '-c', cfg, '--sensitivities_file', other, '--target_flops', '0.1', '-p', P[0], '--pruned_ratios', '0.5')).err).toMatch(
    /--sensitivities_file: expected it or --pruned_params \/ --pruned_ratios, got both/,
  );
  expect((await cli('prune', '-c', cfg, '--target_flops', '0.1')).err).toMatch(/--target_flops: expected --sensitivities_file to choose the ratios from, got none/);
  expect((await cli('prune', '-c', cfg, '--sensitivities_file', other)).err).toMatch(/expected exactly one of them, got none/);
  const r = await cli('prune', '-c', cfg, '--sensitivities_file', other, '--loss', '0.5');
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/measured on another config/);
  expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
});
