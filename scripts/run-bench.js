#!/usr/bin/env node
// Runs one of slimprune's benchmarks (bench/<name>.ts) straight from the TypeScript sources:
//
//   npm run bench -- <name> [--json] [--threads N] [--quick]
//
// The .ts files (bench/ and the src/ they import) are transpiled in memory as they are required,
// with typescript's transpileModule (no type check: `npm run build:ts` does that), so a clean
// clone needs only `npm ci`, and a bench always runs the current sources, never a stale dist/.
// --json: stdout carries one JSON object per measurement and nothing else.
'use strict';
const path = require('path');

// One line per benchmark: name -> file in bench/.
const BENCHES = {
  conv: 'conv.ts',
  gemm: 'gemm.ts',
  prune: 'prune.ts',
  yolov3: 'yolov3.ts',
  export: 'export.ts',
  model: 'model.ts',
  cuda: 'cuda.ts',
  rcnn: 'rcnn.ts',
};

const root = path.join(__dirname, '..');

function registerTypeScript() {
  require('./ts-register.js');
}

function usage(stream) {
  stream.write(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [--json] [--threads N] [--quick] [--all] [--ops] [--rounds N]\n`);
}

async function main(argv) {
  registerTypeScript();
  if (!argv.length || argv[0] === '--help' || argv[0] === '-h') {
    usage(argv.length ? process.stdout : process.stderr);
    process.exitCode = argv.length ? 0 : 2;
    return;
  }
  const name = argv[0];
  if (!Object.prototype.hasOwnProperty.call(BENCHES, name)) {
    process.stderr.write(`bench: expected one of ${Object.keys(BENCHES).join(', ')}, got '${name}'\n`);
    usage(process.stderr);
    process.exitCode = 2;
    return;
  }
  const { parseOptions } = require(path.join(root, 'bench', 'harness.ts'));
  const opts = parseOptions(argv.slice(1));
  await require(path.join(root, 'bench', BENCHES[name])).main(opts);
}

main(process.argv.slice(2)).then(
  // tfjs and onnxruntime keep handles open; a finished benchmark ends the process.
  () => process.exit(process.exitCode || 0),
  (e) => {
    process.stderr.write(`${e && e.message ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
