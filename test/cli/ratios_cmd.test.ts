// `slimprune ratios`: flags ready to paste and JSON, by loss threshold and by FLOPs target on
// the project's VOC config, and the refusals (another config, bad flags).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli';
import { loadCliConfig } from '../../src/cli/options';
import { digestOf } from '../../src/train/checkpoint';
import { writeSensitivityFile } from '../../src/prune/sensitivity_file';

const ROOT = path.resolve(__dirname, '../..');
const CFG = path.join(ROOT, 'configs/yolov3_mobilenet_v1_voc.yml');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-ratios-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { io: { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) } });
  return { code, out: out.join(''), err: err.join('') };
}

const P = ['yolo_block.0.0.0.conv.weights', 'yolo_block.0.0.1.conv.weights', 'yolo_block.0.1.0.conv.weights'];
const grid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const curve = (f: (r: number) => number) => Object.fromEntries(grid.map((r) => [String(r), f(r)]));
let file = '';
let otherFile = '';

beforeAll(() => {
  const digest = digestOf(loadCliConfig({ config: CFG, overrides: [] }).model);
  const sensitivities = { [P[0]]: curve((r) => r / 10), [P[1]]: curve((r) => r / 100), [P[2]]: curve((r) => (r * r) / 5) };
  file = path.join(dir, 'sens.json');
  writeSensitivityFile(file, { version: 1, metric: 'mAP', base: 0.75, config_digest: digest, sensitivities });
  otherFile = path.join(dir, 'other.json');
  writeSensitivityFile(otherFile, { version: 1, metric: 'mAP', base: 0.75, config_digest: '0123456789abcdef', sensitivities });
});

test('--loss: PaddleSlim thresholds, as flags and JSON', async () => {
  const r = await cli('ratios', '-s', file, '--loss', '0.02');
  expect(r.code).toBe(0);
  // P0: loss r/10 reaches 0.02 at 0.2; P1: never above 0.009: 0.9; P2: r^2/5 = 0.02 between 0.3 (0.018) and 0.4 (0.032)
  const r2 = 0.3 + (0.002 * 0.1) / 0.014;
  const shown = String(Math.floor(r2 * 1e4) / 1e4);
  expect(r.out).toContain(`--pruned_params ${P.join(',')} --pruned_ratios 0.2,0.9,${shown}\n`);
  const j = JSON.parse((await cli('ratios', '-s', file, '--loss', '0.02', '--json')).out);
  expect(j.pruned_params).toEqual(P);
  expect(j.pruned_ratios).toEqual([0.2, 0.9, Number(shown)]);
  expect(j.loss).toBe(0.02);
});

test('--target_flops on the VOC config: meets the target, with the FLOPs reached', async () => {
  const r = await cli('ratios', '-s', file, '-c', CFG, '--target_flops', '0.05', '--round_to', '8', '--json');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const j = JSON.parse(r.out);
  expect(j.flops_reduction).toBeGreaterThanOrEqual(0.05);
  expect((j.macs_before - j.macs_after) / j.macs_before).toBeCloseTo(j.flops_reduction, 12);
  // the flat curve is pruned hardest
  expect(j.ratios[P[1]]).toBeGreaterThanOrEqual(Math.max(j.ratios[P[0]] ?? 0, j.ratios[P[2]] ?? 0));
  // the flags reproduce the same FLOPs through `slimprune flops`
  const f = await cli('flops', '-c', CFG, '-p', j.pruned_params.join(','), '--pruned_ratios', j.pruned_ratios.join(','), '--round_to', '8', '--json');
  expect(JSON.parse(f.out).after.macs).toBe(j.macs_after);
});

test('refusals: another config, unreachable target, bad flags', async () => {
  const other = await cli('ratios', '-s', otherFile, '-c', CFG, '--loss', '0.02');
  expect(other.code).toBe(2);
  expect(other.err).toMatch(/other\.json: measured on another config \(config_digest 0123456789ab, this config [0-9a-f]{12}\)/);
  const far = await cli('ratios', '-s', file, '-c', CFG, '--target_flops', '0.9');
  expect(far.code).toBe(2);
  expect(far.err).toMatch(/--target_flops: target FLOPs: expected to remove 90\.00% of MACs, but the largest measured ratios remove \d+\.\d\d%/);
  expect((await cli('ratios', '-s', file)).err).toMatch(/expected exactly one of them, got none/);
  expect((await cli('ratios', '-s', file, '--loss', '0.1', '--target_flops', '0.5', '-c', CFG)).err).toMatch(/expected exactly one of them, got 2/);
  expect((await cli('ratios', '-s', file, '--target_flops', '0.5')).err).toMatch(/--target_flops: expected -c CONFIG to count FLOPs on, got none/);
  expect((await cli('ratios', '-s', file, '--loss', '1.5')).err).toMatch(/--loss: expected a number in \(0, 1\), got '1\.5'/);
  expect((await cli('ratios', '-s', file, '--loss', '0.1', '--round_to', '8')).err).toMatch(/--round_to: expected --target_flops or --target_latency with it/);
  const missing = await cli('ratios', '-s', path.join(dir, 'nope.json'), '--loss', '0.1');
  expect(missing.code).toBe(2);
  expect(missing.err).toMatch(/nope\.json: expected a readable sensitivities file, got ENOENT/);
});
