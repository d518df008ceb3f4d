/**
 * Entry point of a data worker thread: builds the pipeline from workerData once, then answers
 * each posted BatchJob with a JobResult, transferring the batch's buffers. Errors never escape
 * as exceptions: they travel back as one line in the result.
 */
import { parentPort, workerData } from 'worker_threads';
import { Pipeline, transferList, type BatchJob, type PipelineSpec } from './pipeline';
import { messageOf } from './errors';

if (parentPort) {
  const port = parentPort;
  let pipeline: Pipeline | null = null;
  let setupError: string | null = null;
  try {
    pipeline = new Pipeline(workerData as PipelineSpec);
  } catch (e) {
    setupError = messageOf(e);
  }
  port.on('message', ({ id, job }: { id: number; job: BatchJob }) => {
    if (!pipeline) {
      port.postMessage({ id, k: job.k, batch: null, warnings: [], error: setupError });
      return;
    }
    void pipeline.run(job).then((r) => port.postMessage({ id, ...r }, transferList(r.batch)));
  });
}
