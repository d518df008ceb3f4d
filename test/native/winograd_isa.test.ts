/**
 * The Winograd transforms run 16 tiles (or channels) at a time on CPUs with AVX-512
 * (native/winograd_avx512.cc: the forward's, the filter gradient's), the forward's 8 at a time with
 * AVX2 (winograd_avx2.cc; SLIMPRUNE_ISA=avx2 picks it on an AVX-512 CPU), and tile by tile
 * elsewhere; SLIMPRUNE_WINOGRAD=portable keeps the per-tile code. Under each ISA the two must give
 * the same bits: forward (every fused activation, with and without a bias, with a prepared filter
 * and without), the stride-1 input gradient (the flipped filter) and the filter gradient, on maps
 * with partial tiles, padding 0 to 2, asymmetric padding, 2x3 to 80x80 maps (several passes of
 * tiles), batches of 1 to 3, and the per-group schedule of wide layers. The SIMD side runs small
 * layers (77 -> 154, 64 -> 64) sliver by sliver, the portable side in phases, so this also holds
 * the two schedules to the same bits. Each side runs in a child process (the switch is read at
 * load).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ADDON_PATH = path.resolve(process.env.SLIMPRUNE_ADDON ?? path.join(__dirname, '..', '..', 'build', 'Release', 'slimprune.node'));
const have = fs.existsSync(ADDON_PATH);
if (!have) console.log(`native/winograd_isa: skipping, ${ADDON_PATH} does not exist; build it with \`npm run build:native\``);
const d = have ? describe : describe.skip;

// [N, C, H, W, OC, PT, PL, OH, OW]
const SHAPES: number[][] = [
  [2, 64, 9, 11, 70, 1, 1, 9, 11],
  [1, 64, 6, 7, 64, 0, 0, 4, 5],
  [3, 65, 5, 6, 64, 2, 2, 7, 8],
  [1, 64, 2, 3, 66, 1, 1, 2, 3],
  [1, 64, 7, 8, 64, 0, 2, 5, 10],
  [2, 77, 20, 20, 154, 1, 1, 20, 20],
  [1, 64, 80, 80, 64, 1, 1, 80, 80],
  [2, 256, 6, 7, 600, 1, 1, 6, 7],
  [2, 64, 13, 37, 64, 1, 1, 13, 37],
  [2, 64, 10, 10, 96, 1, 1, 10, 10],
  [1, 64, 3, 21, 64, 1, 1, 3, 21],
];
// Layers under 64 channels take Winograd only with the SIMD transforms (the portable side would run
// the direct path): there the AVX-512 copy is held to the AVX2 copy's bits (8 tiles a vector, read
// by gathers; AVX-512 reads rows of tiles by permutes).
const NARROW: number[][] = [
  [2, 26, 40, 40, 51, 1, 1, 40, 40],
  [1, 24, 10, 10, 48, 1, 1, 10, 10],
  [3, 30, 7, 13, 40, 2, 1, 9, 13],
];

// Runs in a child: every case's outputs as hex digests of their bits.
function script(shapes: number[][]): string {
  return `
    const crypto = require('crypto');
    const lib = require(${JSON.stringify(ADDON_PATH)});
    lib.setThreads(2);
    let seed = 4242;
    const rnd = (n) => { const v = new Float32Array(n); for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; v[i] = seed / 4294967296 - 0.5; } return v; };
    const digest = (a) => crypto.createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
    const out = { isa: lib.cpuInfo().isa, digests: [] };
    for (const [N, C, H, W, OC, PT, PL, OH, OW] of ${JSON.stringify(shapes)}) {
      const p = [N, C, H, W, OC, 3, 3, OH, OW, 1, 1, PT, PL, 1, 1, 1];
      const x = rnd(N * C * H * W), w = rnd(OC * C * 9), b = rnd(OC), dy = rnd(N * OC * OH * OW);
      for (const act of [-1, 0, 1, 2]) {
        for (const bias of [b, null]) {
          const y = new Float32Array(N * OC * OH * OW);
          if (act < 0) lib.kernels.conv2d_forward(x, w, bias, y, Int32Array.from(p));
          else lib.kernels.conv2d_act_forward(x, w, bias, y, Int32Array.from([...p, act]), 0.1);
          out.digests.push(digest(y));
        }
      }
      const fc = lib.newFilterCache(), yp = new Float32Array(N * OC * OH * OW);
      for (let r = 0; r < 2; r++) lib.conv2d_act_forward_prepared(fc, x, w, b, yp, Int32Array.from([...p, 1]), 0.1);
      out.digests.push(digest(yp));
      const dx = new Float32Array(N * C * H * W);
      lib.kernels.conv2d_backward_input(dy, w, dx, Int32Array.from(p));
      out.digests.push(digest(dx));
      const dw = new Float32Array(OC * C * 9), db = new Float32Array(OC);
      lib.kernels.conv2d_backward_filter(x, dy, dw, db, Int32Array.from(p));
      out.digests.push(digest(dw));
    }
    process.stdout.write(JSON.stringify(out));`;
}

function run(isa: string | null, mode: string | null, shapes = SHAPES): { isa: string; digests: string[] } {
  const env = { ...process.env };
  delete env.SLIMPRUNE_WINOGRAD;
  delete env.SLIMPRUNE_ISA;
  if (isa) env.SLIMPRUNE_ISA = isa;
  if (mode) env.SLIMPRUNE_WINOGRAD = mode;
  const r = spawnSync(process.execPath, ['-e', script(shapes)], { env, encoding: 'utf8', timeout: 110000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { isa: string; digests: string[] };
}

d('Winograd transforms: 16 or 8 tiles at a time and per tile give the same bits', () => {
  test.each(['avx512', 'avx2'])('%s: forward (activations, bias or none, prepared filter), input and filter gradients', (isa) => {
    const simd = run(isa, null);
    if (simd.isa !== isa) {
      console.log(`native/winograd_isa: this CPU lacks ${isa} (ran ${simd.isa}); that copy is compared on CPUs with it`);
      expect(['avx512', 'avx2', 'generic'].indexOf(simd.isa)).toBeGreaterThan(['avx512', 'avx2', 'generic'].indexOf(isa));
      return;
    }
    const portable = run(isa, 'portable');
    expect(portable.isa).toBe(isa);
    expect(simd.digests).toHaveLength(SHAPES.length * 11);
    expect(new Set(simd.digests).size).toBeGreaterThanOrEqual(SHAPES.length * 8);
    expect(simd.digests).toEqual(portable.digests);
  });

  test('layers under 64 channels: the AVX-512 and AVX2 copies give the same bits', () => {
    const wide = run('avx512', null, NARROW);
    if (wide.isa !== 'avx512') {
      console.log(`native/winograd_isa: this CPU lacks avx512 (ran ${wide.isa}); the narrow layers are compared on CPUs with it`);
      expect(wide.isa).not.toBe('avx512');
      return;
    }
    const narrow = run('avx2', null, NARROW);
    expect(narrow.isa).toBe('avx2');
    expect(wide.digests).toHaveLength(NARROW.length * 11);
    expect(new Set(wide.digests).size).toBeGreaterThanOrEqual(NARROW.length * 8);
    expect(wide.digests).toEqual(narrow.digests);
  });
});
