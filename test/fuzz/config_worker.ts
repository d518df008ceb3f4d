// A fuzz worker (run by config_runner.ts in a child process): `configs|flags seed start end`.
// Prints `{"start": i}` before case i and one result line after it, and checks after every
// case that Object.prototype (and the other built-in prototypes) are as they were.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, loadConfig, resolveConfig } from '../../src/config';
import { main } from '../../src/cli';
import { buildModel } from '../../src/cli/stages';
import { RuntimeError } from '../../src/cli/errors';
import { makeConfigCase, makeOddFiles, SOURCES } from './config_mutate';
import { flagsCase } from './flags_cases';
import type { CaseResult } from './config_runner';

const BUILTINS: Array<[string, object]> = [
  ['Object', Object.prototype],
  ['Array', Array.prototype],
  ['Function', Function.prototype],
  ['String', String.prototype],
  ['Number', Number.prototype],
];
const snapshot = BUILTINS.map(([, p]) => Object.getOwnPropertyNames(p).sort().join(','));

/** undefined when the built-in prototypes are untouched, else what changed. */
function pollution(): string | undefined {
  for (let j = 0; j < BUILTINS.length; j++) {
    const now = Object.getOwnPropertyNames(BUILTINS[j][1]).sort().join(',');
    if (now !== snapshot[j]) return `${BUILTINS[j][0]}.prototype changed: ${now}`;
  }
  for (const k in {}) return `for..in over {} sees ${k}`;
  return undefined;
}

/** Errors that say "a bug in here" rather than "your input is wrong". */
const INTERNAL = /TypeError|ReferenceError|RangeError|Cannot read|is not a function|is not iterable|undefined|Maximum call stack|\n\s+at /;

function emit(o: object): void {
  process.stdout.write(JSON.stringify(o) + '\n');
}

async function configs(seed: number, start: number, end: number): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'slimprune-fuzz-'));
  SOURCES.forEach((src, s) => {
    fs.mkdirSync(path.join(work, String(s)));
    for (const f of fs.readdirSync(src)) if (f.endsWith('.yml')) fs.copyFileSync(path.join(src, f), path.join(work, String(s), f));
  });
  const odd = makeOddFiles(work, (p) => spawnSync('mkfifo', [p]).status === 0);
  try {
    for (let i = start; i < end; i++) {
      emit({ start: i });
      const c = makeConfigCase(seed, i, work, odd);
      const t0 = Date.now();
      let kind = 'ok';
      let msg: string | undefined;
      try {
        const cfg = resolveConfig(loadConfig(c.top, { overrides: c.overrides }));
        buildModel(cfg, 'test');
      } catch (e) {
        const err = e as Error;
        msg = err instanceof Error ? err.message : String(e);
        if (e instanceof ConfigError) kind = c.names.some((n) => msg!.includes(n)) && !INTERNAL.test(msg) ? 'config' : 'bad';
        else if (/ is not available (yet|in this build yet)/.test(msg) && (e instanceof RuntimeError || err.constructor === Error)) kind = 'unavailable';
        else {
          kind = 'bad';
          msg = `${err?.name}: ${msg} | ${String(err?.stack).split('\n').slice(1, 4).join(' | ')}`;
        }
        if (kind === 'bad') msg = `${msg} [${c.steps.join('; ')}]`;
      }
      const p = pollution();
      if (p) [kind, msg] = ['polluted', `${p} [${c.steps.join('; ')}]`];
      for (const f of c.written) fs.rmSync(f, { force: true });
      emit({ i, kind, ms: Date.now() - t0, msg: kind === 'ok' ? undefined : msg?.slice(0, 600) } satisfies CaseResult);
      if (p) process.exit(3);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function flags(seed: number, start: number, end: number): Promise<void> {
  // Whatever a valid line writes by default (outputs, exports) lands in a scratch directory.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'slimprune-fuzz-cwd-'));
  process.chdir(scratch);
  try {
    await flagsIn(seed, start, end);
  } finally {
    process.chdir(os.tmpdir());
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function flagsIn(seed: number, start: number, end: number): Promise<void> {
  for (let i = start; i < end; i++) {
    emit({ start: i });
    const args = flagsCase(seed, i);
    const out: string[] = [];
    const err: string[] = [];
    const t0 = Date.now();
    let code: number;
    try {
      code = await main(args, { io: { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) } });
    } catch (e) {
      code = -1;
      err.push(`main rejected: ${(e as Error)?.stack ?? String(e)}`);
    }
    const stderr = err.join('');
    const lines = stderr.split('\n').filter((l) => l !== '');
    const help = /^Usage: /.test(stderr);
    let kind: string;
    if (code === 0) kind = 'ok';
    else if (code === 2 && (help || (lines.length === 1 && /^slimprune[ :]/.test(lines[0]) && !INTERNAL.test(stderr)))) kind = 'usage';
    else if (code === 1 && lines.length === 1 && !INTERNAL.test(stderr)) kind = 'runtime';
    else kind = 'bad';
    const p = pollution();
    if (p) kind = 'polluted';
    const msg = kind === 'ok' ? undefined : `${p ?? ''}exit ${code}: ${stderr.slice(0, 400)} [slimprune ${args.map((a) => JSON.stringify(a.slice(0, 80))).join(' ')}]`;
    emit({ i, kind, ms: Date.now() - t0, msg } satisfies CaseResult);
    if (p) process.exit(3);
  }
}

const [suite, seed, start, end] = process.argv.slice(2);
(suite === 'flags' ? flags : configs)(Number(seed), Number(start), Number(end)).catch((e) => {
  process.stderr.write(`worker failed: ${(e as Error)?.stack ?? e}\n`);
  process.exit(4);
});
