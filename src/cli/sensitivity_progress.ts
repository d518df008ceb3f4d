/**
 * Progress of `slimprune sensitivity`: on a terminal a cli-progress bar on stderr with the
 * last measurement and the time left (cli-progress's estimate over the recent measurements);
 * otherwise one line per measurement, e.g.
 *   [12/162] yolo_block.0.2.conv.weights ratio 0.3: mAP 0.0871, loss 0.1247
 */
import { SingleBar } from 'cli-progress';

export interface Measured {
  param: string;
  ratio: number;
  metric: number;
  loss: number;
  done: number;
  total: number;
}

export interface SensitivityProgress {
  measured(m: Measured): void;
  stop(): void;
}

export function measuredLine(metric: string, m: Measured): string {
  const n = String(m.total).length;
  return `[${String(m.done).padStart(n)}/${m.total}] ${m.param} ratio ${m.ratio}: ${metric} ${m.metric.toFixed(4)}, loss ${m.loss.toFixed(4)}`;
}

/** `bar`: draw on stderr (a TTY); else each measurement goes to `line`. */
export function sensitivityProgress(o: { metric: string; total: number; done: number; bar: boolean; line: (text: string) => void }): SensitivityProgress {
  if (!o.bar) return { measured: (m) => o.line(measuredLine(o.metric, m)), stop: () => undefined };
  const bar = new SingleBar({
    format: 'sensitivity |{bar}| {value}/{total} eta {eta_formatted} | {last}',
    stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 20, etaAsynchronousUpdate: true,
  });
  bar.start(o.total, o.done, { last: o.done ? `${o.done} already in the file` : 'measuring the first point' });
  return {
    measured: (m) => bar.update(m.done, { last: `${m.param} ${m.ratio}: loss ${m.loss.toFixed(4)}` }),
    stop: () => bar.stop(),
  };
}
