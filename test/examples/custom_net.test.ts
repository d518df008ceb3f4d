// The runnable example of a user-defined network: it prints params and FLOPs, trains a step,
// prunes the stem (whose output feeds a residual sum) and runs the smaller network.
import { spawnSync } from 'child_process';
import * as path from 'path';

test('examples/custom_net.ts runs and prunes its residual stem', () => {
  const root = path.join(__dirname, '..', '..');
  const r = spawnSync(process.execPath, ['-r', './scripts/ts-register.js', 'examples/custom_net.ts'], { cwd: root, encoding: 'utf8', env: { ...process.env, SLIMPRUNE_QUIET: '1' } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^stem_weights: \[16, 3, 3, 3\]$/m);
  expect(r.stdout).toMatch(/FLOPs \(multiply-adds per image\): 213152 /);
  expect(r.stdout).toMatch(/FLOPs: 213152 -> 90192 MACs/);
  expect(r.stdout).toMatch(/after pruning: logits \[2, 10\], block_pw_weights \[8, 8, 1, 1\], gradient of classifier_weights \[8, 10\]/);
});
