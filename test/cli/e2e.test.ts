// The real CLI end to end (bin/slimprune.js on the sources), on the project's own VOC config:
// FLOPs as PaddleDetection publishes them (20.20 GFLOPs at 608, 5.60 at 320), pruned counts,
// per-layer detail, and the pruned shapes printed by -P with pruning flags.
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const CFG = 'configs/yolov3_mobilenet_v1_voc.yml';
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bin/slimprune.js', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SLIMPRUNE_FROM_SOURCE: '1', SLIMPRUNE_QUIET: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('flops --json at the config size and at --input_size 320, with and without pruning', () => {
  const a = cli('flops', '-c', CFG, '--json');
  expect(a.err).toBe('');
  const j = JSON.parse(a.out);
  expect(j).toMatchObject({ input_size: 608, macs: 21694656000, params: 24286881 });
  expect(j.gflops).toBeCloseTo(20.2047, 4);
  const heads = ['0.0.0', '0.0.1', '0.1.0', '0.1.1', '0.2', '0.tip'].map((s) => `yolo_block.${s}.conv.weights`);
  const b = cli('flops', '-c', CFG, '--input_size', '320', '-p', heads.join(','), '--pruned_ratios', heads.map(() => '0.5').join(','), '--json');
  const p = JSON.parse(b.out);
  expect(p.input_size).toBe(320);
  expect(p.before.gflops).toBeCloseTo(5.5969, 4);
  expect(p.after.macs).toBeLessThan(p.before.macs);
  expect(p.reduction.macs_pct).toBeCloseTo(((p.before.macs - p.after.macs) / p.before.macs) * 100, 8);
  expect(p.reduction.params_pct).toBeGreaterThan(0);
});

test('flops --detail lists every counted layer; prune -P with pruning flags prints the pruned shapes', () => {
  const d = cli('flops', '-c', CFG, '--detail');
  expect(d.out).toMatch(/^ {2}yolo_block\.0\.0\.0\.conv\.weights +conv2d +\d{1,3}(,\d{3})* +\d+\.\d\d%$/m);
  const s = cli('prune', '-c', CFG, '-P', '-p', 'yolo_block.0.0.0.conv.weights', '--pruned_ratios', '0.2');
  expect(s.out).toMatch(/^yolo_block\.0\.0\.0\.conv\.weights: \[410, 1024, 1, 1\]$/m);
  expect(s.out).toMatch(/^yolo_block\.0\.0\.1\.conv\.weights: \[1024, 410, 3, 3\]$/m);
  expect(s.out).toMatch(/^total: 241 parameter tensors, \d+ values, [\d.]+ MB \(fp32\)$/m);
});

test('--round_to keeps a multiple of K channels; --group_reduction is checked', () => {
  // 512 at 0.3: round_half_to_even(153.6) = 154 pruned, 358 kept, rounded down to 352 = 11 x 32
  const s = cli('prune', '-c', CFG, '-P', '-p', 'yolo_block.0.0.0.conv.weights', '--pruned-ratios', '0.3', '--round-to', '32');
  expect(s.out).toMatch(/^yolo_block\.0\.0\.0\.conv\.weights: \[352, 1024, 1, 1\]$/m);
  const m = cli('prune', '-c', CFG, '-P', '-p', 'yolo_block.0.0.0.conv.weights', '--pruned_ratios', '0.3', '--group_reduction', 'mean');
  expect(m.out).toMatch(/^yolo_block\.0\.0\.0\.conv\.weights: \[358, 1024, 1, 1\]$/m);
  const bad = cli('prune', '-c', CFG, '-P', '-p', 'yolo_block.0.0.0.conv.weights', '--pruned_ratios', '0.3', '--group_reduction', 'avg');
  expect(bad.code).toBe(2);
  expect(bad.err).toBe("slimprune prune: --group_reduction: expected master or mean, got 'avg'\n");
});
