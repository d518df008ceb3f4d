// The measurer behind `slimprune sensitivity`: weights loaded once, every point pruned from
// the unpruned weights on a copy, the same eval batches each time.
import * as fs from 'fs';
import { createMeasurer, type Measurer } from '../../src/prune/sensitivity_measure';
import { groupOf } from '../../src/prune/groups';
import { buildModel } from '../../src/nn';
import { loadCliConfig } from '../../src/cli/options';
import { digestOf } from '../../src/train/checkpoint';
import { DIGITS_CFG, digitsFixture } from './sensitivity_fixture';

const P = 'yolo_block.0.2.conv.weights';
let dir = '';
let m: Measurer;
let overrides: string[] = [];

beforeAll(async () => {
  ({ dir, overrides } = await digitsFixture());
  m = await createMeasurer({ config: DIGITS_CFG, overrides, maxEvalBatches: 1 });
});
afterAll(async () => {
  await m?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('metric and digest are those of the config', () => {
  expect(m.metric).toBe('mAP');
  expect(m.configDigest).toBe(digestOf(loadCliConfig({ config: DIGITS_CFG, overrides }).model));
});

test('each point starts from the unpruned weights: ratio 0 gives the base back after deep pruning', async () => {
  const base = await m.base();
  expect(base).toBeGreaterThan(0);
  const deep = await m.evaluate(P, 0.9);
  expect(deep).not.toBe(base);
  expect(await m.evaluate(P, 0.9)).toBe(deep);
  await m.evaluate('yolo_block.1.tip.conv.weights', 0.7);
  expect(await m.evaluate(P, 0)).toBe(base);
  expect(await m.evaluate(P, 0.9)).toBe(deep);
});

test('prunable params: one master per prunable group, the yolo_block convs among them', () => {
  const params = m.prunableParams();
  expect(new Set(params).size).toBe(params.length);
  for (const i of [0, 1, 2]) {
    for (const s of ['0.0', '0.1', '1.0', '1.1', '2', 'tip']) expect(params).toContain(`yolo_block.${i}.${s}.conv.weights`);
  }
  expect(params.some((p) => p.startsWith('yolo_output'))).toBe(false);
  // no master is a producer in another listed group
  const g = buildModel(loadCliConfig({ config: DIGITS_CFG, overrides }) as never, { mode: 'eval', inputShape: [1, 3, 128, 128] }).graph;
  const roots = params.map((p) => groupOf(g, p).root);
  expect(new Set(roots).size).toBe(params.length);
});

test('bad input: K not positive, a closed measurer', async () => {
  await expect(createMeasurer({ config: DIGITS_CFG, overrides, maxEvalBatches: 0 })).rejects.toThrow(/maxEvalBatches: expected a positive integer, got 0/);
  const other = await createMeasurer({ config: DIGITS_CFG, overrides, maxEvalBatches: 1 });
  await other.close();
  await expect(other.evaluate(P, 0.5)).rejects.toThrow(/evaluate: expected an open measurer, got one already closed/);
});
