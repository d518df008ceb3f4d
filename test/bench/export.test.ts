/**
 * The export benchmark's set-up: the r578 list is the 18 yolo_block convs at 0.5/0.7/0.8, it
 * removes the published share of FLOPs at 608x608, and the whole benchmark (export, onnx check,
 * onnxruntime and slimprune timings, speed-up table) runs in --quick mode on a small input.
 * Nothing here asserts on time.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { r578 } from '../../bench/export';
import { readConfig } from '../../src/config';
import { countFlops } from '../../src/graph/flops';
import { initParams } from '../../src/graph/init';
import { buildModel } from '../../src/nn';
import { apply, plan } from '../../src/prune';

const root = path.join(__dirname, '..', '..');

describe('export benchmark', () => {
  test('r578: the 6 convs of each yolo_block at 0.5, 0.7, 0.8', () => {
    const { params, ratios } = r578();
    expect(params).toHaveLength(18);
    expect(new Set(params).size).toBe(18);
    expect(params.slice(0, 6)).toEqual([
      'yolo_block.0.0.0.conv.weights', 'yolo_block.0.0.1.conv.weights', 'yolo_block.0.1.0.conv.weights',
      'yolo_block.0.1.1.conv.weights', 'yolo_block.0.2.conv.weights', 'yolo_block.0.tip.conv.weights',
    ]);
    expect(ratios).toEqual([...Array(6).fill(0.5), ...Array(6).fill(0.7), ...Array(6).fill(0.8)]);
  });

  test('r578 removes 69.6% of the FLOPs of the 608 VOC model', () => {
    const cfg = readConfig(path.join(root, 'configs', 'yolov3_mobilenet_v1_voc.yml'));
    const m = buildModel(cfg as never, { mode: 'test', inputShape: [1, 3, 608, 608] });
    initParams(m.graph, { seed: 1 });
    const before = countFlops(m.graph).macs;
    apply(m.graph, plan(m.graph, { ...r578(), warn: () => undefined }), { mode: 'only_graph' });
    const after = countFlops(m.graph).macs;
    m.dispose();
    expect((after - before) / before).toBeCloseTo(-0.696, 3);
  });

  // In a child process: onnxruntime-node's arrays come from Node's own realm, which jest's sandbox rejects.
  test('runs end to end in --quick mode on a 64x64 input', () => {
    const script = `
      const { runExportBench } = require('./bench/export.ts');
      runExportBench({ json: true, quick: true, threads: 1 }, 64, [1])
        .then((r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n'))
        .catch((e) => { process.stdout.write('RESULT ' + JSON.stringify({ error: String(e && e.message || e) }) + '\\n'); });`;
    const r = spawnSync(process.execPath, ['-r', './scripts/ts-register.js', '-e', script], { cwd: root, encoding: 'utf8' });
    const lines = r.stdout.trim().split('\n');
    const result = JSON.parse(lines.find((l) => l.startsWith('RESULT '))!.slice(7));
    expect(result.error).toBeUndefined();
    // --json: every other stdout line is one measurement row
    const rows = lines.filter((l) => !l.startsWith('RESULT ')).map((l) => JSON.parse(l));
    expect(result.macs.pruned).toBeLessThan(result.macs.unpruned);
    expect(result.gflops.pruned / result.gflops.unpruned).toBeCloseTo(result.macs.pruned / result.macs.unpruned, 9);
    const impls = new Set(rows.map((x: { impl: string }) => x.impl));
    expect([...impls].some((i) => i.startsWith('slimprune-'))).toBe(true);
    for (const row of rows) {
      expect(row.bench).toBe('export');
      expect(row.op).toBe('fwd');
      expect(row.ms).toBeGreaterThan(0);
    }
    expect(rows).toHaveLength(result.rows.length);
    expect(result.rows.filter((x: { case: string }) => x.case.endsWith('_r578'))).toHaveLength(result.rows.length / 2);
    if (impls.has('onnxruntime')) {
      for (const d of Object.values(result.onnxDiff)) expect(d as number).toBeLessThan(1e-4);
    } else {
      console.log(`onnxruntime rows skipped: ${r.stderr.split('\n').filter((l) => l.includes('n/a')).join('; ')}`);
      expect(r.stderr).toMatch(/onnxruntime-node/);
    }
  });
});
