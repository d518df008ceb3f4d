/**
 * The training batch norm's channel loops are built for generic x86-64, AVX2 and AVX-512
 * (native/norm_impl.h) and chosen at run time: each ISA the CPU has (SLIMPRUNE_ISA caps it, in a
 * child process) gives the same bits, forward (every activation) and backward, on rows that do
 * and do not fill the vector loops, with values whose sums need the double accumulators.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ADDON_PATH = path.resolve(process.env.SLIMPRUNE_ADDON ?? path.join(__dirname, '..', '..', 'build', 'Release', 'slimprune.node'));
const have = fs.existsSync(ADDON_PATH);
if (!have) console.log(`native/norm_isa: skipping, ${ADDON_PATH} does not exist; build it with \`npm run build:native\``);
const d = have ? describe : describe.skip;

// Runs in a child: every case's outputs as hex digests of their bits, and the ISA it ran.
function script(): string {
  return `
    const crypto = require('crypto');
    const lib = require(${JSON.stringify(ADDON_PATH)});
    lib.setThreads(2);
    let seed = 12345;
    const rnd = (n, lo, hi) => { const v = new Float32Array(n); for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; v[i] = lo + (hi - lo) * seed / 4294967296; } return v; };
    const digest = (...arrays) => { const h = crypto.createHash('sha256'); for (const a of arrays) h.update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)); return h.digest('hex'); };
    const out = { isa: lib.cpuInfo().isa, digests: [] };
    for (const [N, C, HW] of [[2, 3, 37], [1, 5, 16], [2, 4, 100], [3, 2, 7], [1, 2, 1000]]) {
      // a large mean next to a small spread: the double accumulators' case
      const x = rnd(N * C * HW, 999, 1001), sc = rnd(C, 0.5, 1.5), bi = rnd(C, -1, 1), dy = rnd(N * C * HW, -1, 1);
      for (const act of [0, 1, 2]) {
        const y = new Float32Array(N * C * HW), sm = new Float32Array(C), si = new Float32Array(C);
        const rm = new Float32Array(C), rv = new Float32Array(C).fill(1);
        const p = Int32Array.from([N, C, HW, act]);
        lib.kernels.batch_norm_act_train_forward(x, sc, bi, y, sm, si, rm, rv, p, 1e-5, 0.9, 0.1);
        const dx = new Float32Array(N * C * HW), ds = new Float32Array(C), db = new Float32Array(C);
        lib.kernels.batch_norm_act_backward(x, y, dy, sc, sm, si, dx, ds, db, p, 0.1);
        out.digests.push(digest(y, sm, si, rm, rv), digest(dx, ds, db));
      }
    }
    process.stdout.write(JSON.stringify(out));`;
}

function run(isa: string | null): { isa: string; digests: string[] } {
  const env = { ...process.env };
  delete env.SLIMPRUNE_ISA;
  if (isa) env.SLIMPRUNE_ISA = isa;
  const r = spawnSync(process.execPath, ['-e', script()], { env, encoding: 'utf8', timeout: 60000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { isa: string; digests: string[] };
}

d('batch norm: every ISA gives the same bits', () => {
  test('generic, AVX2 and AVX-512 (those this CPU has) against the default', () => {
    const best = run(null);
    expect(best.digests).toHaveLength(30);
    const others = ['generic', 'avx2', 'avx512'].filter((i) => i !== best.isa);
    let compared = 0;
    for (const isa of others) {
      const r = run(isa);
      if (r.isa !== isa) {
        console.log(`native/norm_isa: this CPU lacks ${isa} (ran ${r.isa}); that copy is compared on CPUs with it`);
        continue;
      }
      expect(r.digests).toEqual(best.digests);
      compared++;
    }
    // the generic copy is always there to compare against
    expect(compared).toBeGreaterThanOrEqual(best.isa === 'generic' ? 0 : 1);
  });
});
