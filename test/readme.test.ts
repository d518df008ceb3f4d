// The README's TypeScript example runs as written (its `from 'slimprune'` pointed at src/index.ts).
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

test("the README's kernel API example runs and prints what it says", () => {
  const root = path.join(__dirname, '..');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  expect(block).not.toBeNull();
  const src = block![1].replace(/from 'slimprune'/g, `from ${JSON.stringify(path.join(root, 'src', 'index'))}`);
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
  const logged: unknown[][] = [];
  const fn = new Function('require', 'console', 'exports', js);
  fn(require, { log: (...a: unknown[]) => logged.push(a) }, {});
  expect(logged.length).toBe(1);
  expect(logged[0][0]).toEqual([1, 4, 8, 8]);
  // a centre output sees 27 inputs of 1 times 0.1; the corner output printed sees 12
  expect(logged[0][1]).toBeCloseTo(1.2, 5);
});
