/**
 * A deterministic stand-in for createMeasurer, loaded by the workers' measuring processes in
 * the queue tests: metric = 0.8 * (1 - ratio * k(param)) for three known params, an error for
 * any other. Overrides steer it: `delay_ms=N` holds the thread N ms per measurement (as a real
 * evaluation does), `trace=FILE` appends `start|end <pid> <param> <ratio>` lines.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import type { Measurer, MeasureSpec } from '../../src/prune/sensitivity_measure';

export const FAKE_PARAMS = ['conv1.weights', 'conv2.weights', 'conv3.weights'];
export const fakeMetric = (param: string, ratio: number): number => 0.8 * (1 - ratio * 0.1 * (FAKE_PARAMS.indexOf(param) + 1));
export const fakeDigest = (spec: MeasureSpec): string => createHash('sha256').update(`fake:${spec.config}`).digest('hex');

function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* the thread is held, as by a real forward pass */
  }
}

export async function createMeasurer(spec: MeasureSpec): Promise<Measurer> {
  const opts = Object.fromEntries(spec.overrides.map((o) => o.split('=', 2) as [string, string]));
  const delay = Number(opts.delay_ms ?? 0);
  const trace = (what: string, param: string, ratio: number) => {
    if (opts.trace) fs.appendFileSync(opts.trace, `${what} ${process.pid} ${param} ${ratio}\n`);
  };
  return {
    metric: 'mAP',
    configDigest: fakeDigest(spec),
    prunableParams: () => [...FAKE_PARAMS],
    base: async () => 0.8,
    async evaluate(param, ratio) {
      if (!FAKE_PARAMS.includes(param)) throw new Error(`unknown parameter '${param}' (expected one of ${FAKE_PARAMS.join(', ')})`);
      trace('start', param, ratio);
      busyWait(delay);
      trace('end', param, ratio);
      return fakeMetric(param, ratio);
    },
    close: async () => undefined,
  };
}
