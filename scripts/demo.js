#!/usr/bin/env node
// `npm run demo [-- --json] [-- --train_baseline]`: the whole slimprune story on the built-in
// handwritten-digits detection data, with configs/yolov3_mobilenet_v1_digits.yml:
//   1. the dataset (dataset/digits, made with `slimprune dataset digits` when absent);
//   2. the baseline: the checkpoint shipped in demo/digits_baseline (trained by slimprune
//      itself, see the README), or, with --train_baseline or when it is missing, a short
//      training from scratch now;
//   3. its VOC mAP(0.5), FLOPs, parameters and forward latency (batch 1, 256x256);
//   4. a short sensitivity analysis (slimprune sensitivity: 3 yolo_block convs at 3 ratios, on
//      the first test batches) and its plot, output/demo/sensitivity.svg;
//   5. 50% of the channels of the 18 yolo_block convs pruned (l1_norm), then a short finetune;
//   6. the same figures for the pruned model;
//   7. the pruned model exported (--format both: model.onnx, checked in onnxruntime-node when it
//      is installed, model.json + weights.bin, infer_cfg.yml) into output/demo/export/;
//   8. the exported model (loadInferenceModel) run on the first 2 test images, the boxes scored
//      0.5 or more (else the 3 best) drawn into output/demo/detections/.
// --json: the last line is {"baseline": {map, gflops, params, latency_ms}, "pruned": {...}}.
// --finetune_iters N, --baseline_iters N: lengths of the trainings (defaults 150 and 600).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const CONFIG = path.join(root, 'configs', 'yolov3_mobilenet_v1_digits.yml');
const DATASET = path.join(root, 'dataset', 'digits');
/** `slimprune dataset digits`'s default image side, which the config is made for */
const DATASET_SIZE = 128;
const SHIPPED = path.join(root, 'demo', 'digits_baseline');
const OUT = path.join(root, 'output', 'demo');
const DRAW_THRESHOLD = 0.5;
const FALLBACK_BOXES = 3;

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
function intFlag(name, dflt) {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`demo: ${name}: expected a positive integer, got '${args[i + 1]}'\n`);
    process.exit(2);
  }
  return v;
}
const known = new Set(['--json', '--train_baseline', '--finetune_iters', '--baseline_iters']);
for (let i = 0; i < args.length; i++) {
  if (known.has(args[i])) {
    if (args[i].endsWith('_iters')) i++;
    continue;
  }
  process.stderr.write(`demo: unknown argument '${args[i]}' (expected ${[...known].join(', ')})\n`);
  process.exit(2);
}
const json = flag('--json');
const finetuneIters = intFlag('--finetune_iters', 150);
const baselineIters = intFlag('--baseline_iters', 600);

/** The compiled library when it is current (as bin/slimprune.js decides), else the sources. */
function loadLib() {
  const built = path.join(root, 'dist', 'src', 'index.js');
  const newest = (dir) => {
    let t = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) t = Math.max(t, newest(p));
      else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
    }
    return t;
  };
  const base = fs.existsSync(built) && newest(path.join(root, 'src')) <= fs.statSync(built).mtimeMs ? path.join(root, 'dist', 'src') : null;
  if (!base) require(path.join(root, 'scripts', 'ts-register.js'));
  const dir = base ?? path.join(root, 'src');
  const req = (rel) => require(path.join(dir, rel));
  return {
    config: req('config'),
    trainer: req('train/trainer'),
    evaluate: req('train/evaluate'),
    flops: req('graph/flops'),
    trained: req('cli/trained_model'),
    exporter: req('export'),
    infer: req('infer'),
  };
}

const say = (line) => process.stdout.write(line + '\n');
const step = (line) => say(`\n== ${line}`);

/** The image side of a dataset folder's first test annotation (null when there is none). */
function datasetSize() {
  try {
    const first = fs.readFileSync(path.join(DATASET, 'test.txt'), 'utf8').split('\n')[0].trim().split(/\s+/)[1];
    const m = /<width>\s*(\d+)\s*<\/width>/.exec(fs.readFileSync(path.join(DATASET, first), 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function ensureDataset() {
  const size = datasetSize();
  if (fs.existsSync(path.join(DATASET, 'trainval.txt')) && size === DATASET_SIZE) {
    say(`dataset: ${path.relative(root, DATASET)} (already there)`);
    return;
  }
  if (size !== null && size !== DATASET_SIZE) say(`dataset: ${path.relative(root, DATASET)} holds ${size}x${size} images; the config reads ${DATASET_SIZE}x${DATASET_SIZE}: making it again`);
  step('making the digits dataset (slimprune dataset digits)');
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'slimprune.js'), 'dataset', 'digits', '--out', DATASET], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`slimprune dataset digits failed (exit ${r.status})`);
}

async function figures(lib, cfg, dir, label) {
  const size = lib.evaluate.evalInputSize(cfg);
  const model = lib.evaluate.modelFromCheckpoint(cfg, dir, size);
  const f = lib.flops.countFlops(model.graph);
  say(`${label}: evaluating on ${path.relative(root, DATASET)}/test.txt ...`);
  const ev = await lib.evaluate.evaluateVoc(model, cfg, { seed: 0 });
  // latency_ms: measured for both models side by side at the summary (latencyPair)
  const r = { map: ev.map, gflops: f.gflops, params: f.params, latency_ms: NaN };
  say(`${label}: mAP(0.5) ${(r.map * 100).toFixed(2)}, ${r.gflops.toFixed(4)} GFLOPs, ${r.params} params`);
  return { r, model, size };
}

/**
 * The two models' forward latency measured side by side, alternating (five medians of 20
 * forwards each, the least kept): measured minutes apart, a model this small (milliseconds per
 * image) shows whatever else the machine was doing more than its own size.
 */
function latencyPair(lib, a, b) {
  const ta = [], tb = [];
  for (let i = 0; i < 5; i++) {
    ta.push(lib.evaluate.measureLatency(a.model, a.size, 20));
    tb.push(lib.evaluate.measureLatency(b.model, b.size, 20));
  }
  a.r.latency_ms = Math.min(...ta);
  b.r.latency_ms = Math.min(...tb);
}

/** `slimprune sensitivity` on a few convs and ratios, then `slimprune sensitivity plot`; returns the picture. */
function sensitivityRun(weights) {
  const file = path.join(OUT, 'sensitivities.json');
  const svg = path.join(OUT, 'sensitivity.svg');
  fs.rmSync(file, { force: true });
  const cli = (args) => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'slimprune.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    for (const line of (r.stdout || '').split('\n')) if (line.trim()) say(`  ${line}`);
    if (r.status !== 0) throw new Error(`slimprune ${args.slice(0, 2).join(' ')} failed (exit ${r.status})`);
  };
  const params = ['yolo_block.0.0.0.conv.weights', 'yolo_block.1.1.1.conv.weights', 'yolo_block.2.tip.conv.weights'];
  cli(['sensitivity', '-c', CONFIG, '-o', `weights=${weights}`, '-p', params.join(','), '-r', '0.3,0.6,0.9', '-s', file, '--max_eval_batches', '8']);
  cli(['sensitivity', 'plot', '-s', file, '-o', svg, '--loss', '0.05']);
  return svg;
}

/** Exports the pruned checkpoint as `slimprune export --format both` does; returns the folder. */
async function exportPruned(lib, cfg, weights) {
  const { model, records } = await lib.trained.loadTrainedModel(cfg, { mode: 'test', weights, prune: null });
  try {
    const dir = lib.exporter.exportDir(path.join(OUT, 'export'), CONFIG);
    const r = await lib.exporter.exportModel(model, { cfg, dir, format: 'both', records });
    say(`export: ${r.folded} norms folded; wrote ${r.files.map((f) => path.relative(root, f)).join(', ')}`);
    if (r.verify && r.verify.verified) {
      say(`export: model.onnx in onnxruntime-node vs slimprune: max abs difference ${r.verify.maxAbs.toExponential(3)}, max relative ${r.verify.maxRel.toExponential(3)} (tolerance 1e-4)`);
    } else if (r.verify) {
      say(`export: onnx check skipped: ${r.verify.skipped}`);
    }
    return { dir, verify: r.verify };
  } finally {
    model.dispose();
  }
}

/** The exported model (native format, as loadInferenceModel reads it) on the first `n` test images, drawn. */
async function drawTestImages(lib, exportDir, n) {
  const lines = fs.readFileSync(path.join(DATASET, 'test.txt'), 'utf8').split('\n').filter((l) => l.trim());
  const outDir = path.join(OUT, 'detections');
  fs.mkdirSync(outDir, { recursive: true });
  const detector = await lib.infer.loadInferenceModel(exportDir);
  const written = [];
  try {
    for (const line of lines.slice(0, n)) {
      const [img, xml] = line.trim().split(/\s+/);
      const file = path.join(DATASET, img);
      const bytes = fs.readFileSync(file);
      const all = (await detector.detect(bytes)).sort((a, b) => b.score - a.score);
      // infer's default draw threshold; a weak model may score nothing that high, and then its
      // best few boxes are drawn (and said to be) instead of an empty picture.
      const sure = all.filter((d) => d.score >= DRAW_THRESHOLD);
      const dets = sure.length ? sure : all.slice(0, FALLBACK_BOXES);
      const out = path.join(outDir, path.basename(file).replace(/\.[^.]+$/, '.jpg'));
      fs.writeFileSync(out, await lib.infer.drawDetections(bytes, dets));
      const truth = xml ? [...fs.readFileSync(path.join(DATASET, xml), 'utf8').matchAll(/<name>\s*([^<]*?)\s*<\/name>/g)].map((m) => m[1]) : [];
      const what = dets.map((d) => `${d.label} ${d.score.toFixed(2)}`).join(', ') || 'none';
      const rule = sure.length ? `${sure.length} >= ${DRAW_THRESHOLD}` : `none >= ${DRAW_THRESHOLD}, the ${dets.length} best drawn`;
      say(`detections: ${path.relative(root, file)} (digits ${truth.join(', ') || 'unknown'}): ${rule} (${what}) -> ${path.relative(root, out)}`);
      written.push(out);
    }
  } finally {
    detector.dispose();
  }
  return written;
}

async function main() {
  const t0 = Date.now();
  const lib = loadLib();
  ensureDataset();
  const read = (o = []) => lib.config.readConfig(CONFIG, [`save_dir=${OUT}`, 'pretrain_weights=', ...o]);
  const log = (l) => say(`  ${l}`);
  const warn = (l) => process.stderr.write(`  warning: ${l}\n`);

  let baseline = SHIPPED;
  if (flag('--train_baseline') || !fs.existsSync(path.join(SHIPPED, 'manifest.json'))) {
    step(`training a baseline from scratch (${baselineIters} iterations)`);
    const cfg = read([`max_iters=${baselineIters}`, `snapshot_iter=${baselineIters}`]);
    const r = await lib.trainer.train({ cfg, configName: 'baseline', seed: 0, log, warn });
    baseline = r.finalDir;
  } else {
    step(`baseline: ${path.relative(root, SHIPPED)} (shipped; trained by slimprune, see README)`);
  }
  const cfg = read();
  const beforeFig = await figures(lib, cfg, baseline, 'baseline');
  const before = beforeFig.r;

  step('sensitivity of 3 yolo_block convs at ratios 0.3, 0.6, 0.9 (slimprune sensitivity, first 8 test batches)');
  const plot = sensitivityRun(baseline);

  step(`pruning 50% of the 18 yolo_block convs (l1_norm), finetuning ${finetuneIters} iterations`);
  const params = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 2; j++) params.push(`yolo_block.${i}.${j}.0.conv.weights`, `yolo_block.${i}.${j}.1.conv.weights`);
    params.push(`yolo_block.${i}.2.conv.weights`, `yolo_block.${i}.tip.conv.weights`);
  }
  const ft = read([
    `max_iters=${finetuneIters}`, `snapshot_iter=${finetuneIters}`, 'LearningRate.base_lr=0.001',
    `LearningRate.schedulers.0.milestones=[${Math.round(finetuneIters * 0.8)}]`, 'LearningRate.schedulers.1.steps=10',
  ]);
  const r = await lib.trainer.train({ cfg: ft, configName: 'pruned', weights: baseline, prune: { params, ratios: params.map(() => 0.5) }, seed: 0, log, warn });
  const afterFig = await figures(lib, cfg, r.finalDir, 'pruned');
  const after = afterFig.r;

  step('exporting the pruned model (slimprune export --format both)');
  const exported = await exportPruned(lib, cfg, r.finalDir);
  step('detecting digits with the exported model (loadInferenceModel) on the first 2 test images');
  const pictures = await drawTestImages(lib, exported.dir, 2);

  step('summary');
  latencyPair(lib, beforeFig, afterFig);
  say(`latency: both models side by side, alternating (least of five medians of 20 forwards each, batch 1, ${afterFig.size}x${afterFig.size})`);
  const pct = (a, b) => `${b >= a ? '+' : '-'}${Math.abs(((b - a) / a) * 100).toFixed(1)}%`;
  say(`            mAP(0.5)   GFLOPs    params     latency (ms/img)`);
  say(`baseline    ${(before.map * 100).toFixed(2).padStart(8)}   ${before.gflops.toFixed(4)}    ${String(before.params).padStart(8)}   ${before.latency_ms.toFixed(2)}`);
  say(`pruned      ${(after.map * 100).toFixed(2).padStart(8)}   ${after.gflops.toFixed(4)}    ${String(after.params).padStart(8)}   ${after.latency_ms.toFixed(2)}`);
  say(`change      ${((after.map - before.map) * 100).toFixed(2).padStart(8)}   ${pct(before.gflops, after.gflops).padStart(6)}    ${pct(before.params, after.params).padStart(8)}   ${pct(before.latency_ms, after.latency_ms)}`);
  say(`exported model: ${path.relative(root, exported.dir)}`);
  say(`pictures of detections: ${pictures.map((p) => path.relative(root, p)).join(', ')}`);
  say(`sensitivity plot: ${path.relative(root, plot)}`);
  say(`demo took ${((Date.now() - t0) / 1000).toFixed(0)} s; outputs in ${path.relative(root, OUT)}`);
  if (json) say(JSON.stringify({ baseline: before, pruned: after }));
}

main().catch((e) => {
  process.stderr.write(`demo: ${e && e.message ? e.message : String(e)}\n`);
  if (process.env.SLIMPRUNE_DEBUG === '1' && e && e.stack) process.stderr.write(e.stack + '\n');
  process.exit(1);
});
