/**
 * The CUDA bench without a GPU: it says why it is skipped and exits 0 (the path CI and GPU-less
 * machines take), and its GPU timing loop synchronises once per sample, each sample a run of
 * back-to-back calls. Nothing here asserts on time.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { timeGpu } from '../../bench/cuda';

const ROOT = path.join(__dirname, '..', '..');

describe('cuda benchmark', () => {
  test('no usable CUDA backend: prints the reason and exits 0', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'run-bench.js'), 'cuda', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SLIMPRUNE_ADDON: path.join(ROOT, 'no-such-dir', 'slimprune.node') },
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^cuda bench skipped: the CUDA backend is not available here: \S/m);
    expect(r.stdout.trim()).toBe(''); // --json: no measurement rows
  }, 120_000);

  test('timing: one sync per sample (plus warm-up and calibration), every sample the same number of calls', () => {
    let calls = 0;
    let syncs = 0;
    const perSync: number[] = [];
    let since = 0;
    const t = timeGpu(
      () => {
        calls++;
        since++;
      },
      () => {
        syncs++;
        perSync.push(since);
        since = 0;
      },
      { minIters: 4, minMs: 0 },
    );
    expect(t.samples).toBeGreaterThanOrEqual(4);
    expect(syncs).toBe(t.samples + 2);
    expect(perSync.slice(0, 2)).toEqual([1, 1]);
    const per = perSync[2];
    expect(per).toBeGreaterThanOrEqual(1);
    expect(perSync.slice(2).every((n) => n === per)).toBe(true);
    expect(calls).toBe(2 + per * t.samples);
    expect(Number.isFinite(t.ms) && t.ms >= 0).toBe(true);
  });
});
