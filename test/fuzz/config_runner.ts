// Runs fuzz cases in child processes (config_worker.ts), so that a case that hangs or kills
// its process is reported as that case's failure instead of stopping the test runner. A
// worker prints `{"start": i}` before case i and one result line after it; a worker silent
// for `quietMs` is killed and its current case recorded as a hang; the next worker resumes
// after the failed case.
import { spawn } from 'child_process';
import * as path from 'path';

export interface CaseResult {
  i: number;
  /** ok | config (ConfigError naming its file) | usage | runtime | unavailable | bad | polluted */
  kind: string;
  ms: number;
  msg?: string;
}

export interface RunReport {
  results: CaseResult[];
  hangs: number[];
  crashes: Array<{ i: number; how: string }>;
  workers: number;
}

/** The seed and count of a fuzz suite: SLIMPRUNE_FUZZ_SCALE multiplies the count. */
export function fuzzScale(): number {
  const s = Number(process.env.SLIMPRUNE_FUZZ_SCALE ?? '1');
  return Number.isFinite(s) && s > 0 ? s : 1;
}

const ROOT = path.resolve(__dirname, '../..');

export async function runCases(
  suite: 'configs' | 'flags',
  seed: number,
  count: number,
  opts: { batch: number; quietMs: number },
): Promise<RunReport> {
  const report: RunReport = { results: [], hangs: [], crashes: [], workers: 0 };
  let next = 0;
  while (next < count) {
    const end = Math.min(count, next + opts.batch);
    next = await runWorker(suite, seed, next, end, opts.quietMs, report);
  }
  report.results.sort((a, b) => a.i - b.i);
  return report;
}

/** One worker over [start, end); resolves to the first case still to run. */
function runWorker(suite: string, seed: number, start: number, end: number, quietMs: number, report: RunReport): Promise<number> {
  report.workers++;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', path.join(__dirname, 'config_register.js'), path.join(__dirname, 'config_worker.ts'), suite, String(seed), String(start), String(end)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLIMPRUNE_QUIET: '1' } },
    );
    let current = start;
    let done = start;
    let buf = '';
    let stderr = '';
    let hung = false;
    let timer = setTimeout(onQuiet, quietMs);
    function onQuiet() {
      hung = true;
      child.kill('SIGKILL');
    }
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      clearTimeout(timer);
      timer = setTimeout(onQuiet, quietMs);
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const o = JSON.parse(line) as { start?: number } & CaseResult;
        if (o.start !== undefined) current = o.start;
        else {
          report.results.push(o);
          done = o.i + 1;
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => void (stderr = (stderr + c).slice(-4000)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (done >= end) return resolve(end);
      if (hung) report.hangs.push(current);
      else report.crashes.push({ i: current, how: `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` });
      resolve(Math.max(done, current) + 1);
    });
  });
}

/** A few lines describing what went wrong, for the assertion message. */
export function describeFailures(r: RunReport, seed: number, suite: string): string {
  const bad = r.results.filter((x) => x.kind === 'bad' || x.kind === 'polluted');
  const lines = [
    ...bad.slice(0, 8).map((x) => `${suite} seed ${seed} case ${x.i}: ${x.kind}: ${x.msg}`),
    ...r.hangs.map((i) => `${suite} seed ${seed} case ${i}: hang (no output)`),
    ...r.crashes.map((c) => `${suite} seed ${seed} case ${c.i}: worker died: ${c.how}`),
  ];
  return lines.join('\n');
}

/** Outcome counts, e.g. `ok 12, config 40, unavailable 3`. */
export function tally(r: RunReport): Record<string, number> {
  const t: Record<string, number> = {};
  for (const x of r.results) t[x.kind] = (t[x.kind] ?? 0) + 1;
  return t;
}
