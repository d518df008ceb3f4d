// Hostile flags and overrides through the real CLI (in-process main, real model builder):
// each ends with exit 2 and one line on stderr naming the flag or file, and nothing reaches
// Object.prototype.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli';

const ROOT = path.resolve(__dirname, '../..');
const CFG = path.join(ROOT, 'configs/yolov3_mobilenet_v1_voc.yml');
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { io: { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) } });
  return { code, out: out.join(''), err: err.join('') };
}

afterEach(() => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_NAMES);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).conv_block_num).toBeUndefined();
});

test.each([
  ['__proto__.polluted=1', '__proto__'],
  ['__proto__={polluted: 1}', '__proto__'],
  ['TrainReader.__proto__.x=1', '__proto__'],
  ['a.b.__proto__.x=1', '__proto__'],
  ['__proto__.conv_block_num=0', '__proto__'],
  ['constructor=1', 'constructor'],
])('-o %s exits 2 naming the key and the option', async (o, key) => {
  const r = await run('flops', '-c', CFG, '-o', o, '--json');
  expect(r.code).toBe(2);
  expect(r.err).toBe(`slimprune flops: config: -o ${o}: key "${key}" is not allowed (${key === '__proto__' ? 'it would change every object in the process' : 'it is the name of a property every object has'})\n`);
  expect(r.out).toBe('');
});

test('after a refused -o __proto__.conv_block_num=0 the model still has its conv blocks', async () => {
  await run('groups', '-c', CFG, '-o', '__proto__.conv_block_num=0');
  const r = await run('prune', '-c', CFG, '-P', '--json');
  expect(r.code).toBe(0);
  const names = (JSON.parse(r.out) as { params: Array<{ name: string }> }).params.map((p) => p.name);
  expect(names).toContain('yolo_block.0.1.1.conv.weights');
});

test('parse-level failures exit 2 and name the file: alias count, nesting, unresolved alias', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimprune-cli-'));
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 9; i++) bomb += `a${i}: &a${i} [${Array(8).fill(`*a${i - 1}`).join(', ')}]\n`;
  const cases: Array<[string, RegExp]> = [
    [write('bomb.yml', bomb), /bomb\.yml:\d+:\d+: expected at most 200000 values once aliases are expanded/],
    [write('deep.yml', `architecture: ${'['.repeat(5000)}${']'.repeat(5000)}\n`), /deep\.yml: expected at most 64 levels of nesting/],
    [write('unres.yml', 'architecture: *nope\n'), /unres\.yml:1:15: unknown alias \*nope/],
    [write('zero.yml', '_READER_: /dev/zero\n'), /zero\.yml: cannot read _READER_ \/dev\/zero: expected a regular file, got a device/],
  ];
  for (const [file, msg] of cases) {
    const r = await run('flops', '-c', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err.split('\n')).toHaveLength(2);
  }
  const z = await run('eval', '-c', '/dev/zero');
  expect([z.code, z.err]).toEqual([2, 'slimprune eval: config: cannot read config file /dev/zero: expected a regular file, got a device\n']);
});

test('--input_size 33 says it must be a multiple of 32; out-of-range sizes are refused', async () => {
  const r = await run('flops', '-c', CFG, '--input_size', '33');
  expect([r.code, r.err]).toEqual([2, 'slimprune flops: --input_size: expected a multiple of 32 (YOLOv3 downsamples by 32), got 33\n']);
  const big = await run('flops', '-c', CFG, '--input_size', '65536');
  expect([big.code, big.err]).toEqual([2, 'slimprune flops: --input_size: expected at most 4096, got 65536\n']);
});

test('--round_to: an integer up to 4096; a K that prunes nothing is an error, one that undoes some ratios a warning', async () => {
  const p = 'yolo_block.0.0.0.conv.weights';
  for (const k of ['0', '2.5', 'abc', '1e9', '-3']) {
    const r = await run('flops', '-c', CFG, '-p', p, '--pruned_ratios', '0.5', '--round_to', k);
    expect([r.code, r.err]).toEqual([2, `slimprune flops: --round_to: expected a positive integer up to 4096, got ${k}\n`]);
  }
  const none = await run('flops', '-c', CFG, '--input_size', '320', '-p', p, '--pruned_ratios', '0.5', '--round_to', '1e3');
  expect(none.code).toBe(2);
  expect(none.err).toBe(
    `slimprune flops: --round_to: expected a K that leaves something to prune, got 1000: every parameter keeps all its channels (${p} keeps all 512 channels (ratio 0.5 prunes nothing once the kept count is rounded to a multiple of 1000, at least 1000))\n`,
  );
  const some = await run('flops', '-c', CFG, '--input_size', '320', '-p', `${p},conv1_weights`, '--pruned_ratios', '0.5,0.5', '--round_to', '384', '--json');
  expect(some.code).toBe(0);
  expect(some.err).toBe('slimprune flops: warning: --round_to 384: conv1_weights keeps all 32 channels (ratio 0.5 prunes nothing once the kept count is rounded to a multiple of 384, at least 384)\n');
  expect(JSON.parse(some.out).reduction.macs_pct).toBeGreaterThan(0);
});
