/**
 * Optional native peers, oneDNN (conv) and OpenBLAS (gemm): the small C++ programs in
 * bench/comparator/ are compiled with g++ into build-bench-comparator/ (rebuilt when the source
 * is newer) only when the library's headers are on the machine, run as subprocesses, and report
 * one JSON line per measurement, timed inside the program (median after one warm-up call).
 * They are never a dependency of the package: without the headers they are skipped with the reason.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Budget, Timing } from '../harness';
import type { ConvImpl, ConvOp, GemmImpl } from './types';

const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(ROOT, 'bench', 'comparator');
const OUT = path.join(ROOT, 'build-bench-comparator');

interface Recipe {
  headers: string[];
  /** extra g++ arguments given the directory holding the header */
  flags: (dir: string) => string[];
}

const RECIPES: Record<string, Recipe> = {
  onednn_conv: {
    headers: ['/usr/include/dnnl.hpp', '/usr/local/include/dnnl.hpp'],
    flags: (dir) => [`-I${dir}`, '-ldnnl'],
  },
  openblas_gemm: {
    headers: [
      '/usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h',
      '/usr/include/openblas/cblas.h',
      '/usr/include/x86_64-linux-gnu/cblas.h',
      '/usr/include/cblas.h',
      '/usr/local/include/cblas.h',
    ],
    flags: (dir) => [`-I${dir}`, '-lopenblas'],
  },
};

/** The comparator's executable, compiled when needed, or why there is none. */
function build(name: keyof typeof RECIPES): string | { reason: string } {
  const r = RECIPES[name];
  const header = r.headers.find((h) => fs.existsSync(h));
  if (!header) return { reason: `${path.basename(r.headers[0])} not found (looked in ${r.headers.map(path.dirname).join(', ')})` };
  const src = path.join(SRC, `${name}.cc`);
  const bin = path.join(OUT, name);
  if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= fs.statSync(src).mtimeMs) return bin;
  fs.mkdirSync(OUT, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const cc = spawnSync('g++', ['-O2', '-std=c++17', src, '-o', tmp, ...r.flags(path.dirname(header))], { encoding: 'utf8' });
  if (cc.error) return { reason: `g++ not runnable (${cc.error.message})` };
  if (cc.status !== 0) {
    fs.rmSync(tmp, { force: true });
    const first = (cc.stderr || '').split('\n').find((l) => /error/.test(l)) ?? `g++ exit status ${cc.status}`;
    return { reason: `${name}.cc did not compile: ${first.trim().slice(0, 200)}` };
  }
  fs.renameSync(tmp, bin);
  return bin;
}

interface Line {
  case: string;
  op: string;
  ms: number;
  samples: number;
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv): Line[] {
  const r = spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    const why = (r.stderr || '').trim().split('\n').pop() || `exit status ${r.status ?? r.signal}`;
    throw new Error(`bench: ${path.basename(bin)} failed: ${why}`);
  }
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

const timing = (l: Line): Timing => ({ ms: l.ms, samples: l.samples });

/** oneDNN conv (forward, backward data, backward weights), or why it is absent. */
export function onednnConv(threads: number, budget: Budget): ConvImpl | string {
  const bin = build('onednn_conv');
  if (typeof bin !== 'string') return `oneDNN comparator skipped: ${bin.reason}`;
  return {
    name: 'onednn',
    threads,
    note: 'C++ subprocess, blocked layouts (format_tag::any)',
    async prepare(c) {
      const geom = [c.N, c.C, c.H, c.W, c.OC, c.KH, c.KW, c.SH, c.SW, c.PH, c.PW, c.G];
      const lines = run(bin, [c.name, ...geom.map(String), String(budget.minMs), String(budget.minIters), 'fwd,dx,dw'], {
        OMP_NUM_THREADS: String(threads),
      });
      const timed: Partial<Record<ConvOp, Timing>> = {};
      for (const l of lines) timed[l.op as ConvOp] = timing(l);
      return { ops: {}, timed, dispose: () => undefined };
    },
  };
}

/** OpenBLAS sgemm, or why it is absent. */
export function openblasGemm(threads: number, budget: Budget): GemmImpl | string {
  const bin = build('openblas_gemm');
  if (typeof bin !== 'string') return `OpenBLAS comparator skipped: ${bin.reason}`;
  return {
    name: 'openblas',
    threads,
    note: 'C++ subprocess, cblas_sgemm',
    async prepare(c) {
      const [l] = run(bin, [String(threads), String(budget.minMs), String(budget.minIters), String(c.n)], {
        OPENBLAS_NUM_THREADS: String(threads),
      });
      return { ops: {}, timed: l ? { gemm: timing(l) } : {}, dispose: () => undefined };
    },
  };
}
