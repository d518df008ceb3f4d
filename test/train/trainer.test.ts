import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readConfig } from '../../src/config';
import { readCheckpoint } from '../../src/train/checkpoint';
import { train } from '../../src/train/trainer';
import { tinyConfig, tinyDigits } from './tiny';

const ROOT = path.resolve(__dirname, '../..');
let dataset = '';

beforeAll(async () => {
  dataset = await tinyDigits();
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sp-train-'));

/** Runs the CLI in a child; `onLine` sees stdout lines (and may kill the child). */
function cli(args: string[], onLine?: (line: string, kill: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/slimprune.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, SLIMPRUNE_FROM_SOURCE: '1', SLIMPRUNE_QUIET: '1' },
    });
    let out = '';
    let err = '';
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        onLine?.(line, () => child.kill('SIGKILL'));
      }
    });
    child.stderr.on('data', (d: Buffer) => void (err += d));
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/** sha256 of every tensor (weights, running statistics, velocities) by kind and name. */
function digests(dir: string): Record<string, string> {
  const m = readCheckpoint(dir).manifest;
  return Object.fromEntries(m.tensors.map((t) => [`${t.kind}:${t.name}`, t.sha256]));
}

test('a tiny run trains, logs, snapshots as Paddle names them, evaluates and keeps best_model', async () => {
  const save = tmp();
  const cfg = readConfig(tinyConfig(dataset, save, { maxIters: 4, snapshotIter: 2 }));
  const lines: string[] = [];
  const evalDir = path.join(save, 'eval_out');
  const r = await train({ cfg, eval: true, outputEval: evalDir, seed: 1, log: (l) => lines.push(l), warn: (l) => lines.push(`warn ${l}`) });
  const out = path.join(save, 'tiny_digits');
  // --output_eval: the last evaluation per class, and every mAP so far
  const written = JSON.parse(fs.readFileSync(path.join(evalDir, 'voc_map.json'), 'utf8'));
  expect(written).toMatchObject({ metric: 'VOC', iter: 3, map: r.evals[1].map, history: r.evals });
  expect(written.perClass).toHaveLength(10);
  expect(written.perClass[0]).toHaveProperty('name');
  expect(fs.readdirSync(out).sort()).toEqual(['2', 'best_model', 'model_final']);
  expect(r.iterations).toBe(4);
  expect(Number.isFinite(r.lastLoss)).toBe(true);
  expect(r.evals.map((e) => e.iter)).toEqual([2, 3]);
  for (const e of r.evals) expect(e.map).toBeGreaterThanOrEqual(0);
  const text = lines.join('\n');
  expect(text).toMatch(/^iter: 0\/4, loss: [\d.]+ \(levels [\d.]+ [\d.]+ [\d.]+\), lr: [\d.e-]+, [\d.]+ img\/s, data: [\d.]+ ms, compute: [\d.]+ ms\/iter, eta: \d+:\d\d:\d\d$/m);
  expect(text).toMatch(/^eval at iteration 2: mAP\(0\.5, 11point\) [\d.]+ on 4 images/m);
  const snap = readCheckpoint(path.join(out, '2')).manifest;
  expect(snap.train).toMatchObject({ iter: 3, seed: 1, dataIter: 3 });
  expect(snap.optimizer?.names.length).toBeGreaterThan(0);
  const fin = readCheckpoint(path.join(out, 'model_final')).manifest;
  expect(fin.train?.iter).toBe(4);
  // the weights moved
  expect(digests(path.join(out, '2'))['param:conv1_weights']).not.toBe(digests(path.join(out, 'model_final'))['param:conv1_weights']);
});

test('pruning from a trained checkpoint: FLOPs logged before and after, the record travels with the snapshots', async () => {
  const save = tmp();
  const base = await train({ cfg: readConfig(tinyConfig(dataset, save, { maxIters: 1 })), seed: 2, log: () => undefined });
  const lines: string[] = [];
  const cfg = readConfig(tinyConfig(dataset, tmp(), { maxIters: 2, snapshotIter: 1 }));
  const params = ['yolo_block.0.0.0.conv.weights', 'yolo_block.1.1.1.conv.weights'];
  const r = await train({ cfg, weights: base.finalDir, prune: { params, ratios: [0.5, 0.5] }, seed: 2, log: (l) => lines.push(l), warn: () => undefined });
  expect(lines.join('\n')).toMatch(/FLOPs: \d+ -> \d+ MACs, [\d.]+ -> [\d.]+ GFLOPs \(-[\d.]+%\)/);
  const m = readCheckpoint(r.finalDir).manifest;
  expect(m.prune).toHaveLength(1);
  expect(m.prune[0].groups.map((g) => g.master)).toEqual(params);
  const w = m.tensors.find((t) => t.name === 'yolo_block.0.0.0.conv.weights')!;
  expect(w.shape[0]).toBe(32); // 64 channels at width 1/8, half kept
  const v = m.tensors.find((t) => t.kind === 'optimizer' && t.name === 'yolo_block.0.0.0.conv.weights')!;
  expect(v.shape).toEqual(w.shape);
});

test('a NaN loss stops with the iteration named; the last good snapshot stays intact', async () => {
  const save = tmp();
  const file = tinyConfig(dataset, save, { maxIters: 3, snapshotIter: 1 });
  await train({ cfg: readConfig(file), seed: 1, log: () => undefined });
  const out = path.join(save, 'tiny_digits');
  const before = digests(path.join(out, '1'));
  const cfg = readConfig(file, ['LearningRate.base_lr=1e30', 'max_iters=8']);
  await expect(train({ cfg, seed: 1, resume: path.join(out, '1'), log: () => undefined })).rejects.toThrow(
    /^training stopped at iteration ([2-7]): the loss is (NaN|Infinity|-Infinity) .*no step was taken and nothing was written; the last good snapshot is .*tiny_digits\/\d+ /,
  );
  expect(digests(path.join(out, '1'))).toEqual(before);
  for (const d of fs.readdirSync(out)) expect(() => readCheckpoint(path.join(out, d))).not.toThrow();
});

test('SIGKILL after a snapshot, then -r: the final weights equal an uninterrupted run bit for bit', async () => {
  // the uninterrupted run reads its batches inline, the killed one with two worker threads
  const saveA = tmp();
  await train({ cfg: readConfig(tinyConfig(dataset, saveA, { maxIters: 5, snapshotIter: 2, workers: 0 })), seed: 4, log: () => undefined });

  const saveB = tmp();
  const fileB = tinyConfig(dataset, saveB, { maxIters: 5, snapshotIter: 2, workers: 2 });
  const killed = await cli(['train', '-c', fileB, '--seed', '4'], (line, kill) => {
    if (/^saved .*\/2$/.test(line)) kill();
  });
  expect(killed.err).toBe('');
  expect(killed.signal).toBe('SIGKILL');
  const outB = path.join(saveB, 'tiny_digits');
  expect(fs.existsSync(path.join(outB, 'model_final'))).toBe(false);
  const lines: string[] = [];
  await train({ cfg: readConfig(fileB), seed: 4, resume: path.join(outB, '2'), log: (l) => lines.push(l) });
  expect(lines.join('\n')).toMatch(/resumed from .*\/2 at iteration 3/);
  expect(lines.join('\n')).not.toMatch(/^iter: [0-2]\//m);
  expect(digests(path.join(outB, 'model_final'))).toEqual(digests(path.join(saveA, 'tiny_digits', 'model_final')));
});

test('Adam (OptimizerBuilder type Adam): moments pruned with their params, snapshots resume exactly, a type change is refused', async () => {
  const adam = ['LearningRate.base_lr=0.001'];
  const saveA = tmp();
  const fileA = tinyConfig(dataset, saveA, { maxIters: 4, snapshotIter: 2, workers: 0, adam: true });
  const params = ['yolo_block.0.0.0.conv.weights'];
  const base = await train({ cfg: readConfig(tinyConfig(dataset, tmp(), { maxIters: 1 })), seed: 3, log: () => undefined });
  await train({ cfg: readConfig(fileA, adam), weights: base.finalDir, prune: { params, ratios: [0.5] }, seed: 3, log: () => undefined });
  const outA = path.join(saveA, 'tiny_digits');
  const m = readCheckpoint(path.join(outA, '2')).manifest;
  expect(m.optimizer).toMatchObject({ type: 'Adam', slot: 'moment1,moment2' });
  const w = m.tensors.find((t) => t.kind === 'param' && t.name === params[0])!;
  for (const s of ['_moment1_0', '_moment2_0']) expect(m.tensors.find((t) => t.kind === 'optimizer' && t.name === params[0] + s)!.shape).toEqual(w.shape);
  expect(m.tensors.find((t) => t.name === '@adam_t')!.shape).toEqual([1]);
  // resume the snapshot at 2 into another folder: same final weights as the uninterrupted run
  const saveB = tmp();
  fs.cpSync(path.join(outA, '2'), path.join(saveB, 'tiny_digits', '2'), { recursive: true });
  const fileB = tinyConfig(dataset, saveB, { maxIters: 4, snapshotIter: 2, workers: 0, adam: true });
  await train({ cfg: readConfig(fileB, adam), prune: { params, ratios: [0.5] }, seed: 3, resume: path.join(saveB, 'tiny_digits', '2'), log: () => undefined });
  expect(digests(path.join(saveB, 'tiny_digits', 'model_final'))).toEqual(digests(path.join(outA, 'model_final')));
  await expect(train({ cfg: readConfig(tinyConfig(dataset, tmp(), { maxIters: 4 })), seed: 3, resume: path.join(outA, '2'), log: () => undefined })).rejects.toThrow(/trained with Adam, the config asks for Momentum/);
});
