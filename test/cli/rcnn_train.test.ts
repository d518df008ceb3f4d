/**
 * Mask R-CNN R50 (the digits demo config at 64x64, one image per batch, 8 RoIs) trained from
 * the CLI: `prune` writes snapshots carrying the pruning record and evaluates COCO bbox and segm
 * AP; a run resumed from a snapshot ends with the same weights, running statistics and
 * velocities as the uninterrupted one, bit for bit (the RoI and anchor samplers are seeded per
 * iteration); `eval` on the final checkpoint reports bbox and segm AP and writes both result
 * files; `infer` draws its detections.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeDigitsDataset } from '../../src/data';
import { readCheckpoint } from '../../src/train/checkpoint';

const ROOT = path.resolve(__dirname, '../..');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sp-rcnn-'));

let dataset = '';
let config = '';

/** The demo configs at 64x64 on a tiny dataset: the reader rewritten, everything else as shipped. */
function tinyMaskConfig(ds: string, dir: string): string {
  const reader = fs.readFileSync(path.join(ROOT, 'configs/digits_rcnn_reader.yml'), 'utf8')
    .replaceAll('dataset/digits_coco', ds)
    .replaceAll('target_size: 128', 'target_size: 64')
    .replaceAll('max_size: 128', 'max_size: 64')
    .replace(/worker_num: \d+/g, 'worker_num: 0');
  fs.writeFileSync(path.join(dir, 'reader.yml'), reader);
  const main = fs.readFileSync(path.join(ROOT, 'configs/mask_rcnn_r50_digits.yml'), 'utf8').replace("_READER_: 'digits_rcnn_reader.yml'", "_READER_: 'reader.yml'");
  const file = path.join(dir, 'mask_tiny.yml');
  fs.writeFileSync(file, main);
  return file;
}

const SMALL = [
  'TrainReader.batch_size=1', 'BBoxAssigner.batch_size_per_im=8', 'RPNHead.rpn_target_assign.rpn_batch_size_per_im=32',
  'RPNHead.train_proposal.pre_nms_top_n=100', 'RPNHead.train_proposal.post_nms_top_n=16',
  'RPNHead.test_proposal.pre_nms_top_n=50', 'RPNHead.test_proposal.post_nms_top_n=8',
  'log_iter=1', 'max_iters=3', 'snapshot_iter=1',
];

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/slimprune.js'), ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, SLIMPRUNE_FROM_SOURCE: '1', SLIMPRUNE_QUIET: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** sha256 of every tensor (weights, running statistics, velocities) by kind and name. */
function digests(dir: string): Record<string, string> {
  const m = readCheckpoint(dir).manifest;
  return Object.fromEntries(m.tensors.map((t) => [`${t.kind}:${t.name}`, t.sha256]));
}

beforeAll(async () => {
  dataset = tmp();
  await writeDigitsDataset({ out: dataset, train: 4, test: 2, size: 64, seed: 5, format: 'coco' });
  config = tinyMaskConfig(dataset, tmp());
});

test('prune from the CLI trains, evaluates bbox + segm AP, and a resumed run ends bit-identical', () => {
  const saveA = tmp();
  const evalDir = tmp();
  const prune = ['--pruned_params', 'res4f_branch2b_weights', '--pruned_ratios', '0.5'];
  const a = cli(['prune', '-c', config, ...prune, '--eval', '--output_eval', evalDir, '--seed', '2', '-o', ...SMALL, `save_dir=${saveA}`]);
  expect(a.err).toBe('');
  expect(a.code).toBe(0);
  expect(a.out).toMatch(/iter: 0\/3, loss: [\d.]+ \(loss_rpn_cls [\d.]+, loss_rpn_bbox [\d.]+, loss_cls [\d.]+, loss_bbox [\d.]+, loss_mask [\d.]+\)/);
  expect(a.out).toMatch(/eval at iteration 2: bbox AP \d+\.\d\d AP50 \d+\.\d\d, segm AP \d+\.\d\d AP50 \d+\.\d\d on 2 images/);
  const outA = path.join(saveA, 'mask_tiny');
  for (const d of ['1', 'model_final', 'best_model']) expect(fs.existsSync(path.join(outA, d, 'manifest.json'))).toBe(true);
  // the pruning record travels with every snapshot; res4f_branch2b lost half its 256 filters
  const ck = readCheckpoint(path.join(outA, '1'));
  expect(ck.manifest.prune).toHaveLength(1);
  expect(ck.manifest.prune[0].groups.map((g) => [g.master, g.ratio])).toEqual([['res4f_branch2b_weights', 0.5]]);
  expect(ck.params.get('res4f_branch2b_weights')!.shape).toEqual([128, 256, 3, 3]);
  expect(ck.manifest.train!.iter).toBe(2);
  const ap = JSON.parse(fs.readFileSync(path.join(evalDir, 'coco_ap.json'), 'utf8'));
  expect(ap.bbox.stats).toHaveLength(12);
  expect(ap.segm.stats).toHaveLength(12);
  // evaluated after each snapshot (iterations 1 and 2)
  expect(ap.history.map((h: { iter: number }) => h.iter)).toEqual([1, 2]);
  expect(ap.history[1].map).toBe(ap.bbox.stats[0]);
  expect(Array.isArray(JSON.parse(fs.readFileSync(path.join(evalDir, 'segm.json'), 'utf8')))).toBe(true);

  // resumed from the snapshot after iteration 1, into another folder: the same final state
  const saveB = tmp();
  fs.cpSync(path.join(outA, '1'), path.join(saveB, 'from'), { recursive: true });
  const b = cli(['prune', '-c', config, ...prune, '-r', path.join(saveB, 'from'), '--seed', '2', '-o', ...SMALL, `save_dir=${saveB}`]);
  expect(b.err).toBe('');
  expect(b.code).toBe(0);
  expect(b.out).toMatch(/resumed from .* at iteration 2/);
  expect(b.out).not.toMatch(/iter: 1\/3/);
  const da = digests(path.join(outA, 'model_final'));
  expect(Object.keys(da).some((k) => k.startsWith('optimizer:'))).toBe(true);
  expect(digests(path.join(saveB, 'mask_tiny', 'model_final'))).toEqual(da);

  // eval on the final checkpoint: both metrics, both result files
  const outDir = tmp();
  const e = cli(['eval', '-c', config, '-o', `weights=${path.join(outA, 'model_final')}`, 'RPNHead.test_proposal.post_nms_top_n=8', '--output_eval', outDir]);
  expect(e.err).toBe('');
  expect(e.code).toBe(0);
  expect(e.out).toMatch(/pruned as recorded/);
  expect(e.out).toMatch(/bbox:\n.*AP @\[IoU=0\.50:0\.95/);
  expect(e.out).toMatch(/segm:\n.*AP @\[IoU=0\.50:0\.95/);
  for (const f of ['bbox.json', 'segm.json']) expect(Array.isArray(JSON.parse(fs.readFileSync(path.join(outDir, f), 'utf8')))).toBe(true);

  // infer draws the checkpoint's detections (and masks) into a copy of the image
  const inferDir = tmp();
  const img = path.join(dataset, 'val2017', fs.readdirSync(path.join(dataset, 'val2017')).sort()[0]);
  const inf = cli(['infer', '-c', config, '-o', `weights=${path.join(outA, 'model_final')}`, '--infer_img', img, '--output_dir', inferDir, '--draw_threshold', '0']);
  expect(inf.err).toBe('');
  expect(inf.code).toBe(0);
  const drawn = fs.readFileSync(path.join(inferDir, path.basename(img)));
  expect([drawn[0], drawn[1]]).toEqual([0xff, 0xd8]);
  const listed = JSON.parse(fs.readFileSync(path.join(inferDir, 'detections.json'), 'utf8'));
  expect(listed).toHaveLength(1);
  expect(listed[0].image).toBe(img);
  for (const d of listed[0].detections) expect(d.mask_area).toBeGreaterThanOrEqual(0);
}, 900_000);
