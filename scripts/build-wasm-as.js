#!/usr/bin/env node
// Builds the AssemblyScript backend (asm/assembly -> asm/build/slimprune-as.wasm) with asc:
// SIMD on, -O3, stub runtime, no assertions, no imports (asm/asconfig.json).
// --debug: the unoptimised build with names and a .wat, into asm/build-debug/.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const asmDir = path.join(__dirname, '..', 'asm');
let asc;
try {
  asc = require.resolve('assemblyscript/bin/asc.js');
} catch {
  console.error('slimprune: assemblyscript is not installed (it is a devDependency); cannot build the wasm-as backend');
  process.exit(1);
}
const target = process.argv.includes('--debug') ? 'debug' : 'release';
const r = spawnSync(process.execPath, [asc, '--config', 'asconfig.json', '--target', target], { cwd: asmDir, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('slimprune: the wasm-as build failed');
  process.exit(r.status || 1);
}
console.log(`slimprune: built asm/${target === 'release' ? 'build' : 'build-debug'}/slimprune-as.wasm`);
