/**
 * The body of one --jobs worker thread: its own Measurer (config, weights and eval batches
 * loaded in this thread), answering the requests of src/prune/sensitivity_workers.ts one at a
 * time. Errors go back as messages (name and text), never as an uncaught exception.
 */
import { parentPort, workerData } from 'worker_threads';
import { createMeasurer, type MeasureSpec, type Measurer } from './sensitivity_measure';
import type { WorkerReply, WorkerRequest } from './sensitivity_workers';

const port = parentPort!;
const ready: Promise<Measurer> = createMeasurer(workerData as MeasureSpec);
// An init failure is reported on the first request; this keeps it from being unhandled meanwhile.
ready.catch(() => undefined);

port.on('message', async (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const m = await ready;
    if (req.op === 'close') {
      await m.close();
      reply = { id: req.id, value: 0 };
    } else if (req.op === 'base') {
      reply = { id: req.id, value: await m.base() };
    } else {
      reply = { id: req.id, value: await m.evaluate(req.param, req.ratio) };
    }
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { id: req.id, error: { name: err.name, message: err.message } };
  }
  port.postMessage(reply);
});
