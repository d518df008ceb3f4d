/**
 * `slimprune worker --queue redis://HOST:PORT[/DB] [--concurrency N]`: measures the sensitivity
 * points that `slimprune sensitivity --queue` puts on the queue (src/queue/worker.ts), on any
 * machine that has the config, weights and data at the paths the run names. One line per job.
 *
 * SIGINT/SIGTERM: finish the measurements in hand, then close and exit 0. A second signal
 * stops at once; the queue gives the unfinished jobs to another worker once their locks expire.
 */
import type { Command } from 'commander';
import type { CliContext, Subcommand } from './command';
import { UsageError } from './errors';
import { DEFAULT_LOCK_DURATION_MS } from '../queue/jobs';
import { parseQueueUrl, QueueError } from '../queue/url';
import { startWorker } from '../queue/worker';

export interface WorkerOptions {
  queue: string;
  concurrency: number;
  lockDurationMs: number;
  name?: string;
}

function intFlag(name: string, raw: unknown, min: number, max: number): number {
  const s = String(raw).trim();
  const v = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${name}: expected an integer in ${min}..${max}, got ${JSON.stringify(s)}`);
  return v;
}

export const workerCommand: Subcommand<WorkerOptions> = {
  name: 'worker',
  summary: 'measure sensitivity points from a Redis job queue (for `sensitivity --queue`)',
  define(cmd: Command) {
    cmd
      .requiredOption('--queue <url>', 'the queue: redis://HOST:PORT[/DB]')
      .option('--concurrency <N>', 'measurements at once, each in its own process', '1')
      .option('--lock_duration <seconds>', 'how long a job stays held by a worker that stopped answering before another may take it', String(DEFAULT_LOCK_DURATION_MS / 1000))
      .option('--name <name>', 'this worker in logs and on the jobs it takes (default host:pid)');
  },
  validate(opts) {
    const queue = String(opts.queue);
    try {
      parseQueueUrl(queue);
    } catch (e) {
      throw new UsageError((e as QueueError).message);
    }
    return {
      queue,
      concurrency: intFlag('concurrency', opts.concurrency, 1, 256),
      lockDurationMs: intFlag('lock_duration', opts.lock_duration, 1, 86_400) * 1000,
      name: opts.name === undefined ? undefined : String(opts.name),
    };
  },
  async run(o, ctx: CliContext) {
    const w = await startWorker({ queue: o.queue, concurrency: o.concurrency, lockDurationMs: o.lockDurationMs, name: o.name, log: (line) => ctx.out(line) });
    ctx.out(`worker ${w.name}: waiting for jobs on ${o.queue} (concurrency ${o.concurrency}, lock ${o.lockDurationMs / 1000} s)`);
    await new Promise<void>((resolve, reject) => {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals === 1) {
          ctx.io.stderr(`slimprune worker: ${sig}: finishing the jobs in hand, then exiting (again to stop now)\n`);
          w.close().then(() => {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            resolve();
          }, reject);
        } else {
          ctx.io.stderr(`slimprune worker: ${sig}: stopping now; the queue retries the unfinished jobs elsewhere\n`);
          w.abort();
          process.exit(130);
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    ctx.out(`worker ${w.name}: closed`);
  },
};
