// Several measurements in flight (runSensitivity jobs): the same file as one at a time, no
// more than N in flight, and after a failure what was in flight is still recorded.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runSensitivity, type SensitivityRun } from '../../src/prune/sensitivity_run';
import { readSensitivityFile } from '../../src/prune/sensitivity_file';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-sensjobs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const K: Record<string, number> = { a: 0.1, b: 0.5, c: 0.9 };
/** Finishes in a param- and ratio-dependent order (later ratios first), so completion order differs from the loop's. */
const delay = (p: string, r: number) => Math.round(20 * (1 - r)) + (p === 'b' ? 7 : 0);

function run(file: string, jobs: number, o: { failOn?: string; log?: string[]; inFlight?: { now: number; max: number } } = {}): SensitivityRun {
  return {
    file,
    params: ['a', 'b', 'c'],
    ratios: [0.2, 0.4, 0.6, 0.8],
    metric: 'mAP',
    configDigest: 'abcdef01',
    jobs,
    base: async () => 0.8,
    evaluate: async (p, r) => {
      const f = o.inFlight;
      if (f) f.max = Math.max(f.max, ++f.now);
      try {
        await new Promise((res) => setTimeout(res, delay(p, r)));
        if (o.failOn === `${p}@${r}`) throw new Error(`worker lost at ${p}@${r}`);
        o.log?.push(`${p}@${r}`);
        return 0.8 * (1 - r * K[p]);
      } finally {
        if (f) f.now--;
      }
    },
  };
}

test('jobs 3 writes the same file as jobs 1, with at most 3 measurements in flight', async () => {
  const one = path.join(dir, 'one.json');
  const three = path.join(dir, 'three.json');
  const f1 = { now: 0, max: 0 };
  const f3 = { now: 0, max: 0 };
  const log3: string[] = [];
  const done: number[] = [];
  await runSensitivity(run(one, 1, { inFlight: f1 }));
  const r = await runSensitivity({ ...run(three, 3, { inFlight: f3, log: log3 }), onMeasured: (m) => done.push(m.done) });
  expect(r).toMatchObject({ measured: 12, skipped: 0 });
  expect(f1.max).toBe(1);
  expect(f3.max).toBe(3);
  expect(done).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  // finished out of loop order, yet the same bytes
  expect(log3).not.toEqual([...log3].sort());
  expect(fs.readFileSync(three, 'utf8')).toBe(fs.readFileSync(one, 'utf8'));
});

test('a failure stops new work, keeps what was in flight, and a rerun finishes the file', async () => {
  const file = path.join(dir, 'fail.json');
  const log: string[] = [];
  await expect(runSensitivity(run(file, 3, { failOn: 'b@0.4', log }))).rejects.toThrow('worker lost at b@0.4');
  const kept = readSensitivityFile(file).sensitivities;
  const recorded = Object.entries(kept).flatMap(([p, row]) => Object.keys(row).map((r) => `${p}@${r}`));
  expect(recorded.sort()).toEqual([...log].sort());
  expect(log.length).toBeLessThan(12);
  expect(recorded).not.toContain('b@0.4');
  const rest: string[] = [];
  const r = await runSensitivity(run(file, 2, { log: rest }));
  expect(r.measured + r.skipped).toBe(12);
  expect(r.measured).toBe(rest.length);
  expect(rest).toContain('b@0.4');
  const whole = path.join(dir, 'whole.json');
  await runSensitivity(run(whole, 1));
  expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(whole, 'utf8'));
});

test('bad jobs are refused before anything runs', async () => {
  await expect(runSensitivity(run(path.join(dir, 'j0.json'), 0))).rejects.toThrow(/jobs: expected a positive integer, got 0/);
  expect(fs.existsSync(path.join(dir, 'j0.json'))).toBe(false);
});
