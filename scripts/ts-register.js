// Lets Node run slimprune's TypeScript sources directly (examples, the CLI before `npm run build:ts`):
// `node -r ./scripts/ts-register.js file.ts`. Transpile-only (type checking is `npm run build:ts`).
'use strict';
const fs = require('fs');
const ts = require('typescript');

require.extensions['.ts'] = function registerTs(module, filename) {
  const src = fs.readFileSync(filename, 'utf8');
  const out = ts.transpileModule(src, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      sourceMap: false,
      inlineSourceMap: true,
    },
  });
  module._compile(out.outputText, filename);
};
