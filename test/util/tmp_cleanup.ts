/**
 * Jest setup (setupFilesAfterEnv): every folder a test file makes with fs.mkdtempSync under the
 * system's temporary folder is removed once the file's tests are done, so that `npm test` leaves
 * nothing behind (the R-CNN CLI tests alone left 800 MB per run). The real `fs` module is shared
 * by the test files a worker runs; each file's setup puts its own recorder in front of the
 * original function, so a folder is removed by the file that made it. Folders made by child
 * processes are the children's to remove (the tests put them inside their own folders).
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const realFs = require('fs') as typeof import('fs');
const os = require('os') as typeof import('os');
const path = require('path') as typeof import('path');

const ORIGINAL = Symbol.for('slimprune.test.mkdtempSync');
type Recorded = typeof realFs & { [ORIGINAL]?: typeof realFs.mkdtempSync };
const fsr = realFs as Recorded;
const original = fsr[ORIGINAL] ?? realFs.mkdtempSync;
fsr[ORIGINAL] = original;

const tmpRoot = realFs.realpathSync(os.tmpdir());
const made: string[] = [];
const recorder = ((prefix: string, options?: unknown) => {
  const dir = (original as (p: string, o?: unknown) => string).call(realFs, prefix, options);
  const full = realFs.realpathSync(dir);
  if (full.startsWith(tmpRoot + path.sep)) made.push(full);
  return dir;
}) as typeof realFs.mkdtempSync;
fsr.mkdtempSync = recorder;

afterAll(() => {
  for (const dir of made.splice(0)) realFs.rmSync(dir, { recursive: true, force: true });
});
