// The sensitivities file: canonical ratio keys, validation, digest/metric refusal, atomic writes, merge.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  mergeSensitivities,
  ratioKey,
  readSensitivityFile,
  writeSensitivityFile,
  type SensitivityFile,
} from '../../src/prune/sensitivity_file';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-sens-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sample = (over: Partial<SensitivityFile> = {}): SensitivityFile => ({
  version: 1,
  metric: 'mAP',
  base: 0.8,
  config_digest: 'ab12cd34ef56ab12',
  sensitivities: { conv2_weights: { '0.2': 0.03, '0.1': 0.01 }, conv1_weights: { '0.1': 0.002 } },
  ...over,
});
const writeRaw = (name: string, v: unknown) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, typeof v === 'string' ? v : JSON.stringify(v));
  return f;
};

test('ratio keys are canonical', () => {
  expect(ratioKey(0.1)).toBe('0.1');
  expect(ratioKey('0.10')).toBe('0.1');
  expect(ratioKey(0.1 + 0.2)).toBe('0.3');
  expect(ratioKey('.25')).toBe('0.25');
  expect(ratioKey(0)).toBe('0');
  expect(() => ratioKey(1)).toThrow("expected a ratio in [0, 1), got '1'");
  expect(() => ratioKey('abc')).toThrow("expected a ratio in [0, 1), got 'abc'");
});

test('round trip: sorted, canonical, no temp file left', () => {
  const f = path.join(dir, 'a.json');
  writeSensitivityFile(f, sample({ sensitivities: { b: { '0.20': 0.03, '0.1': 0.01 }, a: { '0.1': 0.002 } } }));
  const text = fs.readFileSync(f, 'utf8');
  expect(Object.keys(JSON.parse(text).sensitivities)).toEqual(['a', 'b']);
  expect(Object.keys(JSON.parse(text).sensitivities.b)).toEqual(['0.1', '0.2']);
  const back = readSensitivityFile(f, { metric: 'mAP', configDigest: 'ab12cd34ef56ab12' });
  expect(back).toEqual(sample({ sensitivities: { a: { '0.1': 0.002 }, b: { '0.1': 0.01, '0.2': 0.03 } } }));
  expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  // rewriting gives the same bytes
  writeSensitivityFile(f, back);
  expect(fs.readFileSync(f, 'utf8')).toBe(text);
});

test('a file from another config or metric is refused', () => {
  const f = path.join(dir, 'b.json');
  writeSensitivityFile(f, sample());
  expect(() => readSensitivityFile(f, { configDigest: 'ffff0000ffff0000' })).toThrow(
    `${f}: measured on another config (config_digest ab12cd34ef56, this config ffff0000ffff); use another -s file or delete it`,
  );
  expect(() => readSensitivityFile(f, { metric: 'accuracy' })).toThrow(`${f}: measured with metric 'mAP', expected 'accuracy'`);
});

test('malformed files name what is wrong', () => {
  expect(() => readSensitivityFile(path.join(dir, 'missing.json'))).toThrow(/missing\.json: expected a readable sensitivities file, got ENOENT/);
  expect(() => readSensitivityFile(writeRaw('t.json', '{"version": 1,'))).toThrow(/t\.json: expected JSON, got a parse error/);
  expect(() => readSensitivityFile(writeRaw('v.json', { ...sample(), version: 2 }))).toThrow(/v\.json: version: expected 1, got 2/);
  expect(() => readSensitivityFile(writeRaw('m.json', { ...sample(), metric: 3 }))).toThrow(/metric: expected a metric name, got 3/);
  expect(() => readSensitivityFile(writeRaw('b.json', { ...sample(), base: 0 }))).toThrow(/base: expected a positive number \(the unpruned metric\), got 0/);
  expect(() => readSensitivityFile(writeRaw('d.json', { ...sample(), config_digest: 'xyz' }))).toThrow(/config_digest: expected a hex digest, got 'xyz'/);
  expect(() => readSensitivityFile(writeRaw('s.json', { ...sample(), sensitivities: [] }))).toThrow(/sensitivities: expected an object \{param: \{ratio: loss\}\}, got an array/);
  expect(() => readSensitivityFile(writeRaw('r.json', { ...sample(), sensitivities: { c: { '1.5': 0.1 } } }))).toThrow(/sensitivities\.c: expected ratio keys in \[0, 1\), got '1\.5'/);
  expect(() => readSensitivityFile(writeRaw('l.json', { ...sample(), sensitivities: { c: { '0.5': 'x' } } }))).toThrow(/sensitivities\.c\.0\.5: expected a finite loss, got 'x'/);
  expect(() => readSensitivityFile(writeRaw('k.json', { ...sample(), sensitivities: { c: { '0.5': 0.1, '0.50': 0.2 } } }))).toThrow(
    /sensitivities\.c: ratio 0\.5 given twice with different losses/,
  );
  // writing validates too, and leaves no file behind
  const bad = path.join(dir, 'never.json');
  expect(() => writeSensitivityFile(bad, sample({ base: -1 }))).toThrow(/base: expected a positive number/);
  expect(fs.existsSync(bad)).toBe(false);
});

test('merge joins files; identical duplicates are fine, conflicts name param and ratio', () => {
  const a = sample({ sensitivities: { p: { '0.1': 0.01 }, q: { '0.1': 0.02 } } });
  const b = sample({ sensitivities: { p: { '0.10': 0.01, '0.2': 0.05 }, r: { '0.3': 0.1 } } });
  expect(mergeSensitivities([a, b]).sensitivities).toEqual({ p: { '0.1': 0.01, '0.2': 0.05 }, q: { '0.1': 0.02 }, r: { '0.3': 0.1 } });
  const c = sample({ sensitivities: { p: { '0.2': 0.06 } } });
  expect(() => mergeSensitivities([a, b, c])).toThrow('merge: conflict for p at ratio 0.2: loss 0.05 in an earlier file, 0.06 in file 3');
  expect(() => mergeSensitivities([a, sample({ config_digest: '0000' })])).toThrow(/merge: file 2 was measured on another config/);
  expect(() => mergeSensitivities([a, sample({ metric: 'acc' })])).toThrow("merge: file 2 uses metric 'acc', file 1 'mAP'");
  expect(() => mergeSensitivities([a, sample({ base: 0.7 })])).toThrow('merge: file 2 has base 0.7, file 1 0.8');
  expect(() => mergeSensitivities([])).toThrow(/expected at least one sensitivities file, got none/);
});
