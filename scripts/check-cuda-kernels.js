#!/usr/bin/env node
// Builds and runs test/native/cuda/kernels_emu_check.cc: the CUDA GEMM-core, convolution, batch
// norm, affine channel, bn_fold, fused and RoIAlign kernels (native/cuda/*.cu compiled as C++ with
// -DSP_CUDA_EMU against the host emulator) against the CPU kernels (native/*.cc), once in fp32 and
// once with SLIMPRUNE_CUDA_TF32=1 (the tensor-core path through the emulator's wmma). It covers
// what the parity suite on the emulated addon does not reach: 128x128 tiles, split-K filter
// gradients, the TF32 path, running statistics at every shape.
// Objects go to build-cudacheck/ and are rebuilt when a source or any native header is newer.
// Exit status: 0 when both runs pass, 1 otherwise; 2 when no C++ compiler is found.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'build-cudacheck');
const CXX = process.env.CXX || 'g++';
// The CUDA launchers the check calls, and the runtime they use (check_launch, stream, scratch).
const CUDA = ['gemm', 'conv2d_forward', 'conv2d_backward_input', 'conv2d_backward_filter', 'conv2d_act_forward',
  'depthwise_forward', 'depthwise_backward_input', 'depthwise_backward_filter', 'batch_norm_train_forward',
  'batch_norm_infer_forward', 'batch_norm_backward', 'batch_norm_act_train_forward', 'batch_norm_act_backward',
  'affine_channel_forward', 'affine_channel_backward', 'bn_fold', 'roi_align_forward', 'roi_align_backward', 'runtime'];
// Every CPU kernel (the addon's and WASM's export tables left out): whatever the checked ones use.
const CPU_SKIP = new Set(['addon.cc', 'wasm_exports.cc']);

function newestHeader(dirs) {
  let t = 0;
  for (const dir of dirs) {
    for (const f of fs.readdirSync(path.join(root, dir))) {
      if (/\.(h|cuh)$/.test(f)) t = Math.max(t, fs.statSync(path.join(root, dir, f)).mtimeMs);
    }
  }
  return t;
}

function isaFlags(file) {
  // norm_*: no fused multiply-add, as CMakeLists.txt builds them
  const exact = /(^|\/)norm_\w+\.cc$/.test(file) ? ['-ffp-contract=off'] : [];
  if (/_avx2\.cc$/.test(file)) return ['-mavx2', '-mfma', '-mf16c', ...exact];
  if (/_avx512\.cc$/.test(file)) return ['-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma', ...exact, ...(exact.length ? ['-mprefer-vector-width=512'] : [])];
  return [];
}

function jobs() {
  const list = [];
  const emu = ['-std=c++17', '-O1', '-DSP_CUDA_EMU', '-Inative/cuda', '-Inative', '-x', 'c++'];
  for (const k of CUDA) list.push({ src: `native/cuda/${k}.cu`, obj: `cuda_${k}.o`, args: emu });
  list.push({ src: 'native/cuda/emu/cuda_emu.cc', obj: 'cuda_emu.o', args: ['-std=c++17', '-O1', '-Inative/cuda'] });
  list.push({ src: 'test/native/cuda/kernels_emu_check.cc', obj: 'check.o', args: emu });
  for (const f of fs.readdirSync(path.join(root, 'native')).sort()) {
    if (!f.endsWith('.cc') || CPU_SKIP.has(f)) continue;
    list.push({ src: `native/${f}`, obj: `cpu_${f.replace(/\.cc$/, '.o')}`, args: ['-std=c++17', '-O2', '-Inative', ...isaFlags(f)] });
  }
  return list;
}

function compile(job) {
  return new Promise((resolve) => {
    const p = spawn(CXX, [...job.args, '-c', job.src, '-o', path.join(out, job.obj)], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('close', (code) => resolve(code === 0 ? null : `${job.src}: ${CXX} exited with ${code}`));
    p.on('error', (e) => resolve(`${job.src}: ${e.message}`));
  });
}

async function main() {
  if (spawnSync(CXX, ['--version']).status !== 0) {
    console.log(`check-cuda-kernels: no C++ compiler (${CXX}) found; nothing checked`);
    return 2;
  }
  fs.mkdirSync(out, { recursive: true });
  // CPU objects depend on native/*.h only; the emulated ones on the CUDA and emulator headers too.
  const cpuHdr = newestHeader(['native']);
  const allHdr = Math.max(cpuHdr, newestHeader(['native/cuda', 'native/cuda/emu']));
  const todo = jobs().filter((j) => {
    const o = path.join(out, j.obj);
    if (!fs.existsSync(o)) return true;
    const t = fs.statSync(o).mtimeMs;
    return t < (j.obj.startsWith('cpu_') ? cpuHdr : allHdr) || t < fs.statSync(path.join(root, j.src)).mtimeMs;
  });
  const width = Math.max(1, os.cpus().length);
  const errors = [];
  for (let i = 0; i < todo.length; i += width) {
    for (const e of await Promise.all(todo.slice(i, i + width).map(compile))) if (e) errors.push(e);
  }
  if (errors.length) {
    console.log(`check-cuda-kernels: build failed:\n${errors.join('\n')}`);
    return 1;
  }
  const exe = path.join(out, 'kernels_emu_check');
  const objs = jobs().map((j) => path.join(out, j.obj));
  const link = spawnSync(CXX, ['-o', exe, ...objs, '-lpthread'], { cwd: root, stdio: 'inherit' });
  if (link.status !== 0) return 1;
  let failed = false;
  for (const tf32 of ['0', '1']) {
    const r = spawnSync(exe, [], { cwd: root, encoding: 'utf8', env: { ...process.env, SLIMPRUNE_CUDA_TF32: tf32 } });
    process.stdout.write(r.stdout || '');
    process.stderr.write(r.stderr || '');
    if (r.status !== 0) failed = true;
  }
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
