#!/usr/bin/env node
// Lists the addon's C++ sources for bindings.gyp (gyp has no globbing): the paths of
// <root>/native/*.cc of one kind, relative to the working directory (gyp runs commands in the
// directory of the .gyp file, and its make generator wants relative source paths), space-separated. Kinds: `avx2` (*_avx2.cc), `avx512`
// (*_avx512.cc), `generic` (every other .cc), and the norm_* files apart (below). The same split as CMakeLists.txt, which compiles
// the ISA-specific files with their own flags.
'use strict';
const fs = require('fs');
const path = require('path');

const [root, kind] = process.argv.slice(2);
const dir = path.resolve(root || '.', 'native');
// norm_*: the batch norm's ISA copies, built with -ffp-contract=off as well (their double loops
// must round as the generic build does): kinds `norm-avx2` and `norm-avx512`.
const isaOf = (f) => (f.endsWith('_avx2.cc') ? 'avx2' : f.endsWith('_avx512.cc') ? 'avx512' : 'generic');
const kindOf = (f) => (f.startsWith('norm_') && isaOf(f) !== 'generic' ? `norm-${isaOf(f)}` : isaOf(f));
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.cc') && kindOf(f) === kind)
  .sort()
  .map((f) => path.relative(process.cwd(), path.join(dir, f)));
process.stdout.write(files.join(' ') + '\n');
