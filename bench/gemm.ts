/**
 * GEMM benchmark: square row-major SGEMM C = A B at n = 256, 512, 1024, 2048 (2 n^3 flops), on
 * every available slimprune backend and on OpenBLAS through the optional C++ comparator.
 * Reports GFLOP/s and the share of the machine's fp32 peak: the FMA rate measured on the threads
 * used (bench/machine.ts measuredPeak), else the peak derived from the nominal clock (fp32Peak; both
 * are printed with how they were obtained), and slimprune-native's speed-up over each peer.
 */
import { type BenchOptions, FULL_BUDGET, QUICK_BUDGET, Reporter, fmtMs, measure, randomArray, relError, table } from './harness';
import { describeMachine, fp32Peak, machine, measuredPeak } from './machine';
import { openblasGemm } from './impl/comparator';
import { slimpruneBackends, slimpruneGemm } from './impl/slimprune';
import { type GemmCase, type GemmImpl, isNa } from './impl/types';

const SIZES = [256, 512, 1024, 2048];
const TOLERANCE = 1e-3;

export async function main(opts: BenchOptions): Promise<void> {
  const rep = new Reporter('gemm', opts);
  const budget = opts.quick ? QUICK_BUDGET : FULL_BUDGET;
  const m = machine();
  const peak = fp32Peak(m);
  const usedCores = Math.min(opts.threads, m.physicalCores);
  const peakUsed = usedCores < peak.cores ? fp32Peak(m, usedCores) : peak;
  rep.say(`gemm benchmark${opts.quick ? ' (--quick: fewer calls)' : ''}; ${describeMachine(m)}; --threads ${opts.threads}`);
  rep.say(`fp32 peak: ${peak.derivation}`);
  if (peakUsed !== peak) rep.say(`fp32 peak of the ${usedCores} cores used: ${peakUsed.gflops.toFixed(1)} GFLOP/s`);
  // %peak: of the FMA rate measured on the threads used where the addon can measure it (the
  // nominal clock may not be the one the cores run at), else of the derived peak of the cores used
  const measured = measuredPeak(opts.threads);
  if (typeof measured === 'string') rep.say(`fp32 FMA rate not measured: ${measured}`);
  else rep.say(`fp32 FMA rate ${measured.derivation}`);
  const ref = typeof measured === 'string'
    ? { gflops: peakUsed.gflops, what: `derived peak of the ${usedCores} core${usedCores > 1 ? 's' : ''} used` }
    : { gflops: measured.gflops, what: `FMA rate measured on ${measured.threads} thread${measured.threads > 1 ? 's' : ''}` };

  const sp = slimpruneBackends();
  const impls: GemmImpl[] = sp.backends.map((b) => slimpruneGemm(b, opts.threads));
  const absent = [...sp.absent];
  const blas = openblasGemm(opts.threads, budget);
  if (typeof blas === 'string') absent.push({ name: 'openblas', reason: blas });
  else impls.push(blas);
  rep.say(`implementations: ${impls.map((i) => `${i.name} (${i.threads} thread${i.threads > 1 ? 's' : ''})`).join('; ')}`);
  for (const a of absent) rep.say(`skipped ${a.name}: ${a.reason}`);
  const refName = impls.find((i) => i.name === 'slimprune-native')?.name ?? impls[0]?.name;

  const cases: GemmCase[] = SIZES.map((n) => ({ name: String(n), n }));
  for (const c of cases) {
    const data = { a: randomArray(c.n * c.n, 7 * c.n), b: randomArray(c.n * c.n, 7 * c.n + 1) };
    const flops = 2 * c.n ** 3;
    let ref: Float32Array | undefined;
    for (const impl of impls) {
      let prep;
      try {
        prep = await impl.prepare(c, data);
      } catch (e) {
        rep.na(c.name, 'gemm', impl.name, `setup failed: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      const timed = prep.timed?.gemm;
      const fn = prep.ops.gemm;
      if (timed) rep.add(c.name, 'gemm', impl.name, impl.threads, timed, flops);
      else if (fn && isNa(fn)) rep.na(c.name, 'gemm', impl.name, fn.na);
      else if (fn) {
        try {
          const t = await measure(fn, budget);
          let check: string | undefined;
          if (prep.result) {
            const out = await prep.result('gemm');
            if (impl.name === refName) {
              ref = out;
              check = 'ref';
            } else if (ref) {
              const err = relError(out, ref);
              check = err.toExponential(0);
              if (!(err <= TOLERANCE)) rep.say(`  WARNING: ${impl.name} gemm ${c.name} differs from ${refName} by ${check} (relative)`);
            }
          }
          rep.add(c.name, 'gemm', impl.name, impl.threads, t, flops, check);
        } catch (e) {
          rep.na(c.name, 'gemm', impl.name, `failed: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      await prep.dispose();
    }
  }
  for (const impl of impls) await impl.close?.();

  const names = impls.map((i) => i.name);
  const head = ['n', ...names.flatMap((n) => [`${n} ms`, 'GFLOP/s', '%peak'])];
  const body = cases.map((c) => [
    c.name,
    ...names.flatMap((n) => {
      const r = rep.find(c.name, 'gemm', n);
      return r ? [fmtMs(r.ms), r.gflops.toFixed(1), `${((100 * r.gflops) / ref.gflops).toFixed(0)}%`] : ['n/a', '', ''];
    }),
  ]);
  rep.say(`\nSGEMM n x n x n: median ms, GFLOP/s, share of the ${ref.gflops.toFixed(1)} GFLOP/s ${ref.what}`);
  rep.say(table(head, body));
  const native = 'slimprune-native';
  const peers = names.filter((n) => n !== native);
  if (names.includes(native) && peers.length) {
    rep.say(`\n${native} speed-up over each peer (peer ms / native ms; > 1: native faster)`);
    rep.say(
      table(
        ['n', ...peers],
        cases.map((c) => [
          c.name,
          ...peers.map((p) => {
            const a = rep.find(c.name, 'gemm', native);
            const b = rep.find(c.name, 'gemm', p);
            return a && b ? `${(b.ms / a.ms).toFixed(2)}x` : 'n/a';
          }),
        ]),
      ),
    );
  }
  if (rep.notes.length) rep.say(`\nn/a:\n${rep.notes.map((n) => `  ${n}`).join('\n')}`);
}
