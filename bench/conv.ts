/**
 * Conv benchmark: forward (fwd), backward-input (dx) and backward-filter (dw) of four layers
 * typical of the networks slimprune prunes, batch 8 (2 with --quick), fp32, no bias:
 *
 *   3x3s1  3x3 stride 1 pad 1, 64 -> 64 channels at 56x56   (ResNet/DarkNet body)
 *   1x1    1x1, 256 -> 256 at 28x28                          (bottleneck / pointwise)
 *   dw3x3  depthwise 3x3 stride 1 pad 1, 256 channels at 28x28 (MobileNet)
 *   3x3s2  3x3 stride 2 pad 1, 32 -> 64 at 112x112          (downsampling)
 *
 * Implementations, each prepared and timed in turn on the same data: every available slimprune
 * backend, onnxruntime-node (forward: session.run, and its Conv kernel alone from its profiler),
 * TensorFlow.js on tfjs-backend-cpu and tfjs-backend-wasm, and oneDNN through the optional C++
 * comparator. Each output is compared with slimprune-native's (largest difference relative to the
 * largest value; the first implementation's when native is absent) so that a peer set up with the
 * wrong geometry shows instead of producing a flattering time.
 * GFLOP/s = 2 x N x OC x OH x OW x C/G x KH x KW / time, for each of the three ops.
 */
import { type BenchOptions, FULL_BUDGET, type Op, QUICK_BUDGET, Reporter, fmtMs, measure, randomArray, relError, table } from './harness';
import { describeMachine, fp32Peak, machine, measuredPeak } from './machine';
import { onednnConv } from './impl/comparator';
import { onnxruntimeConv, onnxruntimeConvKernel } from './impl/onnxruntime';
import { slimpruneBackends, slimpruneConv, slimpruneConvPrepared } from './impl/slimprune';
import { tfjsConv } from './impl/tfjs';
import { type Absent, type ConvCase, type ConvData, type ConvImpl, type ConvOp, convMacs, isNa } from './impl/types';

const OPS: ConvOp[] = ['fwd', 'dx', 'dw'];
/** Outputs further than this from slimprune-native's (relative to its largest value) are flagged. */
const TOLERANCE = 1e-3;

function layer(name: string, title: string, N: number, C: number, HW: number, OC: number, K: number, S: number, P: number, G: number): ConvCase {
  const O = Math.floor((HW + 2 * P - K) / S) + 1;
  return { name: `${name}_n${N}`, title, N, C, H: HW, W: HW, OC, KH: K, KW: K, SH: S, SW: S, PH: P, PW: P, G, OH: O, OW: O };
}

export function convCases(N: number): ConvCase[] {
  return [
    layer('3x3s1_64-64_56', '3x3 s1 p1 64->64 56x56', N, 64, 56, 64, 3, 1, 1, 1),
    layer('1x1_256-256_28', '1x1 256->256 28x28', N, 256, 28, 256, 1, 1, 0, 1),
    layer('dw3x3_256_28', 'depthwise 3x3 s1 p1 256ch 28x28', N, 256, 28, 256, 3, 1, 1, 256),
    layer('3x3s2_32-64_112', '3x3 s2 p1 32->64 112x112', N, 32, 112, 64, 3, 2, 1, 1),
  ];
}

function caseData(c: ConvCase, seed: number): ConvData {
  return {
    x: randomArray(c.N * c.C * c.H * c.W, seed),
    w: randomArray(c.OC * (c.C / c.G) * c.KH * c.KW, seed + 1),
    dy: randomArray(c.N * c.OC * c.OH * c.OW, seed + 2),
  };
}

async function implementations(opts: BenchOptions, rep: Reporter): Promise<{ impls: ConvImpl[]; absent: Absent[] }> {
  const budget = opts.quick ? QUICK_BUDGET : FULL_BUDGET;
  const sp = slimpruneBackends();
  const impls: ConvImpl[] = sp.backends.flatMap((b) => [slimpruneConv(b, opts.threads), slimpruneConvPrepared(b, opts.threads)])
    .filter((i): i is ConvImpl => i !== null);
  const absent = [...sp.absent];
  const peers: Array<[string, ConvImpl | string]> = [
    ['onnxruntime', onnxruntimeConv(opts.threads)],
    ['onnxruntime-kernel', onnxruntimeConvKernel(opts.threads, budget)],
    ['tfjs-cpu', await tfjsConv('cpu')],
    ['tfjs-wasm', await tfjsConv('wasm')],
    ['onednn', onednnConv(opts.threads, budget)],
  ];
  for (const [name, p] of peers) {
    if (typeof p === 'string') absent.push({ name, reason: p });
    else impls.push(p);
  }
  rep.say(`implementations: ${impls.map((i) => `${i.name} (${i.threads} thread${i.threads > 1 ? 's' : ''}${i.note ? `, ${i.note}` : ''})`).join('; ')}`);
  for (const a of absent) rep.say(`skipped ${a.name}: ${a.reason}`);
  return { impls, absent };
}

export async function main(opts: BenchOptions): Promise<void> {
  const rep = new Reporter('conv', opts);
  const budget = opts.quick ? QUICK_BUDGET : FULL_BUDGET;
  const m = machine();
  rep.say(`conv benchmark${opts.quick ? ' (--quick: batch 2, fewer calls)' : ''}; ${describeMachine(m)}; --threads ${opts.threads}`);
  rep.say(`fp32 peak: ${fp32Peak(m).derivation}`);
  const measured = measuredPeak(opts.threads);
  rep.say(typeof measured === 'string' ? `fp32 FMA rate not measured: ${measured}` : `fp32 FMA rate ${measured.derivation}`);
  const cases = convCases(opts.quick ? 2 : 8);
  const { impls } = await implementations(opts, rep);

  for (const [ci, c] of cases.entries()) {
    rep.say(`${c.name}: ${c.title}, batch ${c.N}, ${((2 * convMacs(c)) / 1e9).toFixed(3)} GFLOP per op`);
    const data = caseData(c, 1000 * (ci + 1));
    const flops = 2 * convMacs(c);
    // per op: the first implementation's output (slimprune-native's when it runs) and its name
    const ref: Partial<Record<ConvOp, [string, Float32Array]>> = {};
    for (const impl of impls) {
      let prep;
      try {
        prep = await impl.prepare(c, data);
      } catch (e) {
        for (const op of OPS) rep.na(c.name, op, impl.name, `setup failed: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      for (const op of OPS) {
        const timed = prep.timed?.[op];
        const fn = prep.ops[op];
        if (timed) {
          rep.add(c.name, op, impl.name, impl.threads, timed, flops);
          continue;
        }
        if (!fn) continue;
        if (isNa(fn)) {
          rep.na(c.name, op, impl.name, fn.na);
          continue;
        }
        try {
          const t = await measure(fn, budget);
          let check: string | undefined;
          if (prep.result) {
            const out = await prep.result(op);
            const r = ref[op];
            if (!r) {
              ref[op] = [impl.name, out];
              check = 'ref';
            } else {
              const err = relError(out, r[1]);
              check = err.toExponential(0);
              if (!(err <= TOLERANCE)) rep.say(`  WARNING: ${impl.name} ${op} ${c.name} differs from ${r[0]} by ${check} (relative)`);
            }
          }
          rep.add(c.name, op, impl.name, impl.threads, t, flops, check);
        } catch (e) {
          rep.na(c.name, op, impl.name, `failed: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      await prep.dispose();
    }
  }
  for (const impl of impls) await impl.close?.();
  summary(rep, cases, impls);
}

/** The table of ms and GFLOP/s, then slimprune-native's speed-up over each peer (peer ms / native ms). */
function summary(rep: Reporter, cases: ConvCase[], impls: ConvImpl[]): void {
  const names = impls.map((i) => i.name);
  const cell = (c: string, op: Op, impl: string) => {
    const r = rep.find(c, op, impl);
    return r ? `${fmtMs(r.ms)} ms ${r.gflops.toFixed(1)}` : 'n/a';
  };
  const body = cases.flatMap((c) => OPS.map((op) => [`${c.name} ${op}`, ...names.map((n) => cell(c.name, op, n))]));
  rep.say('\nms (median) and GFLOP/s');
  rep.say(table(['case op', ...names], body));
  const native = 'slimprune-native';
  if (!names.includes(native)) {
    rep.say(`\nno ratios: ${native} did not run`);
  } else {
    const peers = names.filter((n) => n !== native);
    const ratio = (c: string, op: Op, peer: string) => {
      const a = rep.find(c, op, native);
      const b = rep.find(c, op, peer);
      return a && b ? `${(b.ms / a.ms).toFixed(2)}x` : 'n/a';
    };
    rep.say(`\n${native} speed-up over each peer (peer ms / native ms; > 1: native faster)`);
    rep.say(table(['case op', ...peers], cases.flatMap((c) => OPS.map((op) => [`${c.name} ${op}`, ...peers.map((p) => ratio(c.name, op, p))]))));
  }
  if (rep.notes.length) rep.say(`\nn/a:\n${rep.notes.map((n) => `  ${n}`).join('\n')}`);
}
