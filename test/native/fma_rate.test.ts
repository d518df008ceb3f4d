// fmaRate: the addon's measure of its microkernel build's FMA rate (the benchmarks' share of peak).
// These tests check what it answers and how it refuses, never how fast the machine is.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { loadAddon, nativeLoadError } from '../../src/backend/native';
import { measuredPeak } from '../../bench/machine';

const addon = loadAddon();
if (!addon) console.log(`skipping fmaRate tests: ${nativeLoadError()}`);
const d = addon ? describe : describe.skip;
const ADDON = path.join(__dirname, '..', '..', 'build', 'Release', 'slimprune.node');

d('fmaRate', () => {
  test('answers the build it measured, on the pool size, with positive finite rates', () => {
    const before = addon!.getThreads();
    try {
      for (const threads of [1, 2]) {
        addon!.setThreads(threads);
        const r = addon!.fmaRate(0.01);
        const isa = addon!.cpuInfo().isa;
        if (isa === 'generic') {
          expect(r).toBeNull();
          continue;
        }
        expect(r).not.toBeNull();
        expect(r!.isa).toBe(isa);
        expect(r!.lanes).toBe(isa === 'avx512' ? 16 : 8);
        expect(r!.chains).toBeGreaterThanOrEqual(8);
        expect(r!.threads).toBe(threads);
        for (const v of [r!.oneThread, r!.allThreads]) {
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThan(0);
        }
      }
    } finally {
      addon!.setThreads(before);
    }
  });

  test('bad arguments are one clear error each', () => {
    expect(() => addon!.fmaRate(0)).toThrow(/^fmaRate: expected seconds from 0.001 to 10, got 0$/);
    expect(() => addon!.fmaRate(11)).toThrow(/^fmaRate: expected seconds from 0.001 to 10, got 11$/);
    expect(() => addon!.fmaRate(NaN)).toThrow(/^fmaRate: expected seconds from 0.001 to 10, got NaN$/);
    expect(() => addon!.fmaRate('1' as unknown as number)).toThrow(/^fmaRate: expected one number of seconds, got '1'$/);
    expect(() => (addon!.fmaRate as unknown as () => unknown)()).toThrow(/^fmaRate: expected one number of seconds, got 0 arguments$/);
  });

  test('the portable build has no FMA loop: null', () => {
    const script = `const a = require(${JSON.stringify(ADDON)}); process.stdout.write(JSON.stringify({ isa: a.cpuInfo().isa, r: a.fmaRate(0.01) }));`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, SLIMPRUNE_ISA: 'generic' }, encoding: 'utf8', timeout: 60000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ isa: 'generic', r: null });
  });

  test("the bench's measured peak is the rate on the threads asked for, and leaves the pool as it was", () => {
    const before = addon!.getThreads();
    const m = measuredPeak(1, 0.01);
    expect(addon!.getThreads()).toBe(before);
    if (addon!.cpuInfo().isa === 'generic') {
      expect(m).toMatch(/no FMA loop/);
      return;
    }
    expect(typeof m).toBe('object');
    const p = m as Exclude<typeof m, string>;
    expect(p.threads).toBe(1);
    expect(p.gflops).toBeGreaterThan(0);
    expect(p.derivation).toMatch(/^measured: \d+ independent FMA chains of (8|16) fp32 lanes/);
  });
});
