/**
 * The benchmark's own correctness: option parsing, conv geometry and FLOP counts, and the peers'
 * set-up (the in-memory ONNX Conv model, tfjs's NHWC/HWIO transposes) checked against the float64
 * reference kernels on tiny layers, so that a peer timed by `npm run bench` computes the same
 * convolution as slimprune. Nothing here measures or asserts on time.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { parseOptions, relError, randomArray, table } from '../../bench/harness';
import { convCases } from '../../bench/conv';
import { fp32Peak, machine } from '../../bench/machine';
import { convKernelTimes } from '../../bench/impl/onnxruntime';
import { slimpruneConvPrepared } from '../../bench/impl/slimprune';
import { tfjsConv } from '../../bench/impl/tfjs';
import { type ConvCase, type ConvData, convGeom, convMacs, isNa } from '../../bench/impl/types';
import { backendByName, listBackends } from '../../src/backend/loader';
import { referenceBackend } from '../../src/backend/reference';

function tiny(N: number, C: number, HW: number, OC: number, K: number, S: number, P: number, G: number): ConvCase {
  const O = Math.floor((HW + 2 * P - K) / S) + 1;
  return { name: 't', title: 't', N, C, H: HW, W: HW, OC, KH: K, KW: K, SH: S, SW: S, PH: P, PW: P, G, OH: O, OW: O };
}
const TINY = [tiny(2, 3, 7, 4, 3, 2, 1, 1), tiny(1, 4, 6, 4, 3, 1, 1, 4), tiny(1, 5, 5, 3, 1, 1, 0, 1)];

function data(c: ConvCase): ConvData {
  return {
    x: randomArray(c.N * c.C * c.H * c.W, 11),
    w: randomArray(c.OC * (c.C / c.G) * c.KH * c.KW, 12),
    dy: randomArray(c.N * c.OC * c.OH * c.OW, 13),
  };
}

/** forward / dx / dw of the float64 reference, in the canonical NCHW / OIHW layouts. */
function reference(c: ConvCase, d: ConvData): { fwd: Float64Array; dx: Float64Array; dw: Float64Array } {
  const k = referenceBackend.kernels;
  const p = convGeom(c);
  const x = Float64Array.from(d.x);
  const w = Float64Array.from(d.w);
  const dy = Float64Array.from(d.dy);
  const fwd = new Float64Array(c.N * c.OC * c.OH * c.OW);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  k.conv2d_forward(x, w, null, fwd, p);
  k.conv2d_backward_input(dy, w, dx, p);
  k.conv2d_backward_filter(x, dy, dw, null, p);
  return { fwd, dx, dw };
}

describe('bench options', () => {
  test('defaults and flags', () => {
    const d = parseOptions([]);
    expect(d.json).toBe(false);
    expect(d.quick).toBe(false);
    expect(d.threads).toBeGreaterThanOrEqual(1);
    expect(parseOptions(['--json', '--threads', '3', '--quick'])).toEqual({ json: true, threads: 3, quick: true });
    expect(parseOptions(['--threads=2']).threads).toBe(2);
  });
  test('bad flags are refused with one message', () => {
    expect(() => parseOptions(['--threads', '0'])).toThrow('bench: expected an integer in [1, 1024] for --threads, got 0');
    expect(() => parseOptions(['--fast'])).toThrow("bench: expected --json, --threads N, --quick, --all, --ops or --rounds N, got '--fast'");
    expect(parseOptions(['--rounds', '3']).rounds).toBe(3);
    expect(() => parseOptions(['--rounds=0'])).toThrow('bench: expected an integer in [1, 20] for --rounds, got 0');
  });
});

describe('bench helpers', () => {
  test('conv cases: output sizes and MACs', () => {
    const cs = convCases(8);
    expect(cs.map((c) => [c.OH, c.OW])).toEqual([[56, 56], [28, 28], [28, 28], [56, 56]]);
    expect(convMacs(cs[0])).toBe(8 * 64 * 56 * 56 * 64 * 9);
    expect(convMacs(cs[2])).toBe(8 * 256 * 28 * 28 * 9);
    expect(Array.from(convGeom(cs[3]))).toEqual([8, 32, 112, 112, 64, 3, 3, 56, 56, 2, 2, 1, 1, 1, 1, 1]);
  });
  test('relError, randomArray, table', () => {
    expect(relError([1, 2], [1, 4])).toBeCloseTo(0.5);
    expect(relError([1], [1, 2])).toBe(Infinity);
    const a = randomArray(1000, 5);
    expect(Array.from(a)).toEqual(Array.from(randomArray(1000, 5)));
    expect(Math.max(...a)).toBeLessThan(1);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(table(['a', 'bb'], [['x', '1']]).split('\n')).toEqual(['a  bb', '-  --', 'x   1']);
  });
  test('fp32 peak is the product of its factors', () => {
    const m = machine();
    const p = fp32Peak(m, 3);
    expect(p.gflops).toBeCloseTo((3 * p.fmaUnits * p.lanes * 2 * m.mhz) / 1000);
    expect([4, 8, 16]).toContain(p.lanes);
    expect(p.derivation).toContain('3 cores');
  });
});

describe('peers compute the reference convolution', () => {
  // In a child process: onnxruntime-node hands back Float32Arrays of Node's own realm, which
  // onnxruntime-common's instanceof checks reject inside jest's sandbox.
  test('onnxruntime one-node Conv model', () => {
    const script = `
      const { onnxruntimeConv } = require('./bench/impl/onnxruntime.ts');
      const { relError, randomArray } = require('./bench/harness.ts');
      const { convGeom } = require('./bench/impl/types.ts');
      const { referenceBackend } = require('./src/backend/reference');
      const cases = ${JSON.stringify(TINY)};
      (async () => {
        const impl = onnxruntimeConv(1);
        if (typeof impl === 'string') { console.log(JSON.stringify({ skipped: impl })); return; }
        const errs = [];
        for (const c of cases) {
          const d = { x: randomArray(c.N * c.C * c.H * c.W, 11), w: randomArray(c.OC * (c.C / c.G) * c.KH * c.KW, 12), dy: new Float32Array(0) };
          const prep = await impl.prepare(c, d);
          await prep.ops.fwd();
          const ref = new Float64Array(c.N * c.OC * c.OH * c.OW);
          referenceBackend.kernels.conv2d_forward(Float64Array.from(d.x), Float64Array.from(d.w), null, ref, convGeom(c));
          errs.push(relError(await prep.result('fwd'), ref));
          if (!('na' in prep.ops.dx)) errs.push(Infinity);
          await prep.dispose();
        }
        console.log(JSON.stringify({ errs }));
      })().catch((e) => { console.log(JSON.stringify({ error: String(e) })); });`;
    const r = spawnSync(process.execPath, ['-r', './scripts/ts-register.js', '-e', script], {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
    });
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { skipped?: string; errs?: number[]; error?: string };
    if (out.skipped) {
      console.log(`onnxruntime check skipped: ${out.skipped}`);
      expect(out.skipped).toMatch(/onnxruntime-node/);
      return;
    }
    expect(out.error).toBeUndefined();
    expect(out.errs).toHaveLength(TINY.length);
    for (const e of out.errs ?? []) expect(e).toBeLessThan(1e-5);
  });

  test("onnxruntime-kernel: the Conv kernel's time per run from the profile", () => {
    // what onnxruntime writes for one run of a lone Conv on NCHW tensors (fields trimmed)
    const run = (ts: number, conv: string, dur: number) => [
      { cat: 'Session', name: 'model_run', ts, dur: dur + 90 },
      { cat: 'Node', name: 'reorder_input_kernel_time', ts: ts + 1, dur: 30, args: { op_name: 'ReorderInput' } },
      { cat: 'Node', name: 'conv_fence_before', ts: ts + 2, dur: 0, args: { op_name: conv } },
      { cat: 'Node', name: 'conv_kernel_time', ts: ts + 3, dur, args: { op_name: conv } },
      { cat: 'Node', name: 'reorder_output_kernel_time', ts: ts + 4, dur: 40, args: { op_name: 'ReorderOutput' } },
    ];
    const events = [...run(500, 'NchwcConv', 2500), ...run(100, 'Conv', 1500), ...run(900, 'FusedConv', 750)];
    expect(convKernelTimes(events)).toEqual([1.5, 2.5, 0.75]);
    expect(convKernelTimes([])).toEqual([]);

    const script = `
      const fs = require('fs'), os = require('os');
      const { onnxruntimeConvKernel } = require('./bench/impl/onnxruntime.ts');
      const { QUICK_BUDGET, randomArray } = require('./bench/harness.ts');
      const cases = ${JSON.stringify(TINY)};
      const left = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('slimprune-ort-profile-')).length;
      (async () => {
        const impl = onnxruntimeConvKernel(1, QUICK_BUDGET);
        if (typeof impl === 'string') { console.log(JSON.stringify({ skipped: impl })); return; }
        const before = left(), rows = [];
        for (const c of cases) {
          const d = { x: randomArray(c.N * c.C * c.H * c.W, 11), w: randomArray(c.OC * (c.C / c.G) * c.KH * c.KW, 12), dy: new Float32Array(0) };
          const prep = await impl.prepare(c, d);
          rows.push({ timed: prep.timed.fwd, dx: 'na' in prep.ops.dx, fwd: prep.ops.fwd === undefined });
          await prep.dispose();
        }
        console.log(JSON.stringify({ rows, leftover: left() - before }));
      })().catch((e) => { console.log(JSON.stringify({ error: String(e) })); });`;
    const r = spawnSync(process.execPath, ['-r', './scripts/ts-register.js', '-e', script], {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
    });
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
      skipped?: string; error?: string; leftover?: number; rows?: Array<{ timed: { ms: number; samples: number }; dx: boolean; fwd: boolean }>;
    };
    if (out.skipped) {
      console.log(`onnxruntime-kernel check skipped: ${out.skipped}`);
      expect(out.skipped).toMatch(/onnxruntime-node/);
      return;
    }
    expect(out.error).toBeUndefined();
    expect(out.rows).toHaveLength(TINY.length);
    for (const row of out.rows ?? []) {
      // a kernel time was found for the timed runs (QUICK_BUDGET: at least 2 of them), and the
      // row offers no call of its own to time, no training ops
      expect(row.timed.samples).toBeGreaterThanOrEqual(2);
      expect(Number.isFinite(row.timed.ms) && row.timed.ms > 0).toBe(true);
      expect(row.dx).toBe(true);
      expect(row.fwd).toBe(true);
    }
    expect(out.leftover).toBe(0);  // the profile folders are removed
  });

  test('slimprune-native-prepared: the forward with a kept filter, call after call', async () => {
    const entry = listBackends().find((e) => e.name === 'native');
    if (!entry?.available) {
      console.log(`native prepared check skipped: ${entry?.reason ?? 'no native backend'}`);
      expect(entry?.available).toBeFalsy();
      return;
    }
    const impl = slimpruneConvPrepared(backendByName('native'), 2);
    if (!impl) throw new Error('expected the native backend to offer filter caches');
    expect(impl.name).toBe('slimprune-native-prepared');
    for (const c of TINY) {
      const d = data(c);
      const ref = reference(c, d);
      const prep = await impl.prepare(c, d);
      const fn = prep.ops.fwd;
      if (!fn || isNa(fn)) throw new Error('expected the prepared forward to run');
      for (let call = 0; call < 2; call++) {  // the first call fills the cache, the second reads it
        await fn();
        expect(relError(await prep.result!('fwd'), ref.fwd)).toBeLessThan(1e-5);
      }
      expect(isNa(prep.ops.dx)).toBe(true);
      await prep.dispose();
    }
  });

  test('tfjs-cpu forward and input gradient, after the layout transposes', async () => {
    const impl = await tfjsConv('cpu');
    if (typeof impl === 'string') {
      console.log(`tfjs check skipped: ${impl}`);
      expect(impl).toMatch(/tfjs/);
      return;
    }
    for (const c of TINY) {
      const d = data(c);
      const ref = reference(c, d);
      const prep = await impl.prepare(c, d);
      for (const op of ['fwd', 'dx'] as const) {
        const fn = prep.ops[op];
        if (!fn || isNa(fn)) throw new Error(`tfjs-cpu: expected ${op} to run`);
        await fn();
        expect(relError(await prep.result!(op), ref[op])).toBeLessThan(1e-5);
      }
      expect(isNa(prep.ops.dw)).toBe(true);
      await prep.dispose();
    }
  });
});
