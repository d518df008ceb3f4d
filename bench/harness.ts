/**
 * What every benchmark shares: its command-line options, the timing of one function, and the
 * report (a human table, or one JSON object per measurement on stdout with --json).
 *
 * Timing: one untimed warm-up call, then tinybench runs the function until both a time budget
 * and a minimum number of calls are reached; the figure reported is the median call. A call
 * slower than the "slow" threshold (a scalar JavaScript peer) is not repeated beyond the time
 * budget: its warm-up call then counts as a sample, so a full run stays within minutes.
 * GFLOP/s counts 2 floating-point operations per multiply-accumulate.
 */
import * as os from 'os';
import { Bench } from 'tinybench';

export type Op = 'fwd' | 'dx' | 'dw' | 'gemm';

export interface BenchOptions {
  json: boolean;
  threads: number;
  quick: boolean;
  /** --all: also the slow implementations a bench leaves out by default (the model bench's WASM backends) */
  all?: boolean;
  /** --rounds N: measure every implementation N times, round-robin, and report the median (model bench) */
  rounds?: number;
  /** --ops: the model bench's layer-by-layer comparison with onnxruntime instead of its main run */
  ops?: boolean;
}

/** Parses `[--json] [--threads N] [--quick] [--all] [--ops] [--rounds N]`; threads defaults to every logical CPU. */
export function parseOptions(argv: string[]): BenchOptions {
  const o: BenchOptions = { json: false, threads: os.cpus().length, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--quick') o.quick = true;
    else if (a === '--all') o.all = true;
    else if (a === '--ops') o.ops = true;
    else if (a === '--threads' || a.startsWith('--threads=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`bench: expected an integer in [1, 1024] for --threads, got ${v}`);
      o.threads = n;
    } else if (a === '--rounds' || a.startsWith('--rounds=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 20) throw new Error(`bench: expected an integer in [1, 20] for --rounds, got ${v}`);
      o.rounds = n;
    } else throw new Error(`bench: expected --json, --threads N, --quick, --all, --ops or --rounds N, got '${a}'`);
  }
  return o;
}

/** How long to measure one (case, op, implementation). */
export interface Budget {
  /** tinybench's time budget (ms) */
  minMs: number;
  /** tinybench's minimum number of timed calls */
  minIters: number;
  /** a warm-up call slower than this (ms) counts as a sample and limits further calls to `slowBudgetMs` */
  slowMs: number;
  slowBudgetMs: number;
}

export const FULL_BUDGET: Budget = { minMs: 400, minIters: 5, slowMs: 1000, slowBudgetMs: 2500 };
export const QUICK_BUDGET: Budget = { minMs: 100, minIters: 2, slowMs: 250, slowBudgetMs: 300 };

export type Runnable = () => unknown;

export interface Timing {
  ms: number;
  samples: number;
}

/**
 * The q-quantile (0..1) of v, interpolated linearly between the two nearest of its sorted
 * values (q = 0.5: the median, the mean of the middle two for an even count).
 */
export function quantile(v: readonly number[], q: number): number {
  if (!v.length) throw new RangeError('quantile: expected at least one value, got none');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: expected q in [0, 1], got ${q}`);
  const w = [...v].sort((a, b) => a - b);
  const pos = (w.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return w[lo] + (w[hi] - w[lo]) * (pos - lo);
}

/** Median time of one call of fn (awaited when it returns a promise). */
export async function measure(fn: Runnable, budget: Budget): Promise<Timing> {
  const t0 = performance.now();
  await fn();
  const first = performance.now() - t0;
  if (first > budget.slowMs) {
    const more = Math.floor(budget.slowBudgetMs / first);
    const samples = [first];
    for (let i = 0; i < more; i++) {
      const t = performance.now();
      await fn();
      samples.push(performance.now() - t);
    }
    return { ms: quantile(samples, 0.5), samples: samples.length };
  }
  // An async task function keeps tinybench from making an extra untimed probe call.
  const bench = new Bench({ time: budget.minMs, iterations: budget.minIters, warmupIterations: 0, warmupTime: 0, throws: true });
  bench.add('task', async () => {
    await fn();
  });
  await bench.run();
  const r = bench.tasks[0].result;
  if (!r || r.error || !r.samples.length) throw new Error(`bench: the task produced no samples (${String(r?.error ?? 'no result')})`);
  return { ms: quantile(r.samples, 0.5), samples: r.samples.length };
}

/** One measurement, exactly the JSON object printed by --json. */
export interface Row {
  bench: string;
  case: string;
  op: Op;
  impl: string;
  threads: number;
  ms: number;
  gflops: number;
}

interface Extra {
  samples: number;
  check?: string;
}

/**
 * Collects rows and notes. With --json, stdout carries nothing but the rows (console.log of
 * libraries is sent to stderr too); without it, text goes to stdout and the table is printed
 * by the bench at the end.
 */
export class Reporter {
  readonly rows: Array<Row & Extra> = [];
  readonly notes: string[] = [];

  constructor(readonly bench: string, readonly opts: BenchOptions) {
    if (opts.json) {
      const toErr = (...a: unknown[]) => process.stderr.write(a.map(String).join(' ') + '\n');
      console.log = toErr;
      console.info = toErr;
      console.debug = toErr;
    }
  }

  /** Human text: stdout, or stderr under --json. */
  say(text: string): void {
    (this.opts.json ? process.stderr : process.stdout).write(text + '\n');
  }

  add(c: string, op: Op, impl: string, threads: number, t: Timing, flops: number, check?: string): Row {
    const row: Row = { bench: this.bench, case: c, op, impl, threads, ms: round(t.ms, 4), gflops: round(flops / (t.ms * 1e6), 3) };
    this.rows.push({ ...row, samples: t.samples, check });
    if (this.opts.json) process.stdout.write(JSON.stringify(row) + '\n');
    else this.say(`  ${c} ${op} ${impl}: ${fmtMs(row.ms)} ms, ${row.gflops.toFixed(1)} GFLOP/s (${t.samples} calls)${check ? `, check ${check}` : ''}`);
    return row;
  }

  /** An implementation that cannot run an op: printed as n/a with the reason. */
  na(c: string, op: Op, impl: string, reason: string): void {
    const note = `${impl} ${op}: ${reason}`;
    if (!this.notes.includes(note)) this.notes.push(note);
    this.say(`  ${c} ${op} ${impl}: n/a (${reason})`);
  }

  find(c: string, op: Op, impl: string): (Row & Extra) | undefined {
    return this.rows.find((r) => r.case === c && r.op === op && r.impl === impl);
  }
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

/** A plain text table, columns padded; the first column left-aligned, the rest right-aligned. */
export function table(head: string[], body: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

/** Largest |a - b| relative to the largest |b|: how far an implementation's output is from the reference's. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m > 0 ? d / m : d;
}

/** Uniform values in [-1, 1) from a fixed seed, so every implementation sees the same data. */
export function randomArray(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return a;
}
