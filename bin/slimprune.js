#!/usr/bin/env node
// slimprune's command line. Runs the compiled CLI (dist/, from `npm run build:ts`) when it is
// there and no source is newer than it, else the TypeScript sources through a transpile-only hook
// (scripts/ts-register.js), so an edited checkout never runs stale code.
// SLIMPRUNE_FROM_SOURCE=1 forces the sources even when dist/ exists.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'src', 'cli', 'index.js');

/** Newest modification time of the .ts files under dir (0 when there are none). */
function newestSource(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

function builtIsCurrent() {
  if (!fs.existsSync(built) || process.env.SLIMPRUNE_FROM_SOURCE === '1') return false;
  const src = path.join(root, 'src');
  return !fs.existsSync(src) || newestSource(src) <= fs.statSync(built).mtimeMs;
}

function loadCli() {
  if (builtIsCurrent()) return require(built);
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
