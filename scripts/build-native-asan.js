#!/usr/bin/env node
// Builds the native addon with AddressSanitizer + UBSan into build-asan/ (the release build in
// build/ is untouched) and, with --fuzz, runs the native fuzz suite and the addon's robustness
// tests on it. The sanitizer runtime must be loaded before anything else, so the tests run in a
// node started with LD_PRELOAD of gcc's libasan.so; leak detection is off (node itself does not
// free everything at exit), and any ASan or UBSan report aborts the process, which fails the test.
// SLIMPRUNE_FUZZ_SCALE passes through (a larger run).
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const addon = path.join(root, 'build-asan', 'Release', 'slimprune.node');

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: env || process.env });
  if (r.status !== 0) process.exit(r.status || 1);
}

const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
run(process.execPath, [cmakeJs, 'compile', '--out', 'build-asan', '--CDSLIMPRUNE_SANITIZE=ON', '--CDSLIMPRUNE_CUDA=OFF']);
if (!fs.existsSync(addon)) {
  console.error(`build-native-asan: ${addon} was not produced`);
  process.exit(1);
}
console.log(`build-native-asan: ${addon}`);

if (process.argv.includes('--fuzz')) {
  const gcc = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' });
  const libasan = (gcc.stdout || '').trim();
  if (gcc.status !== 0 || !libasan.startsWith('/') || !fs.existsSync(libasan)) {
    console.error('build-native-asan: gcc does not know libasan.so (install gcc with AddressSanitizer support)');
    process.exit(1);
  }
  const env = {
    ...process.env,
    SLIMPRUNE_ADDON: addon,
    LD_PRELOAD: libasan,
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
  };
  const jest = require.resolve('jest/bin/jest');
  run(process.execPath, [jest, '--runInBand', 'test/fuzz/native.test.ts', 'test/native/robustness.test.ts', 'test/native/extreme_geometry.test.ts', 'test/native/conv_chain.test.ts', 'test/native/conv_pair.test.ts', 'test/native/winograd_isa.test.ts', 'test/native/threadpool.test.ts', 'test/native/blocked.test.ts'], env);
}
