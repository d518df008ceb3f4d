/**
 * Native fuzz suite: seeded random calls straight into every kernel of the addon (and
 * setThreads), most of them with hostile arguments, made by test/fuzz/native_driver.ts in child
 * processes so that a crash fails a test instead of killing jest. Passes when every child exits
 * normally (no signal, no sanitizer report), every call returned or threw an Error naming its
 * kernel, every valid call returned, every kernel both returned and threw, and the addon still
 * computes correctly afterwards.
 *
 * Size: CHILDREN children x 1500 calls; SLIMPRUNE_FUZZ_SCALE=k multiplies the calls per child
 * (the long run in the README uses 20: 120,000 calls). SLIMPRUNE_ADDON selects the addon file
 * (CI points it at the AddressSanitizer build).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { KERNEL_NAMES } from '../../src/backend/kernels';
import { addonPaths } from '../../src/backend/native';
import type { FuzzSummary } from './native_driver';

const ROOT = path.join(__dirname, '..', '..');
const addonFile = addonPaths().find((f) => fs.existsSync(f));
const usable = addonFile !== undefined && fs.existsSync(addonFile);
if (!usable) console.log(`skipping the native fuzz suite: no addon at ${addonFile ?? 'build/Release/slimprune.node'} (build it with \`npm run build:native\`)`);
const d = usable ? describe : describe.skip;

const SCALE = Math.max(1, Math.floor(Number(process.env.SLIMPRUNE_FUZZ_SCALE ?? '1')) || 1);
const CHILDREN = 4;
const CALLS = 1500 * SCALE;
const SEED = 20261130;

interface Child {
  seed: number;
  status: number | null;
  signal: string | null;
  stderr: string;
  summary: FuzzSummary | null;
}

function runChild(seed: number, calls: number): Promise<Child> {
  return new Promise((resolve) => {
    const args = ['-r', path.join(ROOT, 'scripts', 'ts-register.js'), path.join(__dirname, 'native_driver.ts'), addonFile!, String(seed), String(calls)];
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 300_000 * SCALE);
    p.on('close', (status, signal) => {
      clearTimeout(timer);
      let summary: FuzzSummary | null = null;
      try {
        summary = JSON.parse(out.trim().split('\n').pop() ?? '') as FuzzSummary;
      } catch {
        summary = null;
      }
      resolve({ seed, status, signal, stderr: err, summary });
    });
  });
}

d('native fuzz suite (child processes)', () => {
  const children: Child[] = [];
  let repeat: Child | null = null;
  beforeAll(async () => {
    // All at once (startup dominates a small run); the last one repeats the first seed.
    const runs = await Promise.all([...Array.from({ length: CHILDREN }, (_, i) => runChild(SEED + i, CALLS)), runChild(SEED, CALLS)]);
    repeat = runs.pop()!;
    children.push(...runs);
    const total = children.reduce((a, c) => a + (c.summary?.calls ?? 0), 0);
    const returned = children.reduce((a, c) => a + (c.summary?.returned ?? 0), 0);
    console.log(`native fuzz: ${total} calls in ${CHILDREN} children (seeds ${SEED}..${SEED + CHILDREN - 1}), ${returned} returned, ${total - returned} threw a kernel error`);
  }, 600_000 * SCALE);

  test('every child exits normally, with no sanitizer report', () => {
    for (const c of children) {
      const report = /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|FATAL ERROR|Segmentation/.exec(c.stderr);
      expect({ seed: c.seed, status: c.status, signal: c.signal, report: report ? c.stderr.slice(0, 4000) : null }).toEqual({
        seed: c.seed, status: 0, signal: null, report: null,
      });
      expect(c.summary).not.toBeNull();
    }
  });

  test('every call returns or throws an Error naming its kernel; valid calls return', () => {
    for (const c of children) {
      expect(c.summary?.failures).toEqual([]);
      expect(c.summary?.calls).toBe(CALLS);
      expect(c.summary?.stillWorks).toBe(true);
    }
  });

  test('every kernel of the contract (and setThreads) both returned and threw', () => {
    const seen: Record<string, [number, number]> = {};
    for (const c of children) {
      for (const [k, [ret, threw]] of Object.entries(c.summary?.perKernel ?? {})) {
        const s = (seen[k] ??= [0, 0]);
        s[0] += ret;
        s[1] += threw;
      }
    }
    for (const k of [...KERNEL_NAMES, 'setThreads']) {
      expect({ kernel: k, returned: (seen[k]?.[0] ?? 0) > 0, threw: (seen[k]?.[1] ?? 0) > 0 }).toEqual({ kernel: k, returned: true, threw: true });
    }
  });

  test('the hostile values of the issue were all tried', () => {
    const tried = new Set(children.flatMap((c) => Object.keys(c.summary?.mutations ?? {})));
    for (const m of ['symbol', 'throwing toString', 'throwing valueOf', 'proxy of Float32Array', 'revoked proxy', 'SAB Float32Array',
      'shared buffer', 'detached Float32Array', 'shrunk Float32Array', 'p entry', 'p form 3', 'p form 4', 'p form 5', 'short buffer']) {
      expect(tried).toContain(m);
    }
  });

  test('the same seed makes the same calls with the same outcomes', () => {
    expect(repeat?.summary).not.toBeNull();
    expect(repeat?.summary?.digest).toBe(children[0].summary?.digest);
    expect(repeat?.summary?.perKernel).toEqual(children[0].summary?.perKernel);
  });
});
