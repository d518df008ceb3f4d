/**
 * The pruning record: prune, save it (JSON) with the pruned weights, build a fresh graph the
 * same way, replay the record (only_graph), load the weights: identical outputs. Small nets of
 * each topology, and a YOLOv3-MobileNetV1 built from configs/demo/.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Tensor } from '../../src/backend/tensor';
import type { Graph } from '../../src/graph/graph';
import { apply, checkRecord, plan, replayRecord, type PruneRecord } from '../../src/prune';
import { readConfig } from '../../src/config';
import { buildModel, initModel } from '../../src/nn';
import { initNet, inputFor, nets, run, testBackends } from './nets';

function save(dir: string, g: Graph, record: PruneRecord): void {
  const weights: Record<string, { shape: number[]; data: number[] }> = {};
  for (const p of g.params.values()) weights[p.name] = { shape: [...p.shape], data: Array.from(p.tensor!.toArray()) };
  fs.writeFileSync(path.join(dir, 'prune.json'), JSON.stringify(record));
  fs.writeFileSync(path.join(dir, 'weights.json'), JSON.stringify(weights));
}

function load(dir: string, g: Graph, backend: Parameters<typeof Tensor.from>[2]): void {
  replayRecord(g, JSON.parse(fs.readFileSync(path.join(dir, 'prune.json'), 'utf8')));
  const weights = JSON.parse(fs.readFileSync(path.join(dir, 'weights.json'), 'utf8')) as Record<string, { shape: number[]; data: number[] }>;
  for (const p of g.params.values()) {
    const w = weights[p.name];
    expect(w.shape).toEqual(p.shape);
    p.tensor = Tensor.from(w.data, w.shape, backend);
  }
}

const cases: Array<[string, () => Graph, (g: Graph) => string[]]> = [
  ['chain', nets.chain, () => ['c1_weights', 'c2_weights']],
  ['depthwise', nets.depthwise, () => ['conv1_weights', 'conv2_1_sep_weights']],
  ['split', nets.split, () => ['pre_weights', 'P_weights']],
  ['yolo', nets.yolo, (g) => g.paramList().map((p) => p.name).filter((n) => /^yolo_(block|transition)\..*conv\.weights$/.test(n))],
  ['resnet', nets.resnet, (g) => g.paramList().map((p) => p.name).filter((n) => /^res2.*branch2[ab]_weights$|branch1_weights$/.test(n))],
];

describe.each(testBackends().map((b) => [b.name, b] as const))('record replay on %s', (_n, tb) => {
  test.each(cases)('%s: prune -> save -> fresh graph + record -> same outputs', (_name, factory, params) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimprune-record-'));
    try {
      const g = initNet(factory(), tb.backend);
      const names = params(g);
      const record = apply(g, plan(g, { params: names, ratios: names.map((_, i) => [0.5, 0.25, 0.4][i % 3]), criterion: 'geometry_median', warn: () => undefined }));
      expect(JSON.parse(JSON.stringify(record))).toEqual(record);
      expect(record.format).toBe('slimprune.prune');
      save(dir, g, record);
      const fresh = factory();
      load(dir, fresh, tb.backend);
      for (const n of g.nodes) expect(fresh.node(n.id).attrs).toEqual(n.attrs);
      const feeds = inputFor(g, tb.backend);
      const a = run(g, feeds);
      const b = run(fresh, feeds);
      for (const k of Object.keys(a)) {
        expect(b[k].shape).toEqual(a[k].shape);
        expect(Array.from(b[k].data)).toEqual(Array.from(a[k].data));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('record checks', () => {
  const good = (): PruneRecord => ({ format: 'slimprune.prune', version: 1, criterion: 'l1_norm', groups: [{ master: 'c1_weights', ratio: 0.5, channels: 8, kept: [0, 2, 4, 6] }] });
  test('a well-formed record passes; malformed ones are named', () => {
    expect(() => checkRecord(good())).not.toThrow();
    expect(() => checkRecord({ ...good(), format: 'x' })).toThrow(/prune record: expected format 'slimprune.prune', got "x"/);
    expect(() => checkRecord({ ...good(), groups: [{ master: 'c1_weights', ratio: 0.5, channels: 8, kept: [2, 1] }] })).toThrow(/kept channels of c1_weights: ascending distinct integers in \[0, 8\)/);
    expect(() => checkRecord({ ...good(), groups: [{ master: 'c1_weights', ratio: 1.5, channels: 8, kept: [1] }] })).toThrow(/ratio in \[0, 1\) for c1_weights/);
  });
  test('replay on a graph that does not match', () => {
    const g = nets.chain();
    expect(() => replayRecord(g, { ...good(), groups: [{ master: 'c1_weights', ratio: 0.5, channels: 16, kept: [0] }] })).toThrow(/expected c1_weights with 16 channels \(as recorded\), got 8/);
    expect(() => replayRecord(g, { ...good(), groups: [{ master: 'nope', ratio: 0.5, channels: 8, kept: [0] }] })).toThrow(/expected a parameter of this model for master, got nope/);
  });
  test('records replay in order (a model pruned twice)', () => {
    const g = nets.chain();
    const r2: PruneRecord = { ...good(), groups: [{ master: 'c1_weights', ratio: 0.5, channels: 4, kept: [1, 3] }] };
    replayRecord(g, [good(), r2]);
    expect(g.param('c1_weights').shape).toEqual([2, 3, 3, 3]);
    expect(g.param('c2_weights').shape).toEqual([6, 2, 3, 3]);
  });
});

test('a model built from a config: prune -> save -> rebuild from the config + record -> same outputs', () => {
  const tb = testBackends()[0];
  const cfgFile = path.join(__dirname, '..', '..', 'configs', 'demo', 'yolov3_mobilenet_v1_demo.yml');
  const build = () => buildModel(readConfig(cfgFile) as never, { mode: 'test', inputShape: [1, 3, 64, 64] } as never);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slimprune-record-cfg-'));
  try {
    const m = build();
    initModel(m, { seed: 3, backend: tb.backend });
    const names = m.graph.paramList().map((p) => p.name).filter((n) => /^(yolo_block\..*conv\.weights|conv[56]_.*sep_weights)$/.test(n));
    expect(names.length).toBeGreaterThan(18);
    const record = apply(m.graph, plan(m.graph, { params: names, ratios: names.map(() => 0.5), warn: () => undefined }));
    save(dir, m.graph, record);
    const fresh = build();
    load(dir, fresh.graph, tb.backend);
    const feeds = inputFor(m.graph, tb.backend);
    const a = run(m.graph, feeds);
    const b = run(fresh.graph, feeds);
    expect(Object.keys(a).length).toBeGreaterThan(0);
    for (const k of Object.keys(a)) expect(Array.from(b[k].data)).toEqual(Array.from(a[k].data));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
