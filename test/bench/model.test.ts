/**
 * The model benchmark's set-up: its cases, the head widths it hands the PyTorch peer (unpruned
 * and r578), the kernel timers' labels, --ops's layer table (onnxruntime's profile read per layer;
 * a small model's layers on both sides), and, where /usr/bin/python3 imports torch, that
 * bench/torch_yolov3.py builds the same network as slimprune (parameter count and conv MACs,
 * the script's own check, which exits 2 on a mismatch). Nothing here asserts on time.
 */
import { quantile } from '../../bench/harness';
import { CASES, caseModel, combineRounds, convLabel, headWidths, kernelLabel, ortLayers, runJob, runPair, runTorch, torchUnavailable, type OpsResult } from '../../bench/model';
import { countFlops } from '../../src/graph/flops';
import { CONV_GEOM } from '../../src/backend/kernels';

function geom(v: Partial<Record<(typeof CONV_GEOM)[number], number>>): Int32Array {
  return Int32Array.from(CONV_GEOM.map((k) => v[k] ?? 1));
}

describe('model benchmark', () => {
  test('rounds: the median round, every round in the note; failures only when all failed', () => {
    const r = (ms: number) => ({ ms, samples: 5, threads: 2, peak_rss_mb: 100 + ms });
    const c = combineRounds([r(30), 'exited with 1: boom', r(10), r(20)]);
    expect(typeof c).toBe('object');
    if (typeof c === 'string') return;
    expect([c.ms, c.samples, c.peak_rss_mb]).toEqual([20, 15, 120]);
    expect(c.note).toBe('rounds 30.0 / 10.0 / 20.0 ms, 1 failed');
    expect(combineRounds(['a', 'b'])).toBe('a');
    expect(combineRounds([r(7)])).toEqual(r(7));
  });

  test('--ops: onnxruntime profile events summed per layer over the last runs, labelled as slimprune labels its convs', () => {
    const node = (ts: number, op: string, ins: number[][], out: number[], dur: number) => ({
      cat: 'Node', name: `n${ts}_kernel_time`, ts, dur,
      args: { op_name: op, input_type_shape: ins.map((d) => ({ float: d })), output_type_shape: [{ float: out }] },
    });
    const events = [
      { cat: 'Session', name: 'model_run', ts: 0, dur: 50 },
      node(1, 'Conv', [[1, 8, 10, 10], [16, 8, 3, 3]], [1, 16, 10, 10], 9000),  // the first run: not counted
      { cat: 'Session', name: 'model_run', ts: 100, dur: 50 },
      node(101, 'FusedConv', [[1, 8, 10, 10], [16, 8, 3, 3]], [1, 16, 10, 10], 2000),
      node(102, 'Conv', [[1, 16, 10, 10], [16, 1, 3, 3]], [1, 16, 5, 5], 500),
      node(103, 'Concat', [[1, 8, 5, 5], [1, 8, 5, 5]], [1, 16, 5, 5], 250),
      { cat: 'Session', name: 'model_run', ts: 200, dur: 50 },
      node(201, 'Conv', [[1, 8, 10, 10], [16, 8, 3, 3]], [1, 16, 10, 10], 3000),
    ];
    const m = ortLayers(events, 2);
    expect([...m.entries()].sort()).toEqual([
      [convLabel(8, 16, 3, 3, 1, 10, 10, 10, 10), 5],
      [convLabel(16, 16, 3, 3, 16, 10, 10, 5, 5), 0.5],
      ['onnxruntime Concat', 0.25],
    ].sort());
    expect(convLabel(16, 16, 3, 3, 16, 10, 10, 5, 5)).toBe('conv depthwise 16->16 10x10->5x5');
    expect(convLabel(8, 12, 1, 1, 2, 4, 4, 4, 4)).toBe('conv 1x1 groups 2 8->12 4x4->4x4');
  });

  // in a child process, as the bench runs it: onnxruntime-node's Float32Arrays come from Node's own
  // realm, which onnxruntime-common's instanceof checks reject inside jest's sandbox
  test('--ops on a small model: every slimprune layer timed, onnxruntime beside it', () => {
    try {
      require('onnxruntime-node');
    } catch (e) {
      console.log(`model bench test: the --ops check is skipped: onnxruntime-node is not loadable (${(e as Error).message.split('\n')[0]})`);
      return;
    }
    const r = runJob<OpsResult>({ kind: 'ops', c: { name: 'tiny', size: 64, batch: 1, pruned: false }, threads: 1, rounds: 2 });
    if (typeof r === 'string') throw new Error(r);
    for (const v of [r.forwardMs, r.replayMs, r.ortMs]) expect(Number.isFinite(v) && v > 0).toBe(true);
    const ours = r.layers.filter((l) => l.slimprune !== null);
    expect(ours.some((l) => l.label.startsWith('conv 3x3 3->32 64x64->32x32'))).toBe(true);
    // the stem has the same geometry in both runtimes, so it is one row with both figures
    const stem = r.layers.find((l) => l.label === 'conv 3x3 3->32 64x64->32x32');
    expect(stem?.onnxruntime).not.toBeNull();
  });

  test('the interleaved r578 pair: both models run in turn, medians and the median pair ratio reported', async () => {
    const r = await runPair({ kind: 'pair', impl: 'slimprune', c: { name: 'tiny', size: 64, batch: 1, pruned: false }, threads: 1, pairs: 3 });
    expect(r.pairs).toBe(3);
    for (const v of [r.unprunedMs, r.prunedMs, r.ratio, r.ratioQ1, r.ratioQ3]) expect(Number.isFinite(v) && v > 0).toBe(true);
    expect(r.ratioQ1).toBeLessThanOrEqual(r.ratio);
    expect(r.ratio).toBeLessThanOrEqual(r.ratioQ3);
  });

  test('quantile: linear between the nearest sorted values; the median of an even count is the mean of the middle two', () => {
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile([1, 2, 3, 4], 0.75)).toBeCloseTo(3.25, 12);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([5, 1], 0)).toBe(1);
    expect(quantile([5, 1], 1)).toBe(5);
    expect(() => quantile([], 0.5)).toThrow(/expected at least one value, got none/);
    expect(() => quantile([1], 1.5)).toThrow(/expected q in \[0, 1\], got 1.5/);
  });

  test('cases: 320 batch 2 and 608 batch 1, each unpruned and r578', () => {
    expect(CASES.map((c) => [c.size, c.batch, c.pruned])).toEqual([[320, 2, false], [608, 1, false], [320, 2, true], [608, 1, true]]);
  });

  test('head widths: 512/256/128 blocks unpruned; r578 keeps 50%, 30% and 20% of them', () => {
    const full = caseModel({ ...CASES[0], batch: 1 }, undefined, 'test');
    const pruned = caseModel({ ...CASES[2], batch: 1 }, undefined, 'test');
    const w = headWidths(full.graph);
    expect(w).toEqual([512, 1024, 512, 1024, 512, 1024, 256, 512, 256, 512, 256, 512, 128, 256, 128, 256, 128, 256]);
    const p = headWidths(pruned.graph);
    [0.5, 0.3, 0.2].forEach((keep, i) => {
      for (let j = 0; j < 6; j++) expect(p[6 * i + j]).toBe(Math.round(w[6 * i + j] * keep));
    });
    expect(countFlops(pruned.graph).macs).toBeLessThan(0.35 * countFlops(full.graph).macs);
    full.dispose();
    pruned.dispose();
  });

  test('kernel labels: convolutions by kind and direction, other kernels by name', () => {
    expect(kernelLabel('conv2d_forward', geom({ C: 8, OC: 8, KH: 1, KW: 1, G: 1 }))).toBe('conv 1x1 fwd');
    expect(kernelLabel('conv2d_backward_input', geom({ C: 8, OC: 16, KH: 3, KW: 3, G: 1 }))).toBe('conv 3x3 dx');
    expect(kernelLabel('conv2d_backward_filter', geom({ C: 32, OC: 32, KH: 3, KW: 3, G: 32 }))).toBe('conv depthwise dw');
    // a grouped conv that is not depthwise is labelled by its kernel size
    expect(kernelLabel('conv2d_forward', geom({ C: 32, OC: 32, KH: 3, KW: 3, G: 2 }))).toBe('conv 3x3 fwd');
    expect(kernelLabel('conv2d_act_forward', geom({ C: 8, OC: 8, KH: 3, KW: 3, G: 1 }))).toBe('conv 3x3 fwd+act');
    expect(kernelLabel('batch_norm_train_forward', new Int32Array(3))).toBe('batch_norm_train_forward');
  });

  const why = torchUnavailable();
  if (why) console.log(`model bench test: the PyTorch peer check is skipped: ${why}`);
  (why ? test.skip : test)('torch_yolov3.py builds the same network: params and conv MACs equal to slimprune\'s, unpruned and r578', () => {
    for (const c of [CASES[0], CASES[2]]) {
      const m = caseModel({ ...c, batch: 1 }, undefined, 'test');
      const f = countFlops(m.graph);
      const expect_ = { params: f.params, macs: f.macs, widths: headWidths(m.graph) };
      m.dispose();
      const r = runTorch(c, 'count', 1, { minIters: 1, minMs: 0, maxMs: 0 }, expect_);
      if (typeof r === 'string') throw new Error(r);
      expect(r.params).toBe(f.params);
      expect(r.macs).toBe(f.macs);
      if (c.pruned) continue;
      // and a wrong expectation is refused by the script itself
      const bad = runTorch(c, 'count', 1, { minIters: 1, minMs: 0, maxMs: 0 }, { ...expect_, macs: f.macs + 1 });
      expect(bad).toEqual(expect.stringContaining('exited with 2'));
    }
  }, 120000);
});
