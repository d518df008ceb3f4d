#!/usr/bin/env node
// Builds the native addon with cmake-js. On `npm install` a failed build is not fatal: the
// package then runs on the WASM backends (or the reference) and says so when it loads.
// --force: fail loudly (used by `npm run build:native` and CI).
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const force = process.argv.includes('--force');
const root = path.join(__dirname, '..');
if (process.env.SLIMPRUNE_SKIP_NATIVE === '1' && !force) {
  console.log('slimprune: SLIMPRUNE_SKIP_NATIVE=1, native addon not built (WASM backends will be used)');
  process.exit(0);
}
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const extra = [];
if (process.env.SLIMPRUNE_CUDA === '0') extra.push('--CDSLIMPRUNE_CUDA=OFF');
const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build', ...extra], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  const msg = 'slimprune: native addon build failed; slimprune will run on its WASM backends';
  if (force) {
    console.error(msg.replace('; slimprune will run on its WASM backends', ''));
    process.exit(r.status || 1);
  }
  console.warn(msg);
}
