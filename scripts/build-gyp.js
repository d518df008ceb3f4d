#!/usr/bin/env node
// Builds the CPU addon with node-gyp from bindings.gyp (the alternative to the cmake-js build).
// node-gyp insists on a file named binding.gyp in its working directory and builds into ./build
// there, so the build runs in build-gyp/: bindings.gyp is copied to build-gyp/binding.gyp, gyp
// gets the repository root as sp_root, and the addon is copied to build-gyp/Release/slimprune.node
// (where src/backend/native.ts looks for it). Node's own headers are used when they are installed
// (npm's nodedir setting, or the include/node next to this node binary), so nothing is fetched.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const work = path.join(root, 'build-gyp');

function nodeGypScript() {
  const candidates = [
    process.env.npm_config_node_gyp,
    (() => {
      try {
        return require.resolve('node-gyp/bin/node-gyp.js');
      } catch {
        return undefined;
      }
    })(),
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((f) => f && fs.existsSync(f));
}

function localNodeDir() {
  const dirs = [process.env.npm_config_nodedir, path.join(path.dirname(process.execPath), '..')];
  return dirs.find((d) => d && fs.existsSync(path.join(d, 'include', 'node', 'node_api.h')));
}

const gyp = nodeGypScript();
if (!gyp) {
  console.error('build-gyp: expected node-gyp (bundled with npm, or installed), found none');
  process.exit(1);
}
fs.mkdirSync(work, { recursive: true });
fs.copyFileSync(path.join(root, 'bindings.gyp'), path.join(work, 'binding.gyp'));
const nodedir = localNodeDir();
if (!nodedir) console.log('build-gyp: no local Node headers found; node-gyp will fetch them');
const common = [...(nodedir ? [`--nodedir=${nodedir}`] : []), '--release'];
const run = (args) => {
  const r = spawnSync(process.execPath, [gyp, ...args], { cwd: work, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-gyp: node-gyp ${args[0]} failed`);
    process.exit(r.status || 1);
  }
};
run(['configure', ...common, '--', `-Dsp_root=${root}`]);
run(['build', ...common, `--jobs=${process.env.JOBS || 2}`]);
const built = path.join(work, 'build', 'Release', 'slimprune.node');
fs.mkdirSync(path.join(work, 'Release'), { recursive: true });
fs.copyFileSync(built, path.join(work, 'Release', 'slimprune.node'));
console.log(`build-gyp: ${path.relative(root, path.join(work, 'Release', 'slimprune.node'))}`);
