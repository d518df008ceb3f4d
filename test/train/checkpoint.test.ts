import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import {
  cleanStaleTemps,
  readCheckpoint,
  saveCheckpoint,
  MANIFEST,
  TENSOR_FILE,
  type SnapshotInput,
} from '../../src/train/checkpoint';
import { buildModel, initModel } from '../../src/nn';
import { pruner } from '../../src/prune';
import { graphParams, loadIntoGraph, replayPruning } from '../../src/train/model_state';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sp-ckpt-'));

function sample(): SnapshotInput {
  const a = Float32Array.from({ length: 6 }, (_, i) => i * 0.5 - 1);
  const b = Float32Array.from({ length: 3 }, (_, i) => 10 + i);
  return {
    iteration: 7,
    params: [
      { name: 'conv1_weights', shape: [2, 3], data: a },
      { name: 'conv1_bn_scale', shape: [3], data: b },
    ],
    optimizer: { type: 'Momentum', slot: 'velocity', tensors: [{ name: 'conv1_weights', shape: [2, 3], data: a.map((x) => x / 10) }] },
    config: { name: 'cfg', digest: 'abc' },
    train: { iter: 7, lr: 0.01, seed: 3, dataIter: 7, bestMap: null },
  };
}

describe('checkpoint', () => {
  test('round trip: values, shapes, optimizer state and resume state come back exactly', () => {
    const dir = path.join(tmp(), '7');
    const s = sample();
    saveCheckpoint(dir, s);
    expect(fs.readdirSync(dir).sort()).toEqual([MANIFEST, TENSOR_FILE]);
    const c = readCheckpoint(dir);
    expect(c.manifest.iteration).toBe(7);
    expect(c.manifest.train).toEqual(s.train);
    expect(c.manifest.optimizer).toEqual({ type: 'Momentum', slot: 'velocity', names: ['conv1_weights'] });
    expect([...c.params.keys()]).toEqual(['conv1_weights', 'conv1_bn_scale']);
    expect(c.params.get('conv1_weights')!.shape).toEqual([2, 3]);
    expect([...c.params.get('conv1_weights')!.data]).toEqual([...s.params[0].data]);
    expect([...c.params.get('conv1_bn_scale')!.data]).toEqual([10, 11, 12]);
    expect([...c.optimizer.get('conv1_weights')!.data]).toEqual([...s.optimizer!.tensors[0].data]);
    // offsets are aligned and recorded
    for (const t of c.manifest.tensors) expect(t.offset % 64).toBe(0);
  });

  test('replacing a snapshot leaves no temp or old folder behind', () => {
    const root = tmp();
    const dir = path.join(root, 'model_final');
    saveCheckpoint(dir, sample());
    saveCheckpoint(dir, { ...sample(), iteration: 9 });
    expect(readCheckpoint(dir).manifest.iteration).toBe(9);
    expect(fs.readdirSync(root)).toEqual(['model_final']);
  });

  test('a flipped byte names the tensor whose checksum fails', () => {
    const dir = path.join(tmp(), 'c');
    saveCheckpoint(dir, sample());
    const m = readCheckpoint(dir).manifest;
    const scale = m.tensors.find((t) => t.name === 'conv1_bn_scale')!;
    const file = path.join(dir, TENSOR_FILE);
    const buf = fs.readFileSync(file);
    buf[scale.offset + 5] ^= 0x10;
    fs.writeFileSync(file, buf);
    expect(() => readCheckpoint(dir)).toThrow(`checkpoint ${dir}: checksum mismatch in parameter conv1_bn_scale (the file is corrupted)`);
  });

  test('a flipped padding byte fails the whole-file checksum', () => {
    const dir = path.join(tmp(), 'c');
    saveCheckpoint(dir, sample());
    const file = path.join(dir, TENSOR_FILE);
    const buf = fs.readFileSync(file);
    buf[24 + 3] ^= 1; // between the first tensor (24 bytes) and the second (offset 64)
    fs.writeFileSync(file, buf);
    expect(() => readCheckpoint(dir)).toThrow(/expected tensors.bin with sha256 [0-9a-f]{64}, got [0-9a-f]{64} \(corrupted between tensors\)/);
  });

  test('a truncated file, a missing manifest, an unknown version, a missing folder: clear errors', () => {
    const dir = path.join(tmp(), 'c');
    saveCheckpoint(dir, sample());
    const file = path.join(dir, TENSOR_FILE);
    const full = fs.statSync(file).size;
    fs.truncateSync(file, full - 10);
    expect(() => readCheckpoint(dir)).toThrow(`checkpoint ${dir}: expected tensors.bin of ${full} bytes, got ${full - 10} (truncated)`);

    const manifest = path.join(dir, MANIFEST);
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    fs.writeFileSync(manifest, JSON.stringify({ ...m, version: 99 }));
    expect(() => readCheckpoint(dir)).toThrow(`checkpoint ${dir}: expected format version 1, got 99 (written by another slimprune version)`);
    fs.writeFileSync(manifest, '{"format": "slimprune.checkpoint", ');
    expect(() => readCheckpoint(dir)).toThrow(/expected valid JSON in manifest.json/);

    fs.rmSync(manifest);
    expect(() => readCheckpoint(dir)).toThrow(`checkpoint ${dir}: expected manifest.json, got none (not a slimprune checkpoint, or an incomplete copy)`);
    expect(() => readCheckpoint(path.join(dir, 'nope'))).toThrow('expected a checkpoint directory, got nothing at that path');
  });

  test('a writer killed mid-write leaves the old snapshot; its temp folder is cleaned', () => {
    const root = tmp();
    const dir = path.join(root, 'model_final');
    saveCheckpoint(dir, sample());
    // a child process writes a large snapshot over it and is killed while writing
    const script = `
      const { saveCheckpoint } = require(${JSON.stringify(path.resolve('src/train/checkpoint.ts'))});
      const big = new Float32Array(4 << 20);
      process.stdout.write('go\\n');
      for (;;) saveCheckpoint(${JSON.stringify(dir)}, { iteration: 1, params: [{ name: 'w', shape: [big.length], data: big }] });
    `;
    const r = spawnSync(process.execPath, ['-r', path.resolve('scripts/ts-register.js'), '-e', `${script}`], { timeout: 1500, killSignal: 'SIGKILL', encoding: 'utf8' });
    expect(r.signal).toBe('SIGKILL');
    // whatever moment it died at, a complete snapshot is readable under the name
    const c = readCheckpoint(dir);
    expect([1, 7]).toContain(c.manifest.iteration);
    cleanStaleTemps(root);
    expect(fs.readdirSync(root)).toEqual(['model_final']);
  });

  test('a crash between the two renames: the old copy is put back on read', () => {
    const root = tmp();
    const dir = path.join(root, 'best_model');
    saveCheckpoint(dir, sample());
    const deadPid = 2 ** 22 + 12345; // above pid_max on Linux: never a live process
    fs.renameSync(dir, `${dir}.old-${deadPid}`);
    fs.mkdirSync(`${dir}.tmp-${deadPid}`);
    fs.writeFileSync(path.join(`${dir}.tmp-${deadPid}`, TENSOR_FILE), 'partial');
    expect(readCheckpoint(dir).manifest.iteration).toBe(7);
    expect(fs.readdirSync(root)).toEqual(['best_model']);
  });

  test('a pruned model: the record replays on a fresh graph, then every parameter loads strictly', () => {
    const cfg = { architecture: 'YOLOv3', YOLOv3: { backbone: 'MobileNet', yolo_head: 'YOLOv3Head' }, MobileNet: { conv_group_scale: 0.125 }, YOLOv3Head: { num_classes: 2, width_scale: 0.125 } };
    const m = buildModel(cfg, { inputShape: [1, 3, 64, 64] });
    initModel(m, { seed: 5 });
    const record = pruner.apply(m.graph, pruner.plan(m.graph, { params: ['yolo_block.0.0.0.conv.weights'], ratios: [0.5], warn: () => undefined }));
    const dir = path.join(tmp(), 'p');
    saveCheckpoint(dir, { iteration: 1, params: graphParams(m.graph), prune: [record] });
    const c = readCheckpoint(dir);

    const fresh = buildModel(cfg, { inputShape: [1, 3, 64, 64] });
    initModel(fresh, { seed: 9 });
    expect(() => loadIntoGraph(fresh.graph, c, { strict: true })).toThrow(/yolo_block\.0\.0\.0\.conv\.weights \(model \[64, 128, 1, 1\], checkpoint \[32, 128, 1, 1\]\)/);

    const again = buildModel(cfg, { inputShape: [1, 3, 64, 64] });
    replayPruning(again.graph, c.manifest.prune);
    initModel(again, { seed: 9 });
    const rep = loadIntoGraph(again.graph, c, { strict: true });
    expect(rep.loaded.length).toBe(again.graph.params.size);
    const w = again.graph.param('yolo_block.0.0.1.conv.weights');
    expect(w.shape[1]).toBe(32);
    expect([...w.tensor!.toArray()]).toEqual([...m.graph.param('yolo_block.0.0.1.conv.weights').tensor!.toArray()]);
  });
});
