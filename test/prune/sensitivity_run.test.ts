// The sensitivity loop: losses against the base, the file after every measurement, resume.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runSensitivity, type SensitivityRun } from '../../src/prune/sensitivity_run';
import { readSensitivityFile } from '../../src/prune/sensitivity_file';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-sensrun-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// a fake model: metric 0.8 * (1 - ratio * k(param))
const K: Record<string, number> = { a: 0.1, b: 0.5 };
const metricOf = (p: string, r: number) => 0.8 * (1 - r * K[p]);

function setup(file: string, calls: string[], failAfter = Infinity): SensitivityRun {
  return {
    file,
    params: ['a', 'b'],
    ratios: [0.1, 0.2, 0.3],
    metric: 'mAP',
    configDigest: 'abcdef01',
    base: async () => 0.8,
    evaluate: async (p, r) => {
      if (calls.length >= failAfter) throw new Error('killed');
      calls.push(`${p}@${r}`);
      return metricOf(p, r);
    },
  };
}

test('losses are (base - metric) / base, written as they come', async () => {
  const file = path.join(dir, 'one.json');
  const calls: string[] = [];
  const seen: number[] = [];
  const r = await runSensitivity({ ...setup(file, calls), onMeasured: (m) => seen.push(m.done) });
  expect(r.measured).toBe(6);
  expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  const f = readSensitivityFile(file, { metric: 'mAP', configDigest: 'abcdef01' });
  expect(f.base).toBe(0.8);
  expect(f.sensitivities.a['0.2']).toBeCloseTo(0.02, 12);
  expect(f.sensitivities.b['0.3']).toBeCloseTo(0.15, 12);
});

test('an interrupted run resumes, skipping what the file holds, and ends identical', async () => {
  const file = path.join(dir, 'resume.json');
  const first: string[] = [];
  await expect(runSensitivity(setup(file, first, 4))).rejects.toThrow('killed');
  expect(Object.keys(readSensitivityFile(file).sensitivities.b)).toEqual(['0.1']);
  const second: string[] = [];
  const r = await runSensitivity(setup(file, second));
  expect(r).toMatchObject({ skipped: 4, measured: 2 });
  expect(second).toEqual(['b@0.2', 'b@0.3']);
  const whole = path.join(dir, 'whole.json');
  await runSensitivity(setup(whole, []));
  expect(fs.readFileSync(file, 'utf8')).toBe(fs.readFileSync(whole, 'utf8'));
});

test('a file from another config is refused before anything runs; a bad base is refused', async () => {
  const file = path.join(dir, 'one-other.json');
  await runSensitivity(setup(file, []));
  const calls: string[] = [];
  await expect(runSensitivity({ ...setup(file, calls), configDigest: 'ffff' })).rejects.toThrow(/measured on another config/);
  await expect(runSensitivity({ ...setup(file, calls), metric: 'bbox' })).rejects.toThrow(/measured with metric 'mAP', expected 'bbox'/);
  expect(calls).toEqual([]);
  await expect(runSensitivity({ ...setup(path.join(dir, 'zero.json'), calls), base: async () => 0 })).rejects.toThrow(/base mAP: expected a positive unpruned metric/);
});
