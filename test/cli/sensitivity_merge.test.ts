// `slimprune sensitivity merge`: runs split by parameter join into the file a single run writes;
// conflicts name the param and ratio; other configs, metrics and bases are refused.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from '../util/cli';
import { readSensitivityFile, writeSensitivityFile, type SensitivityFile } from '../../src/prune/sensitivity_file';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-merge-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const head = { version: 1, metric: 'mAP', base: 0.6, config_digest: 'abcdef0123456789' };
function write(name: string, sensitivities: SensitivityFile['sensitivities'], over: Partial<SensitivityFile> = {}): string {
  const file = path.join(dir, name);
  writeSensitivityFile(file, { ...head, sensitivities, ...over });
  return file;
}

test('files split by param and by ratio join into the whole', async () => {
  const whole = write('whole.json', { a: { '0.1': 0.01, '0.2': 0.05 }, b: { '0.1': 0.002, '0.2': 0.004 } });
  const a = write('a.json', { a: { '0.1': 0.01, '0.2': 0.05 } });
  const b1 = write('b1.json', { b: { '0.1': 0.002 }, a: { '0.1': 0.01 } }); // a@0.1 again, same loss: fine
  const b2 = write('b2.json', { b: { '0.2': 0.004 } });
  const out = path.join(dir, 'sub', 'merged.json');
  const r = await cli('sensitivity', 'merge', a, b1, b2, '-o', out);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toBe(`merged 3 files: 2 parameter(s), 4 measurement(s) (mAP, base 0.6) -> ${out}\n`);
  expect(fs.readFileSync(out, 'utf8')).toBe(fs.readFileSync(whole, 'utf8'));
  expect(fs.readdirSync(path.dirname(out))).toEqual(['merged.json']);
});

test('a conflict names the param, the ratio and the files; nothing is written', async () => {
  const a = write('c1.json', { a: { '0.1': 0.01 } });
  const b = write('c2.json', { a: { '0.10': 0.02 } });
  const out = path.join(dir, 'conflict.json');
  const r = await cli('sensitivity', 'merge', a, b, '-o', out);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^slimprune sensitivity merge: merge: conflict for a at ratio 0\.1: loss 0\.01 in an earlier file, 0\.02 in file 2 \(file 1: .*c1\.json, file 2: .*c2\.json\)\n$/);
  expect(fs.existsSync(out)).toBe(false);
});

test('another config, metric or base is refused; usage mistakes', async () => {
  const a = write('r1.json', { a: { '0.1': 0.01 } });
  const cases: Array<[Partial<SensitivityFile>, RegExp]> = [
    [{ config_digest: '99999999999999' }, /file 2 was measured on another config \(config_digest 999999999999, file 1 abcdef012345\)/],
    [{ metric: 'bbox AP' }, /file 2 uses metric 'bbox AP', file 1 'mAP'/],
    [{ base: 0.61 }, /file 2 has base 0\.61, file 1 0\.6/],
  ];
  for (const [over, msg] of cases) {
    const b = write('r2.json', { b: { '0.1': 0.01 } }, over);
    const r = await cli('sensitivity', 'merge', a, b, '-o', path.join(dir, 'r.json'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  }
  expect((await cli('sensitivity', 'merge', a, '-o', path.join(dir, 'r.json'))).err).toMatch(/expected at least two sensitivities files to merge, got 1/);
  expect((await cli('sensitivity', 'merge', a, a)).err).toMatch(/-o, --output: expected the file to write the merged sensitivities to, got none/);
  const missing = await cli('sensitivity', 'merge', a, path.join(dir, 'nope.json'), '-o', path.join(dir, 'r.json'));
  expect(missing.code).toBe(2);
  expect(missing.err).toMatch(/nope\.json: expected a readable sensitivities file, got ENOENT/);
  expect(fs.existsSync(path.join(dir, 'r.json'))).toBe(false);
  expect(readSensitivityFile(a).sensitivities).toEqual({ a: { '0.1': 0.01 } });
});
