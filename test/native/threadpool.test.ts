// The native thread pool under a flood of tiny jobs: tens of thousands of parallel_for calls by default
// that each finish in microseconds (so the start/finish handshake between the caller and the
// workers is what gets exercised), with the thread count changing between 1 and 4 and, under a
// data-size limit, chunks that throw inside a worker. Each run is a child process
// (threadpool-stress.js), watched for progress: a pool that deadlocks stops printing progress
// and the child is killed, which fails the test instead of hanging the runner. Every result is
// checked exactly in the child, so a chunk run twice or skipped fails it too.
// SLIMPRUNE_FUZZ_SCALE=k multiplies the job counts (long runs).
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { addonPaths, loadAddon, nativeLoadError } from '../../src/backend/native';

const ROOT = path.join(__dirname, '..', '..');
const DRIVER = path.join(__dirname, 'threadpool-stress.js');
const addon = loadAddon();
const addonFile = addonPaths().find((f) => fs.existsSync(f));
if (!addon) console.log(`skipping native thread pool tests: ${nativeLoadError()}`);
const scale = Math.max(1, Number(process.env.SLIMPRUNE_FUZZ_SCALE ?? 1) || 1);
// A healthy run prints progress every 1,000 jobs (well under a second each, even on a loaded
// machine); this long without any output means the pool is stuck.
const STALL_MS = 60000;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stalledAt: string | null;
  lastLine: string;
  summary: Record<string, number> | null;
}

function runDriver(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  return new Promise((resolve) => {
    // LD_PRELOAD is kept: under the AddressSanitizer build the child needs the runtime too.
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    let stalledAt: string | null = null;
    let timer: NodeJS.Timeout;
    const lines = () => out.trim().split('\n').filter(Boolean);
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalledAt = lines().pop() ?? 'start';
        child.kill('SIGKILL');
      }, STALL_MS);
    };
    arm();
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      arm();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = lines().pop() ?? '';
      const summary = last.startsWith('done ') ? (JSON.parse(last.slice(5)) as Record<string, number>) : null;
      resolve({ code, signal, stalledAt, lastLine: summary ? last : `${last} ${err.trim().slice(-2000)}`, summary });
    });
  });
}

const prlimit = spawnSync('prlimit', ['--version'], { encoding: 'utf8' });
const underAsan = /asan/.test(process.env.LD_PRELOAD ?? '');

(addon && addonFile ? describe : describe.skip)('native thread pool under many tiny jobs', () => {
  const jobs = 40000 * scale;

  // The pool's idle threads poll for a while before they sleep (SLIMPRUNE_SPIN_US, 100 us by
  // default): once as they run by default, once sleeping at once (the condition-variable handshake alone).
  test.each([['polling 100 us first', undefined], ['sleeping at once', '0']])(`${jobs} jobs (axpy, binary_forward, conv2d_backward_input) with 1 to 4 threads finish with exact results, idle threads %s`, async (_how, spin) => {
    const env = { ...process.env };
    if (spin === undefined) delete env.SLIMPRUNE_SPIN_US;
    else env.SLIMPRUNE_SPIN_US = spin;
    const r = await runDriver(process.execPath, [DRIVER, addonFile!, String(jobs), '7'], env);
    expect({ stalledAt: r.stalledAt, code: r.code, signal: r.signal, last: r.lastLine }).toEqual({
      stalledAt: null,
      code: 0,
      signal: null,
      last: expect.stringMatching(/^done /),
    });
    expect(r.summary).toMatchObject({ jobs, thrown: 0 });
    expect(r.summary!.setThreads).toBeGreaterThan(jobs / 1000);
    expect(r.summary!.conv).toBe(Math.floor(jobs / 500));
  }, 600000 * scale);

  // Not under AddressSanitizer, whose shadow memory does not fit under such a limit.
  if (prlimit.status !== 0) console.log('skipping the throwing-chunk stress run: prlimit (util-linux) is not installed');
  if (underAsan) console.log('skipping the throwing-chunk stress run: AddressSanitizer is preloaded');
  (prlimit.status === 0 && !underAsan ? test : test.skip)(
    `${jobs / 2} jobs, one in 2,000 failing a scratch allocation inside a worker, finish and the pool keeps working`,
    async () => {
      const half = jobs / 2;
      const r = await runDriver('prlimit', [`--data=${700 * 1024 * 1024}`, process.execPath, DRIVER, addonFile!, String(half), '11', '--throwing']);
      expect({ stalledAt: r.stalledAt, code: r.code, signal: r.signal, last: r.lastLine }).toEqual({
        stalledAt: null,
        code: 0,
        signal: null,
        last: expect.stringMatching(/^done /),
      });
      expect(r.summary).toMatchObject({ jobs: half, thrown: Math.floor(half / 2000), throwing: Math.floor(half / 2000) });
    },
    600000 * scale,
  );
});
