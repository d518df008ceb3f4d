/**
 * The process a queue worker measures in (forked by measure_pool.ts). An evaluation holds its
 * thread for as long as it runs; here that thread is not the worker's, so the worker keeps
 * renewing its job locks and answering signals meanwhile.
 *
 * One Measurer per spec is created on first use and kept for later jobs (the model and the
 * eval set are loaded once). argv[2] names the module whose `createMeasurer` is used.
 *
 * Ctrl-C reaches the whole process group: this process ignores SIGINT and SIGTERM and lets the
 * worker decide (finish the job in hand, then disconnect). When the IPC channel closes (the
 * worker closed, or died) it closes its measurers and exits.
 */
import type { Measurer, MeasureSpec } from '../prune/sensitivity_measure';
import { specKey, type BaseJobResult } from './jobs';
import type { ChildReply, ChildRequest } from './measure_protocol';

type Factory = (spec: MeasureSpec, log?: (line: string) => void) => Promise<Measurer>;

const factoryModule = process.argv[2] || '../prune/sensitivity_measure';
const createMeasurer = (require(factoryModule) as { createMeasurer: Factory }).createMeasurer;
const measurers = new Map<string, Promise<Measurer>>();

const send = (m: ChildReply) => process.send?.(m);
const log = (line: string) => send({ kind: 'log', line });

function measurerFor(spec: MeasureSpec): Promise<Measurer> {
  const key = specKey(spec);
  let m = measurers.get(key);
  if (!m) {
    m = createMeasurer(spec, log);
    measurers.set(key, m);
    // A spec that failed to load (missing weights, say) is tried afresh by the next job.
    m.catch(() => measurers.delete(key));
  }
  return m;
}

async function handle(r: ChildRequest): Promise<BaseJobResult | number> {
  const m = await measurerFor(r.spec);
  if (r.op === 'base') {
    return { metric: m.metric, configDigest: m.configDigest, base: r.measureBase ? await m.base() : null };
  }
  if (m.configDigest !== r.configDigest) {
    throw new Error(
      `config digest ${m.configDigest.slice(0, 12)} on this worker, ${r.configDigest.slice(0, 12)} expected by the coordinator: ${r.spec.config} or its -o overrides differ on this machine`,
    );
  }
  if (m.metric !== r.metric) throw new Error(`metric '${m.metric}' on this worker, '${r.metric}' expected by the coordinator`);
  return m.evaluate(r.param, r.ratio);
}

process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

process.on('message', (r: ChildRequest) => {
  handle(r).then(
    (value) => send({ kind: 'done', id: r.id, value }),
    (e: unknown) => send({ kind: 'error', id: r.id, error: e instanceof Error ? e.message : String(e) }),
  );
});

process.on('disconnect', () => {
  const all = [...measurers.values()].map((p) => p.then((m) => m.close()).catch(() => undefined));
  Promise.all(all).finally(() => process.exit(0));
});
