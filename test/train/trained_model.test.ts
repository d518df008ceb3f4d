/**
 * src/train/trained_model.ts: a config's model with a checkpoint's weights and pruning, its
 * errors (TrainedModelError for a request to change, the checkpoint's and weights' own errors
 * otherwise), and how the commands report them (src/cli/trained_model.ts: UsageError and
 * RuntimeError, exit codes 2 and 1; `sensitivity` by error name, as its worker threads send).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readConfig } from '../../src/config';
import { buildModel, initModel } from '../../src/nn';
import { apply, plan } from '../../src/prune';
import { saveCheckpoint } from '../../src/train/checkpoint';
import { graphParams } from '../../src/train/model_state';
import { loadTrainedModel, modelInputShape, TrainedModelError } from '../../src/train/trained_model';
import * as cli from '../../src/cli/trained_model';
import { exitCodeOf, RuntimeError, UsageError } from '../../src/cli/errors';
import { asCliError } from '../../src/cli/sensitivity';

const CFG = 'configs/yolov3_mobilenet_v1_digits.yml';
const PRUNED = ['yolo_block.0.0.0.conv.weights', 'yolo_block.1.1.1.conv.weights'];
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-trained-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A checkpoint of the config's model (seeded), pruned by PRUNED at 0.5 when asked; record kept or dropped. */
function checkpoint(name: string, o: { prune: boolean; keepRecord: boolean }): string {
  const m = buildModel(readConfig(CFG) as never, { mode: 'test', inputShape: [1, 3, 64, 64] });
  initModel(m, { seed: 5 });
  const prune = o.prune ? [apply(m.graph, plan(m.graph, { params: PRUNED, ratios: [0.5, 0.5] }))] : [];
  const dir = path.join(tmp, name);
  saveCheckpoint(dir, { iteration: 1, params: graphParams(m.graph), prune: o.keepRecord ? prune : [] });
  m.dispose();
  return dir;
}

const rejection = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection, got a model');
};

describe('loadTrainedModel (train layer)', () => {
  const cfg = readConfig(CFG);

  test('a pruned checkpoint with its record: the pruned shapes, the record and the folder', async () => {
    const w = checkpoint('pruned', { prune: true, keepRecord: true });
    const { model, records, weightsDir } = await loadTrainedModel(cfg, { mode: 'eval', weights: w, prune: null, inputSize: 64 });
    try {
      expect(records).toHaveLength(1);
      expect(records[0].groups.map((g) => g.master).sort()).toEqual([...PRUNED].sort());
      expect(weightsDir).toBe(w);
      const full = buildModel(cfg as never, { mode: 'eval', inputShape: [1, 3, 64, 64] });
      const ocOf = (g: typeof full.graph, n: string) => g.paramList().find((p) => p.name === n)!.shape[0];
      for (const n of PRUNED) expect(ocOf(model.graph, n)).toBe(ocOf(full.graph, n) / 2);
      full.dispose();
    } finally {
      model.dispose();
    }
  });

  test('no weights: a TrainedModelError before anything is built; the CLI reports a UsageError (exit 2)', async () => {
    const e = await rejection(loadTrainedModel(cfg, { mode: 'eval', weights: null, prune: null }));
    expect(e).toBeInstanceOf(TrainedModelError);
    expect(e.message).toMatch(/^-o weights=DIR: expected the checkpoint to use/);
    const c = await rejection(cli.loadTrainedModel(cfg, { mode: 'eval', weights: undefined, prune: null }));
    expect(c).toBeInstanceOf(UsageError);
    expect(c.message).toBe(e.message);
    expect(exitCodeOf(c)).toBe(2);
  });

  test('flags that contradict the record, and a pruned checkpoint without one: TrainedModelError naming what differs', async () => {
    const w = checkpoint('pruned_rec', { prune: true, keepRecord: true });
    const diff = await rejection(loadTrainedModel(cfg, { mode: 'eval', weights: w, prune: { params: [PRUNED[0]], ratios: [0.3] }, inputSize: 64 }));
    expect(diff).toBeInstanceOf(TrainedModelError);
    expect(diff.message).toContain(`${PRUNED[0]} (flags 0.3, checkpoint 0.5)`);
    expect(diff.message).toContain(`${PRUNED[1]} (checkpoint 0.5, not in the flags)`);
    const bare = checkpoint('pruned_bare', { prune: true, keepRecord: false });
    const looks = await rejection(loadTrainedModel(cfg, { mode: 'eval', weights: bare, prune: null, inputSize: 64 }));
    expect(looks).toBeInstanceOf(TrainedModelError);
    expect(looks.message).toMatch(/looks pruned but records no pruning/);
    // with the flags it was pruned with, the same checkpoint loads
    const ok = await loadTrainedModel(cfg, { mode: 'eval', weights: bare, prune: { params: PRUNED, ratios: [0.5, 0.5] }, inputSize: 64 });
    expect(ok.records).toHaveLength(1);
    ok.model.dispose();
  });

  test('a path with no checkpoint: the weights error itself; the CLI reports a RuntimeError (exit 1) with its message', async () => {
    const missing = path.join(tmp, 'nothing-here');
    const e = await rejection(loadTrainedModel(cfg, { mode: 'eval', weights: missing, prune: null }));
    expect(e.name).toBe('WeightsError');
    const c = await rejection(cli.loadTrainedModel(cfg, { mode: 'eval', weights: missing, prune: null }));
    expect(c).toBeInstanceOf(RuntimeError);
    expect(c.message).toBe(e.message);
    expect(exitCodeOf(c)).toBe(1);
  });

  test('`sensitivity` maps a TrainedModelError by name (as a worker thread sends it) to a usage error', () => {
    const sent = Object.assign(new Error('-o weights=DIR: expected the checkpoint to use, got none'), { name: 'TrainedModelError' });
    const mapped = asCliError(sent);
    expect(mapped).toBeInstanceOf(UsageError);
    expect(exitCodeOf(mapped)).toBe(2);
  });

  test('modelInputShape: the input size, else a fixed TestReader shape in test mode only', () => {
    expect(modelInputShape(cfg, 'eval', 96)).toEqual([1, 3, 96, 96]);
    const shape = cfg.TestReader?.inputs_def.image_shape as Array<number | null> | undefined;
    const fixed = shape && shape.length === 3 && shape.every((d) => typeof d === 'number');
    expect(modelInputShape(cfg, 'test')).toEqual(fixed ? [1, ...(shape as number[])] : undefined);
    expect(modelInputShape(cfg, 'train')).toBeUndefined();
  });
});

describe('layering', () => {
  // The commands build on the library, never the other way round: nothing outside src/cli
  // imports a module of src/cli (the package API would otherwise throw the commands' errors).
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
  test('no module outside src/cli imports from src/cli', () => {
    const src = path.join(__dirname, '..', '..', 'src');
    const offenders: string[] = [];
    for (const f of files(src)) {
      if (f.startsWith(path.join(src, 'cli') + path.sep)) continue;
      const text = fs.readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)['"]([^'"]+)['"]/g)) {
        if (!m[1].startsWith('.')) continue;
        const target = path.resolve(path.dirname(f), m[1]);
        if (target === path.join(src, 'cli') || target.startsWith(path.join(src, 'cli') + path.sep)) offenders.push(`${path.relative(src, f)} -> ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
