#!/usr/bin/env node
// slimprune's command line. Runs the compiled CLI (dist/, from `npm run build:ts`) when it is
// there, else the TypeScript sources through a transpile-only hook (scripts/ts-register.js).
// SLIMPRUNE_FROM_SOURCE=1 forces the sources even when dist/ exists.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'src', 'cli', 'index.js');

function loadCli() {
  if (fs.existsSync(built) && process.env.SLIMPRUNE_FROM_SOURCE !== '1') return require(built);
  try {
    require.resolve('typescript');
  } catch {
    process.stderr.write('slimprune: not built (no dist/) and typescript is not installed to run the sources; run `npm run build:ts`\n');
    process.exit(1);
  }
  require(path.join(root, 'scripts', 'ts-register.js'));
  return require(path.join(root, 'src', 'cli', 'index.ts'));
}

loadCli().run(process.argv);
