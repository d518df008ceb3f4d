/**
 * The training log: every log_iter iterations one line with the iteration, the loss (smoothed
 * over log_smooth_window, per output level too), the learning rate, images per second, the
 * time spent waiting for data against the time computing, and the time left. On a TTY a
 * progress bar (cli-progress, on stderr) carries the same figures and other lines print above it.
 */
import { MultiBar, type SingleBar } from 'cli-progress';

export interface StepFigures {
  loss: number;
  levels: number[];
  /** names of the loss terms in levels (R-CNN: loss_rpn_cls, ...); without them they print as YOLOv3's levels */
  levelNames?: string[];
  lr: number;
  images: number;
  dataMs: number;
  computeMs: number;
}

function clock(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '-';
  const s = Math.round(sec);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export class TrainLog {
  private readonly recent: StepFigures[] = [];
  private totals = { n: 0, images: 0, dataMs: 0, computeMs: 0 };
  private readonly multi: MultiBar | null;
  private readonly bar: SingleBar | null;

  constructor(private readonly o: { maxIters: number; startIter: number; logIter: number; window: number; log: (line: string) => void; progress: boolean }) {
    if (o.progress) {
      this.multi = new MultiBar({
        format: 'iter {value}/{total} |{bar}| loss {loss} lr {lr} {ips} img/s data {data} ms compute {compute} ms eta {etaClock}',
        stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 50,
      });
      this.bar = this.multi.create(o.maxIters, o.startIter, { loss: '-', lr: '-', ips: '-', data: '-', compute: '-', etaClock: '-' });
    } else {
      this.multi = null;
      this.bar = null;
    }
  }

  /** A line that is not a step (snapshots, evaluations). */
  line(text: string): void {
    if (this.multi) this.multi.log(text + '\n');
    else this.o.log(text);
  }

  step(it: number, f: StepFigures): void {
    this.recent.push(f);
    if (this.recent.length > this.o.window) this.recent.shift();
    this.totals.n++;
    this.totals.images += f.images;
    this.totals.dataMs += f.dataMs;
    this.totals.computeMs += f.computeMs;
    const n = this.recent.length;
    const mean = (g: (x: StepFigures) => number) => this.recent.reduce((s, x) => s + g(x), 0) / n;
    const msPerIter = mean((x) => x.dataMs + x.computeMs);
    const ips = (mean((x) => x.images) * 1000) / Math.max(msPerIter, 1e-9);
    const eta = ((this.o.maxIters - it - 1) * msPerIter) / 1000;
    const loss = mean((x) => x.loss);
    if (this.bar) {
      this.bar.update(it + 1, {
        loss: loss.toFixed(3), lr: f.lr.toExponential(2), ips: ips.toFixed(1),
        data: mean((x) => x.dataMs).toFixed(0), compute: mean((x) => x.computeMs).toFixed(0), etaClock: clock(eta),
      });
    }
    if (it % this.o.logIter !== 0 && it !== this.o.maxIters - 1) return;
    const means = f.levels.map((_, i) => mean((x) => x.levels[i] ?? 0).toFixed(3));
    const levels = f.levelNames ? means.map((m, i) => `${f.levelNames![i]} ${m}`).join(', ') : `levels ${means.join(' ')}`;
    this.line(
      `iter: ${it}/${this.o.maxIters}, loss: ${loss.toFixed(4)} (${levels}), lr: ${f.lr.toPrecision(4)}, ` +
        `${ips.toFixed(2)} img/s, data: ${mean((x) => x.dataMs).toFixed(1)} ms, compute: ${mean((x) => x.computeMs).toFixed(1)} ms/iter, eta: ${clock(eta)}`,
    );
  }

  stop(): void {
    this.multi?.stop();
  }

  /** Means over every step of this run. */
  summary(): { dataMs: number; computeMs: number; imagesPerSec: number } {
    const { n, images, dataMs, computeMs } = this.totals;
    if (!n) return { dataMs: 0, computeMs: 0, imagesPerSec: 0 };
    return { dataMs: dataMs / n, computeMs: computeMs / n, imagesPerSec: (images * 1000) / Math.max(dataMs + computeMs, 1e-9) };
  }
}
