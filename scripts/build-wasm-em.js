#!/usr/bin/env node
// Builds the wasm-em backend: the C++ kernels of native/ compiled by emscripten into one
// standalone WebAssembly module, asm/build/slimprune-em.wasm (committed, so users need no
// toolchain). Every native/*.cc is compiled except the N-API table (addon.cc) and the x86-only
// *_avx2.cc / *_avx512.cc; native/wasm_exports.cc supplies the exports, threadpool.cc runs
// inline and cpu.cc reports "wasm-simd128" under __EMSCRIPTEN__.
// Flags: -O3 -msimd128 (128-bit SIMD; the loops and the GEMM microkernel's vector types map onto
// it), STANDALONE_WASM with no entry point (a reactor: the host calls _initialize once), memory
// growth allowed (up to 2 GiB, so every pointer stays a positive int32 in JS).
// Without emcc it prints why and exits 0 (the committed .wasm stays); --force makes that an error.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const force = process.argv.includes('--force');
const emcc = process.env.EMCC || 'emcc';
const out = path.join(root, 'asm', 'build', 'slimprune-em.wasm');
const objDir = path.join(root, 'build-wasm-em');

// Debian's emscripten runs parts of itself on Node and expects its modules on NODE_PATH.
const env = { ...process.env };
if (fs.existsSync('/usr/share/nodejs')) {
  env.NODE_PATH = [env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(path.delimiter);
}

const probe = spawnSync(emcc, ['--version'], { env, encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  const why = `build-wasm-em: emcc not found (${probe.error ? probe.error.message : probe.stderr.trim()}); ` +
    `${path.relative(root, out)} not rebuilt`;
  if (force) {
    console.error(why);
    process.exit(1);
  }
  console.log(why);
  process.exit(0);
}
console.log(`build-wasm-em: ${probe.stdout.split('\n')[0]}`);

const CXXFLAGS = ['-O3', '-msimd128', '-std=c++17', '-fno-math-errno', '-DNDEBUG', '-Wall', '-Wno-unused-function', `-I${path.join(root, 'native')}`];
const LDFLAGS = ['-O3', '-msimd128', '-sSTANDALONE_WASM', '--no-entry', '-sALLOW_MEMORY_GROWTH=1', '-sMAXIMUM_MEMORY=2147483648'];

const sources = fs
  .readdirSync(path.join(root, 'native'))
  .filter((f) => f.endsWith('.cc') && f !== 'addon.cc' && !/_avx(2|512)\.cc$/.test(f))
  .sort();

function run(args) {
  return new Promise((resolve) => {
    const p = spawn(emcc, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => resolve(code === 0));
    p.on('error', () => resolve(false));
  });
}

async function main() {
  fs.mkdirSync(objDir, { recursive: true });
  const jobs = Math.max(1, Number(process.env.JOBS) || Math.min(os.cpus().length, 4));
  const queue = [...sources];
  const failed = [];
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let f; (f = queue.shift()); ) {
        const obj = path.join(objDir, f.replace(/\.cc$/, '.o'));
        if (!(await run([...CXXFLAGS, '-c', path.join(root, 'native', f), '-o', obj]))) failed.push(f);
      }
    }),
  );
  if (failed.length) {
    console.error(`build-wasm-em: failed to compile ${failed.sort().join(', ')}`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}.wasm`;
  const objs = sources.map((f) => path.join(objDir, f.replace(/\.cc$/, '.o')));
  if (!(await run([...LDFLAGS, ...objs, '-o', tmp]))) {
    fs.rmSync(tmp, { force: true });
    console.error('build-wasm-em: link failed');
    process.exit(1);
  }
  fs.renameSync(tmp, out); // whole or not at all
  console.log(`build-wasm-em: ${path.relative(root, out)} (${(fs.statSync(out).size / 1024).toFixed(0)} KiB, ${sources.length} sources)`);
}

main();
