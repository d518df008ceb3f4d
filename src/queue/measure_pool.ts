/**
 * A queue worker's measuring processes: one per concurrent job, forked on first need, each
 * keeping its measurers between jobs (measure_child.ts). A process that dies fails only the job
 * it held, with one line naming how it ended, and is forked again for the next job.
 *
 * From the compiled package the child runs the .js beside this one. From the TypeScript sources
 * (tests, the CLI before `npm run build:ts`) it starts from the data loader's bootstrap, whose
 * transpile hook caches its output on disk, so a fresh measuring process loads the model code in
 * a fraction of the time a full transpile takes.
 */
import { fork, spawn, type ChildProcess, type StdioOptions } from 'child_process';
import * as path from 'path';
import { sourceBootstrap } from '../data/pool';
import type { ChildReply, ChildRequest, ChildRequestBody } from './measure_protocol';
import type { BaseJobResult } from './jobs';

interface Slot {
  child: ChildProcess;
  busy: boolean;
  pending: Map<number, { resolve(v: BaseJobResult | number): void; reject(e: Error): void }>;
}

export interface MeasurePoolOptions {
  /** module exporting createMeasurer (default: the real one) */
  measurerModule?: string;
  /** lines the measurer logs (weights loaded, ...) */
  log?: (line: string) => void;
}

export class MeasurePool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;

  constructor(private readonly o: MeasurePoolOptions = {}) {}

  private start(): Slot {
    const args = this.o.measurerModule ? [this.o.measurerModule] : [];
    const stdio: StdioOptions = ['ignore', 'inherit', 'inherit', 'ipc'];
    const childTs = path.join(__dirname, 'measure_child.ts');
    // Both ways the child sees argv = [node, its file, measurer module?].
    const child = __filename.endsWith('.ts')
      ? spawn(process.execPath, ['-e', sourceBootstrap(childTs), childTs, ...args], { stdio })
      : fork(path.join(__dirname, 'measure_child.js'), args, { execArgv: [], stdio });
    const slot: Slot = { child, busy: false, pending: new Map() };
    child.on('message', (m: ChildReply) => {
      if (m.kind === 'log') return this.o.log?.(m.line);
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (m.kind === 'done') p.resolve(m.value);
      else p.reject(new Error(m.error));
    });
    const fail = (why: string) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const p of slot.pending.values()) p.reject(new Error(why));
      slot.pending.clear();
    };
    child.on('error', (e) => fail(`the measuring process failed: ${e.message}`));
    child.on('exit', (code, signal) => fail(`the measuring process exited (${signal ? `signal ${signal}` : `code ${code}`}) during the measurement`));
    this.slots.push(slot);
    return slot;
  }

  /** Runs one request on an idle process (forking one when all are busy). */
  async run(req: ChildRequestBody): Promise<BaseJobResult | number> {
    if (this.closed) throw new Error('the worker is closing');
    const slot = this.slots.find((s) => !s.busy && s.child.connected) ?? this.start();
    slot.busy = true;
    try {
      return await new Promise<BaseJobResult | number>((resolve, reject) => {
        const id = this.nextId++;
        slot.pending.set(id, { resolve, reject });
        slot.child.send({ ...req, id } as ChildRequest);
      });
    } finally {
      slot.busy = false;
    }
  }

  /** Kills every process now (their jobs fail here; the caller exits before that matters). */
  kill(): void {
    this.closed = true;
    for (const s of this.slots.splice(0)) s.child.kill('SIGKILL');
  }

  /** Disconnects every process (each closes its measurers and exits); kills those still there after `graceMs`. */
  async close(graceMs = 10_000): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
            const timer = setTimeout(() => s.child.kill('SIGKILL'), graceMs);
            s.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (s.child.connected) s.child.disconnect();
            else s.child.kill('SIGKILL');
          }),
      ),
    );
  }
}
