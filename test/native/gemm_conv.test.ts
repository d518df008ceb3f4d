/**
 * Native GEMM and convolution kernels (gemm, conv2d_forward, conv2d_backward_input,
 * conv2d_backward_filter) against naive float64 loops: every transpose combination and odd
 * sizes for gemm; a table of conv shapes with 1..17 channels, odd spatial sizes, stride,
 * dilation, groups, depthwise (multiplier 1 and 2), asymmetric and implicit padding, 1x1 and
 * absent bias. Also: 1 and 2 threads give bit-identical results, and every ISA path the CPU
 * has (SLIMPRUNE_ISA=generic / avx2 / avx512) passes the same checks in a child process.
 * The error bound is relative to the sum of |terms| of each output: |got - ref| <= 1e-4 * sum|a*b| + 1e-6.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { NativeAddon } from '../../src/backend/native';

const ADDON_PATH = process.env.SLIMPRUNE_ADDON ?? path.join(__dirname, '..', '..', 'build', 'Release', 'slimprune.node');

let addon: NativeAddon | null = null;
let reason = '';
try {
  if (!fs.existsSync(ADDON_PATH)) throw new Error(`${ADDON_PATH} does not exist`);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  addon = require(ADDON_PATH) as NativeAddon;
} catch (e) {
  reason = `native addon not loaded (${(e as Error).message.split('\n')[0]}); build it with \`npm run build:native\``;
}

type Part = 'gemm' | 'forward' | 'backward_input' | 'backward_filter' | 'threads' | 'pointwise' | 'columns';

/**
 * Runs one part of the checks against `lib` (the addon) and returns the failures. Self-contained
 * (no outer references) so that its source can also run in a child process under another ISA.
 */
function runChecks(lib: NativeAddon, part: Part): string[] {
  const fails: string[] = [];
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const fill = (n: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rnd();
    return a;
  };
  const compare = (what: string, got: Float32Array, ref: Float64Array, mag: Float64Array): void => {
    for (let i = 0; i < ref.length; i++) {
      const err = Math.abs(got[i] - ref[i]);
      if (!(err <= 1e-4 * mag[i] + 1e-6)) {
        fails.push(`${what}: element ${i} got ${got[i]} expected ${ref[i]} (|terms| ${mag[i]})`);
        return;
      }
    }
  };
  const sameBits = (what: string, a: Float32Array, b: Float32Array): void => {
    const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
    for (let i = 0; i < ua.length; i++)
      if (ua[i] !== ub[i]) {
        fails.push(`${what}: element ${i} differs (${a[i]} vs ${b[i]})`);
        return;
      }
  };

  // ---- gemm ------------------------------------------------------------------------------------
  const gemmCase = (ta: number, tb: number, M: number, N: number, K: number, acc: number, alpha: number): void => {
    const a = fill(M * K), b = fill(K * N), c0 = fill(M * N);
    const ref = new Float64Array(M * N), mag = new Float64Array(M * N);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0, m = 0;
        for (let k = 0; k < K; k++) {
          const t = (ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
          s += t;
          m += Math.abs(t);
        }
        ref[i * N + j] = alpha * s + (acc ? c0[i * N + j] : 0);
        mag[i * N + j] = Math.abs(alpha) * m + (acc ? Math.abs(c0[i * N + j]) : 0);
      }
    const c = Float32Array.from(c0);
    lib.kernels.gemm(a, b, c, [ta, tb, M, N, K, acc], alpha);
    compare(`gemm ta=${ta} tb=${tb} M=${M} N=${N} K=${K} acc=${acc} alpha=${alpha}`, c, ref, mag);
  };

  // ---- conv ------------------------------------------------------------------------------------
  // [N, C, H, W, OC, KH, KW, SH, SW, PT, PL, PB, PR, DH, DW, G, bias, extraOH, extraOW]
  const SHAPES: number[][] = [
    [1, 1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
    [2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
    [1, 4, 9, 9, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
    [2, 5, 8, 11, 8, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0],
    [1, 8, 6, 7, 17, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0],
    [2, 17, 5, 7, 3, 3, 3, 1, 1, 1, 0, 2, 1, 1, 1, 1, 1, 0, 0],
    [1, 4, 10, 9, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 0, 0, 0],
    [2, 8, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 0, 0],
    [2, 8, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 1, 0, 0],
    [1, 17, 11, 10, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 17, 0, 0, 0],
    [1, 4, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, 1, 0, 0],
    [2, 3, 13, 12, 3, 5, 5, 1, 2, 3, 2, 4, 1, 2, 2, 3, 1, 0, 0],
    [3, 5, 1, 1, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0],
    [1, 3, 2, 3, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
    [1, 4, 6, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 2, 3],
    [1, 6, 5, 5, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, 1, 1, 0],
    [1, 3, 11, 13, 5, 2, 4, 3, 2, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0],
    [2, 16, 20, 19, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
    [1, 32, 14, 13, 20, 3, 3, 2, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0],
    [1, 64, 9, 9, 40, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0],
    [2, 12, 15, 16, 12, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 12, 1, 0, 0],
  ];
  const geom = (sh: number[]): { p: number[]; bias: boolean } => {
    const [N, C, H, W, OC, KH, KW, SH, SW, PT, PL, PB, PR, DH, DW, G, bias, xOH, xOW] = sh;
    const OH = Math.floor((H + PT + PB - DH * (KH - 1) - 1) / SH) + 1 + xOH;
    const OW = Math.floor((W + PL + PR - DW * (KW - 1) - 1) / SW) + 1 + xOW;
    return { p: [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G], bias: bias === 1 };
  };
  // Visits every (x index, w index, y index) triple of the convolution.
  const visit = (p: number[], f: (xi: number, wi: number, yi: number, oc: number) => void): void => {
    const [N, C, H, W, OC, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW, G] = p;
    const Cg = C / G, OCg = OC / G;
    for (let n = 0; n < N; n++)
      for (let oc = 0; oc < OC; oc++) {
        const g = Math.floor(oc / OCg);
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            const yi = ((n * OC + oc) * OH + oh) * OW + ow;
            for (let cg = 0; cg < Cg; cg++)
              for (let kh = 0; kh < KH; kh++) {
                const ih = oh * SH - PT + kh * DH;
                if (ih < 0 || ih >= H) continue;
                for (let kw = 0; kw < KW; kw++) {
                  const iw = ow * SW - PL + kw * DW;
                  if (iw < 0 || iw >= W) continue;
                  f(((n * C + g * Cg + cg) * H + ih) * W + iw, ((oc * Cg + cg) * KH + kh) * KW + kw, yi, oc);
                }
              }
          }
      }
  };
  const sizes = (p: number[]): { x: number; w: number; y: number } => {
    const [N, C, H, W, OC, KH, KW, OH, OW, , , , , , , G] = p;
    return { x: N * C * H * W, w: OC * (C / G) * KH * KW, y: N * OC * OH * OW };
  };
  const convCase = (sh: number[], which: Part): void => {
    const { p, bias } = geom(sh);
    const sz = sizes(p);
    const OC = p[4];
    const name = `${which} p=[${p.join(',')}] bias=${bias}`;
    if (which === 'forward') {
      const x = fill(sz.x), w = fill(sz.w), b = bias ? fill(OC) : null;
      const ref = new Float64Array(sz.y), mag = new Float64Array(sz.y);
      const per = sz.y / (p[0] * OC);
      if (b) for (let i = 0; i < sz.y; i++) { ref[i] = b[Math.floor(i / per) % OC]; mag[i] = Math.abs(ref[i]); }
      visit(p, (xi, wi, yi) => { const t = x[xi] * w[wi]; ref[yi] += t; mag[yi] += Math.abs(t); });
      const y = fill(sz.y);  // garbage in: the kernel must overwrite
      lib.kernels.conv2d_forward(x, w, b, y, p);
      compare(name, y, ref, mag);
    } else if (which === 'backward_input') {
      const dy = fill(sz.y), w = fill(sz.w);
      const ref = new Float64Array(sz.x), mag = new Float64Array(sz.x);
      visit(p, (xi, wi, yi) => { const t = dy[yi] * w[wi]; ref[xi] += t; mag[xi] += Math.abs(t); });
      const dx = fill(sz.x);
      lib.kernels.conv2d_backward_input(dy, w, dx, p);
      compare(name, dx, ref, mag);
    } else {
      const x = fill(sz.x), dy = fill(sz.y);
      const ref = new Float64Array(sz.w), mag = new Float64Array(sz.w);
      visit(p, (xi, wi, yi) => { const t = dy[yi] * x[xi]; ref[wi] += t; mag[wi] += Math.abs(t); });
      const dw = fill(sz.w), db = bias ? fill(OC) : null;
      lib.kernels.conv2d_backward_filter(x, dy, dw, db, p);
      compare(name + ' dw', dw, ref, mag);
      if (db) {
        const per = sz.y / (p[0] * OC);
        const rb = new Float64Array(OC), mb = new Float64Array(OC);
        for (let i = 0; i < sz.y; i++) { const oc = Math.floor(i / per) % OC; rb[oc] += dy[i]; mb[oc] += Math.abs(dy[i]); }
        compare(name + ' db', db, rb, mb);
      }
    }
  };

  if (part === 'gemm') {
    const dims = [1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 33, 64, 67];
    let k = 0;
    for (let ta = 0; ta < 2; ta++)
      for (let tb = 0; tb < 2; tb++)
        for (let r = 0; r < 12; r++) {
          const M = dims[(k * 7 + r) % dims.length], N = dims[(k * 5 + 3 * r + 1) % dims.length];
          const K = dims[(k * 3 + 5 * r + 2) % dims.length];
          gemmCase(ta, tb, M, N, K, r % 2, r % 3 === 0 ? 1 : r % 3 === 1 ? -0.75 : 2.5);
          k++;
        }
    for (let ta = 0; ta < 2; ta++)
      for (let tb = 0; tb < 2; tb++) gemmCase(ta, tb, 203, 77, 300, (ta + tb) % 2, 1.5);  // K-blocks, M blocks, threads
    gemmCase(0, 0, 5, 6, 0, 1, 1);  // K = 0 keeps C when accumulating
    gemmCase(0, 0, 5, 6, 0, 0, 1);  // and zeroes it otherwise
  } else if (part === 'threads') {
    const prev = lib.getThreads();
    const run = (threads: number, f: () => Float32Array[]): Float32Array[] => {
      lib.setThreads(threads);
      return f();
    };
    const checks: Array<[string, () => Float32Array[]]> = [];
    {
      const a = fill(300 * 260), b = fill(260 * 290), c0 = fill(300 * 290);
      checks.push(['gemm 300x290x260', () => { const c = Float32Array.from(c0); lib.kernels.gemm(a, b, c, [0, 1, 300, 290, 260, 1], 0.5); return [c]; }]);
    }
    for (const sh of [SHAPES[17], SHAPES[18], SHAPES[19], SHAPES[20], SHAPES[7], [8, 16, 12, 12, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
      // small maps with many channels at batch 1: output channels split across threads
      [1, 96, 6, 6, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [1, 128, 5, 5, 96, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0],
      // two images of a 10x10 map, 17 panels, two K-blocks: 4, 2 and 3 output-channel chunks on 1, 2 and 3 threads
      [2, 300, 10, 10, 200, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0]]) {
      const { p } = geom(sh);
      const sz = sizes(p);
      const x = fill(sz.x), w = fill(sz.w), b = fill(p[4]), dy = fill(sz.y);
      checks.push([`conv p=[${p.join(',')}]`, () => {
        const y = new Float32Array(sz.y), dx = new Float32Array(sz.x), dw = new Float32Array(sz.w), db = new Float32Array(p[4]);
        lib.kernels.conv2d_forward(x, w, b, y, p);
        lib.kernels.conv2d_backward_input(dy, w, dx, p);
        lib.kernels.conv2d_backward_filter(x, dy, dw, db, p);
        return [y, dx, dw, db];
      }]);
    }
    try {
      for (const [what, f] of checks) {
        const one = run(1, f), two = run(2, f), three = run(3, f);
        one.forEach((o, i) => { sameBits(`${what} out${i} 1 vs 2 threads`, o, two[i]); sameBits(`${what} out${i} 1 vs 3 threads`, o, three[i]); });
      }
    } finally {
      lib.setThreads(prev);
    }
  } else if (part === 'pointwise') {
    // A 1x1 layer reads x in place where its rows are few or close together and packs them
    // otherwise (conv_forward_gemm); either way each output is the same sum. The first r rows of
    // a map whose rows pack must come out, bit for bit, as the whole of the r-row map, which is
    // read in place: one K-block (64 channels), two (300), edge tiles of both sizes (37 and 13
    // outputs, widths off the vector length), with and without bias.
    // The 5 rows of 20 (100 outputs: 4 past the whole slivers) go through the narrow tiles, with
    // a fused relu6 (act 2) and a leaky relu (act 1).
    for (const [N, C, H, W, OC, r, bias, act] of [[2, 64, 48, 48, 37, 5, 1, -1], [1, 300, 33, 35, 13, 3, 0, -1], [1, 64, 40, 70, 30, 2, 1, -1],
      [2, 40, 20, 20, 29, 5, 1, 2], [1, 300, 8, 19, 14, 1, 0, 1]]) {
      const x = fill(N * C * H * W), w = fill(OC * C), b = bias ? fill(OC) : null;
      const y = new Float32Array(N * OC * H * W), ys = new Float32Array(N * OC * r * W);
      const xs = new Float32Array(N * C * r * W);
      for (let p = 0; p < N * C; p++) xs.set(x.subarray(p * H * W, p * H * W + r * W), p * r * W);
      const conv = (xx: Float32Array, yy: Float32Array, rows: number): void => {
        const p = [N, C, rows, W, OC, 1, 1, rows, W, 1, 1, 0, 0, 1, 1, 1];
        if (act < 0) lib.kernels.conv2d_forward(xx, w, b, yy, p);
        else lib.kernels.conv2d_act_forward(xx, w, b, yy, [...p, act], 0.1);
      };
      conv(x, y, H);
      conv(xs, ys, r);
      const first = new Float32Array(ys.length);
      for (let p = 0; p < N * OC; p++) first.set(y.subarray(p * H * W, p * H * W + r * W), p * r * W);
      sameBits(`pointwise ${C} -> ${OC} at ${H}x${W} (act ${act}), first ${r} rows against the ${r}-row map`, first, ys);
    }
  } else if (part === 'columns') {
    // A column of C is the same sum whichever tile computes it: a whole sliver, the half-width
    // tile or the narrow one (rows in the lanes, at most 8 columns). The first N columns of a
    // 64-column product (whole tiles) against the N-column product, with C accumulated and two
    // K-blocks. Alpha 1, as every convolution path calls it: with another alpha the compiler may
    // fuse the epilogue's alpha * sum + C into one rounding in some tile kinds and not others.
    const M = 29, K = 300, W = 64;
    const a = fill(M * K), bt = fill(W * K), c0 = fill(M * W);
    const wide = Float32Array.from(c0);
    lib.kernels.gemm(a, bt, wide, [0, 1, M, W, K, 1], 1);
    for (const N of [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 20, 24, 33, 36, 40, 41]) {
      const c = new Float32Array(M * N), first = new Float32Array(M * N);
      for (let i = 0; i < M; i++) {
        c.set(c0.subarray(i * W, i * W + N), i * N);
        first.set(wide.subarray(i * W, i * W + N), i * N);
      }
      lib.kernels.gemm(a, bt.subarray(0, N * K), c, [0, 1, M, N, K, 1], 1);
      sameBits(`gemm ${M}x${N}x${K}: the first ${N} of ${W} columns`, first, c);
    }
  } else {
    for (const sh of SHAPES) convCase(sh, part);
  }
  return fails;
}

const d = addon ? describe : describe.skip;
if (!addon) console.log(`gemm_conv tests skipped: ${reason}`);

d('native gemm and conv kernels', () => {
  const lib = addon as NativeAddon;
  const parts: Part[] = ['gemm', 'forward', 'backward_input', 'backward_filter', 'threads', 'pointwise', 'columns'];
  for (const part of parts) {
    it(`${part} matches the float64 reference (${addon ? lib.cpuInfo().isa : 'no addon'})`, () => {
      expect(runChecks(lib, part)).toEqual([]);
    });
  }

  // Each ISA path in a child process (the ISA cap is read once per process).
  const info = addon ? lib.cpuInfo() : { avx2: false, avx512: false, isa: 'generic' };
  const isas = ['generic', 'avx2', 'avx512'].filter((isa) => isa !== info.isa);
  for (const isa of isas) {
    it(`SLIMPRUNE_ISA=${isa} passes the same checks`, () => {
      const have = isa === 'generic' || (isa === 'avx2' && info.avx2) || (isa === 'avx512' && info.avx512);
      if (!have) {
        console.log(`SLIMPRUNE_ISA=${isa}: this CPU lacks ${isa}; that path is exercised on CPUs with it`);
        expect(have).toBe(false);
        return;
      }
      const src = runChecks.toString();
      if (/\bcov_\w+/.test(src)) {
        console.log(`SLIMPRUNE_ISA=${isa}: check source is instrumented for coverage; ran in-process only`);
        expect(src).toContain('cov_');
        return;
      }
      const script = `const lib = require(${JSON.stringify(ADDON_PATH)});
        const runChecks = ${src};
        const out = { isa: lib.cpuInfo().isa, fails: [] };
        for (const part of ${JSON.stringify(parts)}) out.fails.push(...runChecks(lib, part));
        process.stdout.write(JSON.stringify(out));`;
      const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, SLIMPRUNE_ISA: isa }, encoding: 'utf8', timeout: 110000 });
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout) as { isa: string; fails: string[] };
      expect(out.isa).toBe(isa);
      expect(out.fails).toEqual([]);
    });
  }
});
