#!/usr/bin/env node
// Builds the addon with the CUDA kernels compiled as C++ against the host emulator
// (native/cuda/emu/, -DSP_CUDA_EMU) into build-cudaemu/, without touching build/. It is for tests:
// SLIMPRUNE_ADDON=build-cudaemu/Release/slimprune.node SLIMPRUNE_BACKEND=cuda runs the parity and
// gradient suites on the real CUDA kernel source, on machines without a GPU.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const addon = path.join(root, 'build-cudaemu', 'Release', 'slimprune.node');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build-cudaemu', '--CDSLIMPRUNE_CUDA_EMU=ON'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status || 1);
if (!fs.existsSync(addon)) {
  console.error(`build-cuda-emu: ${addon} was not produced`);
  process.exit(1);
}
console.log(`build-cuda-emu: ${addon}`);
