#!/usr/bin/env node
// Self-check of the native kernels on this machine, without the test tooling: conv forward /
// backward-input / backward-filter (dense, strided, dilated, grouped, depthwise) and GEMM on random
// geometries, against the float64 reference, for every ISA the CPU has (avx512, avx2, generic:
// each in a child process with SLIMPRUNE_ISA set), plus 1 vs N threads bit-identical.
// Needs the built addon and `npm run build:ts` (reads dist/). Exit 1 on any mismatch.
//
//   node scripts/check-kernels.js [--cases N]
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const dist = (m) => require(path.join(root, 'dist', 'src', 'backend', m));

function child(cases) {
  const { backendByName } = dist('loader');
  const { Tensor } = dist('tensor');
  const ops = dist('ops');
  const native = backendByName('native');
  const ref = backendByName('reference');
  const isa = require(path.join(root, 'build', 'Release', 'slimprune.node')).cpuInfo().isa;
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const pick = (a) => a[Math.floor(((rnd() + 1) / 2) * a.length)];
  const data = (n) => Float64Array.from({ length: n }, () => Math.fround(rnd()));
  let worst = 0, failures = 0, checked = 0;
  const compare = (what, a, b, k) => {
    let d = 0, s = 0;
    for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); }
    const e = d / (s || 1) / Math.sqrt(k);
    worst = Math.max(worst, e);
    checked++;
    if (!(e < 1e-5)) { failures++; console.log(`  MISMATCH ${what}: relative error ${e.toExponential(2)}`); }
  };
  for (let c = 0; c < cases; c++) {
    const dw = rnd() < -0.4;
    const C = dw ? pick([1, 3, 8, 17, 32, 64]) : pick([1, 3, 4, 5, 8, 17, 32, 64]);
    const G = dw ? C : pick([1, 1, 1, C % 2 === 0 ? 2 : 1]);
    const OC = dw ? C * pick([1, 1, 2]) : pick([1, 4, 8, 16, 17, 32, 64]) * G / (G > 1 ? 1 : 1);
    const K = pick([1, 3, 3, 5]), S = pick([1, 1, 2]), D = pick([1, 1, 2]);
    const H = pick([5, 7, 12, 28, 31]), W = pick([5, 9, 12, 28, 33]), N = pick([1, 2, 3]);
    const pad = [pick([0, 1, 2]), pick([0, 1]), pick([0, 1, 2]), pick([0, 1])];
    if ((H + pad[0] + pad[1] - D * (K - 1) - 1) < 0 || (W + pad[2] + pad[3] - D * (K - 1) - 1) < 0) continue;
    const attrs = { stride: S, dilation: D, padding: pad, groups: G };
    const xs = [N, C, H, W], ws = [OC - (OC % G), C / G, K, K];
    if (ws[0] < 1) continue;
    const x = data(xs.reduce((a, b) => a * b)), w = data(ws.reduce((a, b) => a * b)), b = data(ws[0]);
    const run = (be) => {
      const X = Tensor.from(x, xs, be), Wt = Tensor.from(w, ws, be), B = Tensor.from(b, [ws[0]], be);
      const y = ops.conv2d(X, Wt, B, attrs);
      const dy = Tensor.from(data(y.size).map((v, i) => Math.fround(Math.sin(i))), y.shape, be);
      const dx = ops.conv2dBackwardInput(dy, Wt, xs, attrs);
      const g = ops.conv2dBackwardFilter(X, dy, ws, attrs, true);
      return [y.toArray(), dx.toArray(), g.dw.toArray(), g.db.toArray()];
    };
    const a = run(native), r = run(ref);
    const name = `conv x=[${xs}] w=[${ws}] s${S} d${D} p[${pad}] g${G}`;
    ['fwd', 'dx', 'dw', 'db'].forEach((op, i) => compare(`${name} ${op}`, a[i], r[i], C * K * K));
  }
  for (let c = 0; c < Math.max(4, cases / 4); c++) {
    const M = pick([1, 7, 64, 129, 300]), Nn = pick([1, 16, 33, 257]), Kk = pick([1, 5, 256, 514]);
    const ta = rnd() < 0, tb = rnd() < 0;
    const A = data(M * Kk), Bm = data(Kk * Nn);
    const run = (be) => ops.gemm(Tensor.from(A, ta ? [Kk, M] : [M, Kk], be), Tensor.from(Bm, tb ? [Nn, Kk] : [Kk, Nn], be), { transA: ta, transB: tb }).toArray();
    compare(`gemm ${M}x${Nn}x${Kk} tA${+ta} tB${+tb}`, run(native), run(ref), Kk);
  }
  // 1 vs N threads: identical bits on a mid-size conv and GEMM
  const xs = [4, 32, 28, 28], ws = [64, 32, 3, 3];
  const x = data(xs.reduce((a, b) => a * b)), w = data(ws.reduce((a, b) => a * b));
  const once = (t) => {
    native.setThreads(t);
    const X = Tensor.from(x, xs, native), Wt = Tensor.from(w, ws, native);
    const y = ops.conv2d(X, Wt, null, { padding: 1 });
    return [y.toArray(), ops.conv2dBackwardFilter(X, y, ws, { padding: 1 }, false).dw.toArray()];
  };
  const one = once(1), many = once(4);
  const same = one.every((v, i) => v.every((e, j) => Object.is(e, many[i][j])));
  if (!same) { failures++; console.log('  MISMATCH: 1 and 4 threads differ'); }
  console.log(`${isa}: ${checked} comparisons, worst relative error ${worst.toExponential(2)} (per sqrt of the reduction length), 1 vs 4 threads ${same ? 'identical' : 'DIFFERENT'}, ${failures} failures`);
  process.exit(failures ? 1 : 0);
}

function main() {
  const i = process.argv.indexOf('--cases');
  const cases = i > 0 ? Number(process.argv[i + 1]) : 60;
  if (process.env.SLIMPRUNE_CHECK_CHILD) return child(cases);
  const info = require(path.join(root, 'build', 'Release', 'slimprune.node')).cpuInfo();
  const isas = [info.avx512 && 'avx512', info.avx2 && 'avx2', 'generic'].filter(Boolean);
  let failed = false;
  for (const isa of isas) {
    const r = spawnSync(process.execPath, [__filename, '--cases', String(cases)], { stdio: 'inherit', env: { ...process.env, SLIMPRUNE_ISA: isa, SLIMPRUNE_CHECK_CHILD: '1', SLIMPRUNE_QUIET: '1' } });
    failed ||= r.status !== 0;
  }
  for (const isa of ['avx512', 'avx2'].filter((x) => !isas.includes(x))) console.log(`${isa}: not checked, this CPU lacks it`);
  process.exit(failed ? 1 : 0);
}

main();
